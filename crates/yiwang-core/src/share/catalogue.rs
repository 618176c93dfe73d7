//! 政务信息资源目录: the catalogue of what the district's departments hold.
//!
//! Each resource (信息资源) is a long-lived case of its own kind (`resource`, numbers
//! `ZY…`), one per 资源代码: its registration, every amendment and its withdrawal are
//! events on its own hash chain, so who declared which fields and which share class,
//! and when, is evidence (政务信息资源目录编制指南: the catalogue is kept up to date by
//! the owning department and checked by the 数据局).
//!
//! Its unique key is the header's tracking code `resource:<code>`: the store's unique
//! index keeps one case per code, even for two registrations at once.
//!
//! Who keeps an entry: a 数据专员 (`Role::DataOfficer`) of the owning department, or
//! of the district itself (the big-data bureau, 数据局, which keeps the whole
//! catalogue; the district's 系统管理员 reads no data, 三员分立).

use crate::case::{Context, Header, Kind, Projection, Refusal, text};
use crate::deadline::Stage;
use crate::id::{CaseId, UnitCode};
use crate::org::{Actor, Role, UnitKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The tracking code that is a resource's unique key among cases.
pub fn key(code: &str) -> String {
    format!("resource:{code}")
}

/// A field's type, as the records carry it in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldType {
    /// A string.
    Text,
    /// A JSON integer.
    Integer,
    /// A JSON number, or a decimal string (amounts are exchanged as strings).
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    Datetime,
    Boolean,
    /// A code of a code list (a unit, a category, a status …), as a string.
    Code,
}

impl FieldType {
    pub const ALL: [Self; 7] =
        [Self::Text, Self::Integer, Self::Decimal, Self::Date, Self::Datetime, Self::Boolean, Self::Code];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Boolean => "boolean",
            Self::Code => "code",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "文本",
            Self::Integer => "整数",
            Self::Decimal => "数值",
            Self::Date => "日期",
            Self::Datetime => "日期时间",
            Self::Boolean => "布尔",
            Self::Code => "代码",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
    /// Whether a JSON value is of this type (`null` is any type's "no value").
    pub fn admits(self, v: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match (self, v) {
            (_, V::Null) => true,
            (Self::Text | Self::Code, V::String(_)) => true,
            (Self::Integer, V::Number(n)) => n.is_i64() || n.is_u64(),
            (Self::Decimal, V::Number(_)) => true,
            (Self::Decimal, V::String(s)) => s.parse::<f64>().is_ok_and(f64::is_finite),
            (Self::Date, V::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            (Self::Datetime, V::String(s)) => DateTime::parse_from_rfc3339(s).is_ok(),
            (Self::Boolean, V::Bool(_)) => true,
            _ => false,
        }
    }
}

/// One declared field of a resource's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Field {
    /// The name records carry it under: `[a-z][a-z0-9_]*`, at most 40.
    pub name: String,
    /// What people call it (信息项名称).
    pub label: String,
    pub ty: FieldType,
    /// 个人信息 (个人信息保护法 art. 4): masked by the access layer unless a grant
    /// includes it.
    #[serde(default)]
    pub personal: bool,
}

/// 共享类型 (国发〔2016〕51号 art. 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShareClass {
    /// 无条件共享: every department may have it.
    Unconditional,
    /// 有条件共享: the owner decides each request, on the conditions it declares.
    Conditional,
    /// 不予共享: only where a law or regulation says so.
    None,
}

impl ShareClass {
    pub const ALL: [Self; 3] = [Self::Unconditional, Self::Conditional, Self::None];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconditional => "unconditional",
            Self::Conditional => "conditional",
            Self::None => "none",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Unconditional => "无条件共享",
            Self::Conditional => "有条件共享",
            Self::None => "不予共享",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// 开放属性: what the public may have (公共数据开放).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OpenClass {
    /// 无条件开放: published on the portal (`/open`, DCAT).
    Open,
    /// 有条件开放.
    Conditional,
    /// 不予开放.
    Closed,
}

