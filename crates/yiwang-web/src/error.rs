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
            AppError::InvalidRows { rows, .. } => {
                (S::UNPROCESSABLE_ENTITY, "invalid_rows", rows.first().map(|r| format!("rows[{}].{}", r.row, r.field)))
            }
            AppError::Unauthenticated => (S::UNAUTHORIZED, "unauthenticated", None),
            AppError::BadCredentials => (S::UNAUTHORIZED, "bad_credentials", None),
            AppError::LockedOut(_) => (S::TOO_MANY_REQUESTS, "locked_out", None),
            AppError::PasswordChangeRequired => (S::FORBIDDEN, "password_change_required", None),
            AppError::OtpRequired => (S::UNAUTHORIZED, "otp_required", None),
            AppError::TotpEnrollmentRequired => (S::FORBIDDEN, "totp_enrollment_required", None),
            AppError::Throttled(_) => (S::TOO_MANY_REQUESTS, "throttled", None),
            AppError::Forbidden(_) => (S::FORBIDDEN, "forbidden", None),
            AppError::VerifierOnly => (S::FORBIDDEN, "verifier_only", None),
            AppError::NotFound(_) => (S::NOT_FOUND, "not_found", None),
            AppError::Busy => (S::CONFLICT, "busy", None),
            AppError::Conflict(_) => (S::CONFLICT, "conflict", None),
            AppError::IdempotencyKeyReused => (S::UNPROCESSABLE_ENTITY, "idempotency_key_reused", None),
            AppError::IdempotencyKeyUsed => (S::CONFLICT, "idempotency_key_in_use", None),
            AppError::Gateway { code, .. } => (S::BAD_GATEWAY, *code, None),
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
        // A webhook URL the SSRF rules refuse (`yiwang_app::webhook`).
        "webhook_url_refused" => StatusCode::UNPROCESSABLE_ENTITY,
        // An application's input (一网通办): the form, the materials, a 补正 list.
        "unknown_form_field"
        | "form_field_missing"
        | "form_field_invalid"
        | "unknown_material"
        | "material_twice"
        | "material_empty"
        | "paper_at_window"
        | "too_many_materials"
        | "too_many_files"
        | "certificate_not_accepted"
        | "enterprise_required"
        | "enterprise_not_applicable"
        | "missing_required"
        | "too_many_missing"
        | "materials_required"
        | "reasons_required"
        | "validity_invalid"
        | "extension_too_long"
        | "step_counted"
        | "comment_required"
        | "dimension_not_applicable"
        | "no_such_visit"
        | "reference_invalid"
        | "amount_mismatch"
        | "paid_on_invalid" => StatusCode::UNPROCESSABLE_ENTITY,
        // 免申即享: a policy's definition, an enterprise's bank account (and a plan's
        // period, which shares `invalid_period`).
        "invalid_rule" | "invalid_formula" | "invalid_period" | "invalid_budget" | "invalid_clauses"
        | "invalid_account" | "holder_mismatch" | "unit_mismatch" => StatusCode::UNPROCESSABLE_ENTITY,
        // A bundle's answers (一件事).
        "answer_missing" | "answer_invalid" | "unknown_question" | "no_part_applies" => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        // A plan's input and a draw's reveal (双随机一公开).
        "no_matter"
        | "not_own_matter"
        | "duplicate_matter"
        | "invalid_ratio"
        | "invalid_inspectors_per_target"
        | "reason_required"
        | "invalid_commitment"
        | "round_not_future"
        | "wrong_round"
        | "bad_beacon"
        | "bad_seed" => StatusCode::UNPROCESSABLE_ENTITY,
        // An inspection's or a rectification's input (一网通管).
        "no_inspectors"
        | "no_items"
        | "duplicate_item"
        | "duplicate_inspector"
        | "no_inspector_of_unit"
        | "rectify_days"
        | "finding_missing"
        | "finding_note"
        | "unknown_item"
        | "outcome_mismatch"
        | "invalid_place"
        | "inspected_at"
        | "invalid_file"
        | "signature_missing"
        | "outcome_unchanged"
        | "evidence_missing"
        | "no_problems" => StatusCode::UNPROCESSABLE_ENTITY,
        // A resource of the catalogue (一网共享).
        "invalid_resource_code"
        | "no_fields"
        | "too_many_fields"
        | "invalid_field_name"
        | "duplicate_field"
        | "unknown_key_field"
        | "conditions_required"
        | "invalid_conditions"
        | "invalid_gateway_url"
        | "unknown_source"
        | "personal_open" => StatusCode::UNPROCESSABLE_ENTITY,
        // 一网共享: a request's input, and a read's credential, grant, rate and signing.
        "fields_required"
        | "unknown_field"
        | "unmasked_not_requested"
        | "unmasked_not_personal"
        | "period_invalid"
        | "period_past"
        | "period_too_long"
        | "not_narrowing" => StatusCode::UNPROCESSABLE_ENTITY,
        "credential_invalid" => StatusCode::UNAUTHORIZED,
        "grant_expired" | "grant_revoked" | "grant_not_started" | "grant_scope" => StatusCode::FORBIDDEN,
        "rate_limited" => StatusCode::TOO_MANY_REQUESTS,
        "signing_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
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
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求内容太大")
            }
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

