//! Every rule of a task: who may do what, in which state, with which input, before
//! which deadline. Nothing here reads the clock or the database.

use super::command::{Command, NewTask};
use super::event::TaskEvent;
use super::grade::grade;
use super::light::{Light, light};
use super::limits::TaskType;
use super::state::{Task, TaskStatus};
use super::{Clock, TaskClock, end_of};
use crate::case::{Context, Refusal, opt_text, text};
use crate::deadline::{Budget, Stage};
use crate::id::{InvalidValue, UnitCode};
use crate::org::{Actor, Role};
use chrono::{Datelike, NaiveDate};

type Decision = Result<Vec<TaskEvent>, Refusal>;

const TITLE_MAX: usize = 100;
const TEXT_MAX: usize = 2000;
const NOTE_MAX: usize = 1000;

fn invalid(field: &'static str, rule: &'static str) -> Refusal {
    Refusal::Invalid(InvalidValue { field, rule })
}

/// Who sees every task: the 督查室's inspectors, district leaders and administrators.
pub fn sees_all(actor: &Actor) -> bool {
    actor.has_any_role(&[Role::Inspector, Role::Leader])
}

fn inspector(ctx: &Context<'_>, action: &'static str) -> Result<(), Refusal> {
    if ctx.actor.has_role(Role::Inspector) {
        Ok(())
    } else {
        Err(Refusal::Forbidden { action, why: "只有督查室可以执行" })
    }
}

/// The actor is a handler or leader of the task's lead unit.
fn lead(ctx: &Context<'_>, action: &'static str, t: &Task) -> Result<(), Refusal> {
    match ctx.actor.unit() {
        Some(u) if t.lead.as_ref() == Some(u) => {}
        _ => return Err(Refusal::Forbidden { action, why: "只有牵头单位可以执行" }),
    }
    if !ctx.actor.has_any_role(&[Role::Handler, Role::UnitLeader]) {
        return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
    }
    Ok(())
}

fn task_type<'c>(ctx: &'c Context<'_>, code: &str) -> Result<&'c TaskType, Refusal> {
    ctx.limits.task.get(code).ok_or_else(|| Refusal::rule("unknown_task_type", format!("任务类型 {code} 不存在")))
}

/// A unit that can answer for a task: any but a grid (an area, not an office). The
/// 12345 centre may lead a commitment about its own service.
fn handling_unit(ctx: &Context<'_>, code: &UnitCode) -> Result<(), Refusal> {
    let u = ctx.org.get(code).ok_or_else(|| Refusal::UnknownUnit(code.clone()))?;
    if u.kind == crate::org::UnitKind::Grid {
        return Err(Refusal::UnitCannotHandle(code.clone()));
    }
    Ok(())
}

fn start(ctx: &Context<'_>, kind: TaskClock, budget: Budget) -> Clock {
    Clock::start(kind, budget, ctx.now, ctx.calendar, ctx.limits.warn_ratio)
}

/// Decides 立项 and 交办: the events that open a task and hand it to its lead unit.
pub fn open(n: &NewTask, ctx: &Context<'_>) -> Decision {
    inspector(ctx, "open")?;
    let title = text("title", &n.title, TITLE_MAX)?;
    let tt = task_type(ctx, &n.task_type)?;
    let mut target = n.target.clone();
    target.value = decimal(&target.value)?;
    target.unit = text("target.unit", &target.unit, 20)?;
    target.what = text("target.what", &target.what, 100)?;
    target.source = text("target.source", &target.source, TEXT_MAX)?;
    handling_unit(ctx, &n.lead)?;
    if n.co_units.len() > 10 {
        return Err(invalid("co_units", "配合单位最多 10 个"));
    }
    for (i, u) in n.co_units.iter().enumerate() {
        handling_unit(ctx, u)?;
        if *u == n.lead || n.co_units[..i].contains(u) {
            return Err(invalid("co_units", "配合单位不能重复，也不能是牵头单位"));
        }
    }
    let today = crate::calendar::civil_date(ctx.now);
    // A type with a limit of its own is due then; a year's target by the year's end.
    let deadline = match (n.deadline, tt.complete) {
        (Some(d), _) => d,
        (None, Some(b)) => crate::calendar::civil_date(b.due(ctx.calendar, ctx.now)),
        (None, None) => NaiveDate::from_ymd_opt(today.year(), 12, 31).expect("a valid date"),
    };
    if deadline < today || deadline > today + chrono::Duration::days(5 * 366) {
        return Err(invalid("deadline", "完成时限应在今天至五年之内"));
    }
    let mut last = (today - chrono::Duration::days(1), 0.0);
    for m in &n.milestones {
        if !(m.share > 0.0 && m.share <= 1.0) || m.share < last.1 {
            return Err(invalid("milestones", "节点进度应在 0 至 100% 之间，逐个不减"));
        }
        if m.date <= last.0 || m.date > deadline {
            return Err(invalid("milestones", "节点日期应逐个在后，且不晚于完成时限"));
        }
        last = (m.date, m.share);
    }
    if n.milestones.len() > 24 {
        return Err(invalid("milestones", "节点最多 24 个"));
    }
    let document = opt_text("document", &n.document, 200)?;
    let complete = Clock::until(TaskClock::Complete, ctx.now, end_of(deadline), ctx.limits.warn_ratio);
    Ok(vec![
        TaskEvent::Opened {
            title,
            task_type: tt.code.clone(),
            target,
            deadline,
            milestones: n.milestones.clone(),
            sum_co_units: n.sum_co_units,
            leader: n.leader.clone(),
            document,
        },
        TaskEvent::Assigned {
            lead: n.lead.clone(),
            co_units: n.co_units.clone(),
            sign_clock: start(ctx, TaskClock::SignFor, tt.sign_for),
            complete_clock: complete,
        },
    ])
}

