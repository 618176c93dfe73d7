//! The rules. Every refusal is a `Refusal` with a stable code; nothing here reads the
//! clock or the database.

use super::command::{Action, Intake};
use super::event::AppealEvent;
use super::limits::{Clock, ClockKind, LimitKey};
use super::state::{Appeal, Status};
use super::{AppealType, Channel};
use crate::case::{Context, Refusal, opt_text, text};
use crate::deadline::Stage;
use crate::id::{CategoryCode, InvalidValue, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, Utc};

type Decision = Result<Vec<AppealEvent>, Refusal>;

/// The longest appeal text, reply or answer, in characters.
pub const TEXT_MAX: usize = 5000;
/// The longest note or reason, in characters.
pub const NOTE_MAX: usize = 1000;
/// The most photos a reply carries (处置后照片), as many as a citizen's appeal.
pub const REPLY_PHOTOS_MAX: usize = 3;

/// What an appeal refuses beyond the refusals every kind has, with their stable codes.
fn same_unit(u: &UnitCode) -> Refusal {
    Refusal::rule("same_unit", format!("工单已由单位 {u} 承办"))
}
fn co_units_pending(units: &[UnitCode]) -> Refusal {
    let list = units.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("、");
    Refusal::rule("co_units_pending", format!("协办单位尚未全部答复：{list}"))
}
fn extension_pending() -> Refusal {
    Refusal::rule("extension_pending", "已有待审批的延期申请")
}
fn no_extension_pending() -> Refusal {
    Refusal::rule("no_extension_pending", "没有待审批的延期申请")
}
fn not_a_consultation() -> Refusal {
    Refusal::rule("not_a_consultation", "只有咨询类诉求可以直接办结")
}
fn suspended() -> Refusal {
    Refusal::rule("case_suspended", "工单挂起中，请先恢复办理")
}
fn merge_into_self() -> Refusal {
    Refusal::rule("merge_into_self", "工单不能并入自身")
}

/// An appeal's own context: the generic one with the appeal's limits.
trait AppealContext {
    fn start(&self, kind: ClockKind, key: LimitKey<'_>) -> Clock;
    fn key<'k>(
        &self,
        appeal_type: AppealType,
        urgency: crate::deadline::Urgency,
        cat: Option<&'k CategoryCode>,
    ) -> LimitKey<'k>;
    fn case_key<'k>(&self, s: &'k Appeal, cat: Option<&'k CategoryCode>) -> LimitKey<'k>;
    fn centre(&self, action: &'static str, roles: &[Role]) -> Result<(), Refusal>;
    fn holder(&self, action: &'static str, s: &Appeal) -> Result<(), Refusal>;
    fn co_unit<'s>(&self, action: &'static str, s: &'s Appeal) -> Result<&'s UnitCode, Refusal>;
    fn handling_unit(&self, code: &UnitCode) -> Result<(), Refusal>;
    fn category(&self, code: &CategoryCode) -> Result<&crate::taxonomy::Category, Refusal>;
}

impl AppealContext for Context<'_> {
    fn start(&self, kind: ClockKind, key: LimitKey<'_>) -> Clock {
        Clock::start(kind, self.limits.appeal.budget(kind, key), self.now, self.calendar, self.limits.warn_ratio)
    }

    fn key<'k>(
        &self,
        appeal_type: AppealType,
        urgency: crate::deadline::Urgency,
        cat: Option<&'k CategoryCode>,
    ) -> LimitKey<'k> {
        let utility = cat.and_then(|c| self.taxonomy.get(c)).is_some_and(|c| c.utility);
        LimitKey { consultation: appeal_type == AppealType::Consultation, urgency, category: cat, utility }
    }

    fn case_key<'k>(&self, s: &'k Appeal, cat: Option<&'k CategoryCode>) -> LimitKey<'k> {
        self.key(s.appeal_type, s.urgency, cat.or(s.category.as_ref()))
    }

    /// The actor is centre staff holding one of `roles`.
    fn centre(&self, action: &'static str, roles: &[Role]) -> Result<(), Refusal> {
        if !self.actor.is_centre() {
            return Err(Refusal::Forbidden { action, why: "只有热线中心可以执行" });
        }
        if !self.actor.has_any_role(roles) {
            return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
        }
        Ok(())
    }

    /// The actor is a handler or leader of the unit holding the case.
    fn holder(&self, action: &'static str, s: &Appeal) -> Result<(), Refusal> {
        let Actor::Staff { unit, .. } = self.actor else {
            return Err(Refusal::Forbidden { action, why: "只有承办单位可以执行" });
        };
        if s.unit.as_ref() != Some(unit) {
            return Err(Refusal::Forbidden { action, why: "工单不在本单位" });
        }
        if !self.actor.has_any_role(&[Role::Handler, Role::UnitLeader]) {
            return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
        }
        Ok(())
    }

    /// The actor is a handler or leader of a summoned co-unit; returns its code.
    fn co_unit<'s>(&self, action: &'static str, s: &'s Appeal) -> Result<&'s UnitCode, Refusal> {
        let Actor::Staff { unit, .. } = self.actor else {
            return Err(Refusal::Forbidden { action, why: "只有协办单位可以执行" });
        };
        let Some(c) = s.co_units.iter().find(|c| &c.unit == unit) else {
            return Err(Refusal::Forbidden { action, why: "本单位未被吹哨召集" });
        };
        if !self.actor.has_any_role(&[Role::Handler, Role::UnitLeader]) {
            return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
        }
        Ok(&c.unit)
    }

    fn handling_unit(&self, code: &UnitCode) -> Result<(), Refusal> {
        let u = self.org.get(code).ok_or_else(|| Refusal::UnknownUnit(code.clone()))?;
        if !u.kind.can_handle() {
            return Err(Refusal::UnitCannotHandle(code.clone()));
        }
        Ok(())
    }

    fn category(&self, code: &CategoryCode) -> Result<&crate::taxonomy::Category, Refusal> {
        self.taxonomy.get(code).ok_or_else(|| Refusal::UnknownCategory(code.clone()))
    }
}