impl OpenClass {
    pub const ALL: [Self; 3] = [Self::Open, Self::Conditional, Self::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Conditional => "conditional",
            Self::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "无条件开放",
            Self::Conditional => "有条件开放",
            Self::Closed => "不予开放",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// 更新周期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Frequency {
    Realtime,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
    Irregular,
}

impl Frequency {
    pub const ALL: [Self; 7] =
        [Self::Realtime, Self::Daily, Self::Weekly, Self::Monthly, Self::Quarterly, Self::Yearly, Self::Irregular];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Realtime => "realtime",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
            Self::Irregular => "irregular",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Realtime => "实时",
            Self::Daily => "每日",
            Self::Weekly => "每周",
            Self::Monthly => "每月",
            Self::Quarterly => "每季度",
            Self::Yearly => "每年",
            Self::Irregular => "不定期",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
    /// The Dublin Core Collection Description frequency (`dct:accrualPeriodicity`).
    pub fn dublin_core(self) -> &'static str {
        match self {
            Self::Realtime => "http://purl.org/cld/freq/continuous",
            Self::Daily => "http://purl.org/cld/freq/daily",
            Self::Weekly => "http://purl.org/cld/freq/weekly",
            Self::Monthly => "http://purl.org/cld/freq/monthly",
            Self::Quarterly => "http://purl.org/cld/freq/quarterly",
            Self::Yearly => "http://purl.org/cld/freq/annual",
            Self::Irregular => "http://purl.org/cld/freq/irregular",
        }
    }
}

/// Which view of a kind's cases a resource gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CaseView {
    /// Category, area, dates, status, outcome: nothing that names a person, and text
    /// only where the publication filter passes it.
    Anonymised,
    /// The case's own columns and text, with its person (personal fields).
    Full,
}

/// Where a resource's records come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Source {
    /// yiwang's own cases of a kind (`Kind::NAME`).
    Cases { kind: String, view: CaseView },
    /// The enterprise register (市场主体名录).
    Register,
    /// The e-certificates issued (电子证照).
    Certificates,
    /// The published results of 双随机 inspections.
    InspectionResults,
    /// The district's indicators (the measures of the hotline and the services).
    Indicators,
    /// Another department's system: yiwang is the gateway to it (see the app's
    /// gateway contract).
    Gateway { url: String },
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Self::Cases { kind, view: CaseView::Anonymised } => format!("本系统办件（{kind}，脱敏）"),
            Self::Cases { kind, view: CaseView::Full } => format!("本系统办件（{kind}，完整）"),
            Self::Register => "企业名录".into(),
            Self::Certificates => "电子证照".into(),
            Self::InspectionResults => "双随机抽查结果".into(),
            Self::Indicators => "运行指标".into(),
            Self::Gateway { url } => format!("部门接口 {url}"),
        }
    }
    pub fn is_gateway(&self) -> bool {
        matches!(self, Self::Gateway { .. })
    }
}

/// A resource of the catalogue (信息资源), as its department declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resource {
    /// 资源代码: capital letters, digits and hyphens, `YXQ-SJ-0001`.
    pub code: String,
    pub name: String,
    /// The owning department (资源提供方).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner: UnitCode,
    pub description: String,
    pub fields: Vec<Field>,
    pub share: ShareClass,
    /// 共享条件: what a conditional resource asks of a request; empty otherwise.
    #[serde(default)]
    pub conditions: String,
    pub frequency: Frequency,
    /// 数据格式 (JSON, CSV, 电子文件 …).
    pub format: String,
    pub source: Source,
    pub open: OpenClass,
    /// The field that identifies a record.
    pub key_field: String,
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// What a department registers: the resource as declared.
pub type NewResource = Resource;

/// Whether `code` is a 资源代码: 3 to 40 capital letters, digits and hyphens,
/// starting with a letter, hyphens only between parts.
fn valid_code(code: &str) -> bool {
    let n = code.len();
    (3..=40).contains(&n)
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
}

