//! Every rule of a bundle: which parts the answers choose, what opening checks (every
//! chosen part must be fileable as it will be filed), how a part's end moves the
//! whole, §42 para 2's extension, and what the clocks do when time passes. Nothing
//! here reads the clock or the database.

use super::event::{BundleEvent, ChosenPart};
use super::state::{Bundle, BundleStatus};
use super::{BundleClock, BundleDef, Clock, Command, JOINT_DAYS, JOINT_EXTENSION_DAYS_MAX, NewBundle, PartDef};
use super::{PartOutcome, RefusalRule};
use crate::application::{self, Application, ApplicationStatus, Channel, NewApplication, PartOf, Service};
use crate::case::{Context, Refusal, opt_text, text};
use crate::deadline::{Budget, Clocks, Stage};
use crate::id::CaseId;
use crate::org::{Actor, Role};
use std::collections::BTreeMap;

type Decision = Result<Vec<BundleEvent>, Refusal>;

const REASON_MAX: usize = 500;

/// Who sees every bundle: district leaders. The window that registered one and the
/// departments of its parts see it.
pub fn sees_all(actor: &Actor) -> bool {
    actor.has_role(Role::Leader)
}

fn clock(ctx: &Context<'_>, kind: BundleClock, days: u32) -> Clock {
    Clock::start(kind, Budget::WorkingDays(days), ctx.now, ctx.calendar, ctx.limits.warn_ratio)
}

/// The parts `answers` choose (the inclusive gateway): every question answered with
/// one of its options, no answer to a question the bundle does not ask.
pub fn choose<'a>(def: &'a BundleDef, answers: &BTreeMap<String, String>) -> Result<Vec<&'a PartDef>, Refusal> {
    if let Some(k) = answers.keys().find(|k| !def.questions.iter().any(|q| &q.code == *k)) {
        return Err(Refusal::rule("unknown_question", format!("本一件事没有问题“{k}”")));
    }
    for q in &def.questions {
        match answers.get(&q.code).map(|a| a.trim()) {
            None | Some("") => return Err(Refusal::rule("answer_missing", format!("请回答：{}", q.label))),
            Some(a) if !q.options.iter().any(|o| o == a) => {
                return Err(Refusal::rule(
                    "answer_invalid",
                    format!("“{}”应回答以下之一：{}", q.label, q.options.join("、")),
                ));
            }
            Some(_) => {}
        }
    }
    let answers: BTreeMap<String, String> = answers.iter().map(|(k, v)| (k.clone(), v.trim().to_owned())).collect();
    let chosen: Vec<&PartDef> =
        def.parts.iter().filter(|p| p.when.as_ref().is_none_or(|c| c.holds(&answers))).collect();
    if chosen.is_empty() {
        return Err(Refusal::rule("no_part_applies", "按您的回答，本一件事中没有需要办理的事项"));
    }
    Ok(chosen)
}

/// The application of one part as it is filed: the part's fields taken from the
/// shared form, the materials on its list from the one set, the enterprise where the
/// service is an enterprise's. Opening checks it and the app files it, so both see
/// the same.
pub fn part_input(
    def: &BundleDef,
    service: &Service,
    channel: Channel,
    enterprise: Option<&application::Enterprise>,
    form: &BTreeMap<String, String>,
    materials: &[application::Provided],
    area: Option<&crate::id::UnitCode>,
) -> NewApplication {
    let part = def.parts.iter().find(|p| p.service == service.code);
    let form = service
        .fields
        .iter()
        .filter_map(|f| {
            let from = part.and_then(|p| p.fields.get(&f.code)).unwrap_or(&f.code);
            form.get(from).map(|v| (f.code.clone(), v.clone()))
        })
        .collect();
    NewApplication {
        service: service.clone(),
        channel,
        enterprise: if service.for_enterprises { enterprise.cloned() } else { None },
        form,
        materials: materials.iter().filter(|m| service.material(&m.material).is_some()).cloned().collect(),
        area: area.cloned(),
        tracking_code: None,
    }
}

