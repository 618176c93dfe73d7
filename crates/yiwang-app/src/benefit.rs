//! 免申即享 beyond one command: defining a policy, its dry run over the register,
//! enabling it, running it (opening a grant per eligible enterprise, with its trace,
//! without any application), the paying department's payments, and the enterprise's
//! side on the portal: its grants, confirming its bank account or declining (only
//! through a phone bound to it), and claiming a policy it was not found for (依申请).
//!
//! A run reads the whole register once (`register_profiles`, from projections),
//! compiles the policy once, evaluates every enterprise on the fast path (no trace,
//! stops at the first clause that fails) and builds the trace only for the eligible
//! ones. Grants are created in batches (their commits grouped by the writer); each
//! carries the tracking code `grant:<policy>:<period>:<code>`, so the store refuses a
//! second grant for the same enterprise and period (a re-run, or two runs at once).

use crate::applicant::Applicant;
use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use yiwang_core::benefit::grant::{self, BankAccount, GrantDetail};
use yiwang_core::benefit::policy::{self, PolicyDetail};
use yiwang_core::benefit::{
    ClauseTrace, Compiled, Grant, GrantKind, NewGrant, Policy, PolicyDef, PolicyKind, PolicyStatus, RunSummary, compile,
};
use yiwang_core::calendar::civil_date;
use yiwang_core::case::{Events, Kind, Refusal};
use yiwang_core::enterprise::Profile;
use yiwang_core::id::{CaseId, CreditCode};
use yiwang_core::org::Actor;
use yiwang_store::{CaseQuery, NewCase, Notice, StoreError};

/// Grants submitted to the writer before waiting for their commits.
const BATCH: usize = 2000;

/// One enterprise of a dry run: the amount and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibleRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: CreditCode,
    pub name: String,
    pub amount: u64,
    pub trace: Vec<ClauseTrace>,
}

/// 试算: who would be granted what, before enabling.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub policy: CaseId,
    pub period: String,
    /// Enterprises in the register.
    pub enterprises: u64,
    pub eligible: u64,
    /// 元, all the eligible together.
    pub total: u64,
    pub budget: u64,
    pub within_budget: bool,
    /// A page of the eligible, in the register's code order.
    pub rows: Vec<EligibleRow>,
    pub offset: u32,
    pub limit: u32,
}

/// A policy as lists show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: String,
    pub status_label: &'static str,
    pub detail: PolicyDetail,
}

/// A grant as lists show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: String,
    pub status_label: &'static str,
    pub detail: GrantDetail,
}

/// A policy with what it has granted and paid so far.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyView {
    pub policy: Policy,
    pub status_label: &'static str,
    pub unit_name: String,
    pub granted: u64,
    pub granted_amount: u64,
    pub paid: u64,
    pub paid_amount: u64,
}

/// The figures of the dashboard's line: policies with the number granted and the amount paid.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub name: String,
    pub status_label: &'static str,
    pub budget: u64,
    pub granted: u64,
    pub granted_amount: u64,
    pub paid: u64,
    pub paid_amount: u64,
}

/// A grant as its enterprise sees it, the trace in plain Chinese.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantView {
    pub grant: Grant,
    pub status_label: &'static str,
    /// Each clause as one sentence: 第三条第（一）项 属于小微企业：符合（企业标签：小微企业）.
    pub explanation: Vec<String>,
    pub unit_name: String,
    /// The account, masked (staff who pay see it whole in `grant.account`).
    pub account: Option<String>,
}

fn row_of<D: for<'de> Deserialize<'de>>(detail: &str, id: &CaseId) -> Result<D> {
    serde_json::from_str(detail).map_err(|e| AppError::Internal(format!("{id}: {e}")))
}

impl App {
    fn compiled(&self, p: &Policy) -> Result<Compiled> {
        Ok(compile(&p.def)?)
    }

