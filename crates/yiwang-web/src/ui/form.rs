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

/// The fields of one action form on a case page: what was posted (kept after an
/// error) and the error, drawn the same way on every kind's page.
pub(crate) struct ActionFields<'a> {
    pub name: &'a str,
    pub posted: &'a Fields,
    pub error: Option<&'a (String, String)>,
}

impl ActionFields<'_> {
    /// The id of `field` within this form (`answer-reply`).
    pub fn id(&self, field: &str) -> String {
        format!("{}-{field}", self.name)
    }

    /// A text area, with its label (选填 when not `required`) and its error.
    pub fn text(&self, field: &str, label: &str, required: bool, rows: u32) -> Markup {
        let id = self.id(field);
        html! {
            div.field {
                label for=(id) { (label) @if !required { span.opt { "（选填）" } } }
                textarea id=(id) name=(field) rows=(rows) required[required] { (self.posted.get(field)) }
                (field_error(&id, self.error, field))
            }
        }
    }

    /// Two radio buttons, `yes` first and chosen unless `no` was posted.
    pub fn yes_no(&self, legend: &str, field: &str, yes: &str, no: &str) -> Markup {
        let said_no = self.posted.get(field) == "no";
        html! {
            fieldset {
                legend { (legend) }
                div.choices {
                    label.choice { input type="radio" name=(field) value="yes" checked[!said_no]; (yes) }
                    label.choice { input type="radio" name=(field) value="no" checked[said_no]; (no) }
                }
            }
        }
    }
}

/// A case page's record for staff: newest first, who and what.
pub(crate) fn staff_timeline<'a>(
    entries: impl DoubleEndedIterator<Item = (chrono::DateTime<chrono::Utc>, &'a str, &'a str)>,
) -> Markup {
    html! {
        section.card {
            h2 { "办理过程" }
            ol.timeline.staff {
                @for (at, by, summary) in entries.rev() {
                    li { time { (super::fmt_time(at)) } span.actor { (by) } span { (summary) } }
                }
            }
        }
    }
}

/// The side column of a case page: a form per command the caller may give now.
pub(crate) fn actions_aside(forms: Vec<Markup>) -> Markup {
    html! {
        aside.case-actions aria-label="可执行的操作" {
            @if forms.is_empty() {
                section.card { h2 { "操作" } p.muted { "当前没有您可以执行的操作。" } }
            }
            @for form in forms { (form) }
        }
    }
}

/// A service's form (申请表): its fields with their checks' inputs, named `form.<code>`
/// and filled from `f`. The window's 收件 and the applicant's 网上申请 both show it.
pub(crate) fn service_fields(fields: &[yiwang_core::application::service::Field], f: &Fields) -> Markup {
    use yiwang_core::application::service::FieldType;
    html! {
    @if !fields.is_empty() {
        fieldset {
            legend { "申请表" }
            @for x in fields {
                @let id = format!("form-{}", x.code);
                @let name = format!("form.{}", x.code);
                div.field {
                    label for=(id) { (x.label) @if !x.required { span.opt { "（选填）" } } }
                    @match &x.field_type {
                        FieldType::Choice { options } => {
                            select id=(id) name=(name) required[x.required] {
                                option value="" { "请选择" }
                                @for o in options { option value=(o) selected[f.get(&name) == o] { (o) } }
                            }
                        }
                        FieldType::YesNo => {
                            select id=(id) name=(name) required[x.required] {
                                option value="" { "请选择" }
                                option value="是" selected[f.get(&name) == "是"] { "是" }
                                option value="否" selected[f.get(&name) == "否"] { "否" }
                            }
                        }
                        FieldType::Date => { input id=(id) name=(name) type="date" required[x.required] value=(f.get(&name)); }
                        FieldType::Number { .. } => { input id=(id) name=(name) inputmode="decimal" required[x.required] value=(f.get(&name)); }
                        FieldType::Text { max } if *max > 100 => { textarea id=(id) name=(name) rows="3" required[x.required] { (f.get(&name)) } }
                        _ => { input id=(id) name=(name) required[x.required] value=(f.get(&name)); }
                    }
                }
            }
        }
    }
    }
}
