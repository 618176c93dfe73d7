//! Form fields as posted, kept so a page re-rendered after an error shows what was
//! typed; and the Chinese names of fields for messages.

use maud::{Markup, html};

/// The fields of a posted form, in order; a name may repeat (checkboxes).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    /// The trimmed value, or `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim()).filter(|s| !s.is_empty()).map(str::to_owned)
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_owned(), value.into()));
    }
}

/// Percent-encodes a value for a query string.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The Chinese name of a field, as the forms label it.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "text" => "诉求内容",
        "title" => "标题",
        "appeal_type" => "诉求类型",
        "citizen.phone" | "phone" => "联系电话",
        "citizen.name" | "name" => "姓名",
        "citizen.id_number" => "身份证号",
        "citizen.contact" => "其他联系方式",
        "location" | "location.point" | "area" => "问题位置",
        "address" => "详细地址",
        "photos" => "照片",
        "category" => "诉求分类",
        "unit" => "承办单位",
        "units" => "协办单位",
        "reason" => "原因",
        "note" => "说明",
        "answer" => "答复内容",
        "working_days" => "延期天数",
        "into" => "主工单编号",
        "tracking_code" => "查询码",
        "satisfaction" => "满意度",
        "solved" => "是否解决",
        "username" => "用户名",
        "password" => "密码",
        _ => "该项",
    }
}

/// The error line under a field, tied to it for screen readers by `id`.
pub fn field_error(id: &str, err: Option<&(String, String)>, field: &str) -> Markup {
    html! {
        @if let Some((f, msg)) = err {
            @if f == field {
                p.field-error id={(id) "-err"} role="alert" { (msg) }
            }
        }
    }
}