    /// 拟定政策, by a policy officer of the paying department.
    pub fn define_policy(&self, actor: &Actor, def: PolicyDef) -> Result<Policy> {
        let r = self.reference();
        let now = self.now();
        let events = policy::open(&def, &self.context(&r, actor, now))?;
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<PolicyKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?.into_state::<PolicyKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// The policy, for staff who may see it.
    pub fn policy(&self, actor: &Actor, id: &CaseId) -> Result<Policy> {
        let case = self.load_case(id)?;
        let p = case.state::<PolicyKind>().cloned().ok_or(AppError::NotFound("政策"))?;
        if !case.can_view(actor) {
            return Err(AppError::NotFound("政策"));
        }
        Ok(p)
    }

    pub fn policy_view(&self, actor: &Actor, id: &CaseId) -> Result<PolicyView> {
        let p = self.policy(actor, id)?;
        let grants = self.all_grants(&p.id)?;
        let granted: Vec<&GrantRow> = grants.iter().filter(|g| g.status != "declined").collect();
        Ok(PolicyView {
            status_label: p.status.label(),
            unit_name: self.reference().unit_name(&p.def.unit),
            granted: granted.len() as u64,
            granted_amount: granted.iter().map(|g| g.detail.amount).sum(),
            paid: granted.iter().filter(|g| g.detail.paid > 0).count() as u64,
            paid_amount: granted.iter().map(|g| g.detail.paid).sum(),
            policy: p,
        })
    }

    /// Every policy, newest first (policies are public; their officers and leaders list them).
    pub fn policies(&self, status: Option<PolicyStatus>) -> Result<Vec<PolicyRow>> {
        let q = CaseQuery {
            kind: Some(PolicyKind::NAME),
            statuses: status.map(|s| vec![s.as_str()]).unwrap_or_default(),
            limit: 500,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            out.push(PolicyRow {
                status_label: PolicyKind::status_label(&row.status),
                detail: row_of(&row.detail, &row.id)?,
                status: row.status,
                id: row.id,
            });
        }
        Ok(out)
    }

    /// The dashboard's line: each policy with the number granted and the amount paid.
    pub fn policy_figures(&self) -> Result<Vec<PolicyFigures>> {
        let mut out = vec![];
        for p in self.policies(None)? {
            let grants = self.all_grants(&p.id)?;
            let live: Vec<&GrantRow> = grants.iter().filter(|g| g.status != "declined").collect();
            out.push(PolicyFigures {
                name: p.detail.name.clone(),
                status_label: p.status_label,
                budget: p.detail.budget,
                granted: live.len() as u64,
                granted_amount: live.iter().map(|g| g.detail.amount).sum(),
                paid: live.iter().filter(|g| g.detail.paid > 0).count() as u64,
                paid_amount: live.iter().map(|g| g.detail.paid).sum(),
                id: p.id,
            });
        }
        Ok(out)
    }

    /// 修改草稿.
    pub fn edit_policy(&self, actor: &Actor, id: &CaseId, def: PolicyDef) -> Result<Policy> {
        self.policy(actor, id)?;
        self.act_on::<PolicyKind>(actor, id, &policy::Command::Edit { def })
    }

    /// 停止执行.
    pub fn close_policy(&self, actor: &Actor, id: &CaseId, reason: &str) -> Result<Policy> {
        self.policy(actor, id)?;
        self.act_on::<PolicyKind>(actor, id, &policy::Command::Close { reason: reason.into() })
    }

    /// Evaluates a policy over `profiles`: every eligible enterprise with its amount,
    /// in code order. The trace is built for the page `offset..offset+limit` only.
    fn evaluate(
        &self,
        c: &Compiled,
        profiles: &[Profile],
        offset: u32,
        limit: u32,
    ) -> (Vec<(usize, u64)>, Vec<EligibleRow>) {
        let today = civil_date(self.now());
        let eligible: Vec<(usize, u64)> =
            profiles.iter().enumerate().filter_map(|(i, p)| c.amount_if_eligible(p, today).map(|a| (i, a))).collect();
        let rows = eligible
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(i, amount)| {
                let p = &profiles[*i];
                EligibleRow {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    amount: *amount,
                    trace: c.explain(p, today).clauses,
                }
            })
            .collect();
        (eligible, rows)
    }

