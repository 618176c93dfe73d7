//! The `Idempotency-Key` request header (issue 19; the IETF httpapi draft
//! "The Idempotency-Key HTTP Header Field"): a client that lost an answer (its
//! connection dropped, the database failed over mid-commit) cannot tell whether its
//! write was made, so it sends the same key again and is answered with what the first
//! try did, never with a second case or a second action.
//!
//! The key is scoped per client credential (a staff member, an Open311 API key, an
//! anonymous client's address) and bound to a digest of the request (method, path,
//! body as parsed), so the same key with another request is refused
//! (`idempotency_key_reused`, 422). The store keeps it in the write's own commit for
//! `yiwang_app::IDEMPOTENCY_HOURS`.

use crate::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};
use yiwang_app::IdempotencyKey;

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// Set, to `true`, on an answer that replays what an earlier request with the same
/// key did.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The longest key accepted; a UUID is 36 characters.
const MAX_LEN: usize = 255;

/// The header's value, when sent. A key that is empty, too long or not printable
/// ASCII is refused (`invalid_idempotency_key`, 400) rather than ignored: a client
/// that sends one counts on it.
pub struct IdempotencyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        IdempotencyHeader::of(&parts.headers)
    }
}

impl IdempotencyHeader {
    /// The header of a request's `headers`.
    pub fn of(headers: &axum::http::HeaderMap) -> Result<Self, ApiError> {
        let Some(v) = headers.get(HEADER) else { return Ok(IdempotencyHeader(None)) };
        let key = v.to_str().ok().map(str::trim).unwrap_or_default();
        if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                format!("Idempotency-Key 须为1到{MAX_LEN}个可见ASCII字符"),
            ));
        }
        Ok(IdempotencyHeader(Some(key.to_owned())))
    }

    /// The key of this request: `scope` names the client's credential, `request` the
    /// method and path, `body` what was parsed of it.
    pub fn key(&self, scope: String, request: &str, body: &impl serde::Serialize) -> Option<IdempotencyKey> {
        let key = self.0.clone()?;
        let mut h = Sha256::new();
        h.update(request.as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(body).unwrap_or_default());
        Some(IdempotencyKey { scope, key, fingerprint: hex::encode(h.finalize()) })
    }
}

/// The scope of a staff member's keys.
pub fn staff_scope(username: &impl std::fmt::Display) -> String {
    format!("staff:{username}")
}

/// The scope of an Open311 client's keys: its API key, by a digest of it (the key
/// itself is stored nowhere).
pub fn api_key_scope(api_key: &str) -> String {
    format!("apikey:{}", &hex::encode(Sha256::digest(api_key.trim().as_bytes()))[..16])
}

/// The scope of an anonymous client's keys: its address as the server saw it.
pub fn client_scope(addr: Option<&str>) -> String {
    format!("client:{}", addr.unwrap_or("-"))
}

/// Marks an answer as replayed.
pub fn replayed() -> [(HeaderName, HeaderValue); 1] {
    replayed_header(true)
}

/// Says whether an answer replays what an earlier request with its key did.
pub fn replayed_header(replayed: bool) -> [(HeaderName, HeaderValue); 1] {
    [(REPLAYED, HeaderValue::from_static(if replayed { "true" } else { "false" }))]
}
