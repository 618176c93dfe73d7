//! 督查督办 over JSON: targets extracted from a document, tasks opened from them, one
//! command per call on a task, the queues of tasks, the commitments board; and the
//! combined queue of every kind of work (我的待办).

use crate::appeal::case_id;
use crate::auth::{Body, Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{Board, TargetProposal, TaskQueue, TaskRow, TaskView, TodoPage};
use yiwang_core::id::CaseId;
use yiwang_core::task::{Command, NewTask, TaskKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/targets/extract", post(extract_targets))
        .route("/tasks", post(create_tasks))
        .route("/tasks/{id}", get(get_task))
        .route("/tasks/{id}/actions", post(act_on_task))
        .route("/task-queues/{queue}", get(get_task_queue))
        .route("/board", get(get_board))
        .route("/todo", get(get_todo))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExtractInput {
    /// The text of a work report or plan.
    pub text: String,
}

/// 提取目标: the measurable targets in a work report's text (督查室 only), each with
/// its value, unit, what it counts, direction and sentence, for the inspector to
/// confirm before any task is opened.
#[utoipa::path(post, path = "/api/v1/targets/extract", tag = "tasks", request_body = ExtractInput,
    responses((status = 200, body = [TargetProposal]), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn extract_targets(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<ExtractInput>,
) -> Result<Json<Vec<TargetProposal>>, ApiError> {
    Ok(Json(state.run(move |app| app.propose_targets(&auth.actor, &input.text)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateTasks {
    /// The confirmed targets, each to become a task.
    pub tasks: Vec<NewTask>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedTasks {
    /// The new tasks' case numbers (DB…), in the order given.
    pub ids: Vec<CaseId>,
}

/// 立项 and 交办: each confirmed target becomes a task handed to its lead unit. All are
/// checked first: one bad task opens none, and the error names it (`tasks[i].field`).
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = CreateTasks,
    responses((status = 201, body = CreatedTasks), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_tasks(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<CreateTasks>,
) -> Result<(StatusCode, Json<CreatedTasks>), ApiError> {
    let ids = state.run(move |app| app.open_tasks(&auth.actor, &input.tasks)).await?;
    Ok((StatusCode::CREATED, Json(CreatedTasks { ids })))
}

/// One task: its target, progress, light, reports, notices, clocks and timeline, and
/// the commands the caller may give now.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = TaskView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_task(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.task_view(&auth.actor, &id)).await?))
}

/// One command on a task, e.g. `{"action": "report", "achieved": 5200, "text": "…",
/// "evidence": ["…"]}`: sign_for, report, review, request_extension,
/// decide_extension, issue_notice, answer_notice, close (销号), conclude.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/actions", tag = "tasks", request_body = Command,
    params(("id" = String, Path, description = "case number"),
        ("Idempotency-Key" = Option<String>, Header, description = "a fresh key per command, the same for its retries: a retry does not run it again")),
    responses((status = 200, body = TaskView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act_on_task(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    idempotency: crate::idempotency::IdempotencyHeader,
    Body(command): Body<Command>,
) -> Result<([(HeaderName, HeaderValue); 1], Json<TaskView>), ApiError> {
    let key = idempotency.key(
        crate::idempotency::staff_scope(&auth.staff.username),
        &format!("POST /api/v1/tasks/{id}/actions"),
        &command,
    );
    let id = case_id(&id)?;
    if let Command::Report { evidence, .. } = &command {
        crate::ui::refuse_stored_uploads("evidence", evidence)?;
    }
    let (replayed, view) = state
        .run(move |app| {
            let replayed = app.act_on_once::<TaskKind>(&auth.actor, &id, &command, key.as_ref())?;
            Ok((replayed, app.task_view(&auth.actor, &id)?))
        })
        .await?;
    Ok((crate::idempotency::replayed_header(replayed), Json(view)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TaskQueueParams {
    pub limit: Option<u32>,
}

/// A queue of tasks: to_review (督查室), red, escalated, mine, all.
#[utoipa::path(get, path = "/api/v1/task-queues/{queue}", tag = "tasks",
    params(("queue" = TaskQueue, Path, description = "to_review, red, escalated, mine, all"), TaskQueueParams),
    responses((status = 200, body = [TaskRow]), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_task_queue(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(queue): Path<String>,
    Params(p): Params<TaskQueueParams>,
) -> Result<Json<Vec<TaskRow>>, ApiError> {
    let queue: TaskQueue = serde_json::from_value(serde_json::Value::String(queue.clone()))
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("没有名为 {queue} 的任务队列")))?;
    Ok(Json(state.run(move |app| app.task_queue(&auth.actor, queue, p.limit.unwrap_or(200))).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BoardParams {
    /// The year of the targets; this year by default.
    pub year: Option<i32>,
}

/// The commitments board: every target of a year by lead unit and light, with
/// progress, and the overdue ones (区领导, 督查室).
#[utoipa::path(get, path = "/api/v1/board", tag = "tasks", params(BoardParams),
    responses((status = 200, body = Board), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_board(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<BoardParams>,
) -> Result<Json<Board>, ApiError> {
    Ok(Json(state.run(move |app| app.board(&auth.actor, p.year.unwrap_or_else(|| app.this_year()))).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TodoParams {
    /// `appeal` or `task`; every kind when absent.
    pub kind: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// 我的待办: the open work of every kind the caller's unit holds, newest first, with
/// the time left on each.
#[utoipa::path(get, path = "/api/v1/todo", tag = "queues", params(TodoParams),
    responses((status = 200, body = TodoPage), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_todo(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<TodoParams>,
) -> Result<Json<TodoPage>, ApiError> {
    let page = state
        .run(move |app| app.todo(&auth.actor, p.kind.as_deref(), p.limit.unwrap_or(50), p.offset.unwrap_or(0)))
        .await?;
    Ok(Json(page))
}