    /// 试算: the eligible list (a page) and the total, for the policy's officers.
    pub fn dry_run(&self, actor: &Actor, id: &CaseId, offset: u32, limit: u32) -> Result<DryRun> {
        let p = self.policy(actor, id)?;
        if !(actor.has_role(yiwang_core::org::Role::PolicyOfficer) || matches!(actor, Actor::System)) {
            return Err(AppError::Forbidden("只有政策专员可以试算".into()));
        }
        let mut profiles = self.register_profiles()?;
        self.dry_run_on(&p, &mut profiles, offset, limit)
    }

    /// The dry run over `profiles` (the register, read by the caller: the bench
    /// times the read and the evaluation apart).
    pub fn dry_run_on(&self, p: &Policy, profiles: &mut [Profile], offset: u32, limit: u32) -> Result<DryRun> {
        let c = self.compiled(p)?;
        profiles.sort_unstable_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        let (eligible, rows) = self.evaluate(&c, profiles, offset, limit.min(200));
        let total: u64 = eligible.iter().map(|(_, a)| a).sum();
        Ok(DryRun {
            policy: p.id.clone(),
            period: p.def.period.clone(),
            enterprises: profiles.len() as u64,
            eligible: eligible.len() as u64,
            total,
            budget: p.def.budget,
            within_budget: total <= p.def.budget,
            rows,
            offset,
            limit: limit.min(200),
        })
    }

    /// 启用: the dry run is made again here, and a total over the budget refuses it.
    pub fn enable_policy(&self, actor: &Actor, id: &CaseId) -> Result<Policy> {
        self.policy(actor, id)?;
        let profiles = self.register_profiles()?;
        self.enable_policy_on(actor, id, &profiles)
    }

    /// 启用 with the dry run over `profiles` (the register, read by the caller).
    pub fn enable_policy_on(&self, actor: &Actor, id: &CaseId, profiles: &[Profile]) -> Result<Policy> {
        let p = self.policy(actor, id)?;
        let c = self.compiled(&p)?;
        let (eligible, _) = self.evaluate(&c, profiles, 0, 0);
        let total = eligible.iter().map(|(_, a)| a).sum();
        let cmd = policy::Command::Enable { eligible: eligible.len() as u64, total };
        self.act_on::<PolicyKind>(actor, id, &cmd)
    }

    /// A page of a policy's grants, newest first, optionally of one status, and how
    /// many there are.
    pub fn grant_rows(
        &self,
        policy: &CaseId,
        status: Option<&'static str>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<GrantRow>, u64)> {
        let q = CaseQuery {
            kind: Some(GrantKind::NAME),
            detail: vec![("policy", serde_json::json!(policy.to_string()))],
            statuses: status.into_iter().collect(),
            limit: limit.min(500),
            offset,
            ..Default::default()
        };
        let page = self.store.list_cases(&q)?;
        let rows = page.rows.into_iter().map(grant_row).collect::<Result<Vec<_>>>()?;
        Ok((rows, page.total))
    }

