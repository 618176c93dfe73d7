//! The task as a kind of case: what it shows the engine.

use super::command::Command;
use super::event::{TaskEnvelope, TaskEvent};
use super::state::{Task, evolve};
use crate::case::{Context, Fact, Header, Kind, Projection, Refusal};
use crate::id::{CaseId, Username};
use crate::measure::month_of;
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The task (督办任务), as the engine knows it.
pub struct TaskKind;

/// A task's own columns, beside the header every case has: what the commitments
/// board and the queues show and filter by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDetail {
    pub year: i32,
    pub what: String,
    pub value: String,
    pub unit: String,
    pub direction: super::Direction,
    /// The accepted value so far.
    pub achieved: Option<f64>,
    /// Its share of the target (0 to 1 and beyond).
    pub progress: Option<f64>,
    pub light: super::Light,
    pub deadline: chrono::NaiveDate,
    /// A report waits for an inspector.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review: bool,
    /// How far an unanswered 督办通知 has gone up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated: Option<super::Escalation>,
    /// The district leader in charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<Username>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<super::Grade>,
}

impl TaskDetail {
    pub fn of(t: &Task) -> TaskDetail {
        let achieved = t.achieved();
        TaskDetail {
            year: chrono::Datelike::year(&t.original_deadline),
            what: t.target.what.clone(),
            value: t.target.value.clone(),
            unit: t.target.unit.clone(),
            direction: t.target.direction,
            progress: achieved.map(|a| t.target.progress(a)),
            achieved,
            light: t.light,
            deadline: t.deadline,
            review: t.pending_reports().next().is_some(),
            escalated: t.open_notice().map(|n| n.level).filter(|l| *l != super::Escalation::Unit),
            leader: t.leader.clone(),
            grade: t.grade,
        }
    }
}

impl Kind for TaskKind {
    const NAME: &'static str = "task";
    const PREFIX: &'static str = "DB";
    const LABEL: &'static str = "督办任务";
    type State = Task;
    type Event = TaskEvent;
    type Command = Command;

    fn event_name(e: &TaskEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &TaskEvent) -> bool {
        matches!(e, TaskEvent::Opened { .. })
    }
    fn evolve(state: Option<Task>, env: &TaskEnvelope) -> Option<Task> {
        evolve(state, env)
    }
    fn decide(state: &Task, command: &Command, ctx: &Context<'_>) -> Result<Vec<TaskEvent>, Refusal> {
        super::decide(state, command, ctx)
    }
    fn alarms(state: &Task, ctx: &Context<'_>) -> Vec<TaskEvent> {
        super::alarms(state, ctx)
    }
    fn id(state: &Task) -> &CaseId {
        &state.id
    }
    fn version(state: &Task) -> u32 {
        state.version
    }

    fn project(t: &Task) -> Projection {
        let mut access: Vec<_> = t.lead.iter().cloned().chain(t.co_units.iter().map(|(u, _)| u.clone())).collect();
        access.sort();
        access.dedup();
        let mut facts = vec![];
        // A task closed off (or concluded unmet) counts for its lead unit in the month
        // it ended: on time or not, and its grade.
        if let (Some(lead), Some(at), Some(grade)) = (&t.lead, t.closed_at, t.grade) {
            facts.push(Fact {
                unit: lead.clone(),
                month: month_of(at),
                name: "task_closed",
                flag: t.closed_on_time.unwrap_or(false),
                value: grade.as_str().to_owned(),
            });
        }
        // Each 督办通知 counts for the lead unit in the month it was issued: answered in
        // time or not.
        for n in t.notices.iter().filter(|_| t.lead.is_some()) {
            let lead = t.lead.as_ref().expect("filtered");
            facts.push(Fact {
                unit: lead.clone(),
                month: month_of(n.issued_at),
                name: "task_notice",
                flag: n.answered_in_time,
                value: n.level.as_str().to_owned(),
            });
        }
        let stage = t.light.stage().max(t.clock_stage());
        Projection {
            header: Header {
                status: t.status.as_str(),
                title: Some(t.title.clone()),
                unit: t.lead.clone(),
                category: Some(t.task_type.clone()),
                area: None,
                person: None,
                tracking_code: None,
                opened_at: t.opened_at,
                updated_at: t.updated_at,
                closed_at: t.closed_at,
                stage: if t.is_open() { stage } else { crate::deadline::Stage::Green },
                next_due: t.next_due(),
                next_due_working: crate::deadline::Clocks::next_due_working(&t.clocks),
                next_alarm: t.next_alarm(),
                version: t.version,
            },
            co_units: t.co_units.clone(),
            access,
            facts,
            volume: vec![
                ("status", t.status.as_str().to_owned()),
                ("light", t.light.as_str().to_owned()),
                ("category", t.task_type.clone()),
                ("unit", t.lead.as_ref().map(|u| u.to_string()).unwrap_or_default()),
            ],
            detail: serde_json::to_string(&TaskDetail::of(t)).expect("a task's detail serialises"),
            example: None,
        }
    }

    fn status_label(status: &str) -> &'static str {
        super::TaskStatus::parse(status).map(super::TaskStatus::label).unwrap_or("")
    }

    /// The title, what the target counts, its sentence, and every report's text.
    fn search_text(t: &Task) -> String {
        let mut s = format!("{} {} {} ", t.title, t.target.what, t.target.source);
        for r in &t.reports {
            s.push_str(&r.text);
            s.push(' ');
        }
        for n in &t.notices {
            s.push_str(n.answer.as_deref().unwrap_or(""));
            s.push(' ');
        }
        s
    }

    fn touches_text(e: &TaskEvent) -> bool {
        matches!(e, TaskEvent::Opened { .. } | TaskEvent::Reported { .. } | TaskEvent::NoticeAnswered { .. })
    }

    fn attachments(t: &Task) -> Vec<String> {
        t.reports.iter().flat_map(|r| r.evidence.iter().cloned()).collect()
    }

    fn sees_all(actor: &Actor) -> bool {
        super::sees_all(actor)
    }
}
