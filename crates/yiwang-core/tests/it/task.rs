//! The task (督办任务): its rules as tables, its traffic light and its grade, each
//! state reached by acting it out through `decide` and `evolve`.

use crate::fixture::{code_of, context, t};
use yiwang_core::Instant;
use yiwang_core::case::{Envelope, Refusal};
use yiwang_core::deadline::Stage;
use yiwang_core::id::{CaseId, InvalidValue, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::task::{
    self, Command, Direction, Escalation, Grade, Light, Milestone, NewTask, Target, Task, TaskClock, TaskEvent,
    TaskStatus,
};

fn staff(name: &str, unit: &str, kind: UnitKind, role: Role) -> Actor {
    Actor::Staff { username: Username::parse(name).unwrap(), unit: code_of(unit), unit_kind: kind, roles: vec![role] }
}
fn inspector() -> Actor {
    staff("inspector", "qu", UnitKind::District, Role::Inspector)
}
/// The lead unit's handler (城管委).
fn lead() -> Actor {
    staff("handler-a", "cgw", UnitKind::Department, Role::Handler)
}
/// A co-unit's handler (水务局).
fn co() -> Actor {
    staff("handler-b", "sw", UnitKind::Department, Role::Handler)
}
/// A unit not on the task (市场监管局).
fn outsider() -> Actor {
    staff("handler-c", "scj", UnitKind::Department, Role::Handler)
}

fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 改造老旧小区15个 by the end of 2026, led by 城管委 with 水务局.
fn new_task() -> NewTask {
    NewTask {
        title: "改造老旧小区15个".into(),
        task_type: "annual".into(),
        target: Target {
            value: "15".into(),
            unit: "个".into(),
            what: "老旧小区改造".into(),
            direction: Direction::AtLeast,
            source: "全年改造老旧小区15个，惠及居民4000户。".into(),
        },
        lead: code_of("cgw"),
        co_units: vec![code_of("sw")],
        deadline: Some(date("2026-12-31")),
        milestones: vec![],
        sum_co_units: false,
        leader: Some(Username::parse("leader").unwrap()),
        document: Some("2026年示例区政府工作报告".into()),
    }
}

/// A task acted out event by event.
struct Case {
    state: Task,
    seq: u32,
}

impl Case {
    fn open(n: &NewTask, at: Instant) -> Case {
        let actor = inspector();
        let events = task::open(n, &context(&actor, at)).expect("opens");
        let state = fold(None, 1, at, &actor, &events);
        Case { seq: state.version, state }
    }
    fn decide(&self, who: &Actor, cmd: &Command, at: Instant) -> Result<Vec<TaskEvent>, Refusal> {
        task::decide(&self.state, cmd, &context(who, at))
    }
    fn act(&mut self, who: &Actor, cmd: &Command, at: Instant) -> Vec<TaskEvent> {
        let events = self.decide(who, cmd, at).unwrap_or_else(|e| panic!("{cmd:?} refused: {e}"));
        self.record(who, &events, at);
        events
    }
    fn record(&mut self, who: &Actor, events: &[TaskEvent], at: Instant) {
        self.state = fold(Some(self.state.clone()), self.seq + 1, at, who, events);
        self.seq = self.state.version;
    }
    /// The scheduler at `at`.
    fn tick(&mut self, at: Instant) -> Vec<TaskEvent> {
        let events = task::alarms(&self.state, &context(&Actor::System, at));
        if !events.is_empty() {
            self.record(&Actor::System, &events, at);
        }
        events
    }
    fn report(&mut self, who: &Actor, achieved: Option<f64>, evidence: bool, at: Instant) -> u32 {
        let cmd = Command::Report {
            achieved,
            text: "按计划推进".into(),
            evidence: if evidence { vec!["现场照片.jpg".into()] } else { vec![] },
        };
        self.act(who, &cmd, at);
        self.seq
    }
    fn accept(&mut self, report: u32, at: Instant) {
        self.act(&inspector(), &Command::Review { report, accept: true, note: None }, at);
    }
}

fn fold(state: Option<Task>, first: u32, at: Instant, who: &Actor, events: &[TaskEvent]) -> Task {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("DB20260105000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = task::evolve(s, &env);
    }
    s.expect("a task")
}

fn signed() -> Case {
    let mut c = Case::open(&new_task(), t("2026-01-05 09:00"));
    c.act(&lead(), &Command::SignFor, t("2026-01-05 15:00"));
    c
}

fn names(events: &[TaskEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.name()).collect()
}

#[test]
fn only_an_inspector_opens_a_task_and_it_goes_to_its_lead_unit_at_once() {
    let at = t("2026-01-05 09:00");
    for who in [lead(), outsider(), staff("leader", "qu", UnitKind::District, Role::Leader)] {
        let got = task::open(&new_task(), &context(&who, at));
        assert!(matches!(got, Err(Refusal::Forbidden { .. })), "{who:?}: {got:?}");
    }
    let c = Case::open(&new_task(), at);
    assert_eq!(c.state.status, TaskStatus::Assigned);
    assert_eq!(c.state.lead, Some(code_of("cgw")));
    assert_eq!(c.state.co_units.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(), ["sw"]);
    // 1 working day to sign for it (13710): Tuesday 09:00.
    assert_eq!(c.state.clock(TaskClock::SignFor).unwrap().due, t("2026-01-06 09:00"));
    assert_eq!(c.state.clock(TaskClock::Complete).unwrap().due, t("2027-01-01 00:00"));
}

#[test]
fn a_task_without_a_deadline_is_due_by_its_types_limit_or_the_years_end() {
    let at = t("2026-03-02 09:00");
    let open = |task_type: &str| {
        let n = NewTask { task_type: task_type.into(), deadline: None, ..new_task() };
        Case::open(&n, at).state.deadline
    };
    assert_eq!(open("annual"), date("2026-12-31"));
    // 7 working days from Monday 2 March: Wednesday 11 March.
    assert_eq!(open("general"), date("2026-03-11"));
    // A month, rest days included.
    assert_eq!(open("major"), date("2026-04-01"));
}

#[test]
fn bad_tasks_are_refused_naming_the_field() {
    let at = t("2026-01-05 09:00");
    let field = |n: NewTask| match task::open(&n, &context(&inspector(), at)) {
        Err(Refusal::Invalid(InvalidValue { field, .. })) => field.to_owned(),
        Err(other) => other.code().to_owned(),
        Ok(_) => "accepted".into(),
    };
    let with_target = |f: &dyn Fn(&mut Target)| {
        let mut n = new_task();
        f(&mut n.target);
        n
    };
    let ms = |v: &[(&str, f64)]| v.iter().map(|(d, s)| Milestone { date: date(d), share: *s }).collect::<Vec<_>>();
    let table: Vec<(NewTask, &str)> = vec![
        (NewTask { title: " ".into(), ..new_task() }, "title"),
        (with_target(&|t| t.value = "十五".into()), "target.value"),
        (with_target(&|t| t.value = "1.2.3".into()), "target.value"),
        (with_target(&|t| t.value = "-3".into()), "target.value"),
        (with_target(&|t| t.unit = "".into()), "target.unit"),
        (NewTask { task_type: "weekly".into(), ..new_task() }, "unknown_task_type"),
        (NewTask { lead: code_of("nowhere"), ..new_task() }, "unknown_unit"),
        (NewTask { lead: code_of("wg"), ..new_task() }, "unit_cannot_handle"),
        (NewTask { co_units: vec![code_of("cgw")], ..new_task() }, "co_units"),
        (NewTask { co_units: vec![code_of("sw"), code_of("sw")], ..new_task() }, "co_units"),
        (NewTask { deadline: Some(date("2025-12-31")), ..new_task() }, "deadline"),
        (NewTask { milestones: ms(&[("2026-06-30", 0.5), ("2026-03-31", 0.25)]), ..new_task() }, "milestones"),
        (NewTask { milestones: ms(&[("2026-03-31", 0.5), ("2026-06-30", 0.25)]), ..new_task() }, "milestones"),
        (NewTask { milestones: ms(&[("2027-03-31", 0.5)]), ..new_task() }, "milestones"),
        (NewTask { milestones: ms(&[("2026-03-31", 1.5)]), ..new_task() }, "milestones"),
    ];
    for (n, want) in table {
        let what = format!("{n:?}");
        assert_eq!(field(n), want, "{what}");
    }
    assert_eq!(field(with_target(&|t| t.value = " 1.1 ".into())), "accepted");
}

#[test]
fn the_lead_unit_signs_for_it_and_reports_and_a_co_unit_reports_its_part() {
    let mut c = Case::open(&new_task(), t("2026-01-05 09:00"));
    let report = Command::Report { achieved: Some(3.0), text: "已启动3个小区".into(), evidence: vec![] };
    assert!(matches!(c.decide(&lead(), &report, t("2026-01-05 10:00")), Err(Refusal::TransitionNotAllowed { .. })));
    assert!(matches!(c.decide(&co(), &Command::SignFor, t("2026-01-05 10:00")), Err(Refusal::Forbidden { .. })));
    c.act(&lead(), &Command::SignFor, t("2026-01-05 15:00"));
    assert_eq!(c.state.status, TaskStatus::Underway);
    // Three working days to report back.
    assert_eq!(c.state.clock(TaskClock::FirstReport).unwrap().due, t("2026-01-08 15:00"));
    // The lead unit must give its value; a co-unit may not; an outsider may not report.
    let no_value = Command::Report { achieved: None, text: "推进中".into(), evidence: vec![] };
    let refused = c.decide(&lead(), &no_value, t("2026-01-06 09:00"));
    assert!(matches!(refused, Err(Refusal::Invalid(InvalidValue { field: "achieved", .. }))), "{refused:?}");
    assert!(c.decide(&co(), &no_value, t("2026-01-06 09:00")).is_ok());
    assert!(matches!(c.decide(&outsider(), &no_value, t("2026-01-06 09:00")), Err(Refusal::Forbidden { .. })));
    let first = c.report(&lead(), Some(3.0), false, t("2026-01-06 09:00"));
    assert_eq!(c.state.clock(TaskClock::FirstReport), None, "the first report answers the report-back node");
    // One report waits per unit.
    assert_eq!(c.decide(&lead(), &report, t("2026-01-06 10:00")).unwrap_err().code(), "report_pending");
    c.report(&co(), Some(2.0), false, t("2026-01-06 11:00"));
    assert_eq!(c.state.pending_reports().count(), 2);
    // Only an inspector reviews; a return needs its reason.
    let review = Command::Review { report: first, accept: false, note: None };
    assert!(matches!(c.decide(&lead(), &review, t("2026-01-07 09:00")), Err(Refusal::Forbidden { .. })));
    let err = c.decide(&inspector(), &review, t("2026-01-07 09:00")).unwrap_err();
    assert!(matches!(err, Refusal::Invalid(InvalidValue { field: "note", .. })), "{err:?}");
    c.accept(first, t("2026-01-07 09:00"));
    assert_eq!(
        c.decide(&inspector(), &Command::Review { report: first, accept: true, note: None }, t("2026-01-07 10:00"))
            .unwrap_err()
            .code(),
        "already_done"
    );
    // Only the lead unit's value counts (the task does not sum its co-units').
    assert_eq!(c.state.achieved(), Some(3.0));
}

#[test]
fn a_task_that_sums_counts_each_units_latest_accepted_value() {
    let mut c = Case::open(&NewTask { sum_co_units: true, ..new_task() }, t("2026-01-05 09:00"));
    c.act(&lead(), &Command::SignFor, t("2026-01-05 10:00"));
    let a = c.report(&lead(), Some(4.0), false, t("2026-02-01 09:00"));
    let b = c.report(&co(), Some(2.0), false, t("2026-02-01 10:00"));
    assert_eq!(c.state.achieved(), None, "nothing accepted yet");
    c.accept(a, t("2026-02-02 09:00"));
    c.accept(b, t("2026-02-02 09:00"));
    assert_eq!(c.state.achieved(), Some(6.0));
    let b2 = c.report(&co(), Some(5.0), false, t("2026-03-01 10:00"));
    c.accept(b2, t("2026-03-02 09:00"));
    assert_eq!(c.state.achieved(), Some(9.0), "a unit's later value replaces its earlier one");
}

/// The light's rule (`task::light`) as a table: linear time without milestones.
#[test]
fn the_light_compares_progress_with_the_time_gone() {
    // Handed over on 2026-01-01 00:00, due at the end of 2026-12-31: 365 days.
    let mut base = Case::open(&new_task(), t("2026-01-01 00:00"));
    base.act(&lead(), &Command::SignFor, t("2026-01-01 00:00"));
    let with = |achieved: Option<f64>| {
        let mut c = Case { state: base.state.clone(), seq: base.seq };
        if let Some(a) = achieved {
            let r = c.report(&lead(), Some(a), true, t("2026-01-02 09:00"));
            c.accept(r, t("2026-01-02 10:00"));
        }
        c.state
    };
    // (accepted value of 15, instant, light)
    let table = [
        (None, "2026-02-01 00:00", Light::Green),       // 8 % gone, 0 done: gap 0.08
        (None, "2026-03-01 00:00", Light::Yellow),      // 16 % gone: gap 0.16
        (None, "2026-05-01 00:00", Light::Red),         // 33 % gone: gap 0.33
        (Some(3.0), "2026-05-01 00:00", Light::Yellow), // 20 % done: gap 0.13
        (Some(6.0), "2026-05-01 00:00", Light::Green),  // 40 % done: ahead
        (Some(9.0), "2026-12-01 00:00", Light::Red),    // 60 % done at 92 %
        (Some(15.0), "2026-12-31 12:00", Light::Green), // met
        (Some(14.0), "2027-01-01 00:00", Light::Red),   // due, unmet
    ];
    for (achieved, at, want) in table {
        assert_eq!(task::light(&with(achieved), t(at)), want, "{achieved:?} at {at}");
    }
}

#[test]
fn milestones_set_the_expected_share_and_a_ceiling_is_red_once_over() {
    let ms = vec![
        Milestone { date: date("2026-03-31"), share: 0.25 },
        Milestone { date: date("2026-06-30"), share: 0.5 },
        Milestone { date: date("2026-09-30"), share: 0.75 },
        Milestone { date: date("2026-12-31"), share: 1.0 },
    ];
    let mut c = Case::open(&NewTask { milestones: ms, ..new_task() }, t("2026-01-01 00:00"));
    c.act(&lead(), &Command::SignFor, t("2026-01-01 09:00"));
    // Before the first milestone nothing is expected, however late in the quarter.
    assert_eq!(task::light(&c.state, t("2026-03-31 23:00")), Light::Green);
    // The first quarter's day has ended with nothing done: 25 % behind, yellow.
    assert_eq!(task::light(&c.state, t("2026-04-01 00:00")), Light::Yellow);
    assert_eq!(task::light(&c.state, t("2026-07-01 00:00")), Light::Red);
    let r = c.report(&lead(), Some(6.0), true, t("2026-06-20 09:00"));
    c.accept(r, t("2026-06-21 09:00"));
    assert_eq!(task::light(&c.state, t("2026-07-01 00:00")), Light::Green, "40 % done of 50 % expected: gap 0.10");
    let r = c.report(&lead(), Some(5.0), true, t("2026-06-25 09:00"));
    c.accept(r, t("2026-06-26 09:00"));
    assert_eq!(task::light(&c.state, t("2026-07-01 00:00")), Light::Yellow, "a third done of half expected");

    // 失业率控制在3.8%以内: a ceiling.
    let mut n = new_task();
    n.target = Target {
        value: "3.8".into(),
        unit: "%".into(),
        what: "城镇调查失业率".into(),
        direction: Direction::AtMost,
        source: "城镇调查失业率控制在3.8%以内。".into(),
    };
    let mut c = Case::open(&n, t("2026-01-01 00:00"));
    c.act(&lead(), &Command::SignFor, t("2026-01-01 09:00"));
    assert_eq!(task::light(&c.state, t("2026-06-01 00:00")), Light::Green);
    assert_eq!(task::light(&c.state, t("2026-08-01 00:00")), Light::Yellow, "half the year without a figure");
    let r = c.report(&lead(), Some(3.5), true, t("2026-08-02 09:00"));
    c.accept(r, t("2026-08-03 09:00"));
    assert_eq!(c.state.light, Light::Green, "under the ceiling: met");
    let r = c.report(&lead(), Some(4.1), true, t("2026-10-02 09:00"));
    c.accept(r, t("2026-10-03 09:00"));
    assert_eq!(c.state.light, Light::Red, "over the ceiling");
}

#[test]
fn the_scheduler_wakes_when_the_light_changes_and_a_red_task_gets_a_notice_that_escalates() {
    let mut c = signed();
    c.report(&lead(), Some(1.0), false, t("2026-01-06 09:00"));
    let r = c.seq;
    c.accept(r, t("2026-01-06 10:00"));
    assert_eq!(c.state.light, Light::Green);
    // Without milestones, 1 of 15 is 6.7 %: yellow once 16.7 % of the time has gone.
    let alarm = c.state.next_alarm().expect("an alarm");
    let yellow_at = t("2026-01-05 09:00") + (t("2027-01-01 00:00") - t("2026-01-05 09:00")) * 1667 / 10000;
    assert!((alarm - yellow_at).num_hours().abs() <= 1, "{alarm} vs {yellow_at}");
    assert_eq!(task::alarms(&c.state, &context(&Actor::System, alarm - chrono::Duration::minutes(1))), vec![]);
    assert_eq!(names(&c.tick(alarm)), ["light_changed"]);
    assert_eq!(c.state.light, Light::Yellow);
    // Red: the system issues a 督办通知 with 3 working days to answer.
    let red = c.state.next_alarm().unwrap();
    assert_eq!(names(&c.tick(red)), ["light_changed", "notice_issued"]);
    assert_eq!(c.state.light, Light::Red);
    let reply_due = c.state.clock(TaskClock::NoticeReply).unwrap().due;
    // Unanswered: up to the unit's leader, then the district leader in charge.
    let mut at = reply_due;
    let mut levels = vec![];
    for _ in 0..6 {
        let events = c.tick(at);
        for e in &events {
            if let TaskEvent::NoticeEscalated { level, .. } = e {
                levels.push(*level);
            }
        }
        match c.state.next_alarm() {
            Some(next) if next > at => at = next,
            _ => break,
        }
    }
    assert_eq!(levels, [Escalation::UnitLeader, Escalation::DistrictLeader]);
    assert_eq!(c.state.open_notice().unwrap().level, Escalation::DistrictLeader);
    // The lead unit answers; the notice closes, answered late.
    c.act(&lead(), &Command::AnswerNotice { text: "已调整施工计划，增派力量".into() }, at);
    assert!(c.state.open_notice().is_none());
    assert!(!c.state.notices[0].answered_in_time);
    assert_eq!(c.decide(&lead(), &Command::AnswerNotice { text: "再次".into() }, at).unwrap_err().code(), "no_notice");
}

#[test]
fn the_deadline_passing_unmet_makes_the_task_overdue() {
    let mut c = signed();
    let due = c.state.clock(TaskClock::Complete).unwrap().due;
    c.tick(due);
    assert_eq!(c.state.status, TaskStatus::Overdue);
    assert_eq!(c.state.clock(TaskClock::Complete).unwrap().stage, Stage::Red);
    assert_eq!(c.state.light, Light::Red);
    // Too late to ask for more time; an inspector concludes it.
    let ext = Command::RequestExtension { deadline: date("2027-03-31"), reason: "资金未到位".into() };
    assert_eq!(c.decide(&lead(), &ext, due).unwrap_err().code(), "transition_not_allowed");
    let conclude = Command::Conclude { note: "全年未完成".into() };
    assert!(matches!(c.decide(&lead(), &conclude, due), Err(Refusal::Forbidden { .. })));
    c.act(&inspector(), &conclude, due);
    assert_eq!((c.state.status, c.state.grade), (TaskStatus::Concluded, Some(Grade::Fail)));
    assert_eq!(c.decide(&lead(), &Command::SignFor, due).unwrap_err().code(), "case_closed");
}

#[test]
fn an_extension_is_asked_for_before_the_deadline_and_decided_by_an_inspector() {
    let mut c = signed();
    let ext = Command::RequestExtension { deadline: date("2027-03-31"), reason: "冬季不宜施工".into() };
    let late = c.decide(&lead(), &ext, t("2027-01-01 00:00"));
    assert!(matches!(late, Err(Refusal::DeadlinePassed { .. })), "{late:?}");
    let earlier = Command::RequestExtension { deadline: date("2026-11-30"), reason: "提前".into() };
    assert!(matches!(c.decide(&lead(), &earlier, t("2026-10-01 09:00")), Err(Refusal::Invalid(_))));
    c.act(&lead(), &ext, t("2026-10-01 09:00"));
    assert_eq!(c.decide(&lead(), &ext, t("2026-10-02 09:00")).unwrap_err().code(), "extension_pending");
    let approve = Command::DecideExtension { approve: true, note: None };
    assert!(matches!(c.decide(&lead(), &approve, t("2026-10-03 09:00")), Err(Refusal::Forbidden { .. })));
    c.act(&inspector(), &approve, t("2026-10-03 09:00"));
    assert_eq!(c.state.deadline, date("2027-03-31"));
    assert_eq!(c.state.original_deadline, date("2026-12-31"));
    assert_eq!(c.state.clock(TaskClock::Complete).unwrap().due, t("2027-04-01 00:00"));
}

/// The grade's rule (`task::grade`) as a table: met, on time, with evidence.
#[test]
fn the_grade_follows_the_rule_and_a_task_is_closed_only_when_met_with_evidence() {
    let close = Command::Close { note: None };
    // Met on time, no extension, no notice: 优秀.
    let mut c = signed();
    let r = c.report(&lead(), Some(15.0), true, t("2026-11-20 09:00"));
    assert_eq!(c.decide(&inspector(), &close, t("2026-11-20 10:00")).unwrap_err().code(), "report_pending");
    c.accept(r, t("2026-11-21 09:00"));
    assert!(matches!(c.decide(&lead(), &close, t("2026-11-21 10:00")), Err(Refusal::Forbidden { .. })));
    c.act(&inspector(), &close, t("2026-11-21 10:00"));
    assert_eq!(
        (c.state.status, c.state.grade, c.state.closed_on_time),
        (TaskStatus::Closed, Some(Grade::Excellent), Some(true))
    );

    // Not met, or met without evidence: no 销号.
    let mut c = signed();
    let r = c.report(&lead(), Some(12.0), true, t("2026-11-20 09:00"));
    c.accept(r, t("2026-11-21 09:00"));
    assert_eq!(c.decide(&inspector(), &close, t("2026-11-21 10:00")).unwrap_err().code(), "target_not_met");
    let r = c.report(&lead(), Some(15.0), false, t("2026-11-25 09:00"));
    c.accept(r, t("2026-11-26 09:00"));
    assert_eq!(c.decide(&inspector(), &close, t("2026-11-26 10:00")).unwrap_err().code(), "target_not_met");

    // Met on time after an extension: 良好.
    let mut c = signed();
    c.act(
        &lead(),
        &Command::RequestExtension { deadline: date("2027-02-28"), reason: "工期调整".into() },
        t("2026-10-01 09:00"),
    );
    c.act(&inspector(), &Command::DecideExtension { approve: true, note: None }, t("2026-10-02 09:00"));
    let r = c.report(&lead(), Some(15.0), true, t("2027-02-01 09:00"));
    c.accept(r, t("2027-02-02 09:00"));
    c.act(&inspector(), &close, t("2027-02-02 10:00"));
    assert_eq!(c.state.grade, Some(Grade::Good));

    // Met after a 督办通知: 良好. Met after the deadline: 合格.
    let mut c = signed();
    c.act(&inspector(), &Command::IssueNotice { note: "请加快进度".into() }, t("2026-06-01 09:00"));
    let r = c.report(&lead(), Some(15.0), true, t("2026-11-01 09:00"));
    c.accept(r, t("2026-11-02 09:00"));
    assert_eq!(task::grade(&c.state), Some((Grade::Good, true)));
    let mut c = signed();
    c.tick(t("2027-01-01 00:00"));
    let r = c.report(&lead(), Some(15.0), true, t("2027-01-10 09:00"));
    c.accept(r, t("2027-01-11 09:00"));
    assert_eq!(task::grade(&c.state), Some((Grade::Pass, false)));
    c.act(&inspector(), &close, t("2027-01-11 10:00"));
    assert_eq!((c.state.status, c.state.grade), (TaskStatus::Closed, Some(Grade::Pass)));
}

#[test]
fn a_missed_milestone_costs_the_top_grade_even_when_met_on_time() {
    let ms =
        vec![Milestone { date: date("2026-06-30"), share: 0.5 }, Milestone { date: date("2026-12-31"), share: 1.0 }];
    let mut c = Case::open(&NewTask { milestones: ms, ..new_task() }, t("2026-01-05 09:00"));
    c.act(&lead(), &Command::SignFor, t("2026-01-05 10:00"));
    let r = c.report(&lead(), Some(5.0), true, t("2026-06-29 09:00"));
    c.accept(r, t("2026-07-05 09:00"));
    let r = c.report(&lead(), Some(15.0), true, t("2026-12-01 09:00"));
    c.accept(r, t("2026-12-02 09:00"));
    assert_eq!(task::grade(&c.state), Some((Grade::Good, true)), "5 of 15 by 30 June, 50 % due");
}
