//! The one stylesheet and the one small script, compiled in.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const CSS_PATH: &str = "/static/yiwang.css";
pub const JS_PATH: &str = "/static/yiwang.js";

const CSS: &str = include_str!("../../static/yiwang.css");
const JS: &str = include_str!("../../static/yiwang.js");

pub async fn get_asset(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "yiwang.css" => (CSS, "text/css; charset=utf-8"),
        "yiwang.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "没有这个文件").into_response(),
    };
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    r
}