fn valid_field_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a resource as declared, whoever declares it: the code, the texts, the
/// fields (names unique), the key field among them, conditions for a conditional
/// resource, a gateway's URL. The organisation check (the owner exists) is `open`'s.
pub fn check_resource(r: &Resource) -> Result<Resource, Refusal> {
    let code = r.code.trim().to_owned();
    if !valid_code(&code) {
        return Err(Refusal::rule(
            "invalid_resource_code",
            format!("资源代码“{}”不符合要求：应为大写字母、数字和连字符，以字母开头，如 YXQ-SJ-0001", r.code),
        ));
    }
    if r.fields.is_empty() {
        return Err(Refusal::rule("no_fields", "请至少登记一个信息项"));
    }
    if r.fields.len() > 200 {
        return Err(Refusal::rule("too_many_fields", "信息项最多200个"));
    }
    let mut fields: Vec<Field> = vec![];
    for f in &r.fields {
        let name = f.name.trim().to_owned();
        if !valid_field_name(&name) {
            return Err(Refusal::rule(
                "invalid_field_name",
                format!("信息项名“{}”不符合要求：应为小写字母开头的小写字母、数字和下划线，至多40个字符", f.name),
            ));
        }
        if fields.iter().any(|g| g.name == name) {
            return Err(Refusal::rule("duplicate_field", format!("信息项“{name}”重复")));
        }
        fields.push(Field { name, label: text("label", &f.label, 50)?, ty: f.ty, personal: f.personal });
    }
    // 公共数据开放 publishes no personal information (个人信息保护法 art. 13, 25).
    if r.open == OpenClass::Open
        && let Some(f) = fields.iter().find(|f| f.personal)
    {
        return Err(Refusal::rule(
            "personal_open",
            format!("无条件开放的资源不能含个人信息项（“{}”）：请改为有条件开放或不予开放", f.label),
        ));
    }
    let key_field = r.key_field.trim().to_owned();
    if !fields.iter().any(|f| f.name == key_field) {
        return Err(Refusal::rule("unknown_key_field", format!("标识信息项“{key_field}”不在信息项之列")));
    }
    let conditions = r.conditions.trim().to_owned();
    match r.share {
        ShareClass::Conditional if conditions.is_empty() => {
            return Err(Refusal::rule("conditions_required", "有条件共享的资源须写明共享条件"));
        }
        _ if conditions.chars().count() > 1000 || !crate::id::is_plain_text(&conditions) => {
            return Err(Refusal::rule("invalid_conditions", "共享条件太长或含有控制字符"));
        }
        _ => {}
    }
    let source = match &r.source {
        Source::Gateway { url } => {
            let url = url.trim();
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.len() > 500 || url.contains(char::is_whitespace) || url.contains('?') {
                return Err(Refusal::rule(
                    "invalid_gateway_url",
                    "部门接口地址应为不含查询参数的 http:// 或 https:// 地址",
                ));
            }
            Source::Gateway { url: url.to_owned() }
        }
        Source::Cases { kind, view } => {
            if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(Refusal::rule("unknown_source", format!("办件类型“{kind}”不存在")));
            }
            Source::Cases { kind: kind.clone(), view: *view }
        }
        s => s.clone(),
    };
    Ok(Resource {
        code,
        name: text("name", &r.name, 100)?,
        owner: r.owner.clone(),
        description: text("description", &r.description, 2000)?,
        fields,
        share: r.share,
        conditions,
        frequency: r.frequency,
        format: text("format", &r.format, 40)?,
        source,
        open: r.open,
        key_field,
    })
}

/// Who keeps an entry of `owner`: its department's 数据专员, or the district's (数据局).
fn may_keep(actor: &Actor, owner: &UnitCode) -> bool {
    match actor {
        Actor::System => true,
        Actor::Staff { unit, unit_kind, roles, .. } => {
            roles.contains(&Role::DataOfficer) && (unit == owner || *unit_kind == UnitKind::District)
        }
        _ => false,
    }
}

