//! Every rule of a 差评整改.

use super::event::FixEvent;
use super::state::{Fix, FixStatus};
use super::{Clock, Command, FixClock, NewFix};
use crate::case::{Context, Refusal, opt_text, text};
use crate::deadline::{Budget, Clocks, Stage};
use crate::org::{Actor, Role};

type Decision = Result<Vec<FixEvent>, Refusal>;

const TEXT_MAX: usize = 2000;

/// Who sees every 差评整改: district leaders and the centre's supervisors.
pub fn sees_all(actor: &Actor) -> bool {
    actor.has_role(Role::Leader) || (actor.is_centre() && actor.has_role(Role::Supervisor))
}

fn centre(ctx: &Context<'_>, action: &'static str) -> Result<(), Refusal> {
    if ctx.actor.is_centre() && ctx.actor.has_any_role(&[Role::Supervisor, Role::Operator]) {
        Ok(())
    } else {
        Err(Refusal::Forbidden { action, why: "只有中心可以执行" })
    }
}

fn department(f: &Fix, ctx: &Context<'_>, action: &'static str) -> Result<(), Refusal> {
    let ok = matches!(ctx.actor, Actor::Staff { unit, .. } if *unit == f.department)
        && ctx.actor.has_any_role(&[Role::UnitLeader, Role::Handler, Role::Approver, Role::Reviewer]);
    if ok { Ok(()) } else { Err(Refusal::Forbidden { action, why: "只有被评价的办理部门可以执行" }) }
}

fn status_in(f: &Fix, allowed: &[FixStatus], action: &'static str) -> Result<(), Refusal> {
    if allowed.contains(&f.status) {
        Ok(())
    } else {
        Err(Refusal::TransitionNotAllowed { action, status: f.status.label() })
    }
}

/// Opens a 差评整改 for a bad rating; the system does, as the rating is recorded.
pub fn open(n: &NewFix, ctx: &Context<'_>) -> Decision {
    if !matches!(ctx.actor, Actor::System) {
        return Err(Refusal::Forbidden { action: "open", why: "差评整改由系统按差评生成" });
    }
    if n.rating.is_good() {
        return Err(Refusal::rule("not_a_bad_rating", "只有差评需要整改"));
    }
    let days = ctx.limits.application.bad_rating_days;
    Ok(vec![FixEvent::FixOpened {
        application: n.application.clone(),
        service: n.service.clone(),
        service_name: n.service_name.clone(),
        department: n.department.clone(),
        rating: n.rating,
        comment: n.comment.clone(),
        named: n.named,
        person: None,
        answer_clock: Clock::start(
            FixClock::Answer,
            Budget::WorkingDays(days),
            ctx.now,
            ctx.calendar,
            ctx.limits.warn_ratio,
        ),
    }])
}

pub fn decide(f: &Fix, command: &Command, ctx: &Context<'_>) -> Decision {
    let action = command.name();
    if !f.is_open() {
        return Err(Refusal::CaseClosed("差评整改已办结"));
    }
    match command {
        Command::Verify { founded, finding } => {
            department(f, ctx, action)?;
            status_in(f, &[FixStatus::Verifying], action)?;
            Ok(vec![FixEvent::Verified { founded: *founded, finding: text("finding", finding, TEXT_MAX)? }])
        }
        Command::DecideAppeal { upheld, note } => {
            centre(ctx, action)?;
            status_in(f, &[FixStatus::Appealed], action)?;
            Ok(vec![FixEvent::AppealDecided { upheld: *upheld, note: text("note", note, TEXT_MAX)? }])
        }
        Command::Answer { measures, reply } => {
            department(f, ctx, action)?;
            status_in(f, &[FixStatus::Fixing], action)?;
            let on_time = f.clocks.clock(FixClock::Answer).is_none_or(|c| ctx.now <= c.due);
            Ok(vec![FixEvent::FixAnswered {
                measures: text("measures", measures, TEXT_MAX)?,
                reply: text("reply", reply, TEXT_MAX)?,
                on_time,
            }])
        }
        Command::CallBack { satisfied, note } => {
            centre(ctx, action)?;
            status_in(f, &[FixStatus::Answered], action)?;
            Ok(vec![FixEvent::CalledBack { satisfied: *satisfied, note: opt_text("note", note, TEXT_MAX)? }])
        }
    }
}

/// The answer clock turning yellow, then red.
pub fn alarms(f: &Fix, ctx: &Context<'_>) -> Vec<FixEvent> {
    if !f.is_open() {
        return vec![];
    }
    let mut out = vec![];
    for c in &f.clocks {
        match (c.stage, c.stage_at(ctx.now)) {
            (Stage::Green, Stage::Yellow) => out.push(FixEvent::FixClockWarned { clock: c.kind, due: c.due }),
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(FixEvent::FixClockOverdue { clock: c.kind, due: c.due })
            }
            _ => {}
        }
    }
    out
}
