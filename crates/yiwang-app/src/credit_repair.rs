//! 信用修复 (core's `credit_repair`): an enterprise asks online, through a phone that
//! may act for it; the department keeping the register decides; an approval repairs
//! the fact on the enterprise's record, and the scheduler finishes one a crash cut
//! short.

use crate::applicant::Applicant;
use crate::{App, AppError, CitizenInput, Result};
use serde::{Deserialize, Serialize};
use yiwang_core::case::{Events, Kind};
use yiwang_core::credit_repair::{self, Command, NewRepair, Repair, RepairKind};
use yiwang_core::enterprise::{self, EnterpriseKind};
use yiwang_core::id::{CaseId, CreditCode};
use yiwang_core::org::Actor;
use yiwang_store::{CaseQuery, NewCase};

/// What the enterprise asks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RepairInput {
    /// 统一社会信用代码.
    pub enterprise: String,
    /// The fact's number on the enterprise's record.
    pub fact: u32,
    /// How the bad conduct was corrected.
    pub correction: String,
    /// Evidence files, as uploaded (`/api/v1/applicant/uploads`).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The 信用承诺 as signed.
    pub commitment: String,
    /// For a removal from the 经营异常名录: which grounds hold.
    #[serde(default)]
    pub conditions: Vec<String>,
}

/// A repair as pages show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairView {
    pub repair: Repair,
    pub status_label: &'static str,
    pub unit_name: String,
    /// What the viewer may do now: `approve`, `reject`.
    pub actions: Vec<&'static str>,
}

