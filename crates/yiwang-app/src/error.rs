//! The errors of the use cases, in domain words. The web crate gives each a status
//! and a stable code; messages are Chinese, for the people who read them.

use yiwang_core::appeal::Refusal;
use yiwang_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Core refused the command.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// Core refused one item of a batch: `field` names it (`tasks[3].lead`).
    #[error("第 {} 项：{refusal}", index + 1)]
    RefusedItem { field: String, index: usize, refusal: Refusal },
    /// Input that does not parse or breaks a rule before core sees it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// An import file with bad rows, every one named; nothing of it was stored.
    #[error("{file} 有 {} 行有误，未导入任何数据：{}", rows.len(), rows_summary(rows))]
    InvalidRows { file: String, rows: Vec<crate::register::RowError> },
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    BadCredentials,
    /// Too many failed logins to this account from this address: it is locked here
    /// for a while (the message says how long).
    #[error("{0}")]
    LockedOut(String),
    /// The account has a second factor: the login must carry its code.
    #[error("请输入动态口令（或一个恢复码）")]
    OtpRequired,
    /// The account's role requires a second factor it has not set up yet.
    #[error("请先启用动态口令（双因素登录）：系统管理员、安全管理员和安全审计员必须启用")]
    TotpEnrollmentRequired,
    /// The password must be changed first (set by an import, or expired).
    #[error("请先修改密码：首次登录须更换初始密码，或密码已过期")]
    PasswordChangeRequired,
    /// Too many failed logins to this account from anywhere: attempts must wait.
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    Forbidden(String),
    /// A 核验员 (`Role::Verifier` alone) asked for anything but verifying a certificate.
    #[error("核验员只能核验电子证照，不能查看办件、工单、看板或个人信息")]
    VerifierOnly,
    #[error("{0}不存在")]
    NotFound(&'static str),
    /// Kept changing under us; the caller may try again.
    #[error("工单正被他人修改，请刷新后重试")]
    Busy,
    #[error("{0}")]
    Conflict(String),
    /// An Idempotency-Key its client used already for another request.
    #[error("此 Idempotency-Key 已用于另一个请求，请为新请求换一个键")]
    IdempotencyKeyReused,
    /// An Idempotency-Key a concurrent request of its client is using: the write was
    /// not made; asking again answers what that request did.
    #[error("使用此 Idempotency-Key 的请求正在处理，请稍后重试")]
    IdempotencyKeyUsed,
    /// A department's system behind the catalogue's gateway failed (`code`:
    /// `gateway_unavailable`) or answered what its resource does not declare
    /// (`gateway_invalid`).
    #[error("{message}")]
    Gateway { code: &'static str, message: String },
    #[error("内部错误")]
    Internal(String),
}

fn rows_summary(rows: &[crate::register::RowError]) -> String {
    let mut parts: Vec<String> = rows
        .iter()
        .take(20)
        .map(|r| if r.row == 0 { r.message.clone() } else { format!("第 {} 行 {}：{}", r.row, r.field, r.message) })
        .collect();
    if rows.len() > 20 {
        parts.push(format!("…… 另有 {} 行", rows.len() - 20));
    }
    parts.join("；")
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.into(), message: message.into() }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => AppError::Busy,
            StoreError::NotFound(_) => AppError::NotFound("记录"),
            StoreError::Duplicate(what) if what == "idempotency_key" => AppError::IdempotencyKeyUsed,
            StoreError::Duplicate(what) => AppError::Conflict(format!("记录已存在：{what}")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<yiwang_core::id::InvalidValue> for AppError {
    fn from(e: yiwang_core::id::InvalidValue) -> Self {
        AppError::Invalid { field: e.field.to_owned(), message: format!("{}：{}", e.field, e.rule) }
    }
}
