//! 一网共享's pages: the console's catalogue (政务信息资源目录: search, a resource's
//! page, the form a department's 数据专员 registers and amends with), and the
//! portal's open data (数据开放: `/open`, the DCAT catalogue `/open/catalog.jsonld`,
//! the datasets `/open/data/<code>.csv|json`).

use super::form::Fields;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::catalogue::{CatalogueQuery, filter_of};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use yiwang_app::catalogue::{ResourceView, source_fields, source_key};
use yiwang_core::id::UnitCode;
use yiwang_core::org::{Role, UnitKind};
use yiwang_core::share::{CaseView, Field, FieldType, Frequency, OpenClass, Resource, ShareClass, Source};

/// Who keeps entries: 数据专员 (the district's keep every department's).
pub(crate) fn keeps_catalogue(u: &StaffUser) -> bool {
    u.actor.has_role(Role::DataOfficer)
}

fn unit_kind(u: &StaffUser) -> UnitKind {
    match &u.actor {
        yiwang_core::org::Actor::Staff { unit_kind, .. } => *unit_kind,
        _ => UnitKind::Department,
    }
}

fn may_edit(u: &StaffUser, owner: &UnitCode) -> bool {
    keeps_catalogue(u) && (u.staff.unit == *owner || unit_kind(u) == UnitKind::District)
}

fn share_tag(s: ShareClass) -> Markup {
    let class = match s {
        ShareClass::Unconditional => "tag green",
        ShareClass::Conditional => "tag yellow",
        ShareClass::None => "tag red",
    };
    html! { span class=(class) { (s.label()) } }
}

pub async fn show_list(State(state): State<AppState>, u: StaffUser, Query(q): Query<CatalogueQuery>) -> UiResult {
    let f = filter_of(&q)?;
    let actor = u.actor.clone();
    let (rows, units) = state
        .run(move |app| {
            let rows = app.catalogue(&actor, &f)?;
            let units: Vec<(String, String)> = app
                .reference()
                .org
                .units()
                .filter(|u| matches!(u.kind, UnitKind::District | UnitKind::Centre | UnitKind::Department))
                .map(|u| (u.code.to_string(), u.name.clone()))
                .collect();
            Ok((rows, units))
        })
        .await?;
    let owner = q.owner.clone().unwrap_or_default();
    let share = q.share.clone().unwrap_or_default();
    let body = html! {
        section.card #catalogue {
            div.card-head {
                h1 { "政务信息资源目录" }
                @if keeps_catalogue(&u) { a.button href="/console/catalogue/new" { "登记资源" } }
            }
            form.filters method="get" action="/console/catalogue" {
                div.field { label for="q" { "名称、代码、信息项" } input #q name="q" value=(q.q.as_deref().unwrap_or("")); }
                div.field {
                    label for="owner" { "提供部门" }
                    select #owner name="owner" {
                        option value="" { "全部" }
                        @for (code, name) in &units { option value=(code) selected[owner == *code] { (name) } }
                    }
                }
                div.field {
                    label for="share" { "共享类型" }
                    select #share name="share" {
                        option value="" { "全部" }
                        @for s in ShareClass::ALL { option value=(s.as_str()) selected[share == s.as_str()] { (s.label()) } }
                    }
                }
                div.actions { button type="submit" { "查询" } }
            }
            p.muted #catalogue-total { "共 " (rows.len()) " 项资源" }
            table.cases #catalogue-rows {
                thead { tr { th { "资源代码" } th { "资源名称" } th { "提供部门" } th { "共享类型" } th { "开放属性" } th { "更新周期" } th { "信息项" } } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { (r.resource.code) }
                            td { a href={"/console/catalogue/" (r.resource.code)} { (r.resource.name) } }
                            td { (r.owner_name) }
                            td { (share_tag(r.resource.share)) }
                            td { (r.open_label) }
                            td { (r.frequency_label) }
                            td { (r.resource.fields.len()) }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("政务信息资源目录", Chrome::Console(&u, "catalogue"), body)))
}

