//! 安全审计: the security auditor's page. The security audit log, newest first,
//! searched by account, kind and period, and exported as CSV for the assessor.

use super::export::{Cell, Table, csv};
use super::{Chrome, StaffUser, UiResult, html_response, page};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use maud::html;
use serde::Deserialize;
use yiwang_app::{SecurityEvent, SecurityQuery};

/// The kinds of event, and their names for people.
const KINDS: [(&str, &str); 22] = [
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("login_refused", "锁定中拒绝登录"),
    ("locked_out", "账号锁定"),
    ("unlocked", "解锁"),
    ("logout", "退出"),
    ("refused", "拒绝访问"),
    ("reveal_phone", "查看电话"),
    ("export", "导出"),
    ("password_changed", "修改密码"),
    ("staff_changed", "账号变更"),
    ("staff_deactivated", "账号停用"),
    ("api_key_issued", "签发密钥"),
    ("api_key_revoked", "吊销密钥"),
    ("api_key_used", "密钥使用"),
    ("api_key_refused", "密钥被拒"),
    ("track_failed", "查询失败"),
    ("track_resend", "补发查询码"),
    ("security_log_archived", "审计日志归档"),
    ("person_erased", "删除个人信息"),
    ("config_changed", "设置变更"),
    ("certificate_verified", "核验证照"),
];

fn kind_label(k: &str) -> &str {
    KINDS.iter().find(|(c, _)| *c == k).map(|(_, l)| *l).unwrap_or(k)
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    username: String,
    #[serde(default)]
    kind: String,
    /// Days back from now (1 to 366).
    #[serde(default)]
    days: Option<i64>,
}

impl AuditQuery {
    fn days(&self) -> i64 {
        self.days.unwrap_or(30).clamp(1, 366)
    }
}

async fn events(
    state: &AppState,
    u: &StaffUser,
    q: &AuditQuery,
    limit: u32,
) -> Result<Vec<SecurityEvent>, crate::ApiError> {
    let actor = u.actor.clone();
    let since = state.app.now() - chrono::Duration::days(q.days());
    let query = SecurityQuery {
        username: Some(q.username.trim().to_owned()).filter(|s| !s.is_empty()),
        kinds: Some(q.kind.trim().to_owned()).filter(|s| !s.is_empty()).into_iter().collect(),
        since: Some(since),
        limit,
        ..Default::default()
    };
    state.run(move |app| app.security_log(&actor, &query)).await
}

fn china(t: yiwang_core::Instant) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub async fn show_audit(State(state): State<AppState>, u: StaffUser, Query(q): Query<AuditQuery>) -> UiResult {
    let rows = events(&state, &u, &q, 500).await?;
    let export = format!(
        "/console/audit/export.csv?username={}&kind={}&days={}",
        form_urlencoded::byte_serialize(q.username.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(q.kind.as_bytes()).collect::<String>(),
        q.days()
    );
    let body = html! {
        h1 { "安全审计日志" }
        form.filter method="get" action="/console/audit" {
            label for="username" { "账号" }
            input #username name="username" value=(q.username) placeholder="全部";
            label for="kind" { "类型" }
            select #kind name="kind" {
                option value="" { "全部" }
                @for (k, l) in KINDS { option value=(k) selected[q.kind == k] { (l) } }
            }
            label for="days" { "时间" }
            select #days name="days" {
                @for (v, l) in [(1, "近1天"), (7, "近7天"), (30, "近30天"), (90, "近90天"), (366, "近一年")] {
                    option value=(v) selected[q.days() == v] { (l) }
                }
            }
            button type="submit" { "查询" }
            " "
            a href=(export) { "导出 CSV" }
        }
        p.hint { "最近 " (rows.len()) " 条（最多显示500条，导出不限）。日志只增不改，并由签名检查点封存。" }
        table.list {
            thead { tr { th { "时间" } th { "类型" } th { "账号" } th { "地址" } th { "内容" } } }
            tbody {
                @for e in &rows {
                    tr {
                        td { (china(e.at)) }
                        td { (kind_label(&e.kind)) }
                        td { (e.username.as_deref().unwrap_or("—")) }
                        td { (e.address.as_deref().unwrap_or("—")) }
                        td { (e.detail) }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("安全审计", Chrome::Console(&u, "audit"), body)))
}

pub async fn export_audit(State(state): State<AppState>, u: StaffUser, Query(q): Query<AuditQuery>) -> UiResult {
    let rows = events(&state, &u, &q, 100_000).await?;
    let t = Table {
        name: "security-log",
        title: "安全审计日志".into(),
        header: vec!["编号", "时间", "类型", "账号", "地址", "内容"],
        rows: rows
            .iter()
            .map(|e| {
                vec![
                    Cell::Number(e.id as f64),
                    Cell::Text(china(e.at)),
                    Cell::Text(kind_label(&e.kind).to_owned()),
                    Cell::Text(e.username.clone().unwrap_or_default()),
                    Cell::Text(e.address.clone().unwrap_or_default()),
                    Cell::Text(e.detail.clone()),
                ]
            })
            .collect(),
    };
    let actor = u.actor.clone();
    state.run(move |app| app.note_export(&actor, "安全审计日志（CSV）")).await?;
    let mut r = csv(&t).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"yiwang-security-log.csv\""),
    );
    Ok(r)
}