/// The longest request target (path and query) served; a longer one is answered 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The answers the framework gives by itself — 405 for a method a route lacks, 400
/// for a path parameter that is not valid UTF-8, 415, 413 and the like — come as plain
/// text or empty. Under `/api` each becomes the JSON error body with a stable code;
/// under `/open311` the spec's error document, in the format the path asks for. A
/// handler's own error, already JSON or XML, passes as it is. Request targets longer
/// than `MAX_URI_BYTES` are answered 414 here.
pub(crate) async fn framework_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // A clone of the URI shares its bytes: no allocation on the way in.
    let uri = req.uri().clone();
    let path = uri.path();
    let method = req.method().clone();
    // The request target as sent (origin form): its path and query, no allocation.
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let r = if target > MAX_URI_BYTES { StatusCode::URI_TOO_LONG.into_response() } else { next.run(req).await };
    let status = r.status();
    let typed =
        r.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
            t.starts_with("application/json") || t.starts_with("text/xml") || t.starts_with("text/html")
        });
    if !(status.is_client_error() || status.is_server_error()) || typed {
        return r;
    }
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "请求有误：地址或参数无法识别".to_owned()),
        StatusCode::NOT_FOUND => ("not_found", "没有这个地址".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", format!("这个地址不接受 {method} 请求")),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "请求发送太慢".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求内容太大".to_owned()),
        StatusCode::URI_TOO_LONG => ("uri_too_long", format!("请求地址太长：最多 {MAX_URI_BYTES} 字节")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "请求内容的类型不受支持".to_owned()),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_body", "请求内容不符合要求".to_owned()),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ("headers_too_large", "请求头太大".to_owned()),
        s if s.is_server_error() => ("internal", "系统内部错误，请稍后重试".to_owned()),
        _ => ("request_refused", "请求未被接受".to_owned()),
    };
    let kept: Vec<_> = [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER, axum::http::header::CONNECTION]
        .into_iter()
        .filter_map(|h| r.headers().get(&h).map(|v| (h, v.clone())))
        .collect();
    let mut out = if path.starts_with("/open311/") {
        crate::open311::framework_error(status, path, message)
    } else if path.starts_with("/api/") || !status.is_client_error() || status == StatusCode::URI_TOO_LONG {
        ApiError::new(status, code, message).into_response()
    } else {
        return r;
    };
    out.headers_mut().extend(kept);
    out
}

/// A handler that panicked is answered as any internal error is: 500 with the JSON
/// body, the cause in the log. (Input that makes a handler panic is a bug; the fuzz
/// test looks for it.)
pub(crate) fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    ApiError::from(AppError::Internal(format!("handler panicked: {cause}"))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        let slice: &[u8] = &[];
        if slice.is_empty() {
            panic!("index out of bounds");
        }
        "unreachable"
    }

    /// A handler that panics is answered 500 with the JSON body; the connection and
    /// the server live on.
    #[tokio::test]
    async fn a_panicking_handler_is_answered_as_an_internal_error() {
        let r =
            Router::new().route("/boom", get(boom)).layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked));
        let resp = r.oneshot(axum::http::Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        assert!(!String::from_utf8_lossy(&body).contains("index out of bounds"), "the cause stays in the log");
    }
}