pub async fn show_one(State(state): State<AppState>, u: StaffUser, Path(code): Path<String>) -> UiResult {
    let actor = u.actor.clone();
    let v = state.run(move |app| app.catalogue_entry(&actor, &code)).await?;
    let r = &v.resource;
    let body = html! {
        section.card #resource {
            div.card-head {
                h1 { (r.name) }
                @if may_edit(&u, &r.owner) && v.status == yiwang_core::share::ResourceStatus::Registered {
                    a.button href={"/console/catalogue/" (r.code) "/edit"} { "变更" }
                }
            }
            dl.facts #resource-facts {
                dt { "资源代码" } dd #resource-code { (r.code) }
                dt { "提供部门" } dd { (v.owner_name) }
                dt { "状态" } dd { (v.status.label()) }
                dt { "摘要" } dd { (r.description) }
                dt { "共享类型" } dd #resource-share { (share_tag(r.share)) }
                @if !r.conditions.is_empty() { dt { "共享条件" } dd #resource-conditions { (r.conditions) } }
                dt { "开放属性" } dd { (v.open_label) }
                dt { "更新周期" } dd { (v.frequency_label) }
                dt { "数据格式" } dd { (r.format) }
                dt { "数据来源" } dd #resource-source { (v.source_label) }
                dt { "登记时间" } dd { (fmt_time(v.registered_at)) }
                dt { "最近变更" } dd { (fmt_time(v.updated_at)) }
                @if !v.downloads.is_empty() {
                    dt { "开放数据" }
                    dd #resource-downloads { @for d in &v.downloads { a href=(d) { (d) } " " } }
                }
            }
            h2 { "信息项" }
            table.cases #resource-fields {
                thead { tr { th { "信息项名" } th { "名称" } th { "类型" } th { "个人信息" } th { "标识" } } }
                tbody {
                    @for f in &r.fields {
                        tr {
                            td { code { (f.name) } }
                            td { (f.label) }
                            td { (f.ty.label()) }
                            td { @if f.personal { span.tag.red { "个人信息" } } }
                            td { @if f.name == r.key_field { "✓" } }
                        }
                    }
                }
            }
            p { a href={"/console/cases/" (v.id)} { "登记和变更记录（" (v.id) "）" } }
        }
    };
    Ok(html_response(StatusCode::OK, page(&r.name, Chrome::Console(&u, "catalogue"), body)))
}

/// The fields as the form's lines: `name,label,type,personal`.
fn field_lines(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| format!("{},{},{},{}", f.name, f.label, f.ty.as_str(), if f.personal { "是" } else { "否" }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the lines of the fields; the line at fault is named.
fn parse_fields(text: &str) -> Result<Vec<Field>, String> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split([',', '，']).map(str::trim).collect();
        let (name, label, ty, personal) = match parts.as_slice() {
            [n, l, t] => (*n, *l, *t, ""),
            [n, l, t, p] => (*n, *l, *t, *p),
            _ => return Err(format!("信息项第 {} 行应为：信息项名,名称,类型,是否个人信息", i + 1)),
        };
        let ty = FieldType::parse(ty).ok_or_else(|| {
            format!("信息项第 {} 行的类型“{ty}”应为 text、integer、decimal、date、datetime、boolean、code 之一", i + 1)
        })?;
        let personal = matches!(personal, "是" | "true" | "yes" | "1" | "personal" | "个人信息");
        out.push(Field { name: name.into(), label: label.into(), ty, personal });
    }
    Ok(out)
}