/// Decides 一件事收件: the answers choose the parts; every chosen part must be
/// fileable as it will be filed (its form complete, its materials its own), every
/// field and material given must belong to a chosen part; both clocks start.
pub fn open(n: &NewBundle, ctx: &Context<'_>) -> Decision {
    let registered_by = match (n.channel, ctx.actor) {
        (Channel::Online, Actor::Citizen) => None,
        (Channel::Online, _) => {
            return Err(Refusal::Forbidden { action: "apply", why: "网上申请由申请人本人提交" });
        }
        (Channel::Window, Actor::Staff { unit, .. }) if ctx.actor.has_role(Role::Clerk) => Some(unit.clone()),
        (Channel::Window, _) => {
            return Err(Refusal::Forbidden { action: "apply", why: "窗口收件由窗口受理员登记" });
        }
    };
    let def = &n.def;
    let service = |code: &str| n.services.iter().find(|s| s.code == code);
    def.check(service).map_err(|e| Refusal::rule("invalid_bundle", e))?;
    let chosen = choose(def, &n.answers)?;
    let chosen_services: Vec<&Service> = chosen.iter().filter_map(|p| service(&p.service)).collect();
    // A field or material no chosen part asks for is a mistake to say, not to drop.
    let fields = def.fields(|c| chosen_services.iter().copied().find(|s| s.code == c));
    if let Some(k) = n.form.keys().find(|k| !fields.iter().any(|(c, _)| c == *k)) {
        return Err(Refusal::rule("unknown_form_field", format!("按您的回答需要办理的事项中没有字段“{k}”")));
    }
    if let Some(m) = n.materials.iter().find(|m| !chosen_services.iter().any(|s| s.material(&m.material).is_some())) {
        return Err(Refusal::rule("unknown_material", format!("按您的回答需要办理的事项中没有材料“{}”", m.material)));
    }
    if n.enterprise.is_some() && !chosen_services.iter().any(|s| s.for_enterprises) {
        return Err(Refusal::rule("enterprise_not_applicable", "本一件事的事项由个人申请，不能以企业名义申请"));
    }
    // Each part filed as it will be: a refusal names the part.
    for s in &chosen_services {
        let input = part_input(def, s, n.channel, n.enterprise.as_ref(), &n.form, &n.materials, n.area.as_ref());
        // The bundle's number is not known yet; the check does not look at it.
        let probe = PartOf { bundle: CaseId::new("YJ", crate::calendar::civil_date(ctx.now), 0), part: s.code.clone() };
        application::open_part(&input, &probe, registered_by.clone(), ctx).map_err(|r| match r {
            Refusal::Rule { code, message } => Refusal::Rule { code, message: format!("{}：{message}", s.name) },
            other => other,
        })?;
    }
    let form = n.form.iter().map(|(k, v)| (k.clone(), v.trim().to_owned())).collect();
    let answers = n.answers.iter().map(|(k, v)| (k.clone(), v.trim().to_owned())).collect();
    Ok(vec![BundleEvent::BundleFiled {
        bundle: Box::new(def.clone()),
        channel: n.channel,
        enterprise: n.enterprise.clone(),
        answers,
        form,
        materials: n.materials.clone(),
        parts: chosen_services
            .iter()
            .map(|s| ChosenPart {
                service: s.code.clone(),
                version: s.version,
                name: s.name.clone(),
                department: s.department.clone(),
            })
            .collect(),
        area: n.area.clone(),
        tracking_code: opt_text("tracking_code", &n.tracking_code, 32)?,
        person: None,
        registered_by,
        promised_clock: clock(ctx, BundleClock::Promised, def.promised_days),
        legal_clock: clock(ctx, BundleClock::Legal, JOINT_DAYS),
    }])
}

/// What an application's record means for its bundle: 办结 with a grant, 不予许可
/// (from the decision on, so the refusal rule acts at once) or 不予受理, 撤回 in any
/// form; `None` while it is still under way.
pub fn part_outcome(a: &Application) -> Option<PartOutcome> {
    outcome_of(a.status, a.granted)
}

/// `part_outcome` from an application's status and grant, as its queue row shows them.
pub fn outcome_of(status: ApplicationStatus, granted: Option<bool>) -> Option<PartOutcome> {
    match status {
        _ if granted == Some(false) => Some(PartOutcome::Refused),
        ApplicationStatus::Rejected => Some(PartOutcome::Refused),
        ApplicationStatus::Withdrawn => Some(PartOutcome::Withdrawn),
        ApplicationStatus::Done => Some(PartOutcome::Done),
        _ => None,
    }
}

fn system(ctx: &Context<'_>, action: &'static str) -> Result<(), Refusal> {
    match ctx.actor {
        Actor::System => Ok(()),
        _ => Err(Refusal::Forbidden { action, why: "由系统根据各事项的办理情况记录" }),
    }
}

