//! 免申即享: policy benefits that find the enterprise.
//!
//! Two kinds of case:
//! - the **policy** (`policy`, numbers `ZC…`): its definition (name, 文号, budget,
//!   period, paying department, eligibility clauses and amount formula), draft →
//!   enabled → closed, and every run's summary, each an event on its chain;
//! - the **grant** (`grant`, numbers `XS…`, 免申即享): one enterprise's benefit under
//!   one policy for one period, opened by a run without any application (or claimed by
//!   the enterprise, 依申请), carrying the trace that explains why it was granted:
//!   each clause with the values of the register it read. The enterprise confirms its
//!   bank account or declines; the paying department records the payment (办结).
//!
//! Eligibility is written in [`expr`], a small typed expression language over the
//! register row ([`Profile`]). A [`Compiled`] policy is parsed once per run and then
//! evaluated per enterprise without allocation; the trace is built only for the
//! enterprises found eligible.
//!
//! At most one grant per enterprise, policy and period: its tracking code
//! `grant:<policy>:<period>:<code>` ([`grant_key`]) is unique in the store, so a
//! re-run, or two runs at once, never grants twice.

pub mod expr;
pub mod grant;
pub mod policy;

pub use expr::{Expr, ExprError, FieldValue, Type};
pub use grant::{Grant, GrantEvent, GrantKind, GrantStatus, NewGrant};
pub use policy::{Policy, PolicyEvent, PolicyKind, PolicyStatus, RunSummary};

use crate::case::{Refusal, text};
use crate::enterprise::Profile;
use crate::id::{CaseId, CreditCode, UnitCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The most clauses a policy may have.
pub const MAX_CLAUSES: usize = 20;

/// The tracking code that makes a grant unique per policy, period and enterprise.
pub fn grant_key(policy: &CaseId, period: &str, code: &CreditCode) -> String {
    format!("grant:{policy}:{period}:{code}")
}

/// One condition of eligibility, with the clause of the policy it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clause {
    /// Where in the policy: 第三条第（一）项.
    pub clause: String,
    /// What it says, in plain Chinese.
    pub text: String,
    /// The condition, in [`expr`]'s language: `"小微企业" in tags`.
    pub rule: String,
}

/// A policy as its officer defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDef {
    pub name: String,
    /// 政策依据 (文号): 云溪人社〔2026〕3号.
    pub basis: String,
    /// 预算, in 元.
    pub budget: u64,
    /// The period a grant is per: a year `2026`, a half `2026H1` or a quarter `2026Q3`.
    pub period: String,
    /// The paying department (a unit code).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// Every clause must hold.
    pub clauses: Vec<Clause>,
    /// The amount in 元, a formula in [`expr`]'s language: `min(employees * 1000, 50000)`.
    pub amount: String,
    /// Where the amount is set (第四条), for the trace.
    #[serde(default)]
    pub amount_clause: String,
    /// When the scheduler runs it while it is enabled, besides 执行 on demand. Left out
    /// of the stored definition when on demand, so definitions stored before it existed
    /// read and hash as they were written.
    #[serde(default, skip_serializing_if = "RunSchedule::is_on_demand")]
    pub schedule: RunSchedule,
}

/// How often an enabled policy runs by itself: each run finds the enterprises that
/// became eligible since the last (a grant is still once per enterprise and period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RunSchedule {
    #[default]
    OnDemand,
    Daily,
    Weekly,
    Monthly,
}

impl RunSchedule {
    pub const ALL: [RunSchedule; 4] = [Self::OnDemand, Self::Daily, Self::Weekly, Self::Monthly];

    pub fn is_on_demand(&self) -> bool {
        *self == Self::OnDemand
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnDemand => "on_demand",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::OnDemand => "按需执行",
            Self::Daily => "每日自动执行",
            Self::Weekly => "每周自动执行",
            Self::Monthly => "每月自动执行",
        }
    }
    /// The next run after one at `last`; none when on demand.
    pub fn next_after(self, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::OnDemand => None,
            Self::Daily => Some(last + chrono::Duration::days(1)),
            Self::Weekly => Some(last + chrono::Duration::days(7)),
            Self::Monthly => last.checked_add_months(chrono::Months::new(1)),
        }
    }
}

/// Whether `p` names a period: `2026`, `2026H1`, `2026H2`, `2026Q1` … `2026Q4`.
pub fn valid_period(p: &str) -> bool {
    let b = p.as_bytes();
    let year = b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
    year && matches!(&p[4..], "" | "H1" | "H2" | "Q1" | "Q2" | "Q3" | "Q4")
}

/// A policy compiled for a run: every expression parsed and type checked once.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub def: PolicyDef,
    rules: Vec<Expr>,
    amount: Expr,
}