/// Decides a new appeal: who may file it through which channel, and what must be in it.
pub fn decide_intake(i: &Intake, ctx: &Context<'_>) -> Decision {
    let action = "intake";
    let allowed = match (i.channel, ctx.actor) {
        (Channel::Hotline, a) => a.is_centre() && a.has_any_role(&[Role::Operator, Role::Dispatcher]),
        (Channel::GridPatrol, a) => a.has_role(Role::GridWorker),
        (Channel::Web | Channel::App, Actor::Citizen) => true,
        (Channel::Web | Channel::App, a) => a.is_centre(),
        (Channel::Open311, Actor::Client { .. }) => true,
        (Channel::Import, a) => a.has_role(Role::Admin) || *a == Actor::System,
        _ => false,
    };
    if !allowed {
        return Err(Refusal::Forbidden { action, why: "该渠道不接受此身份提交" });
    }
    let body = text("text", &i.text, TEXT_MAX)?;
    let title = opt_text("title", &i.title, 100)?;
    if i.attachments.len() > 10 {
        return Err(Refusal::Invalid(InvalidValue { field: "attachments", rule: "最多 10 个附件" }));
    }
    for a in &i.attachments {
        text("attachments", a, 500)?;
    }
    if let Some(c) = &i.category {
        ctx.category(c)?;
    }
    if let Some(area) = &i.location.area {
        ctx.org.get(area).ok_or_else(|| Refusal::UnknownUnit(area.clone()))?;
    }
    let mut location = i.location.clone();
    location.address = opt_text("location.address", &location.address, 200)?;
    let key = ctx.key(i.appeal_type, i.urgency, i.category.as_ref());
    Ok(vec![AppealEvent::Accepted {
        channel: i.channel,
        appeal_type: i.appeal_type,
        urgency: i.urgency,
        title,
        text: body,
        location,
        citizen: i.citizen,
        attachments: i.attachments.clone(),
        category: i.category.clone(),
        tracking_code: i.tracking_code.clone(),
        dispatch_clock: ctx.start(ClockKind::Dispatch, key),
        private: i.private,
    }])
}

fn expect_status(action: &'static str, s: &Appeal, allowed: &[Status]) -> Result<(), Refusal> {
    if allowed.contains(&s.status) {
        Ok(())
    } else {
        Err(Refusal::TransitionNotAllowed { action, status: s.status.label() })
    }
}