const KEEPERS: &str = "由资源所属部门的数据专员或区数据局登记和维护";

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 变更: the resource as it now is (its code may not change).
    Amend { resource: Resource },
    /// 撤销: it is no longer offered.
    Withdraw { reason: String },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResourceEvent {
    Registered {
        resource: Resource,
    },
    /// What changed, for people (信息项, 共享类型 …), and the resource as it now is.
    Amended {
        resource: Resource,
        changed: Vec<String>,
    },
    Withdrawn {
        reason: String,
    },
}

impl ResourceEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Registered { .. } => "registered",
            Self::Amended { .. } => "amended",
            Self::Withdrawn { .. } => "withdrawn",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Registered { resource } => format!("登记资源 {} {}", resource.code, resource.name),
            Self::Amended { changed, .. } => format!("变更：{}", changed.join("、")),
            Self::Withdrawn { reason } => format!("撤销：{reason}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ResourceStatus {
    Registered,
    Withdrawn,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Withdrawn => "withdrawn",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Registered => "在编",
            Self::Withdrawn => "已撤销",
        }
    }
}

/// A resource's entry in the catalogue: the resource and its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub resource: Resource,
    pub status: ResourceStatus,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

/// 登记: a department's 数据专员 (or the 数据局's) enters a resource.
pub fn open(r: &NewResource, ctx: &Context<'_>) -> Result<Vec<ResourceEvent>, Refusal> {
    if !may_keep(ctx.actor, &r.owner) {
        return Err(Refusal::Forbidden { action: "register_resource", why: KEEPERS });
    }
    if ctx.org.get(&r.owner).is_none() {
        return Err(Refusal::UnknownUnit(r.owner.clone()));
    }
    Ok(vec![ResourceEvent::Registered { resource: check_resource(r)? }])
}

pub fn decide(s: &ResourceEntry, c: &Command, ctx: &Context<'_>) -> Result<Vec<ResourceEvent>, Refusal> {
    if !may_keep(ctx.actor, &s.resource.owner) {
        return Err(Refusal::Forbidden { action: "amend_resource", why: KEEPERS });
    }
    if s.status == ResourceStatus::Withdrawn {
        return Err(Refusal::CaseClosed("该资源已撤销"));
    }
    match c {
        Command::Amend { resource } => {
            if resource.code.trim() != s.resource.code {
                return Err(Refusal::rule("code_mismatch", "资源代码不能变更：请登记为另一资源"));
            }
            if resource.owner != s.resource.owner {
                // A move between departments is the 数据局's, not the owner's alone.
                if !matches!(ctx.actor, Actor::Staff { unit_kind: UnitKind::District, .. } | Actor::System) {
                    return Err(Refusal::Forbidden {
                        action: "move_resource",
                        why: "资源所属部门的变更由区数据局办理",
                    });
                }
                if ctx.org.get(&resource.owner).is_none() {
                    return Err(Refusal::UnknownUnit(resource.owner.clone()));
                }
            }
            let new = check_resource(resource)?;
            let changed = changed_fields(&s.resource, &new);
            if changed.is_empty() {
                return Ok(vec![]);
            }
            Ok(vec![ResourceEvent::Amended { resource: new, changed }])
        }
        Command::Withdraw { reason } => Ok(vec![ResourceEvent::Withdrawn { reason: text("reason", reason, 500)? }]),
    }
}

fn changed_fields(a: &Resource, b: &Resource) -> Vec<String> {
    let mut v = vec![];
    let mut diff = |name: &str, same: bool| {
        if !same {
            v.push(name.to_owned());
        }
    };
    diff("资源名称", a.name == b.name);
    diff("所属部门", a.owner == b.owner);
    diff("摘要", a.description == b.description);
    diff("信息项", a.fields == b.fields);
    diff("共享类型", a.share == b.share);
    diff("共享条件", a.conditions == b.conditions);
    diff("更新周期", a.frequency == b.frequency);
    diff("数据格式", a.format == b.format);
    diff("数据来源", a.source == b.source);
    diff("开放属性", a.open == b.open);
    diff("标识信息项", a.key_field == b.key_field);
    v
}