/// A target's value: a plain decimal, positive (or zero, for a ceiling of 0).
fn decimal(v: &str) -> Result<String, Refusal> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 20
        && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        && v.chars().filter(|c| *c == '.').count() <= 1
        && !v.starts_with('.')
        && !v.ends_with('.');
    if ok && v.parse::<f64>().is_ok_and(f64::is_finite) {
        Ok(v.to_owned())
    } else {
        Err(invalid("target.value", "目标值应为数字，如 8000 或 1.1"))
    }
}

fn expect_status(action: &'static str, t: &Task, allowed: &[TaskStatus]) -> Result<(), Refusal> {
    if allowed.contains(&t.status) {
        Ok(())
    } else {
        Err(Refusal::TransitionNotAllowed { action, status: t.status.label() })
    }
}

/// Decides a command on an existing task.
pub fn decide(t: &Task, cmd: &Command, ctx: &Context<'_>) -> Decision {
    use TaskStatus::*;
    let action = cmd.name();
    if !t.is_open() {
        return Err(Refusal::CaseClosed("任务已销号或结项"));
    }
    let tt = task_type(ctx, &t.task_type)?;
    match cmd {
        Command::SignFor => {
            lead(ctx, action, t)?;
            expect_status(action, t, &[Assigned])?;
            Ok(vec![TaskEvent::SignedFor { report_clock: start(ctx, TaskClock::FirstReport, tt.first_report) }])
        }
        Command::Report { achieved, text: body, evidence } => {
            let Some(unit) = ctx.actor.unit() else {
                return Err(Refusal::Forbidden { action, why: "只有牵头单位和配合单位可以报告进度" });
            };
            let is_lead = t.lead.as_ref() == Some(unit);
            if !is_lead && !t.co_units.iter().any(|(u, _)| u == unit) {
                return Err(Refusal::Forbidden { action, why: "只有牵头单位和配合单位可以报告进度" });
            }
            if !ctx.actor.has_any_role(&[Role::Handler, Role::UnitLeader]) {
                return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
            }
            expect_status(action, t, &[Underway, Overdue])?;
            if is_lead && achieved.is_none() {
                return Err(invalid("achieved", "牵头单位应填报目前完成的数值"));
            }
            if achieved.is_some_and(|a| !(0.0..=1e15).contains(&a)) {
                return Err(invalid("achieved", "完成数值应为不小于 0 的数字"));
            }
            if evidence.len() > 10 {
                return Err(invalid("evidence", "佐证材料最多 10 个"));
            }
            for e in evidence {
                text("evidence", e, 300)?;
            }
            if t.pending_reports().any(|r| &r.unit == unit) {
                return Err(Refusal::rule("report_pending", "本单位已有待审核的进度报告"));
            }
            Ok(vec![TaskEvent::Reported {
                unit: unit.clone(),
                achieved: *achieved,
                text: text("text", body, TEXT_MAX)?,
                evidence: evidence.clone(),
            }])
        }
        Command::Review { report, accept, note } => {
            inspector(ctx, action)?;
            let Some(r) = t.reports.iter().find(|r| r.seq == *report) else {
                return Err(Refusal::rule("unknown_report", format!("没有第 {report} 号进度报告")));
            };
            if !r.pending() {
                return Err(Refusal::AlreadyDone("该进度报告已审核"));
            }
            let note = opt_text("note", note, NOTE_MAX)?;
            if !accept && note.is_none() {
                return Err(invalid("note", "退回时应写明理由"));
            }
            // The light as it stands once the review is recorded.
            let mut after = t.clone();
            if let Some(r) = after.reports.iter_mut().find(|r| r.seq == *report) {
                r.review = Some(super::state::Review { accepted: *accept, note: note.clone(), at: ctx.now });
            }
            Ok(vec![TaskEvent::ReportReviewed {
                report: *report,
                accepted: *accept,
                note,
                light: light(&after, ctx.now),
            }])
        }
        Command::RequestExtension { deadline, reason } => {
            lead(ctx, action, t)?;
            expect_status(action, t, &[Assigned, Underway])?;
            if t.extension.is_some() {
                return Err(Refusal::rule("extension_pending", "已有待审批的延期申请"));
            }
            // Extensions must be asked for before the deadline.
            if ctx.now >= t.due() {
                return Err(Refusal::DeadlinePassed { due: t.due() });
            }
            if *deadline <= t.deadline || *deadline > t.deadline + chrono::Duration::days(366) {
                return Err(invalid("deadline", "延期后的时限应晚于现时限，且不超过一年"));
            }
            Ok(vec![TaskEvent::ExtensionRequested { deadline: *deadline, reason: text("reason", reason, NOTE_MAX)? }])
        }
        Command::DecideExtension { approve, note } => {
            inspector(ctx, action)?;
            let Some(ext) = &t.extension else {
                return Err(Refusal::rule("no_extension_pending", "没有待审批的延期申请"));
            };
            let clock = t
                .clock(TaskClock::Complete)
                .copied()
                .unwrap_or_else(|| Clock::until(TaskClock::Complete, t.start(), t.due(), ctx.limits.warn_ratio));
            Ok(vec![TaskEvent::ExtensionDecided {
                approved: *approve,
                note: opt_text("note", note, NOTE_MAX)?,
                deadline: approve.then_some(ext.deadline),
                complete_clock: approve.then(|| clock.moved_to(end_of(ext.deadline), ctx.limits.warn_ratio)),
            }])
        }
        Command::IssueNotice { note } => {
            inspector(ctx, action)?;
            if t.open_notice().is_some() {
                return Err(Refusal::rule("notice_open", "已有未回复的督办通知"));
            }
            Ok(vec![TaskEvent::NoticeIssued {
                note: text("note", note, NOTE_MAX)?,
                reply_clock: start(ctx, TaskClock::NoticeReply, tt.notice_reply),
            }])
        }
        Command::AnswerNotice { text: body } => {
            lead(ctx, action, t)?;
            if t.open_notice().is_none() {
                return Err(Refusal::rule("no_notice", "没有待回复的督办通知"));
            }
            Ok(vec![TaskEvent::NoticeAnswered { text: text("text", body, TEXT_MAX)? }])
        }
        Command::Close { note } => {
            inspector(ctx, action)?;
            if t.pending_reports().next().is_some() {
                return Err(Refusal::rule("report_pending", "还有待审核的进度报告，请先审核"));
            }
            let Some((grade, on_time)) = grade(t) else {
                return Err(Refusal::rule(
                    "target_not_met",
                    "目标尚未完成，或完成目标的进度报告没有佐证材料，不能销号",
                ));
            };
            Ok(vec![TaskEvent::Closed { grade, on_time, note: opt_text("note", note, NOTE_MAX)? }])
        }
        Command::Conclude { note } => {
            inspector(ctx, action)?;
            if ctx.now < t.due() {
                return Err(Refusal::rule("not_yet_due", "完成时限未到，不能结项"));
            }
            if t.met() {
                return Err(Refusal::rule("target_met", "目标已完成，请销号"));
            }
            Ok(vec![TaskEvent::Concluded { note: text("note", note, NOTE_MAX)? }])
        }
    }
}