/// Checks a definition and compiles its expressions; a bad one is refused naming its clause.
pub fn compile(def: &PolicyDef) -> Result<Compiled, Refusal> {
    let mut def = def.clone();
    def.name = text("name", &def.name, 100)?;
    def.basis = text("basis", &def.basis, 100)?;
    def.period = def.period.trim().to_owned();
    if !valid_period(&def.period) {
        return Err(Refusal::rule("invalid_period", "政策周期应写作年度 2026、半年 2026H1 或季度 2026Q1"));
    }
    if def.budget == 0 {
        return Err(Refusal::rule("invalid_budget", "预算金额须大于0元"));
    }
    if def.clauses.is_empty() || def.clauses.len() > MAX_CLAUSES {
        return Err(Refusal::rule("invalid_clauses", format!("享受条件须有1至{MAX_CLAUSES}条")));
    }
    let mut rules = vec![];
    for c in &mut def.clauses {
        c.clause = text("clause", &c.clause, 50)?;
        c.text = text("text", &c.text, 300)?;
        let e = Expr::compile(&c.rule, Type::Bool)
            .map_err(|e| Refusal::rule("invalid_rule", format!("条件“{}”的表达式有误，{e}", c.clause)))?;
        c.rule = c.rule.trim().to_owned();
        rules.push(e);
    }
    let amount = Expr::compile(&def.amount, Type::Num)
        .map_err(|e| Refusal::rule("invalid_formula", format!("补贴金额公式有误，{e}")))?;
    def.amount = def.amount.trim().to_owned();
    def.amount_clause = def.amount_clause.trim().to_owned();
    if def.amount_clause.chars().count() > 50 {
        return Err(Refusal::rule("invalid_formula", "金额条款名称太长"));
    }
    Ok(Compiled { def, rules, amount })
}

/// How one clause came out for one enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClauseTrace {
    pub clause: String,
    pub text: String,
    pub rule: String,
    /// `held`, `failed`, or `no_data` (the register lacks what it reads).
    pub result: String,
    /// The register's values it read.
    pub values: Vec<FieldValue>,
}

impl ClauseTrace {
    pub fn held(&self) -> bool {
        self.result == "held"
    }
    /// The result for people: 符合, 不符合, 无数据.
    pub fn result_label(&self) -> &'static str {
        match self.result.as_str() {
            "held" => "符合",
            "failed" => "不符合",
            _ => "无数据",
        }
    }
    /// One line in plain Chinese: 第三条第（一）项 属于小微企业：符合（企业标签：小微企业、食品经营）.
    pub fn sentence(&self) -> String {
        let values: Vec<String> = self.values.iter().map(|v| format!("{}：{}", v.label, v.value)).collect();
        format!("{} {}：{}（{}）", self.clause, self.text, self.result_label(), values.join("；"))
    }
}

/// The whole explanation for one enterprise: every clause, the amount and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub eligible: bool,
    pub clauses: Vec<ClauseTrace>,
    /// In 元 (the formula rounded to the nearest 元); 0 when not eligible.
    pub amount: u64,
    pub amount_formula: String,
    pub amount_clause: String,
    pub amount_values: Vec<FieldValue>,
}

impl Compiled {
    /// The fast path of a run: the amount when every clause holds and the amount is
    /// positive, else `None`. Stops at the first clause that does not hold.
    pub fn amount_if_eligible(&self, p: &Profile, today: NaiveDate) -> Option<u64> {
        for r in &self.rules {
            if r.holds(p, today) != Some(true) {
                return None;
            }
        }
        self.amount_of(p, today)
    }

    fn amount_of(&self, p: &Profile, today: NaiveDate) -> Option<u64> {
        let a = self.amount.number(p, today)?;
        (0.5..1e13).contains(&a).then(|| a.round() as u64)
    }

    /// Every clause evaluated and explained (the trace), and the amount.
    pub fn explain(&self, p: &Profile, today: NaiveDate) -> Evaluation {
        let clauses: Vec<ClauseTrace> = self
            .def
            .clauses
            .iter()
            .zip(&self.rules)
            .map(|(c, r)| ClauseTrace {
                clause: c.clause.clone(),
                text: c.text.clone(),
                rule: c.rule.clone(),
                result: match r.holds(p, today) {
                    Some(true) => "held",
                    Some(false) => "failed",
                    None => "no_data",
                }
                .into(),
                values: r.values(p, today),
            })
            .collect();
        let all = clauses.iter().all(ClauseTrace::held);
        let amount = if all { self.amount_of(p, today).unwrap_or(0) } else { 0 };
        Evaluation {
            eligible: all && amount > 0,
            clauses,
            amount,
            amount_formula: self.def.amount.clone(),
            amount_clause: self.def.amount_clause.clone(),
            amount_values: self.amount.values(p, today),
        }
    }
}