pub fn evolve(state: Option<ResourceEntry>, env: &crate::case::Envelope<ResourceEvent>) -> Option<ResourceEntry> {
    match (state, &env.event) {
        (None, ResourceEvent::Registered { resource }) => Some(ResourceEntry {
            id: env.case.clone(),
            resource: resource.clone(),
            status: ResourceStatus::Registered,
            registered_at: env.at,
            updated_at: env.at,
            version: env.seq,
        }),
        (None, _) => None,
        (Some(mut s), e) => {
            match e {
                ResourceEvent::Registered { .. } => {}
                ResourceEvent::Amended { resource, .. } => s.resource = resource.clone(),
                ResourceEvent::Withdrawn { .. } => s.status = ResourceStatus::Withdrawn,
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A resource's own columns: what the catalogue filters by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDetail {
    pub code: String,
    pub owner: String,
    pub share: ShareClass,
    pub open: OpenClass,
    /// The source's type (`cases`, `register`, `gateway` …).
    pub source: String,
}

/// 信息资源, as the engine knows it.
pub struct ResourceKind;

impl Kind for ResourceKind {
    const NAME: &'static str = "resource";
    const PREFIX: &'static str = "ZY";
    const LABEL: &'static str = "信息资源";
    type State = ResourceEntry;
    type Event = ResourceEvent;
    type Command = Command;

    fn event_name(e: &ResourceEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &ResourceEvent) -> bool {
        matches!(e, ResourceEvent::Registered { .. })
    }
    fn evolve(state: Option<ResourceEntry>, env: &crate::case::Envelope<ResourceEvent>) -> Option<ResourceEntry> {
        evolve(state, env)
    }
    fn decide(s: &ResourceEntry, c: &Command, ctx: &Context<'_>) -> Result<Vec<ResourceEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(_s: &ResourceEntry, _ctx: &Context<'_>) -> Vec<ResourceEvent> {
        vec![]
    }
    fn id(s: &ResourceEntry) -> &CaseId {
        &s.id
    }
    fn version(s: &ResourceEntry) -> u32 {
        s.version
    }
    fn project(s: &ResourceEntry) -> Projection {
        let r = &s.resource;
        let source = serde_json::to_value(&r.source)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let detail =
            ResourceDetail { code: r.code.clone(), owner: r.owner.to_string(), share: r.share, open: r.open, source };
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(r.name.clone()),
                // Nobody's work: it stays out of every 我的待办.
                unit: None,
                category: Some(r.share.as_str().to_owned()),
                area: None,
                person: None,
                tracking_code: Some(key(&r.code)),
                opened_at: s.registered_at,
                updated_at: s.updated_at,
                closed_at: (s.status == ResourceStatus::Withdrawn).then_some(s.updated_at),
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: None,
                version: s.version,
            },
            co_units: vec![],
            access: vec![r.owner.clone()],
            facts: vec![],
            volume: vec![("share", r.share.as_str().to_owned()), ("open", r.open.as_str().to_owned())],
            detail: serde_json::to_string(&detail).expect("a detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        match status {
            "registered" => ResourceStatus::Registered.label(),
            "withdrawn" => ResourceStatus::Withdrawn.label(),
            _ => "",
        }
    }
    fn search_text(s: &ResourceEntry) -> String {
        let r = &s.resource;
        let labels: Vec<&str> = r.fields.iter().map(|f| f.label.as_str()).collect();
        format!("{} {} {} {}", r.code, r.name, r.description, labels.join(" "))
    }
    fn touches_text(e: &ResourceEvent) -> bool {
        !matches!(e, ResourceEvent::Withdrawn { .. })
    }
    /// The catalogue is the government's own index: every staff member reads it
    /// (政务数据共享条例: departments find what they need in it before asking).
    fn sees_all(actor: &Actor) -> bool {
        matches!(actor, Actor::Staff { roles, .. } if !crate::org::Role::only_verifies(roles))
    }
}
