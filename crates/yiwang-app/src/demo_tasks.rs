//! The demo's 督查督办: 云溪区's own work report for the year (`data/demo/work-report.txt`,
//! written for the demo), its targets read out by the extractor as an inspector would,
//! each handed to the unit the demo's rules name (`data/demo/task-units.json`), and a
//! year of progress walked through: tasks met and closed off (销号), on track, behind,
//! stalled with a 督办通知 that went up unanswered, one extended, one small task past
//! its deadline.

use crate::{App, AppError, ManualClock, Result};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use yiwang_core::Instant;
use yiwang_core::calendar::{civil_date, day_start};
use yiwang_core::id::{UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::task::{Command, Direction, Milestone, NewTask, Target, TaskKind};

const WORK_REPORT: &str = include_str!("../../../data/demo/work-report.txt");
const TASK_UNITS: &str = include_str!("../../../data/demo/task-units.json");

/// The demo's rule for who leads a target: the first rule whose keyword what the
/// target counts holds, else its sentence (a rule without keywords takes the rest).
#[derive(Deserialize)]
struct Rule {
    keywords: Vec<String>,
    lead: UnitCode,
    co_units: Vec<UnitCode>,
}

/// The work report of `year`, with the years filled in.
pub fn work_report(year: i32) -> String {
    WORK_REPORT.replace("{Y}", &year.to_string()).replace("{Y1}", &(year - 1).to_string())
}

fn staff(username: &str, unit: &UnitCode, kind: UnitKind, roles: &[Role]) -> Actor {
    Actor::Staff {
        username: Username::parse(username).expect("demo usernames are valid"),
        unit: unit.clone(),
        unit_kind: kind,
        roles: roles.to_vec(),
    }
}

/// How a task's year goes in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pace {
    /// Met early, reviewed and closed off.
    Done,
    OnTrack,
    Behind,
    /// Hardly moves: red, noticed, escalated.
    Stalled,
}

