//! 一件事一次办 (the bundle, 一件事) and 并联审批: one form, one set of materials and
//! one visit for several services of several departments, approved in parallel.
//!
//! A bundle is a case of its own (`BundleKind`, prefix YJ) whose state is the whole:
//! the applicant's answers to the bundle's questions, the parts those answers chose
//! (an inclusive gateway: each part has a condition over the answers), the shared
//! form and materials, the district's committed time (承诺时限) and the legal limit of
//! joint handling (行政许可法 §42 para 2: 45 working days, extendable by 15 with the
//! approval of the government's head), what became of each part, the refusal rule,
//! and its end. Each part is an ordinary application (`crate::application`) that
//! records the bundle it belongs to, so queues, clocks, 补正, notices, certificates
//! and ratings are the application's own. The app opens the parts and reports their
//! ends to the bundle; what the bundle does with a report is decided here.
//!
//! Bundles are catalogue data beside the services (`[[bundle]]` in `services.toml`,
//! `BundleDef`), versioned like them; the opening event copies the definition whole.

mod decide;
mod event;
mod kind;
mod state;

pub use decide::{alarms, choose, decide, open, outcome_of, part_input, part_outcome, sees_all};
pub use event::{BundleEnvelope, BundleEvent, ChosenPart};
pub use kind::{BundleDetail, BundleKind, PartDetail};
pub use state::{Bundle, BundleStatus, Part, evolve};

use crate::application::service::{Field, Service};
use crate::application::{Channel, Enterprise, Provided};
use crate::deadline::ClockName;
use crate::id::UnitCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// 行政许可法 §42 para 2: joint or centralised handling (统一办理、联合办理、集中办理)
/// is decided within 45 working days.
pub const JOINT_DAYS: u32 = 45;
/// ... extendable by at most 15 working days with the approval of the government's head.
pub const JOINT_EXTENSION_DAYS_MAX: u32 = 15;

/// The clocks a bundle runs, from its filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BundleClock {
    /// The district's commitment for the whole bundle (承诺时限).
    Promised,
    /// §42 para 2's limit of joint handling: 45 working days (+15).
    Legal,
}

impl ClockName for BundleClock {
    fn label(self) -> &'static str {
        match self {
            Self::Promised => "一件事承诺时限",
            Self::Legal => "联合办理法定时限",
        }
    }
}

pub type Clock = crate::deadline::Clock<BundleClock>;

/// What happens to the other parts when one is refused (不予许可 or 不予受理).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefusalRule {
    /// 其余事项继续办理: each part stands on its own.
    GoOn,
    /// 全部终止: the parts not yet decided end (the applicant is told); parts already
    /// granted stand, as a granted licence does.
    AllStop,
}

impl RefusalRule {
    pub fn label(self) -> &'static str {
        match self {
            Self::GoOn => "一项不予许可的，其余事项继续办理",
            Self::AllStop => "一项不予许可的，其余尚未决定的事项一并终止",
        }
    }
}

/// A question the applicant answers first (情形引导), by choosing one option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    pub code: String,
    pub label: String,
    pub options: Vec<String>,
}

/// When a part applies, over the answers. The whole language:
/// - `"question = option"`, `"question != option"`;
/// - `{ any = [ … ] }`: one of them holds; `{ all = [ … ] }`: every one holds.
///
/// A part without a condition always applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Condition {
    Test(String),
    Any { any: Vec<Condition> },
    All { all: Vec<Condition> },
}

impl Condition {
    /// The test's question, whether it is negated, and the option.
    fn test(s: &str) -> Result<(&str, bool, &str), String> {
        let (q, negated, v) = match s.split_once("!=") {
            Some((q, v)) => (q, true, v),
            None => match s.split_once('=') {
                Some((q, v)) => (q, false, v),
                None => return Err(format!("条件 {s:?} 应写作“问题 = 选项”或“问题 != 选项”")),
            },
        };
        Ok((q.trim(), negated, v.trim()))
    }

