//! 一网通管's inspections and rectifications (core's `inspection` and
//! `rectification`): opening one (by a draw, a referral from 12345 or a patrol), the
//! inspector's on-site record, the enterprise's 陈述申辩 and 整改报告 through the
//! applicant login, publication (the public page and open data), and the follow-up of
//! a final result: the credit fact on the enterprise's record and, for 责令整改, the
//! rectification case.
//!
//! The follow-up is a second write after the one that made the result final, so it is
//! an idempotent repair (`settle_supervision`) which the acts here run at once and
//! the scheduler's tick runs again: it finds what is left by the detail key
//! `follow_up`, records the fact unless the record has it already (a fact from the
//! same case and of the same kind), opens the rectification under its unique tracking
//! code (`rectification:<inspection>`, so a second one is refused), then marks the
//! case followed.

use crate::applicant::Applicant;
use crate::{App, AppError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use yiwang_core::case::{Events, Kind};
use yiwang_core::enterprise::{CreditFact, FactKind};
use yiwang_core::id::{CaseId, CreditCode, UnitCode, Username};
use yiwang_core::inspection::{
    self, CheckItem, Command, Conformity, Inspection, InspectionKind, InspectionStatus, InspectorRef, NewInspection,
    Outcome, Source,
};
use yiwang_core::org::{Actor, Role};
use yiwang_core::rectification::{self, NewRectification, Rectification, RectificationKind};
use yiwang_store::{CaseQuery, NewCase, Notice, StoreError};

/// A referral from a 12345 appeal or a patrol into supervision (问题移送).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    /// The enterprise's 统一社会信用代码.
    pub enterprise: String,
    /// Its name; the register's when left out.
    #[serde(default)]
    pub enterprise_name: Option<String>,
    /// The supervising department (生态环境局 for 油烟扰民 …).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// The matter's code and name; `referral` and 投诉举报核查 when left out.
    #[serde(default)]
    pub matter: Option<String>,
    #[serde(default)]
    pub matter_name: Option<String>,
    /// What to check; one item (the problem referred) when left out.
    #[serde(default)]
    pub items: Vec<CheckItem>,
    /// Why: the problem seen.
    pub reason: String,
    /// Inspectors, if the referrer knows them; else the department assigns them.
    #[serde(default)]
    pub inspectors: Vec<InspectorRef>,
}

/// An inspection as pages show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionView {
    pub inspection: Inspection,
    pub status_label: &'static str,
    pub outcome_label: Option<&'static str>,
    pub unit_name: String,
    /// The publication deadline, its colour and the working time left (negative past it).
    pub publish_due: Option<DateTime<Utc>>,
    pub stage: yiwang_core::deadline::Stage,
    /// What the viewer may do now (`record`, `answer`, `publish`, `assign`, `state`).
    pub actions: Vec<&'static str>,
}

/// A rectification as pages show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RectificationView {
    pub rectification: Rectification,
    pub status_label: &'static str,
    pub unit_name: String,
    pub stage: yiwang_core::deadline::Stage,
    pub actions: Vec<&'static str>,
}

/// One line of the published results (双随机、一公开): no personal data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedResult {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub case: CaseId,
    pub enterprise: String,
    pub enterprise_name: String,
    pub matter: String,
    pub matter_name: String,
    pub source: String,
    pub department: String,
    pub outcome: String,
    pub outcome_label: String,
    pub inspected_at: Option<DateTime<Utc>>,
}

/// A summary line of a queue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: String,
    pub status_label: &'static str,
    pub title: String,
    pub enterprise: String,
    pub outcome: Option<String>,
    pub stage: yiwang_core::deadline::Stage,
    pub next_due: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
}

/// How many queue lines at most.
pub const QUEUE_LIMIT: u32 = 500;