/// Opens the tasks of the year's report on `sim` (whose clock is `clock`) and walks
/// them to `end`. Returns how many tasks were opened.
pub(crate) fn seed(sim: &App, clock: &ManualClock, end: Instant) -> Result<usize> {
    let rules: Vec<Rule> = serde_json::from_str(TASK_UNITS).map_err(|e| AppError::Internal(e.to_string()))?;
    let r = sim.reference();
    let unit_kind = |u: &UnitCode| r.org.get(u).map(|x| x.kind).unwrap_or(UnitKind::Department);
    let dcs = UnitCode::parse("dcs").expect("valid");
    let inspector = staff("inspector1", &dcs, UnitKind::Department, &[Role::Inspector]);
    let handler = |u: &UnitCode| -> Actor {
        let (name, role) = if unit_kind(u) == UnitKind::Centre {
            ("centre-leader".to_owned(), Role::UnitLeader)
        } else {
            (format!("{u}-handler"), Role::Handler)
        };
        staff(&name, u, unit_kind(u), &[role])
    };

    // The report of the year that began at least five months ago, opened mid-January.
    let year = civil_date(end - Duration::days(150)).year();
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).expect("a valid date");
    let at = |d: NaiveDate, hour: i64| day_start(d) + Duration::hours(hour);
    let opened = at(date(1, 15), 10).min(end - Duration::days(30));
    clock.set(opened);
    let text = work_report(year);
    let proposals = sim.propose_targets(&inspector, &text)?;
    if proposals.is_empty() {
        return Err(AppError::Internal("the demo work report gave no targets".into()));
    }
    let year_end = date(12, 31);
    let quarterly = |d: Direction| -> Vec<Milestone> {
        if d == Direction::AtMost {
            return vec![];
        }
        [(3, 31, 0.25), (6, 30, 0.5), (9, 30, 0.75), (12, 31, 1.0)]
            .into_iter()
            .map(|(m, day, share)| Milestone { date: date(m, day), share })
            .filter(|m| m.date > civil_date(opened))
            .collect()
    };
    let leaders = ["leader1", "leader2"];
    let tasks: Vec<NewTask> = proposals
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // What the target counts decides first; its sentence (which may hold
            // several targets of several units) only when that names no unit.
            let matching = |words: &str| {
                rules.iter().find(|r| !r.keywords.is_empty() && r.keywords.iter().any(|k| words.contains(k.as_str())))
            };
            let rule = matching(&p.what)
                .or_else(|| matching(&p.sentence))
                .or_else(|| rules.iter().find(|r| r.keywords.is_empty()))
                .expect("the last rule takes the rest");
            NewTask {
                title: p.title.clone(),
                task_type: "annual".into(),
                target: Target {
                    value: p.value.clone(),
                    unit: p.unit.clone(),
                    what: p.what.clone(),
                    direction: p.direction,
                    source: p.sentence.clone(),
                },
                lead: rule.lead.clone(),
                co_units: rule.co_units.clone(),
                deadline: Some(year_end),
                milestones: quarterly(p.direction),
                sum_co_units: false,
                leader: Username::parse(leaders[i % 2]).ok(),
                document: Some(format!("云溪区{year}年政府工作报告")),
            }
        })
        .collect();
    let ids = sim.open_tasks(&inspector, &tasks)?;
    let n = ids.len();

    // Every unit signs for its tasks within a day or two; a few late.
    for (i, (id, t)) in ids.iter().zip(&tasks).enumerate() {
        clock.set(opened + Duration::hours(if i % 9 == 4 { 40 } else { 3 + (i % 5) as i64 }));
        sim.act_on_task(&handler(&t.lead), id, &Command::SignFor)?;
    }
    let pace = |i: usize| match i % 10 {
        0 | 3 | 7 => Pace::Done,
        1 | 4 | 8 | 9 => Pace::OnTrack,
        2 | 5 => Pace::Behind,
        _ => Pace::Stalled,
    };
    // Month by month to `end`: each lead unit reports at the month's end (a stalled
    // task every other month), the 督查室 reviews a few days later, and the scheduler
    // runs in between.
    let mut month = civil_date(opened).month() + 1;
    let mut extended = false;
    while month <= 12 {
        let report_at = at(date(month, 1), 9) - Duration::days(2);
        if report_at >= end {
            break;
        }
        // Some seven months in, one behind task asks for more time, which is granted.
        if !extended && report_at >= opened + Duration::days(200) {
            extended = true;
            let behind = ids.iter().zip(&tasks).enumerate().find(|(i, _)| pace(*i) == Pace::Behind);
            if let Some((_, (id, t))) = behind {
                clock.set(report_at - Duration::days(1));
                let ask = Command::RequestExtension {
                    deadline: date(12, 31) + Duration::days(59),
                    reason: "受汛期影响，施工窗口期缩短".into(),
                };
                sim.act_on_task(&handler(&t.lead), id, &ask)?;
                clock.set(report_at - Duration::hours(20));
                sim.act_on_task(
                    &inspector,
                    id,
                    &Command::DecideExtension { approve: true, note: Some("同意延期".into()) },
                )?;
            }
        }
        clock.set(report_at);
        sim.tick()?;
        let gone = ((report_at - opened).num_days() as f64 / (day_start(year_end) - opened).num_days() as f64).min(1.0);
        for (i, (id, t)) in ids.iter().zip(&tasks).enumerate() {
            let task = sim.load_as::<TaskKind>(id)?;
            if !task.is_open() || (pace(i) == Pace::Stalled && month % 2 == 1) {
                continue;
            }
            let share = match pace(i) {
                Pace::Done => (gone * 1.6).min(1.0),
                Pace::OnTrack => gone * (0.95 + (i % 3) as f64 * 0.05),
                Pace::Behind => gone * 0.7,
                Pace::Stalled => gone * 0.25,
            };
            let achieved = achieved_value(&t.target, share);
            // Paper evidence, described (the demo ships no files).
            let evidence =
                vec![format!("{month}月进度台账（纸质，已报督查室）"), format!("{month}月现场照片（已存档）")];
            let text = if share >= 1.0 {
                format!("{}已全面完成，相关佐证材料已上传。", t.target.what)
            } else {
                format!(
                    "截至{}月底，{}累计完成{}{}，正按计划推进。",
                    month - 1,
                    t.target.what,
                    fmt(achieved),
                    t.target.unit
                )
            };
            sim.act_on_task(&handler(&t.lead), id, &Command::Report { achieved: Some(achieved), text, evidence })?;
            // A co-unit reports its part now and then.
            if let Some(co) = t.co_units.first().filter(|_| i % 3 == 0) {
                sim.act_on_task(
                    &handler(co),
                    id,
                    &Command::Report {
                        achieved: None,
                        text: "本单位配合完成相关工作，情况已报牵头单位。".into(),
                        evidence: vec![],
                    },
                )?;
            }
        }
        let review_at = report_at + Duration::days(3);
        if review_at >= end {
            break;
        }
        clock.set(review_at);
        for id in &ids {
            let task = sim.load_as::<TaskKind>(id)?;
            let pending: Vec<u32> = task.pending_reports().map(|r| r.seq).collect();
            for seq in pending {
                sim.act_on_task(&inspector, id, &Command::Review { report: seq, accept: true, note: None })?;
            }
            let task = sim.load_as::<TaskKind>(id)?;
            if task.met() && task.is_open() {
                sim.act_on_task(&inspector, id, &Command::Close { note: Some("经审核，目标已完成，予以销号".into()) })?;
            }
        }
        month += 1;
    }
    // A notice answered in time by one stalled task's unit; the others' go up.
    clock.set(end);
    sim.tick()?;
    if let Some((id, t)) = ids.iter().zip(&tasks).enumerate().find(|(i, _)| pace(*i) == Pace::Stalled).map(|(_, x)| x)
        && sim.load_as::<TaskKind>(id)?.open_notice().is_some()
    {
        sim.act_on_task(
            &handler(&t.lead),
            id,
            &Command::AnswerNotice {
                text: "已召开专题会议，调整推进计划，下月起每周报送进展。".into()
            },
        )?;
    }
    // A small task handed over in the last weeks, already past its seven working days.
    let small_opened = end - Duration::days(20);
    if small_opened > opened {
        clock.set(small_opened);
        let cgw = UnitCode::parse("cgw").expect("valid");
        let small = NewTask {
            title: "整治湖畔路沿线占道经营点位6处".into(),
            task_type: "general".into(),
            target: Target {
                value: "6".into(),
                unit: "处".into(),
                what: "占道经营点位整治".into(),
                direction: Direction::AtLeast,
                source: "区政府常务会议议定：两周内完成湖畔路沿线6处占道经营点位整治。".into(),
            },
            lead: cgw.clone(),
            co_units: vec![UnitCode::parse("st-wh").expect("valid")],
            deadline: None,
            milestones: vec![],
            sum_co_units: false,
            leader: Username::parse("leader2").ok(),
            document: Some("区政府常务会议纪要".into()),
        };
        let ids = sim.open_tasks(&inspector, &[small])?;
        clock.set(small_opened + Duration::hours(5));
        sim.act_on_task(&handler(&cgw), &ids[0], &Command::SignFor)?;
        clock.set(small_opened + Duration::days(6));
        sim.act_on_task(
            &handler(&cgw),
            &ids[0],
            &Command::Report {
                achieved: Some(2.0),
                text: "已整治2处，其余4处正在协调。".into(),
                evidence: vec!["整治前后对比照片（已存档）".into()],
            },
        )?;
        clock.set(end);
        sim.tick()?;
    }
    Ok(n + 1)
}

/// The value a share of the target makes, as a unit would report it.
fn achieved_value(t: &Target, share: f64) -> f64 {
    let v = t.amount();
    let raw = match t.direction {
        // A ceiling reports where it stands: under it, a little more so as the year goes.
        Direction::AtMost => v * (0.97 - 0.02 * share),
        _ => v * share,
    };
    // Whole units for counts of whole things, one decimal for rates, shares and
    // amounts written with a decimal or in 万/亿.
    let fractional =
        t.unit.contains('%') || t.unit.contains("百分点") || t.value.contains('.') || t.unit.starts_with(['万', '亿']);
    if fractional { (raw * 10.0).round() / 10.0 } else { raw.round() }
}

fn fmt(x: f64) -> String {
    if x.fract() == 0.0 { format!("{x:.0}") } else { format!("{x:.1}") }
}