/// Decides a command on an existing case.
pub fn decide(s: &Appeal, cmd: &Action, ctx: &Context<'_>) -> Decision {
    use Status::*;
    let action = cmd.name();
    // A closed case still records the duplicates that join it (their callers get its reply).
    if s.status == Closed && !matches!(cmd, Action::Reopen { .. } | Action::NoteDuplicate { .. }) {
        return Err(Refusal::CaseClosed("工单已结案，只能由热线中心重办"));
    }
    let centre_dispatch = [Role::Dispatcher];
    let centre_supervise = [Role::Supervisor, Role::Dispatcher];
    match cmd {
        Action::Dispatch { category, unit, note } => {
            ctx.centre(action, &centre_dispatch)?;
            expect_status(action, s, &[Accepted])?;
            let cat = ctx.category(category)?;
            let unit = unit.clone().unwrap_or_else(|| cat.unit.clone());
            ctx.handling_unit(&unit)?;
            let key = ctx.case_key(s, Some(category));
            Ok(vec![AppealEvent::Dispatched {
                unit,
                category: category.clone(),
                note: opt_text("note", note, NOTE_MAX)?,
                sign_clock: ctx.start(ClockKind::SignFor, key),
                resolve_clock: ctx.start(ClockKind::Resolve, key),
            }])
        }
        Action::SignFor => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Dispatched])?;
            let key = ctx.case_key(s, None);
            Ok(vec![AppealEvent::SignedFor { contact_clock: ctx.start(ClockKind::Contact, key) }])
        }
        Action::Return { reason } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Dispatched, Handling])?;
            let key = ctx.case_key(s, None);
            Ok(vec![AppealEvent::Returned {
                unit: s.unit.clone().expect("held case has a unit"),
                reason: text("reason", reason, NOTE_MAX)?,
                dispatch_clock: ctx.start(ClockKind::Dispatch, key),
            }])
        }
        Action::Reassign { unit, category, reason } => {
            ctx.centre(action, &centre_dispatch)?;
            expect_status(action, s, &[Dispatched, Handling])?;
            let from = s.unit.clone().expect("dispatched case has a unit");
            if &from == unit {
                return Err(same_unit(&from));
            }
            ctx.handling_unit(unit)?;
            let category = match category {
                Some(c) => ctx.category(c)?.code.clone(),
                None => s.category.clone().expect("dispatched case has a category"),
            };
            let key = ctx.case_key(s, Some(&category));
            Ok(vec![AppealEvent::Reassigned {
                from,
                to: unit.clone(),
                reason: text("reason", reason, NOTE_MAX)?,
                sign_clock: ctx.start(ClockKind::SignFor, key),
                resolve_clock: ctx.start(ClockKind::Resolve, key),
                category,
            }])
        }
        Action::Summon { units, note } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            if units.is_empty() || units.len() > 10 {
                return Err(Refusal::Invalid(InvalidValue { field: "units", rule: "召集 1 至 10 个单位" }));
            }
            for (i, u) in units.iter().enumerate() {
                ctx.handling_unit(u)?;
                if Some(u) == s.unit.as_ref() || units[..i].contains(u) || s.co_units.iter().any(|c| &c.unit == u) {
                    return Err(Refusal::Invalid(InvalidValue {
                        field: "units",
                        rule: "不能重复召集本单位或已召集的单位",
                    }));
                }
            }
            Ok(vec![AppealEvent::Summoned { units: units.clone(), note: opt_text("note", note, NOTE_MAX)? }])
        }
        Action::ReportIn => {
            let unit = ctx.co_unit(action, s)?;
            expect_status(action, s, &[Handling])?;
            if s.co_units.iter().any(|c| &c.unit == unit && c.reported_in_at.is_some()) {
                return Err(Refusal::AlreadyDone("本单位已报到"));
            }
            Ok(vec![AppealEvent::ReportedIn { unit: unit.clone() }])
        }
        Action::AnswerPart { text: t } => {
            let unit = ctx.co_unit(action, s)?;
            expect_status(action, s, &[Handling])?;
            let c = s.co_units.iter().find(|c| &c.unit == unit).expect("found above");
            if c.reported_in_at.is_none() {
                return Err(Refusal::TransitionNotAllowed { action, status: s.status.label() });
            }
            if c.answered_at.is_some() {
                return Err(Refusal::AlreadyDone("本单位已答复协办部分"));
            }
            Ok(vec![AppealEvent::PartAnswered { unit: unit.clone(), text: text("text", t, TEXT_MAX)? }])
        }
        Action::Contact { note } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            Ok(vec![AppealEvent::Contacted { note: text("note", note, NOTE_MAX)? }])
        }
        Action::RequestExtension { working_days, reason } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            if !(1..=30).contains(working_days) {
                return Err(Refusal::Invalid(InvalidValue { field: "working_days", rule: "1 至 30 个工作日" }));
            }
            if s.extension.is_some() {
                return Err(extension_pending());
            }
            // A paused clock stopped at `paused_at`: asking while suspended is late if
            // the deadline had passed when the clock stopped, so suspending an overdue
            // case does not reopen the door to an extension.
            if let Some(c) = s.clock(ClockKind::Resolve)
                && c.paused_at.unwrap_or(ctx.now) >= c.due
            {
                return Err(Refusal::DeadlinePassed { due: c.due });
            }
            Ok(vec![AppealEvent::ExtensionRequested {
                working_days: *working_days,
                reason: text("reason", reason, NOTE_MAX)?,
            }])
        }
        Action::DecideExtension { approve, note } => {
            ctx.centre(action, &centre_supervise)?;
            expect_status(action, s, &[Handling])?;
            let Some(ext) = &s.extension else {
                return Err(no_extension_pending());
            };
            let resolve_clock = if *approve {
                s.clock(ClockKind::Resolve).map(|c| c.extended(ctx.calendar, ext.working_days, ctx.limits.warn_ratio))
            } else {
                None
            };
            Ok(vec![AppealEvent::ExtensionDecided {
                approved: *approve,
                working_days: ext.working_days,
                note: opt_text("note", note, NOTE_MAX)?,
                resolve_clock,
            }])
        }
        Action::Remind { note } => {
            ctx.centre(action, &centre_supervise)?;
            expect_status(action, s, &[Accepted, Dispatched, Handling, Replied, CalledBack])?;
            Ok(vec![AppealEvent::Reminded { note: text("note", note, NOTE_MAX)? }])
        }
        Action::Supervise { note } => {
            ctx.centre(action, &centre_supervise)?;
            expect_status(action, s, &[Accepted, Dispatched, Handling, Replied, CalledBack])?;
            Ok(vec![AppealEvent::Supervised { note: text("note", note, NOTE_MAX)? }])
        }
        Action::Suspend { reason } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            if s.suspended_since.is_some() {
                return Err(Refusal::AlreadyDone("工单已挂起"));
            }
            Ok(vec![AppealEvent::Suspended { reason: text("reason", reason, NOTE_MAX)? }])
        }
        Action::Resume => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            if s.suspended_since.is_none() {
                return Err(Refusal::AlreadyDone("工单未挂起"));
            }
            let clock = s.clock(ClockKind::Resolve).expect("a handled case runs its resolve clock");
            Ok(vec![AppealEvent::Resumed { resolve_clock: clock.resumed(ctx.calendar, ctx.now) }])
        }
        Action::Reply { outcome, text: t, photos } => {
            ctx.holder(action, s)?;
            expect_status(action, s, &[Handling])?;
            if s.suspended_since.is_some() {
                return Err(suspended());
            }
            let pending: Vec<UnitCode> =
                s.co_units.iter().filter(|c| c.answered_at.is_none()).map(|c| c.unit.clone()).collect();
            if !pending.is_empty() {
                return Err(co_units_pending(&pending));
            }
            let invalid = |rule| Refusal::Invalid(InvalidValue { field: "photos", rule });
            if photos.len() > REPLY_PHOTOS_MAX {
                return Err(invalid("最多 3 张照片"));
            }
            let mut names: Vec<String> = vec![];
            for p in photos {
                let name = text("photos", p, 500)?;
                if names.contains(&name) {
                    return Err(invalid("同一张照片只能附一次"));
                }
                names.push(name);
            }
            Ok(vec![AppealEvent::Replied {
                outcome: *outcome,
                text: text("text", t, TEXT_MAX)?,
                photos: names,
                callback_clock: Some(ctx.start(ClockKind::Callback, ctx.case_key(s, None))),
            }])
        }
        Action::Callback { solved, satisfaction, note } => {
            if *ctx.actor != Actor::Citizen {
                ctx.centre(action, &[Role::Operator, Role::Dispatcher, Role::Supervisor])?;
            }
            expect_status(action, s, &[Replied])?;
            Ok(vec![AppealEvent::CalledBack {
                solved: *solved,
                satisfaction: *satisfaction,
                note: opt_text("note", note, NOTE_MAX)?,
            }])
        }
        Action::Reopen { reason } => {
            ctx.centre(action, &centre_supervise)?;
            expect_status(action, s, &[Replied, CalledBack, Closed, Merged])?;
            let key = ctx.case_key(s, None);
            // A duplicate taken back out of its master, or one whose reply was the
            // master's, goes to dispatch: no unit of its own worked on it.
            let own_reply = s.reply.as_ref().is_none_or(|r| s.unit.as_ref() == Some(&r.unit));
            let clock =
                if s.unit.is_some() && s.status != Merged && own_reply && s.outcome != Some(super::Outcome::Merged) {
                    ctx.start(ClockKind::Resolve, key)
                } else {
                    ctx.start(ClockKind::Dispatch, key)
                };
            Ok(vec![AppealEvent::Reopened { reason: text("reason", reason, NOTE_MAX)?, clock }])
        }
        Action::Close { note } => {
            ctx.centre(action, &centre_supervise)?;
            expect_status(action, s, &[Replied, CalledBack])?;
            Ok(vec![AppealEvent::Closed { note: opt_text("note", note, NOTE_MAX)? }])
        }
        Action::Merge { into } => {
            ctx.centre(action, &centre_dispatch)?;
            expect_status(action, s, &[Accepted, Dispatched, Handling])?;
            if into == &s.id {
                return Err(merge_into_self());
            }
            Ok(vec![AppealEvent::Joined { into: into.clone() }])
        }
        Action::NoteDuplicate { case } => {
            system(action, ctx)?;
            if case == &s.id {
                return Err(merge_into_self());
            }
            if s.duplicates.contains(case) {
                return Ok(vec![]);
            }
            Ok(vec![AppealEvent::DuplicateJoined { case: case.clone() }])
        }
        Action::ShareReply { master, reply } => {
            system(action, ctx)?;
            expect_status(action, s, &[Merged])?;
            if s.merged_into.as_ref() != Some(master) {
                return Err(Refusal::rule("not_the_master", format!("工单并未并入 {master}")));
            }
            Ok(vec![AppealEvent::MasterReplied {
                master: master.clone(),
                unit: reply.unit.clone(),
                outcome: reply.outcome,
                text: reply.text.clone(),
                on_time: reply.on_time,
                callback_clock: Some(ctx.start(ClockKind::Callback, ctx.case_key(s, None))),
            }])
        }
        Action::AnswerDirectly { answer } => {
            ctx.centre(action, &[Role::Operator, Role::Dispatcher])?;
            expect_status(action, s, &[Accepted])?;
            if s.appeal_type != AppealType::Consultation {
                return Err(not_a_consultation());
            }
            Ok(vec![AppealEvent::AnsweredDirectly { answer: text("answer", answer, TEXT_MAX)? }])
        }
        Action::Tick => {
            if *ctx.actor != Actor::System {
                return Err(Refusal::Forbidden { action, why: "只有系统调度可以执行" });
            }
            Ok(alarms(s, ctx.now))
        }
    }
}