/// The resource a form gives.
fn resource_from(f: &Fields, code: Option<&str>) -> Result<Resource, (String, String)> {
    let bad = |field: &str, m: String| (field.to_owned(), m);
    let source = match f.get("source") {
        "cases" => Source::Cases {
            kind: f.get("kind").trim().to_owned(),
            view: if f.get("view") == "full" { CaseView::Full } else { CaseView::Anonymised },
        },
        "register" => Source::Register,
        "certificates" => Source::Certificates,
        "inspection_results" => Source::InspectionResults,
        "indicators" => Source::Indicators,
        "gateway" => Source::Gateway { url: f.get("url").trim().to_owned() },
        _ => return Err(bad("source", "请选择数据来源".into())),
    };
    let mut fields = parse_fields(f.get("fields")).map_err(|m| bad("fields", m))?;
    if fields.is_empty() && !source.is_gateway() {
        fields = source_fields(&source);
    }
    let mut key_field = f.get("key_field").trim().to_owned();
    if key_field.is_empty() && !source.is_gateway() {
        key_field = source_key(&source).to_owned();
    }
    let owner = UnitCode::parse(f.get("owner").trim()).map_err(|_| bad("owner", "请选择提供部门".into()))?;
    Ok(Resource {
        code: code.unwrap_or(f.get("code")).trim().to_owned(),
        name: f.get("name").into(),
        owner,
        description: f.get("description").into(),
        fields,
        share: ShareClass::parse(f.get("share")).ok_or_else(|| bad("share", "请选择共享类型".into()))?,
        conditions: f.get("conditions").into(),
        frequency: Frequency::parse(f.get("frequency")).ok_or_else(|| bad("frequency", "请选择更新周期".into()))?,
        format: f.get("format").into(),
        source,
        open: OpenClass::parse(f.get("open")).ok_or_else(|| bad("open", "请选择开放属性".into()))?,
        key_field,
    })
}

/// The form's values for a resource as it is.
fn fields_of(r: &Resource) -> Fields {
    let mut f = Fields::default();
    f.push("code", r.code.clone());
    f.push("name", r.name.clone());
    f.push("owner", r.owner.to_string());
    f.push("description", r.description.clone());
    f.push("fields", field_lines(&r.fields));
    f.push("share", r.share.as_str());
    f.push("conditions", r.conditions.clone());
    f.push("frequency", r.frequency.as_str());
    f.push("format", r.format.clone());
    f.push("open", r.open.as_str());
    f.push("key_field", r.key_field.clone());
    match &r.source {
        Source::Cases { kind, view } => {
            f.push("source", "cases");
            f.push("kind", kind.clone());
            f.push("view", if *view == CaseView::Full { "full" } else { "anonymised" });
        }
        Source::Register => f.push("source", "register"),
        Source::Certificates => f.push("source", "certificates"),
        Source::InspectionResults => f.push("source", "inspection_results"),
        Source::Indicators => f.push("source", "indicators"),
        Source::Gateway { url } => {
            f.push("source", "gateway");
            f.push("url", url.clone());
        }
    }
    f
}

