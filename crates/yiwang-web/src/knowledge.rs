//! The knowledge base (知识库): search while typing, and each unit's own articles.

use crate::auth::{Body, Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{ArticleInput, ArticleView};
use yiwang_core::id::UnitCode;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/knowledge", get(search_knowledge).post(create_article))
        .route("/knowledge/{id}", put(update_article))
        .route("/knowledge-by-unit", get(list_unit_articles))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// What the operator is typing.
    pub q: String,
    pub limit: Option<usize>,
}

/// Articles offered today that match the query, best first.
#[utoipa::path(get, path = "/api/v1/knowledge", tag = "knowledge", params(SearchParams),
    responses((status = 200, body = [ArticleView]), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn search_knowledge(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<SearchParams>,
) -> Result<Json<Vec<ArticleView>>, ApiError> {
    Ok(Json(state.run(move |app| app.search_knowledge(&auth.actor, &p.q, p.limit.unwrap_or(5))).await?))
}

/// Adds an article to the caller's unit (administrators: any unit).
#[utoipa::path(post, path = "/api/v1/knowledge", tag = "knowledge", request_body = ArticleInput,
    responses((status = 201, body = ArticleView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_article(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<ArticleInput>,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    let a = state.run(move |app| app.save_article(&auth.actor, None, input)).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Updates an article of the caller's unit; set `valid_to` to stop offering it.
#[utoipa::path(put, path = "/api/v1/knowledge/{id}", tag = "knowledge", request_body = ArticleInput, params(("id" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_article(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<i64>,
    Body(input): Body<ArticleInput>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(state.run(move |app| app.save_article(&auth.actor, Some(id), input)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnitParams {
    /// Default: the caller's unit.
    pub unit: Option<String>,
}

/// A unit's articles, current and ended.
#[utoipa::path(get, path = "/api/v1/knowledge-by-unit", tag = "knowledge", params(UnitParams),
    responses((status = 200, body = [ArticleView])), security(("bearer" = [])))]
pub async fn list_unit_articles(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<UnitParams>,
) -> Result<Json<Vec<ArticleView>>, ApiError> {
    let unit = match p.unit.as_deref() {
        Some(u) => Some(UnitCode::parse(u).map_err(|_| ApiError::invalid("unit", "单位代码不合法"))?),
        None => None,
    };
    Ok(Json(state.run(move |app| app.unit_articles(&auth.actor, unit)).await?))
}