    /// Every grant of a policy, in the order they were opened.
    pub fn all_grants(&self, policy: &CaseId) -> Result<Vec<GrantRow>> {
        let q = CaseQuery {
            kind: Some(GrantKind::NAME),
            detail: vec![("policy", serde_json::json!(policy.to_string()))],
            ..Default::default()
        };
        let mut out = vec![];
        self.each_case(&q, |row| {
            out.push(grant_row(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The grants of a policy, for its officers (and leaders).
    pub fn policy_grants(
        &self,
        actor: &Actor,
        id: &CaseId,
        status: Option<&'static str>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<GrantRow>, u64)> {
        self.policy(actor, id)?;
        self.grant_rows(id, status, limit, offset)
    }

    /// 执行: opens a grant for every eligible enterprise not granted this period, in
    /// code order, while the period's total stays within the budget; records the run.
    pub fn run_policy(&self, actor: &Actor, id: &CaseId) -> Result<RunSummary> {
        self.policy(actor, id)?;
        let mut profiles = self.register_profiles()?;
        self.run_policy_on(actor, id, &mut profiles)
    }

    /// The scheduled runs that have come (`RunSchedule`), as the scheduler: the register
    /// is read once for all of them, and only when one is due. A run that fails is
    /// logged and tried again an hour later, not on every tick.
    pub fn run_due_policies(&self) -> Result<Vec<(CaseId, RunSummary)>> {
        let now = self.now();
        let mut due = vec![];
        let q = CaseQuery {
            kind: Some(PolicyKind::NAME),
            statuses: vec![PolicyStatus::Enabled.as_str()],
            ..Default::default()
        };
        self.each_case(&q, |row| {
            let d: PolicyDetail = row_of(&row.detail, &row.id)?;
            if d.next_run.is_some_and(|t| t <= now) {
                due.push(row.id);
            }
            Ok(())
        })?;
        let failed = self.scheduled_failures.lock().expect("not poisoned").clone();
        due.retain(|id| failed.get(id).is_none_or(|at| now - *at >= chrono::Duration::hours(1)));
        if due.is_empty() {
            return Ok(vec![]);
        }
        let mut profiles = self.register_profiles()?;
        let mut out = vec![];
        for id in due {
            match self.run_policy_on(&Actor::System, &id, &mut profiles) {
                Ok(run) => {
                    self.scheduled_failures.lock().expect("not poisoned").remove(&id);
                    out.push((id, run));
                }
                Err(e) => {
                    tracing::warn!(policy = %id, error = %e, "a scheduled policy run failed; trying again in an hour");
                    self.scheduled_failures.lock().expect("not poisoned").insert(id, now);
                }
            }
        }
        Ok(out)
    }

    /// The run over `profiles` (the register, read by the caller).
    pub fn run_policy_on(&self, actor: &Actor, id: &CaseId, profiles: &mut [Profile]) -> Result<RunSummary> {
        let p = self.policy(actor, id)?;
        // Whether this actor may run it now, before reading the register.
        let r = self.reference();
        let probe = policy::Command::RecordRun {
            run: RunSummary {
                period: p.def.period.clone(),
                enterprises: 0,
                eligible: 0,
                opened: 0,
                already: 0,
                over_budget: 0,
                amount: 0,
            },
        };
        policy::decide(&p, &probe, &self.context(&r, actor, self.now()))?;
        let c = self.compiled(&p)?;
        profiles.sort_unstable_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        let (eligible, _) = self.evaluate(&c, profiles, 0, 0);
        // What this period has granted already (declined grants keep their place: at
        // most once per period; their money is not spent).
        let existing = self.all_grants(&p.id)?;
        let mut spent: u64 = existing
            .iter()
            .filter(|g| g.detail.period == p.def.period && g.status != "declined")
            .map(|g| g.detail.amount)
            .sum();
        let granted: HashMap<&str, ()> = existing
            .iter()
            .filter(|g| g.detail.period == p.def.period)
            .map(|g| (g.detail.enterprise.as_str(), ()))
            .collect();
        let today = civil_date(self.now());
        let mut run = RunSummary {
            period: p.def.period.clone(),
            enterprises: profiles.len() as u64,
            eligible: eligible.len() as u64,
            opened: 0,
            already: 0,
            over_budget: 0,
            amount: 0,
        };
        let mut pending = vec![];
        let now = self.now();
        for (i, amount) in eligible {
            let e = &profiles[i];
            if granted.contains_key(e.code.as_str()) {
                run.already += 1;
                continue;
            }
            if spent + amount > p.def.budget {
                run.over_budget += 1;
                continue;
            }
            let g = NewGrant::from_evaluation(&p, e, c.explain(e, today), false, None);
            let events = grant::open(&g, &self.context(&r, actor, now))?;
            spent += amount;
            pending.push((
                amount,
                self.create_case(NewCase {
                    tenant: r.tenant.clone(),
                    at: now,
                    actor: actor.clone(),
                    person: None,
                    events: Events::new::<GrantKind>(events),
                    notices: vec![Notice::to_citizen("grant_opened")],
                    idempotency: None,
                }),
            ));
            if pending.len() >= BATCH {
                settle(&mut pending, &mut run, &mut spent)?;
            }
        }
        settle(&mut pending, &mut run, &mut spent)?;
        self.act_on::<PolicyKind>(actor, id, &policy::Command::RecordRun { run: run.clone() })?;
        Ok(run)
    }

    /// One grant, for staff who may see it (the paying department, leaders).
    pub fn grant(&self, actor: &Actor, id: &CaseId) -> Result<GrantView> {
        let case = self.load_case(id)?;
        let g = case.state::<GrantKind>().cloned().ok_or(AppError::NotFound("享受记录"))?;
        if !case.can_view(actor) {
            return Err(AppError::NotFound("享受记录"));
        }
        Ok(self.grant_view_of(g))
    }

    fn grant_view_of(&self, g: Grant) -> GrantView {
        GrantView {
            status_label: g.status.label(),
            explanation: g.grant.trace.iter().map(ClauseTrace::sentence).collect(),
            unit_name: self.reference().unit_name(&g.grant.unit),
            account: g.account.as_ref().map(BankAccount::masked),
            grant: g,
        }
    }

    /// 登记拨付, by the paying department's policy officer: 办结.
    pub fn record_grant_payment(&self, actor: &Actor, id: &CaseId, reference: &str) -> Result<GrantView> {
        self.grant(actor, id)?;
        // The enterprise is told (`grant_paid`) in the payment's own commit: a grant's
        // notices go to its enterprise (`Kind::NOTICES_TO_ENTERPRISE`).
        let g = self.act_on::<GrantKind>(actor, id, &grant::Command::RecordPayment { reference: reference.into() })?;
        Ok(self.grant_view_of(g))
    }

    // ------------------------------------------------------------ the enterprise's side

    /// The grants of an enterprise the applicant's phone is bound to, newest first.
    pub fn my_grants(&self, who: &Applicant, enterprise: &str) -> Result<Vec<GrantView>> {
        let e = self.bound_enterprise(who, enterprise)?;
        let q = CaseQuery {
            kind: Some(GrantKind::NAME),
            detail: vec![("enterprise", serde_json::json!(e.code.to_string()))],
            limit: 200,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            out.push(self.grant_view_of(self.load_as::<GrantKind>(&row.id)?));
        }
        Ok(out)
    }

    /// One grant of an enterprise the applicant's phone is bound to.
    pub fn my_grant(&self, who: &Applicant, id: &CaseId) -> Result<GrantView> {
        let g = match self.load_case(id) {
            Ok(c) => c.state::<GrantKind>().cloned().ok_or(AppError::NotFound("享受记录"))?,
            Err(AppError::NotFound(_)) => return Err(AppError::NotFound("享受记录")),
            Err(e) => return Err(e),
        };
        self.bound_enterprise(who, g.grant.enterprise.as_str())?;
        Ok(self.grant_view_of(g))
    }

    /// 确认收款账户: only through a phone bound to the enterprise.
    pub fn confirm_grant(&self, who: &Applicant, id: &CaseId, account: BankAccount) -> Result<GrantView> {
        self.my_grant(who, id)?;
        let g = self.act_on::<GrantKind>(&Actor::Citizen, id, &grant::Command::ConfirmBank { account })?;
        Ok(self.grant_view_of(g))
    }

    /// 放弃享受: only through a phone bound to the enterprise.
    pub fn decline_grant(&self, who: &Applicant, id: &CaseId, reason: &str) -> Result<GrantView> {
        self.my_grant(who, id)?;
        let g = self.act_on::<GrantKind>(&Actor::Citizen, id, &grant::Command::Decline { reason: reason.into() })?;
        Ok(self.grant_view_of(g))
    }

    /// The policies in force, which an enterprise may claim.
    pub fn policies_in_force(&self) -> Result<Vec<PolicyRow>> {
        self.policies(Some(PolicyStatus::Enabled))
    }

    /// 依申请: an enterprise not found by a run (or before one) claims a policy in
    /// force. The same rules are evaluated on its register row; if every clause holds
    /// the grant is opened with its trace, else the refusal names the clauses that did not.
    pub fn claim_grant(&self, who: &Applicant, policy: &CaseId, enterprise: &str) -> Result<GrantView> {
        let bound = self.bound_enterprise(who, enterprise)?;
        let p = match self.load_case(policy) {
            Ok(c) => c.state::<PolicyKind>().cloned().ok_or(AppError::NotFound("政策"))?,
            Err(AppError::NotFound(_)) => return Err(AppError::NotFound("政策")),
            Err(e) => return Err(e),
        };
        if p.status != PolicyStatus::Enabled {
            return Err(Refusal::rule("not_enabled", "该政策未在执行期内，不能申请").into());
        }
        let e = self.enterprise(&bound.code)?.ok_or(AppError::NotFound("企业（企业名录中未登记）"))?;
        let profile = e.profile();
        let c = self.compiled(&p)?;
        let ev = c.explain(&profile, civil_date(self.now()));
        if !ev.eligible {
            let failed: Vec<String> = ev.clauses.iter().filter(|c| !c.held()).map(ClauseTrace::sentence).collect();
            let why = if failed.is_empty() { "核定金额为0元".to_owned() } else { failed.join("；") };
            return Err(Refusal::rule("not_eligible", format!("经核对企业名录信息，暂不符合该政策：{why}")).into());
        }
        let existing = self.all_grants(&p.id)?;
        let spent: u64 = existing
            .iter()
            .filter(|g| g.detail.period == p.def.period && g.status != "declined")
            .map(|g| g.detail.amount)
            .sum();
        if existing.iter().any(|g| g.detail.period == p.def.period && g.detail.enterprise == profile.code.as_str()) {
            return Err(Refusal::rule("already_granted", "本企业本期已享受该政策").into());
        }
        if spent + ev.amount > p.def.budget {
            return Err(Refusal::rule("budget_exhausted", "该政策本期预算已用完").into());
        }
        let r = self.reference();
        let now = self.now();
        let g = NewGrant::from_evaluation(&p, &profile, ev, true, None);
        let events = grant::open(&g, &self.context(&r, &Actor::Citizen, now))?;
        let created = self
            .create_case(NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: Actor::Citizen,
                person: None,
                events: Events::new::<GrantKind>(events),
                notices: vec![Notice::to_citizen("grant_opened")],
                idempotency: None,
            })
            .wait();
        match created {
            Ok(c) => Ok(self.grant_view_of(c.into_state::<GrantKind>().map_err(|c| crate::case::wrong_kind(c.id()))?)),
            Err(StoreError::Duplicate(_)) => Err(Refusal::rule("already_granted", "本企业本期已享受该政策").into()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Waits for the grants submitted; one refused as a duplicate (another run got there
/// first) counts as granted already.
fn settle(
    pending: &mut Vec<(u64, yiwang_store::Pending<yiwang_core::case::Case>)>,
    run: &mut RunSummary,
    spent: &mut u64,
) -> Result<()> {
    for (amount, p) in pending.drain(..) {
        match p.wait() {
            Ok(_) => {
                run.opened += 1;
                run.amount += amount;
            }
            Err(StoreError::Duplicate(_)) => {
                run.already += 1;
                *spent -= amount;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The demo's policies (`data/demo/policies.json`): each defined by its officer,
/// enabled and run when it says so.
pub const DEMO_POLICIES: &str = include_str!("../../../data/demo/policies.json");

#[derive(Deserialize)]
struct DemoPolicy {
    officer: String,
    enable: bool,
    run: bool,
    policy: PolicyDef,
}

impl App {
    /// Seeds the demo's policies; returns the grants opened.
    pub(crate) fn seed_policies(&self) -> Result<u64> {
        let demo: Vec<DemoPolicy> =
            serde_json::from_str(DEMO_POLICIES).map_err(|e| AppError::Internal(format!("policies.json: {e}")))?;
        let mut opened = 0;
        for d in demo {
            let officer = Actor::Staff {
                username: yiwang_core::id::Username::parse(&d.officer)?,
                unit: d.policy.unit.clone(),
                unit_kind: yiwang_core::org::UnitKind::Department,
                roles: vec![yiwang_core::org::Role::PolicyOfficer],
            };
            let p = self.define_policy(&officer, d.policy)?;
            if d.enable {
                self.enable_policy(&officer, &p.id)?;
            }
            if d.run {
                opened += self.run_policy(&officer, &p.id)?.opened;
            }
        }
        Ok(opened)
    }
}

fn grant_row(row: yiwang_store::CaseRow) -> Result<GrantRow> {
    Ok(GrantRow {
        status_label: GrantKind::status_label(&row.status),
        detail: row_of(&row.detail, &row.id)?,
        status: row.status,
        id: row.id,
    })
}