fn render_form(
    u: &StaffUser,
    units: &[(String, String)],
    f: &Fields,
    amend: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let action = match amend {
        Some(code) => format!("/console/catalogue/{code}/edit"),
        None => "/console/catalogue/new".into(),
    };
    let title = if amend.is_some() { "变更资源" } else { "登记资源" };
    let source = f.get("source");
    let body = html! {
        section.card #resource-form {
            h1 { (title) }
            @if let Some(e) = &error { div.alert role="alert" #form-error { (e) } }
            form method="post" action=(action) {
                input type="hidden" name="_csrf" value=(u.csrf);
                div.field {
                    label for="code" { "资源代码" }
                    @if let Some(code) = amend { input #code name="code" value=(code) readonly; }
                    @else { input #code name="code" value=(f.get("code")) placeholder="YXQ-SJ-0001" required; }
                }
                div.field { label for="name" { "资源名称" } input #name name="name" value=(f.get("name")) required; }
                div.field {
                    label for="owner" { "提供部门" }
                    select #owner name="owner" {
                        @for (code, name) in units { option value=(code) selected[f.get("owner") == code] { (name) } }
                    }
                }
                div.field { label for="description" { "摘要" } textarea #description name="description" rows="3" { (f.get("description")) } }
                div.field {
                    label for="fields" { "信息项（每行：信息项名,名称,类型,是否个人信息；类型为 text、integer、decimal、date、datetime、boolean、code；本系统数据来源可留空，按来源自动生成）" }
                    textarea #fields name="fields" rows="8" { (f.get("fields")) }
                }
                div.field { label for="key_field" { "标识信息项" } input #key_field name="key_field" value=(f.get("key_field")); }
                div.field {
                    label for="share" { "共享类型" }
                    select #share name="share" {
                        @for s in ShareClass::ALL { option value=(s.as_str()) selected[f.get("share") == s.as_str()] { (s.label()) } }
                    }
                }
                div.field { label for="conditions" { "共享条件（有条件共享时必填）" } textarea #conditions name="conditions" rows="2" { (f.get("conditions")) } }
                div.field {
                    label for="open" { "开放属性" }
                    select #open name="open" {
                        @for o in OpenClass::ALL { option value=(o.as_str()) selected[f.get("open") == o.as_str()] { (o.label()) } }
                    }
                }
                div.field {
                    label for="frequency" { "更新周期" }
                    select #frequency name="frequency" {
                        @for q in Frequency::ALL { option value=(q.as_str()) selected[f.get("frequency") == q.as_str()] { (q.label()) } }
                    }
                }
                div.field { label for="format" { "数据格式" } input #format name="format" value=(f.get("format")) placeholder="JSON"; }
                div.field {
                    label for="source" { "数据来源" }
                    select #source name="source" {
                        @for (v, l) in [("gateway", "部门接口（网关）"), ("cases", "本系统办件"), ("register", "企业名录"), ("certificates", "电子证照"), ("inspection_results", "双随机抽查结果"), ("indicators", "运行指标")] {
                            option value=(v) selected[source == v] { (l) }
                        }
                    }
                }
                div.field { label for="url" { "部门接口地址（网关）" } input #url name="url" value=(f.get("url")) placeholder="http://10.20.1.5:8080/share/xxx"; }
                div.field { label for="kind" { "办件类型（本系统办件）" } input #kind name="kind" value=(f.get("kind")) placeholder="appeal"; }
                div.field {
                    label for="view" { "办件视图" }
                    select #view name="view" {
                        option value="anonymised" selected[f.get("view") != "full"] { "脱敏" }
                        option value="full" selected[f.get("view") == "full"] { "完整" }
                    }
                }
                div.actions { button.primary type="submit" { (title) } }
            }
        }
    };
    html_response(status, page(title, Chrome::Console(u, "catalogue"), body))
}

/// The units a 数据专员 may register for: their own; the 数据局's, every department.
async fn owners(state: &AppState, u: &StaffUser) -> Result<Vec<(String, String)>, UiError> {
    let (own, district) = (u.staff.unit.clone(), unit_kind(u) == UnitKind::District);
    Ok(state
        .run(move |app| {
            Ok(app
                .reference()
                .org
                .units()
                .filter(|x| {
                    x.code == own
                        || (district && matches!(x.kind, UnitKind::District | UnitKind::Centre | UnitKind::Department))
                })
                .map(|x| (x.code.to_string(), x.name.clone()))
                .collect())
        })
        .await?)
}

fn forbid() -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "由资源所属部门的数据专员或区数据局登记和维护"))
}

pub async fn show_new(State(state): State<AppState>, u: StaffUser) -> UiResult {
    if !keeps_catalogue(&u) {
        return Err(forbid());
    }
    let units = owners(&state, &u).await?;
    let mut f = Fields::default();
    f.push("owner", u.staff.unit.to_string());
    f.push("share", "conditional");
    f.push("open", "closed");
    f.push("frequency", "daily");
    f.push("format", "JSON");
    f.push("source", "gateway");
    Ok(render_form(&u, &units, &f, None, None, StatusCode::OK))
}