/// Every rule of a bundle after it was filed.
pub fn decide(b: &Bundle, command: &Command, ctx: &Context<'_>) -> Decision {
    let action = command.name();
    if !b.is_open() {
        return Err(Refusal::CaseClosed("一件事已结束"));
    }
    let part =
        |code: &str| b.part(code).ok_or_else(|| Refusal::rule("unknown_part", format!("本一件事没有选择事项“{code}”")));
    match command {
        Command::RecordPart { part: code, case } => {
            system(ctx, action)?;
            match &part(code)?.case {
                Some(c) if c == case => Err(Refusal::AlreadyDone("该事项已记录")),
                Some(c) => Err(Refusal::rule("part_opened", format!("事项“{code}”已由 {c} 办理"))),
                None => Ok(vec![BundleEvent::PartOpened { part: code.clone(), case: case.clone() }]),
            }
        }
        Command::RecordOutcome { part: code, outcome } => {
            system(ctx, action)?;
            let p = part(code)?;
            if p.outcome.is_some() {
                return Err(Refusal::AlreadyDone("该事项的结果已记录"));
            }
            let mut events = vec![BundleEvent::PartEnded { part: code.clone(), outcome: *outcome }];
            let others_open = b.parts.iter().any(|o| o.chosen.service != *code && o.outcome.is_none());
            let mut status = b.status;
            if *outcome == PartOutcome::Refused
                && b.def.refusal == RefusalRule::AllStop
                && b.status == BundleStatus::Running
                && others_open
            {
                status = BundleStatus::Stopped;
                events.push(BundleEvent::Stopped {
                    part: Some(code.clone()),
                    reason: format!("事项“{}”未获准予，按本一件事的规则，其余尚未决定的事项一并终止", p.chosen.name),
                });
            }
            if !others_open {
                let all_done = status == BundleStatus::Running
                    && *outcome == PartOutcome::Done
                    && b.parts
                        .iter()
                        .filter(|o| o.chosen.service != *code)
                        .all(|o| o.outcome == Some(PartOutcome::Done));
                let on_time = ctx.now <= b.promised_due();
                events.push(BundleEvent::Completed { all_done, on_time });
            }
            Ok(events)
        }
        Command::Extend { days, reason } => {
            // §42 para 2: 经本级人民政府负责人批准.
            if !ctx.actor.has_role(Role::Leader) {
                return Err(Refusal::Forbidden {
                    action, why: "联合办理延期须经本级人民政府负责人批准"
                });
            }
            if b.status != BundleStatus::Running {
                return Err(Refusal::TransitionNotAllowed { action, status: b.status.label() });
            }
            if b.extended.is_some() {
                return Err(Refusal::rule("extension_once", "联合办理时限只能延长一次（行政许可法第四十二条第二款）"));
            }
            if !(1..=JOINT_EXTENSION_DAYS_MAX).contains(days) {
                return Err(Refusal::rule(
                    "extension_too_long",
                    format!("延长期限为 1 至 {JOINT_EXTENSION_DAYS_MAX} 个工作日（行政许可法第四十二条第二款）"),
                ));
            }
            let legal = b
                .clocks
                .clock(BundleClock::Legal)
                .ok_or_else(|| Refusal::rule("no_time_limit", "本件没有正在计算的办理期限"))?;
            if ctx.now >= legal.due {
                return Err(Refusal::DeadlinePassed { due: legal.due });
            }
            Ok(vec![BundleEvent::Extended {
                days: *days,
                reason: text("reason", reason, REASON_MAX)?,
                clock: legal.extended(ctx.calendar, *days, ctx.limits.warn_ratio),
            }])
        }
        Command::Withdraw { reason } => {
            match (ctx.actor, &b.registered_by) {
                (Actor::Citizen, None) => {}
                (Actor::Staff { unit, .. }, Some(w)) if unit == w && ctx.actor.has_role(Role::Clerk) => {}
                _ => {
                    return Err(Refusal::Forbidden {
                        action, why: "由申请人撤回，在窗口的由收件窗口登记"
                    });
                }
            }
            if b.status != BundleStatus::Running {
                return Err(Refusal::TransitionNotAllowed { action, status: b.status.label() });
            }
            let reason = opt_text("reason", reason, REASON_MAX)?;
            Ok(vec![BundleEvent::Stopped {
                part: None,
                reason: match reason {
                    Some(r) => format!("申请人撤回：{r}"),
                    None => "申请人撤回".into(),
                },
            }])
        }
    }
}

/// What the scheduler records at `ctx.now`: the clocks turning yellow or red.
pub fn alarms(b: &Bundle, ctx: &Context<'_>) -> Vec<BundleEvent> {
    let mut out = vec![];
    if !b.is_open() {
        return out;
    }
    for c in &b.clocks {
        match (c.stage, c.stage_at(ctx.now)) {
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(BundleEvent::ClockOverdue { clock: c.kind, due: c.due })
            }
            (Stage::Green, Stage::Yellow) => out.push(BundleEvent::ClockWarned { clock: c.kind, due: c.due }),
            _ => {}
        }
    }
    out
}