impl App {
    /// 检查立项: by a draw, a referral or a recheck. Inspectors with a login must be
    /// active staff with the role 执法检查人员 of the unit they are named with.
    pub fn open_inspection(&self, actor: &Actor, n: NewInspection) -> Result<Inspection> {
        for i in &n.inspectors {
            let Some(u) = i.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) else { continue };
            let staff = Username::parse(u).ok().map(|u| self.store.staff(&u)).transpose()?.flatten();
            match staff {
                Some(s) if s.active && s.roles.contains(&Role::Enforcer) && s.unit == i.unit => {}
                _ => {
                    return Err(AppError::invalid(
                        "inspectors",
                        format!("{}（{u}）不是{}在职的执法检查人员", i.name, self.reference().unit_name(&i.unit)),
                    ));
                }
            }
        }
        let now = self.now();
        let r = self.reference();
        let events = inspection::open(&n, &self.context(&r, actor, now))?;
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<InspectionKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?.into_state::<InspectionKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// 问题移送: whoever may see an appeal or a patrol refers the enterprise it is
    /// about to its supervising department, which opens a targeted inspection outside
    /// any draw. The inspection names the case (`Source::Referral`); the appeal's page
    /// lists the inspections it caused (`inspections_from`).
    pub fn refer_to_inspection(&self, actor: &Actor, from: &CaseId, input: ReferralInput) -> Result<Inspection> {
        let case = self.load_case(from)?;
        if !case.can_view(actor) || !matches!(actor, Actor::Staff { .. }) {
            return Err(AppError::NotFound("工单"));
        }
        let kind = yiwang_core::case::AnyKind::name(case.kind_of());
        if kind != yiwang_core::appeal::AppealKind::NAME && kind != yiwang_core::patrol::PatrolKind::NAME {
            return Err(AppError::invalid("case", "只有12345诉求或网格巡查发现的问题可以移送监管"));
        }
        let code = CreditCode::parse(input.enterprise.trim())
            .map_err(|e| AppError::invalid("enterprise", format!("统一社会信用代码{}", e.rule)))?;
        let registered = self.enterprise(&code)?;
        let enterprise_name = match (input.enterprise_name.as_deref().map(str::trim), &registered) {
            (Some(n), _) if !n.is_empty() => n.to_owned(),
            (_, Some(e)) => e.registration.name.clone(),
            _ => return Err(AppError::invalid("enterprise_name", "企业不在名录中：请填写企业名称")),
        };
        let reason = input.reason.trim().to_owned();
        let items = if input.items.is_empty() {
            vec![CheckItem {
                code: "referral".into(),
                name: format!("核查移送问题：{}", reason.chars().take(100).collect::<String>()),
            }]
        } else {
            input.items
        };
        let n = NewInspection {
            enterprise: code,
            enterprise_name,
            matter: input.matter.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| "referral".into()),
            matter_name: input.matter_name.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| "投诉举报核查".into()),
            items,
            inspectors: input.inspectors,
            unit: input.unit,
            source: Source::Referral { case: from.clone(), reason },
        };
        self.open_inspection(actor, n)
    }

    /// The inspections a case (an appeal, a patrol, a plan, a rectification) caused.
    pub fn inspections_from(&self, actor: &Actor, from: &CaseId) -> Result<Vec<InspectionRow>> {
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            detail: vec![("source_case", serde_json::json!(from.to_string()))],
            limit: 50,
            ..Default::default()
        };
        self.inspection_rows(actor, &q)
    }

    fn inspection_rows(&self, actor: &Actor, q: &CaseQuery) -> Result<Vec<InspectionRow>> {
        let mut out = vec![];
        for row in self.store.list_cases(q)?.rows {
            let case = self.load_case(&row.id)?;
            if !case.can_view(actor) {
                continue;
            }
            let d: inspection::InspectionDetail =
                serde_json::from_str(&row.detail).map_err(|e| AppError::Internal(format!("inspection detail: {e}")))?;
            out.push(InspectionRow {
                status_label: InspectionKind::status_label(&row.status),
                status: row.status,
                title: row.title.unwrap_or_default(),
                enterprise: d.enterprise,
                outcome: d.outcome.map(|o| o.label().to_owned()),
                stage: row.stage,
                next_due: row.next_due,
                opened_at: row.opened_at,
                id: row.id,
            });
        }
        Ok(out)
    }

    /// 我的检查: an inspector's inspections to do and done (newest first); a 监管人员
    /// sees every inspection of the department.
    pub fn inspection_queue(&self, actor: &Actor, status: Option<&str>) -> Result<Vec<InspectionRow>> {
        let Actor::Staff { unit, username, .. } = actor else {
            return Err(AppError::Forbidden("仅限工作人员".into()));
        };
        let statuses = match status {
            None | Some("") => vec![],
            Some(s) => match InspectionStatus::ALL.into_iter().find(|x| x.as_str() == s) {
                Some(x) => vec![x.as_str()],
                None => return Err(AppError::invalid("status", "没有这个检查状态")),
            },
        };
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            visible_to: Some(unit.clone()),
            statuses,
            limit: QUEUE_LIMIT,
            ..Default::default()
        };
        let rows = self.inspection_rows(actor, &q)?;
        if actor.has_any_role(&[Role::Regulator, Role::Leader]) {
            return Ok(rows);
        }
        // An inspector sees those they are named on.
        let mut mine = vec![];
        for r in rows {
            if self.load_as::<InspectionKind>(&r.id)?.is_inspector(username.as_str()) {
                mine.push(r);
            }
        }
        Ok(mine)
    }

    /// One inspection, for staff who may see it.
    pub fn inspection_view(&self, actor: &Actor, id: &CaseId) -> Result<InspectionView> {
        let case = self.load_case(id)?;
        if !case.is::<InspectionKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(InspectionKind::LABEL));
        }
        let s = case.state::<InspectionKind>().expect("checked").clone();
        Ok(self.inspection_view_of(actor, s))
    }

    fn inspection_view_of(&self, actor: &Actor, s: Inspection) -> InspectionView {
        let now = self.now();
        let r = self.reference();
        let ctx = self.context(&r, actor, now);
        // What the viewer may do: each command tried on core's rules with plain input.
        let probes: [(&'static str, Command); 4] = [
            ("assign", Command::Assign { inspectors: s.inspectors.clone() }),
            ("answer", Command::Answer { accepted: false, reply: "-".into(), outcome: None, rectify_days: None }),
            ("publish", Command::Publish),
            ("state", Command::State { text: "-".into(), files: vec![] }),
        ];
        let mut actions: Vec<&'static str> = probes
            .into_iter()
            .filter(|(_, c)| !(matches!(c, Command::Assign { .. }) && s.inspectors.is_empty()))
            .filter(|(_, c)| inspection::decide(&s, c, &ctx).is_ok())
            .map(|(n, _)| n)
            .collect();
        if s.status == InspectionStatus::Unassigned && actor.has_role(Role::Regulator) && actor.unit() == Some(&s.unit)
        {
            actions.push("assign");
        }
        if s.status == InspectionStatus::Assigned
            && actor.has_role(Role::Enforcer)
            && actor.username().is_some_and(|u| s.is_inspector(u))
        {
            actions.push("record");
        }
        use yiwang_core::deadline::Clocks;
        InspectionView {
            status_label: s.status.label(),
            outcome_label: s.outcome.map(Outcome::label),
            unit_name: r.unit_name(&s.unit),
            publish_due: s.clocks.clock(inspection::InspectionClock::Publish).map(|c| c.due),
            stage: s.clocks.worst_stage(),
            actions,
            inspection: s,
        }
    }

    /// A staff member's command on an inspection; a result made final is followed up.
    pub fn act_on_inspection(&self, actor: &Actor, id: &CaseId, c: &Command) -> Result<InspectionView> {
        if matches!(c, Command::Follow { .. } | Command::State { .. }) {
            return Err(AppError::invalid("action", "该操作不由工作人员执行"));
        }
        let s = self.act_on::<InspectionKind>(actor, id, c)?;
        let s = self.follow_inspection(s)?;
        Ok(self.inspection_view_of(actor, s))
    }

    /// The enterprise's inspections, for a phone bound to it (newest first).
    pub fn enterprise_inspections(&self, who: &Applicant, code: &str) -> Result<Vec<InspectionView>> {
        let e = self.bound_enterprise(who, code)?;
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            detail: vec![("enterprise", serde_json::json!(e.code.to_string()))],
            limit: 200,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            let s = self.load_as::<InspectionKind>(&row.id)?;
            // Before the record, the visit is not announced to the enterprise.
            if matches!(s.status, InspectionStatus::Unassigned | InspectionStatus::Assigned) {
                continue;
            }
            out.push(self.inspection_view_of(&Actor::Citizen, s));
        }
        Ok(out)
    }

    /// One inspection of an enterprise the phone is bound to.
    pub fn my_inspection(&self, who: &Applicant, id: &CaseId) -> Result<InspectionView> {
        let s = self.load_as::<InspectionKind>(id)?;
        self.bound_enterprise(who, &s.enterprise.to_string()).map_err(|_| AppError::NotFound(InspectionKind::LABEL))?;
        if matches!(s.status, InspectionStatus::Unassigned | InspectionStatus::Assigned) {
            return Err(AppError::NotFound(InspectionKind::LABEL));
        }
        Ok(self.inspection_view_of(&Actor::Citizen, s))
    }

    /// 陈述申辩, by a phone bound to the inspected enterprise.
    pub fn state_on_inspection(
        &self,
        who: &Applicant,
        id: &CaseId,
        text: &str,
        files: Vec<String>,
    ) -> Result<InspectionView> {
        self.my_inspection(who, id)?;
        let c = Command::State { text: text.into(), files };
        let s = self.act_on::<InspectionKind>(&Actor::Citizen, id, &c)?;
        Ok(self.inspection_view_of(&Actor::Citizen, s))
    }

    /// The results published (双随机、一公开), newest first: the public page and the
    /// open data. Nothing personal and nothing not yet published.
    pub fn published_results(&self, limit: u32) -> Result<Vec<PublishedResult>> {
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            statuses: vec![InspectionStatus::Published.as_str()],
            limit: limit.clamp(1, 10_000),
            ..Default::default()
        };
        let r = self.reference();
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            let d: inspection::InspectionDetail =
                serde_json::from_str(&row.detail).map_err(|e| AppError::Internal(format!("inspection detail: {e}")))?;
            let outcome = d.outcome.unwrap_or(Outcome::Passed);
            out.push(PublishedResult {
                case: row.id,
                enterprise: d.enterprise,
                enterprise_name: d.enterprise_name,
                matter: d.matter,
                matter_name: d.matter_name,
                source: d.source,
                department: row.unit.as_ref().map(|u| r.unit_name(u)).unwrap_or_default(),
                outcome: outcome.as_str().to_owned(),
                outcome_label: outcome.label().to_owned(),
                inspected_at: d.ended_at,
            });
        }
        Ok(out)
    }

    /// A final result's follow-up, once: its credit fact, and for 责令整改 its
    /// rectification. Idempotent (see the module's doc).
    fn follow_inspection(&self, s: Inspection) -> Result<Inspection> {
        let (Some(outcome), Some(final_at)) = (s.outcome, s.final_at) else { return Ok(s) };
        if s.followed {
            return Ok(s);
        }
        let fact = outcome.fact();
        let note = format!("{}：{}", s.matter_name, outcome.label());
        let recorded = self.credit_fact_once(&s.enterprise, fact, final_at, &s.id, note)?;
        let rectification = match outcome {
            Outcome::Rectify => Some(self.open_rectification_for(&s)?),
            _ => None,
        };
        let c = Command::Follow { rectification, fact: recorded.then_some(fact) };
        match self.act_on::<InspectionKind>(&Actor::System, &s.id, &c) {
            Ok(s) => Ok(s),
            Err(AppError::Refused(r)) if r.code() == "already_done" => self.load_as::<InspectionKind>(&s.id),
            Err(e) => Err(e),
        }
    }

    /// Records `kind` from case `source` on the enterprise's record unless it holds
    /// one already; false when the enterprise is not in the register.
    fn credit_fact_once(
        &self,
        code: &CreditCode,
        kind: FactKind,
        at: DateTime<Utc>,
        source: &CaseId,
        note: String,
    ) -> Result<bool> {
        let Some(e) = self.enterprise(code)? else { return Ok(false) };
        if e.facts.iter().any(|f| f.fact.kind == kind && f.fact.source.as_ref() == Some(source)) {
            return Ok(true);
        }
        let date = yiwang_core::calendar::civil_date(at);
        let fact = CreditFact { kind, date, source: Some(source.clone()), note, special: false };
        self.record_credit_fact(&Actor::System, code, fact)?;
        Ok(true)
    }

    fn open_rectification_for(&self, s: &Inspection) -> Result<CaseId> {
        if let Some(id) = self.store.find_by_tracking_code(&rectification::key(&s.id))? {
            return Ok(id);
        }
        let problems: Vec<String> = s
            .on_site
            .iter()
            .flat_map(|o| o.findings.iter())
            .filter(|f| f.conformity == Conformity::Fails)
            .map(|f| {
                let name = s.items.iter().find(|i| i.code == f.item).map(|i| i.name.as_str()).unwrap_or(&f.item);
                format!("{name}：{}", f.note)
            })
            .collect();
        let n = NewRectification {
            inspection: s.id.clone(),
            enterprise: s.enterprise.clone(),
            enterprise_name: s.enterprise_name.clone(),
            matter_name: s.matter_name.clone(),
            unit: s.unit.clone(),
            problems,
            days: s.rectify_days.unwrap_or(self.config.limits.supervision.rectify_days_max.min(30)),
        };
        let now = self.now();
        let r = self.reference();
        let events = rectification::open(&n, &self.context(&r, &Actor::System, now))?;
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: Actor::System,
            person: None,
            events: Events::new::<RectificationKind>(events),
            // The enterprise is told of the deadline (its contact in the register).
            notices: vec![Notice::to_citizen("rectification_opened")],
            idempotency: None,
        };
        match self.create_case(case).wait() {
            Ok(c) => Ok(c.id().clone()),
            Err(StoreError::Duplicate(_)) => self
                .store
                .find_by_tracking_code(&rectification::key(&s.id))?
                .ok_or_else(|| AppError::Internal("a rectification's key taken by nothing".into())),
            Err(e) => Err(e.into()),
        }
    }

    fn follow_rectification(&self, s: Rectification) -> Result<Rectification> {
        if s.followed || s.is_open() {
            return Ok(s);
        }
        let Some(fact) = s.fact() else { return Ok(s) };
        let at = s.closed_at.unwrap_or(s.updated_at);
        let note = format!("{}整改：{}", s.matter_name, s.status.label());
        let recorded = self.credit_fact_once(&s.enterprise, fact, at, &s.id, note)?;
        let c = rectification::Command::Follow { fact: recorded.then_some(fact) };
        match self.act_on::<RectificationKind>(&Actor::System, &s.id, &c) {
            Ok(s) => Ok(s),
            Err(AppError::Refused(r)) if r.code() == "already_done" => self.load_as::<RectificationKind>(&s.id),
            Err(e) => Err(e),
        }
    }

    /// The scheduler's repair: every final inspection and ended rectification not yet
    /// followed up is followed up now.
    pub fn settle_supervision(&self) -> Result<u32> {
        let mut n = 0;
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            detail: vec![("follow_up", serde_json::json!(true))],
            limit: 200,
            ..Default::default()
        };
        for row in self.store.list_cases(&q)?.rows {
            // One case that cannot be followed up now must not stop the others.
            match self.load_as::<InspectionKind>(&row.id).and_then(|s| self.follow_inspection(s)) {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(case = %row.id, error = %e, "following an inspection up"),
            }
        }
        let q = CaseQuery {
            kind: Some(RectificationKind::NAME),
            detail: vec![("follow_up", serde_json::json!(true))],
            limit: 200,
            ..Default::default()
        };
        for row in self.store.list_cases(&q)?.rows {
            match self.load_as::<RectificationKind>(&row.id).and_then(|s| self.follow_rectification(s)) {
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(case = %row.id, error = %e, "following a rectification up"),
            }
        }
        Ok(n)
    }

    /// One rectification, for staff who may see it.
    pub fn rectification_view(&self, actor: &Actor, id: &CaseId) -> Result<RectificationView> {
        let case = self.load_case(id)?;
        if !case.is::<RectificationKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(RectificationKind::LABEL));
        }
        let s = case.state::<RectificationKind>().expect("checked").clone();
        Ok(self.rectification_view_of(actor, s))
    }

    fn rectification_view_of(&self, actor: &Actor, s: Rectification) -> RectificationView {
        use yiwang_core::deadline::Clocks;
        let now = self.now();
        let r = self.reference();
        let ctx = self.context(&r, actor, now);
        let probes: [(&'static str, rectification::Command); 3] = [
            ("report", rectification::Command::Report { text: "-".into(), files: vec!["uploads/x.png".into()] }),
            ("recheck", rectification::Command::Recheck { passed: true, note: "-".into(), photos: vec![] }),
            ("escalate", rectification::Command::Escalate { reason: "-".into() }),
        ];
        let actions =
            probes.into_iter().filter(|(_, c)| rectification::decide(&s, c, &ctx).is_ok()).map(|(n, _)| n).collect();
        RectificationView {
            status_label: s.status.label(),
            unit_name: r.unit_name(&s.unit),
            stage: if s.is_open() { s.clocks.worst_stage() } else { Default::default() },
            actions,
            rectification: s,
        }
    }

    /// The department's rectifications (open first by the store's order).
    pub fn rectification_queue(&self, actor: &Actor, open: Option<bool>) -> Result<Vec<InspectionRow>> {
        let Actor::Staff { unit, .. } = actor else {
            return Err(AppError::Forbidden("仅限工作人员".into()));
        };
        let q = CaseQuery {
            kind: Some(RectificationKind::NAME),
            visible_to: Some(unit.clone()),
            limit: QUEUE_LIMIT,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            let d: rectification::RectificationDetail = serde_json::from_str(&row.detail)
                .map_err(|e| AppError::Internal(format!("rectification detail: {e}")))?;
            let is_open = matches!(row.status.as_str(), "rectifying" | "reported");
            if open.is_some_and(|o| o != is_open) {
                continue;
            }
            out.push(InspectionRow {
                status_label: RectificationKind::status_label(&row.status),
                status: row.status,
                title: row.title.unwrap_or_default(),
                enterprise: d.enterprise,
                outcome: d.on_time.map(|t| if t { "按期" } else { "逾期" }.to_owned()),
                stage: row.stage,
                next_due: row.next_due,
                opened_at: row.opened_at,
                id: row.id,
            });
        }
        Ok(out)
    }

    /// A staff member's command on a rectification (复查, 转立案); its end is followed up.
    pub fn act_on_rectification(
        &self,
        actor: &Actor,
        id: &CaseId,
        c: &rectification::Command,
    ) -> Result<RectificationView> {
        if matches!(c, rectification::Command::Follow { .. } | rectification::Command::Report { .. }) {
            return Err(AppError::invalid("action", "该操作不由工作人员执行"));
        }
        let s = self.act_on::<RectificationKind>(actor, id, c)?;
        let s = self.follow_rectification(s)?;
        Ok(self.rectification_view_of(actor, s))
    }

    /// The enterprise's rectifications, for a phone bound to it.
    pub fn enterprise_rectifications(&self, who: &Applicant, code: &str) -> Result<Vec<RectificationView>> {
        let e = self.bound_enterprise(who, code)?;
        let q = CaseQuery {
            kind: Some(RectificationKind::NAME),
            detail: vec![("enterprise", serde_json::json!(e.code.to_string()))],
            limit: 200,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            out.push(self.rectification_view_of(&Actor::Citizen, self.load_as::<RectificationKind>(&row.id)?));
        }
        Ok(out)
    }

    pub fn my_rectification(&self, who: &Applicant, id: &CaseId) -> Result<RectificationView> {
        let s = self.load_as::<RectificationKind>(id)?;
        self.bound_enterprise(who, &s.enterprise.to_string())
            .map_err(|_| AppError::NotFound(RectificationKind::LABEL))?;
        Ok(self.rectification_view_of(&Actor::Citizen, s))
    }

    /// 整改报告, by a phone bound to the enterprise, with evidence files it uploaded.
    pub fn report_rectification(
        &self,
        who: &Applicant,
        id: &CaseId,
        text: &str,
        files: Vec<String>,
    ) -> Result<RectificationView> {
        self.my_rectification(who, id)?;
        let c = rectification::Command::Report { text: text.into(), files };
        let s = self.act_on::<RectificationKind>(&Actor::Citizen, id, &c)?;
        Ok(self.rectification_view_of(&Actor::Citizen, s))
    }
}