pub async fn register(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !keeps_catalogue(&u) {
        return Err(forbid());
    }
    let units = owners(&state, &u).await?;
    let r = match resource_from(&f, None) {
        Ok(r) => r,
        Err((_, m)) => return Ok(render_form(&u, &units, &f, None, Some(m), StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.register_resource(&actor, &r)).await {
        Ok(e) => Ok(Redirect::to(&format!("/console/catalogue/{}", e.resource.code)).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(UiError(e)),
        Err(e) => Ok(render_form(&u, &units, &f, None, Some(e.message), e.status)),
    }
}

pub async fn show_edit(State(state): State<AppState>, u: StaffUser, Path(code): Path<String>) -> UiResult {
    let actor = u.actor.clone();
    let v: ResourceView = state.run(move |app| app.catalogue_entry(&actor, &code)).await?;
    if !may_edit(&u, &v.resource.owner) {
        return Err(forbid());
    }
    let units = owners(&state, &u).await?;
    Ok(render_form(&u, &units, &fields_of(&v.resource), Some(&v.resource.code), None, StatusCode::OK))
}

pub async fn amend(
    State(state): State<AppState>,
    u: StaffUser,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let units = owners(&state, &u).await?;
    let r = match resource_from(&f, Some(&code)) {
        Ok(r) => r,
        Err((_, m)) => return Ok(render_form(&u, &units, &f, Some(&code), Some(m), StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let (actor, c) = (u.actor.clone(), code.clone());
    match state.run(move |app| app.amend_resource(&actor, &c, &r)).await {
        Ok(e) => Ok(Redirect::to(&format!("/console/catalogue/{}", e.resource.code)).into_response()),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => Err(UiError(e)),
        Err(e) => Ok(render_form(&u, &units, &f, Some(&code), Some(e.message), e.status)),
    }
}

// The portal's open data --------------------------------------------------------------

/// 数据开放: the open datasets, with their downloads.
pub async fn show_open(State(state): State<AppState>) -> UiResult {
    let rows = state
        .run(|app| {
            let rows = app.open_resources()?;
            Ok(rows.into_iter().map(|r| (app.reference().unit_name(&r.owner), r)).collect::<Vec<_>>())
        })
        .await?;
    let body = html! {
        section.card #open-data {
            h1 { "公共数据开放" }
            p { "以下数据集无条件开放，每日更新，可自由下载使用。目录以 DCAT 标准发布："
                a href="/open/catalog.jsonld" { "catalog.jsonld" } "。" }
            @if rows.is_empty() { p { "暂无开放数据集" } }
            @for (owner, r) in &rows {
                article.dataset id=(r.code) {
                    h2 { (r.name) }
                    p.muted { (r.code) " · " (owner) " · " (r.frequency.label()) "更新" }
                    p { (r.description) }
                    p.downloads {
                        "下载："
                        @for d in yiwang_app::catalogue::open_downloads(r) {
                            a href=(d) { (if d.ends_with(".csv") { "CSV" } else { "JSON" }) } " "
                        }
                    }
                    details {
                        summary { "信息项（" (r.fields.len()) "）" }
                        ul { @for f in &r.fields { li { (f.label) "（" code { (f.name) } "，" (f.ty.label()) "）" } } }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("公共数据开放", Chrome::Portal, body)))
}

/// The DCAT catalogue (JSON-LD) for harvesters such as CKAN's ckanext-dcat.
pub async fn catalog_jsonld(State(state): State<AppState>) -> Result<Response, UiError> {
    let base = state.public_url.to_string();
    let doc = state.run(move |app| app.dcat_catalog(&base)).await?;
    let mut r = (StatusCode::OK, doc.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ld+json; charset=utf-8"));
    Ok(r)
}

/// `/open/data/<code>.csv` or `.json`: the dataset as last exported.
pub async fn download(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let (code, ext) =
        file.rsplit_once('.').ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "开放数据不存在"))?;
    if !matches!(ext, "csv" | "json") {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "开放数据不存在"));
    }
    let c = code.to_owned();
    let d = state.run(move |app| app.open_dataset(&c)).await?;
    let (body, ty) = match ext {
        "csv" => (yiwang_app::open_data::dataset_csv(&d), "text/csv; charset=utf-8"),
        _ => (serde_json::to_string(&d).unwrap_or_default(), "application/json"),
    };
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{code}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