    /// Checks the condition against the bundle's questions: each names a question and
    /// one of its options.
    pub fn check(&self, questions: &[Question]) -> Result<(), String> {
        match self {
            Condition::Test(s) => {
                let (q, _, v) = Self::test(s)?;
                let question =
                    questions.iter().find(|x| x.code == q).ok_or_else(|| format!("条件 {s:?} 中的问题 {q} 不存在"))?;
                if !question.options.iter().any(|o| o == v) {
                    return Err(format!("条件 {s:?} 中的“{v}”不是问题 {q} 的选项"));
                }
                Ok(())
            }
            Condition::Any { any: cs } | Condition::All { all: cs } => {
                if cs.is_empty() {
                    return Err("any / all 条件至少要有一项".into());
                }
                cs.iter().try_for_each(|c| c.check(questions))
            }
        }
    }

    /// Whether it holds for `answers` (a condition that does not check holds never).
    pub fn holds(&self, answers: &BTreeMap<String, String>) -> bool {
        match self {
            Condition::Test(s) => match Self::test(s) {
                Ok((q, negated, v)) => answers.get(q).is_some_and(|a| (a == v) != negated),
                Err(_) => false,
            },
            Condition::Any { any } => any.iter().any(|c| c.holds(answers)),
            Condition::All { all } => all.iter().all(|c| c.holds(answers)),
        }
    }
}

/// One service of a bundle, the condition it applies on, and how the bundle's shared
/// fields fill its form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartDef {
    /// The service's code; each service once in a bundle.
    pub service: String,
    /// A string (`"q = v"`, `"q != v"`) or `{"any": [...]}` / `{"all": [...]}` of them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub when: Option<Condition>,
    /// The part's form field → the bundle's field that fills it, where the codes
    /// differ; a field not named here is filled from the bundle's field of its code.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// One 一件事 of the catalogue, at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleDef {
    /// Lowercase letters, digits, `-` and `_`.
    pub code: String,
    #[serde(default = "one")]
    pub version: u32,
    pub name: String,
    /// What it is for, in plain words (the guide shows it).
    #[serde(default)]
    pub description: String,
    /// The district's commitment for the whole, in working days from filing: shorter
    /// than the parts' promises added up, and within §42's 45 days.
    pub promised_days: u32,
    pub refusal: RefusalRule,
    #[serde(default)]
    pub questions: Vec<Question>,
    pub parts: Vec<PartDef>,
}

fn one() -> u32 {
    1
}

fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl BundleDef {
    /// Checks a bundle as a district wrote it, against the services it names (`service`
    /// finds one by code); the message names what is wrong.
    pub fn check<'a>(&self, service: impl Fn(&str) -> Option<&'a Service>) -> Result<(), String> {
        let me = &self.code;
        if !code_ok(me) {
            return Err(format!("一件事编码 {me:?} 只能由小写字母、数字、“-”和“_”组成"));
        }
        if self.version == 0 || self.name.trim().is_empty() {
            return Err(format!("一件事 {me}：版本从 1 开始，名称不能为空"));
        }
        if self.parts.len() < 2 {
            return Err(format!("一件事 {me}：至少包含两个事项"));
        }
        for (i, q) in self.questions.iter().enumerate() {
            if !code_ok(&q.code) || q.label.trim().is_empty() || q.options.len() < 2 {
                return Err(format!("一件事 {me}：问题 {:?} 的编码、名称或选项（至少两个）不符合要求", q.code));
            }
            if self.questions[..i].iter().any(|o| o.code == q.code) {
                return Err(format!("一件事 {me}：问题 {} 重复", q.code));
            }
        }
        let mut promised_sum = 0;
        for (i, p) in self.parts.iter().enumerate() {
            let s = service(&p.service).ok_or_else(|| format!("一件事 {me}：事项 {} 不在办事指南中", p.service))?;
            if self.parts[..i].iter().any(|o| o.service == p.service) {
                return Err(format!("一件事 {me}：事项 {} 重复", p.service));
            }
            if let Some(c) = &p.when {
                c.check(&self.questions).map_err(|e| format!("一件事 {me}：事项 {}：{e}", p.service))?;
            }
            if let Some(f) = p.fields.keys().find(|f| !s.fields.iter().any(|x| &x.code == *f)) {
                return Err(format!("一件事 {me}：事项 {} 的表单中没有字段 {f}", p.service));
            }
            promised_sum += s.promised_days.max(1);
        }
        if self.promised_days == 0 || self.promised_days > JOINT_DAYS {
            return Err(format!("一件事 {me}：承诺时限应为 1 至 {JOINT_DAYS} 个工作日（行政许可法第四十二条第二款）"));
        }
        if self.promised_days >= promised_sum {
            return Err(format!(
                "一件事 {me}：承诺时限（{}）应短于各事项承诺时限之和（{promised_sum}）",
                self.promised_days
            ));
        }
        // One set of materials: a code names one document in every part.
        let materials: Vec<_> =
            self.parts.iter().filter_map(|p| service(&p.service)).flat_map(|s| &s.materials).collect();
        for (i, m) in materials.iter().enumerate() {
            if materials[..i].iter().any(|o| o.code == m.code && o.name != m.name) {
                return Err(format!("一件事 {me}：材料 {} 在各事项中指不同的材料，请使用不同的编码", m.code));
            }
        }
        // Shared fields: two parts filling one bundle field must agree on its kind.
        let fields = self.fields(&service);
        for (code, f) in &fields {
            for p in &self.parts {
                if let Some(s) = service(&p.service)
                    && let Some(x) = s.fields.iter().find(|x| bundle_field(p, &x.code) == *code)
                    && std::mem::discriminant(&x.field_type) != std::mem::discriminant(&f.field_type)
                {
                    // Its bounds may differ: each part checks its own.
                    return Err(format!("一件事 {me}：共享字段 {code} 在各事项中的类型不一致"));
                }
            }
        }
        Ok(())
    }

    /// The bundle's shared form: every field of every part, once (as the first part
    /// having it defines it), under the bundle's code for it.
    pub fn fields<'a>(&self, service: impl Fn(&str) -> Option<&'a Service>) -> Vec<(String, Field)> {
        let mut out: Vec<(String, Field)> = vec![];
        for p in &self.parts {
            let Some(s) = service(&p.service) else { continue };
            for f in &s.fields {
                let code = bundle_field(p, &f.code);
                if !out.iter().any(|(c, _)| *c == code) {
                    out.push((code, f.clone()));
                }
            }
        }
        out
    }
}

/// The bundle's field that fills a part's field `code`.
fn bundle_field(p: &PartDef, code: &str) -> String {
    p.fields.get(code).cloned().unwrap_or_else(|| code.to_owned())
}

/// What opens a bundle: its definition and the current version of each of its
/// services, who applies, their answers, the shared form and the materials once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBundle {
    pub def: BundleDef,
    /// The services the parts name, at the versions the parts will be filed under.
    pub services: Vec<Service>,
    pub channel: Channel,
    pub enterprise: Option<Enterprise>,
    pub answers: BTreeMap<String, String>,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<Provided>,
    pub area: Option<UnitCode>,
    pub tracking_code: Option<String>,
}

/// What people do with a bundle; the app reports its parts (`record_part`,
/// `record_outcome`) as the system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// A part's application was opened (the system).
    RecordPart { part: String, case: crate::id::CaseId },
    /// A part ended, or was refused (the system).
    RecordOutcome { part: String, outcome: PartOutcome },
    /// §42 para 2's extension of the joint limit by the government's head (a leader).
    Extend { days: u32, reason: String },
    /// The applicant withdraws the whole bundle (at the window): the parts not yet
    /// decided end.
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::RecordPart { .. } => "record_part",
            Self::RecordOutcome { .. } => "record_outcome",
            Self::Extend { .. } => "extend",
            Self::Withdraw { .. } => "withdraw",
        }
    }
}

/// What became of a part, as the bundle counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PartOutcome {
    /// 办结 with a grant.
    Done,
    /// 不予许可 (known at the decision) or 不予受理.
    Refused,
    /// 撤回, 视为撤回, or ended with the bundle.
    Withdrawn,
}

impl PartOutcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Done => "已办结",
            Self::Refused => "不予许可/不予受理",
            Self::Withdrawn => "已撤回/终止",
        }
    }
}