fn system(action: &'static str, ctx: &Context<'_>) -> Result<(), Refusal> {
    match ctx.actor {
        Actor::System => Ok(()),
        _ => Err(Refusal::Forbidden { action, why: "只有系统可以执行" }),
    }
}

/// The marks the scheduler records at `now`: each running clock that has passed its
/// warning point turns yellow, each past its deadline red.
pub fn alarms(s: &Appeal, now: DateTime<Utc>) -> Vec<AppealEvent> {
    let mut out = vec![];
    if !s.is_open() {
        return out;
    }
    for c in &s.clocks {
        match (c.stage, c.stage_at(now)) {
            (Stage::Green, Stage::Yellow) => out.push(AppealEvent::ClockWarned { clock: c.kind, due: c.due }),
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(AppealEvent::ClockOverdue { clock: c.kind, due: c.due })
            }
            _ => {}
        }
    }
    out
}

/// Who sees every appeal: the 12345 centre's staff, district leaders and
/// administrators.
pub(crate) fn sees_all(actor: &Actor) -> bool {
    matches!(actor, Actor::Staff { unit_kind, roles, .. }
        if *unit_kind == crate::org::UnitKind::Centre || roles.contains(&Role::Leader))
}

/// The units whose staff may see an appeal: every unit that held it, and every unit
/// summoned to it.
pub(crate) fn access(a: &Appeal) -> Vec<UnitCode> {
    let mut units: Vec<UnitCode> =
        a.assignments.iter().map(|x| x.unit.clone()).chain(a.co_units.iter().map(|c| c.unit.clone())).collect();
    units.sort();
    units.dedup();
    units
}

/// Who may read a case (the engine's one rule, `case::can_view`): centre staff and
/// district leaders see every case; a unit's staff see the cases it holds, held
/// before, or was summoned to; the citizen goes through the public view instead.
pub fn can_view(a: &Appeal, actor: &Actor) -> bool {
    crate::case::can_view(sees_all(actor), &access(a), actor)
}
