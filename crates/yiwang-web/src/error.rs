//! The one API error: each error has a stable snake_case `code` and an HTTP status
//! (the table below); the message is for people. A 5xx says nothing internal: the
//! cause goes to the log.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yiwang_app::AppError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case; clients branch on it.
    pub code: String,
    /// For people, in Chinese.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            message: message.into(),
            field: Some(field.into()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use StatusCode as S;
        let message = e.to_string();
        let (status, code, field) = match &e {
            AppError::Refused(r) => {
                let field = match r {
                    yiwang_core::case::Refusal::Invalid(v) => Some(v.field.to_owned()),
                    _ => None,
                };
                (refusal_status(r.code()), r.code(), field)
            }
            AppError::RefusedItem { field, refusal, .. } => {
                (refusal_status(refusal.code()), refusal.code(), Some(field.clone()))
            }
            AppError::Invalid { field, .. } => (S::UNPROCESSABLE_ENTITY, "invalid_field", Some(field.clone())),
            AppError::Unauthenticated => (S::UNAUTHORIZED, "unauthenticated", None),
            AppError::BadCredentials => (S::UNAUTHORIZED, "bad_credentials", None),
            AppError::Forbidden(_) => (S::FORBIDDEN, "forbidden", None),
            AppError::NotFound(_) => (S::NOT_FOUND, "not_found", None),
            AppError::Busy => (S::CONFLICT, "busy", None),
            AppError::Conflict(_) => (S::CONFLICT, "conflict", None),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (S::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        ApiError { status, code, message, field }
    }
}

/// The status of a refusal by its code.
fn refusal_status(code: &str) -> StatusCode {
    match code {
        "forbidden" => StatusCode::FORBIDDEN,
        "invalid_field" | "unknown_unit" | "unknown_category" | "unit_cannot_handle" | "same_unit"
        | "merge_into_self" | "unknown_task_type" | "unknown_report" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_body",
                message: format!("请求内容不符合要求：{}", e.body_text()),
                field: None,
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "请求须为 JSON（Content-Type: application/json）",
            ),
            other => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("请求不是合法的 JSON：{}", other.body_text()),
            ),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("查询参数有误：{}", r.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message, field: self.field } };
        (self.status, axum::Json(body)).into_response()
    }
}