impl App {
    fn new_repair(&self, actor: &Actor, input: &RepairInput, person: Option<CitizenInput>) -> Result<Repair> {
        let code = CreditCode::parse(input.enterprise.trim())
            .map_err(|e| AppError::invalid("enterprise", format!("统一社会信用代码{}", e.rule)))?;
        let e = self.enterprise(&code)?.ok_or(AppError::NotFound("企业"))?;
        let f = e
            .fact(input.fact)
            .ok_or_else(|| AppError::invalid("fact", format!("该企业没有编号为 {} 的信用信息", input.fact)))?;
        if f.repaired_at.is_some() {
            return Err(AppError::Conflict("该信用信息已修复".into()));
        }
        let rules = &self.config.limits.credit;
        let Some(from) = rules.repairable_from(&f.fact) else {
            return Err(AppError::invalid("fact", "该信用信息不是失信信息，无需修复"));
        };
        let open = CaseQuery {
            kind: Some(RepairKind::NAME),
            open: Some(true),
            detail: vec![("enterprise", serde_json::json!(code.to_string())), ("fact", serde_json::json!(input.fact))],
            limit: 1,
            ..Default::default()
        };
        if !self.store.list_cases(&open)?.rows.is_empty() {
            return Err(AppError::Conflict("该信用信息已有修复申请在审核中".into()));
        }
        let n = NewRepair {
            enterprise: code,
            enterprise_name: e.registration.name.clone(),
            fact: f.number,
            fact_kind: f.fact.kind,
            fact_date: f.fact.date,
            repairable_from: from,
            correction: input.correction.clone(),
            evidence: input.evidence.clone(),
            commitment: input.commitment.clone(),
            conditions: input.conditions.clone(),
            unit: e.unit.clone(),
        };
        let r = self.reference();
        let now = self.now();
        let events = credit_repair::open(&n, &self.context(&r, actor, now))?;
        let person = match person {
            Some(p) => self.person_data(&p, "applicant")?,
            None => None,
        };
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person,
            events: Events::new::<RepairKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?.into_state::<RepairKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// 信用修复申请 online, by a phone that may act for the enterprise. The web layer
    /// has checked that the evidence files are the applicant's own uploads.
    pub fn request_repair_online(&self, who: &Applicant, input: RepairInput) -> Result<Repair> {
        self.bound_enterprise(who, &input.enterprise)?;
        let person = CitizenInput { phone: Some(who.phone.as_str().to_owned()), ..Default::default() };
        self.new_repair(&Actor::Citizen, &input, Some(person))
    }

    /// 信用修复申请 registered by the department from the enterprise's written one.
    pub fn request_repair(&self, actor: &Actor, input: RepairInput, applicant: CitizenInput) -> Result<Repair> {
        self.new_repair(actor, &input, Some(applicant))
    }

    /// 审核: approve (and repair the record) or reject.
    pub fn decide_repair(&self, actor: &Actor, id: &CaseId, command: &Command) -> Result<RepairView> {
        if matches!(command, Command::MarkApplied) {
            return Err(AppError::invalid("action", "修复记录由系统在同意后完成"));
        }
        let r = self.act_on::<RepairKind>(actor, id, command)?;
        if matches!(command, Command::Approve { .. }) {
            self.apply_repair(&r)?;
        }
        self.repair_view(actor, id)
    }

    /// Repairs the fact on the enterprise's record, then marks the repair applied:
    /// again after a crash between the two, the enterprise's `already_done` telling.
    fn apply_repair(&self, r: &Repair) -> Result<()> {
        let e = self.enterprise(&r.enterprise)?.ok_or(AppError::NotFound("企业"))?;
        if e.fact(r.fact).is_some_and(|f| f.repaired_at.is_none()) {
            let cmd = enterprise::Command::Repair {
                number: r.fact,
                repair: Some(r.id.clone()),
                note: r.decision.clone().unwrap_or_else(|| "同意修复".into()),
            };
            self.act_on::<EnterpriseKind>(&Actor::System, &e.id, &cmd)?;
        }
        self.act_on::<RepairKind>(&Actor::System, &r.id, &Command::MarkApplied)?;
        Ok(())
    }

    /// Finishes approved repairs whose enterprise's record a crash left unrepaired.
    pub fn reconcile_repairs(&self) -> Result<u32> {
        let q = CaseQuery {
            kind: Some(RepairKind::NAME),
            detail: vec![("pending", serde_json::json!(true))],
            limit: 100,
            ..Default::default()
        };
        let mut n = 0;
        for row in self.store.list_cases(&q)?.rows {
            let r = self.load_as::<RepairKind>(&row.id)?;
            self.apply_repair(&r)?;
            n += 1;
        }
        Ok(n)
    }

    pub fn repair_view(&self, actor: &Actor, id: &CaseId) -> Result<RepairView> {
        let case = self.load_case(id)?;
        let r = case.state::<RepairKind>().ok_or(AppError::NotFound("信用修复申请"))?.clone();
        if !case.can_view(actor) {
            return Err(AppError::NotFound("信用修复申请"));
        }
        let reference = self.reference();
        let now = self.now();
        let ctx = self.context(&reference, actor, now);
        let mut actions = vec![];
        if credit_repair::decide(&r, &Command::Approve { opinion: "x".into() }, &ctx).is_ok() {
            actions.extend(["approve", "reject"]);
        }
        Ok(RepairView {
            status_label: RepairKind::status_label(r.status.as_str()),
            unit_name: reference.org.get(&r.unit).map(|u| u.name.clone()).unwrap_or_default(),
            actions,
            repair: r,
        })
    }

    /// The repairs asked for an enterprise, newest first.
    pub fn enterprise_repairs(&self, code: &CreditCode) -> Result<Vec<Repair>> {
        let q = CaseQuery {
            kind: Some(RepairKind::NAME),
            detail: vec![("enterprise", serde_json::json!(code.to_string()))],
            limit: 100,
            ..Default::default()
        };
        self.store.list_cases(&q)?.rows.iter().map(|row| self.load_as::<RepairKind>(&row.id)).collect()
    }

    /// The enterprise's own repairs, for a phone that may act for it.
    pub fn my_repairs(&self, who: &Applicant, code: &str) -> Result<Vec<Repair>> {
        let e = self.bound_enterprise(who, code)?;
        self.enterprise_repairs(&e.code)
    }
}