/// What the scheduler records at `ctx.now`: each running clock turning yellow or red;
/// an unanswered notice whose reply time ran out going up a level (with a new reply
/// clock); and the light as it stands, with a 督办通知 when it turns red and none is
/// open.
pub fn alarms(t: &Task, ctx: &Context<'_>) -> Vec<TaskEvent> {
    let mut out = vec![];
    if !t.is_open() {
        return out;
    }
    let Ok(tt) = task_type(ctx, &t.task_type) else { return out };
    let now = ctx.now;
    for c in &t.clocks {
        match (c.stage, c.stage_at(now)) {
            (Stage::Green, Stage::Yellow) => out.push(TaskEvent::ClockWarned { clock: c.kind, due: c.due }),
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(TaskEvent::ClockOverdue { clock: c.kind, due: c.due });
                if c.kind == TaskClock::NoticeReply
                    && let Some(next) = t.open_notice().and_then(|n| n.level.next())
                {
                    out.push(TaskEvent::NoticeEscalated {
                        level: next,
                        reply_clock: start(ctx, TaskClock::NoticeReply, tt.escalate_after),
                    });
                }
            }
            _ => {}
        }
    }
    let now_light = light(t, now);
    if now_light != t.light {
        out.push(TaskEvent::LightChanged { light: now_light });
        if now_light == Light::Red && t.open_notice().is_none() {
            let note = format!(
                "系统自动督办：任务“{}”亮红灯（{}），请牵头单位在回复时限内书面说明原因和整改措施。",
                t.title,
                if now >= t.due() { "逾期未完成" } else { "进度滞后" }
            );
            out.push(TaskEvent::NoticeIssued {
                note,
                reply_clock: start(ctx, TaskClock::NoticeReply, tt.notice_reply),
            });
        }
    }
    out
}
