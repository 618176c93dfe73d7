//! The inspection's rules, its fold, and what it shows the engine.

use super::{
    Command, Conformity, Inspection, InspectionClock, InspectionDetail, InspectionEnvelope, InspectionEvent,
    InspectionStatus, InspectorRef, NewInspection, OnSite, Outcome, Signature, Source, Statement,
};
use crate::case::{Context, Header, Kind, Projection, Refusal, text};
use crate::deadline::{Budget, Clock, Clocks, Stage};
use crate::id::{CaseId, UnitCode};
use crate::org::{Actor, Role};

/// At most this many photos on a record, and files with a statement.
pub const MAX_FILES: usize = 9;
/// At most this many check items.
pub const MAX_ITEMS: usize = 100;

/// The inspection, as the engine knows it.
pub struct InspectionKind;

/// Whether `f` names a stored upload (`uploads/<name>`).
pub fn is_upload(f: &str) -> bool {
    f.strip_prefix("uploads/").is_some_and(|n| {
        !n.is_empty() && n.len() <= 80 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

fn files(field: &'static str, v: &[String]) -> Result<Vec<String>, Refusal> {
    if v.len() > MAX_FILES {
        return Err(Refusal::rule("too_many_files", format!("最多{MAX_FILES}个文件")));
    }
    if let Some(bad) = v.iter().find(|f| !is_upload(f)) {
        return Err(Refusal::rule("invalid_file", format!("{field}：文件“{bad}”不是本站上传的文件")));
    }
    Ok(v.to_vec())
}

fn check_inspectors(v: &[InspectorRef], unit: &UnitCode) -> Result<Vec<InspectorRef>, Refusal> {
    let mut out: Vec<InspectorRef> = vec![];
    for i in v {
        let r = InspectorRef {
            id: text("inspectors.id", &i.id, 40)?,
            name: text("inspectors.name", &i.name, 40)?,
            unit: i.unit.clone(),
            username: i.username.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned),
        };
        if out.iter().any(|o| o.id == r.id) {
            return Err(Refusal::rule("duplicate_inspector", format!("检查人员 {} 重复", r.name)));
        }
        out.push(r);
    }
    // A joint plan (部门联合抽查) may name inspectors of other departments; at least
    // one must be of the department holding the case.
    if !out.is_empty() && !out.iter().any(|i| i.unit == *unit) {
        return Err(Refusal::rule("no_inspector_of_unit", "检查人员中至少一人应属于承办检查的部门"));
    }
    Ok(out)
}

fn is_regulator_of(actor: &Actor, unit: &UnitCode) -> bool {
    matches!(actor, Actor::Staff { unit: u, .. } if u == unit) && actor.has_role(Role::Regulator)
}

/// 检查立项: by a draw (the system or the department's 监管人员), a referral (any staff
/// who handles the appeal or patrol: the app checks they may see it), or a recheck.
pub fn open(n: &NewInspection, ctx: &Context<'_>) -> Result<Vec<InspectionEvent>, Refusal> {
    let referred_by = match (&n.source, ctx.actor) {
        (_, Actor::System) => None,
        (Source::Referral { .. }, Actor::Staff { unit, .. }) => Some(unit.clone()),
        (_, a) if is_regulator_of(a, &n.unit) => None,
        _ => {
            return Err(Refusal::Forbidden {
                action: "open", why: "检查由抽查计划或承办部门的监管人员立项"
            });
        }
    };
    if ctx.org.get(&n.unit).is_none() {
        return Err(Refusal::UnknownUnit(n.unit.clone()));
    }
    let inspectors = check_inspectors(&n.inspectors, &n.unit)?;
    if inspectors.is_empty() && !matches!(n.source, Source::Referral { .. }) {
        return Err(Refusal::rule("no_inspectors", "请指派检查人员"));
    }
    if n.items.is_empty() || n.items.len() > MAX_ITEMS {
        return Err(Refusal::rule("no_items", format!("检查事项应有1至{MAX_ITEMS}项检查内容")));
    }
    let mut items: Vec<super::CheckItem> = vec![];
    for i in &n.items {
        let item = super::CheckItem { code: text("items.code", &i.code, 40)?, name: text("items.name", &i.name, 200)? };
        if items.iter().any(|x| x.code == item.code) {
            return Err(Refusal::rule("duplicate_item", format!("检查内容 {} 重复", item.code)));
        }
        items.push(item);
    }
    let source = match &n.source {
        Source::Referral { case, reason } => {
            Source::Referral { case: case.clone(), reason: text("reason", reason, 500)? }
        }
        s => s.clone(),
    };
    Ok(vec![InspectionEvent::Opened {
        enterprise: n.enterprise.clone(),
        enterprise_name: text("enterprise_name", &n.enterprise_name, 100)?,
        matter: text("matter", &n.matter, 40)?,
        matter_name: text("matter_name", &n.matter_name, 100)?,
        items,
        inspectors,
        unit: n.unit.clone(),
        source,
        referred_by,
    }])
}

fn check_days(days: Option<u32>, outcome: Outcome, ctx: &Context<'_>) -> Result<Option<u32>, Refusal> {
    let max = ctx.limits.supervision.rectify_days_max;
    match (outcome, days) {
        (Outcome::Rectify, Some(d)) if (1..=max).contains(&d) => Ok(Some(d)),
        (Outcome::Rectify, _) => Err(Refusal::rule("rectify_days", format!("责令整改应写明整改期限：1至{max}天"))),
        _ => Ok(None),
    }
}

fn check_on_site(s: &Inspection, o: &OnSite, ctx: &Context<'_>) -> Result<OnSite, Refusal> {
    let mut findings = vec![];
    for item in &s.items {
        let Some(f) = o.findings.iter().find(|f| f.item == item.code) else {
            if o.outcome == Outcome::NotFound {
                continue;
            }
            return Err(Refusal::rule("finding_missing", format!("检查内容“{}”未填写检查结果", item.name)));
        };
        let note = if f.note.trim().is_empty() { String::new() } else { text("findings.note", &f.note, 500)? };
        if f.conformity == Conformity::Fails && note.is_empty() {
            return Err(Refusal::rule("finding_note", format!("“{}”不符合：请写明发现的问题", item.name)));
        }
        findings.push(super::Finding { item: item.code.clone(), conformity: f.conformity, note });
    }
    if let Some(f) = o.findings.iter().find(|f| !s.items.iter().any(|i| i.code == f.item)) {
        return Err(Refusal::rule("unknown_item", format!("检查内容 {} 不在本次检查事项中", f.item)));
    }
    let fails = findings.iter().any(|f| f.conformity == Conformity::Fails);
    match o.outcome {
        Outcome::Passed if fails => {
            return Err(Refusal::rule("outcome_mismatch", "有不符合的检查内容，结果不能为“未发现问题”"));
        }
        Outcome::Rectify | Outcome::Case if !fails => {
            return Err(Refusal::rule("outcome_mismatch", "责令整改或立案查处应至少有一项检查内容不符合"));
        }
        _ => {}
    }
    if let Some((lon, lat)) = o.place
        && !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
    {
        return Err(Refusal::rule("invalid_place", "检查地点的经纬度不正确"));
    }
    if o.inspected_at > ctx.now || o.inspected_at < s.opened_at {
        return Err(Refusal::rule("inspected_at", "检查时间应在立项之后、现在之前"));
    }
    let signature = match &o.signature {
        Signature::Signed { image, signer } => {
            if !is_upload(image) {
                return Err(Refusal::rule("invalid_file", "签名图片不是本站上传的文件"));
            }
            Signature::Signed { image: image.clone(), signer: text("signer", signer, 40)? }
        }
        Signature::Refused { reason } => Signature::Refused { reason: text("refusal_reason", reason, 200)? },
        Signature::Absent if o.outcome == Outcome::NotFound => Signature::Absent,
        Signature::Absent => {
            return Err(Refusal::rule("signature_missing", "请由企业签名，或记录拒签及其理由"));
        }
    };
    Ok(OnSite {
        findings,
        outcome: o.outcome,
        summary: text("summary", &o.summary, 2000)?,
        place: o.place,
        inspected_at: o.inspected_at,
        photos: files("photos", &o.photos)?,
        signature,
        rectify_days: check_days(o.rectify_days, o.outcome, ctx)?,
    })
}

/// The publication clock: `publish_days` whole working days after the day the
/// inspection ended, so it turns red at the start of the next working day (working
/// day 21 by default), yellow at the usual share of the budget.
pub fn publish_clock(ctx: &Context<'_>) -> Clock<InspectionClock> {
    let days = ctx.limits.supervision.publish_days;
    let mut d = crate::calendar::civil_date(ctx.now);
    let mut n = 0;
    while n < days {
        d = d.succ_opt().unwrap_or(d);
        if ctx.calendar.is_working_day(d) {
            n += 1;
        }
    }
    d = d.succ_opt().unwrap_or(d);
    for _ in 0..60 {
        if ctx.calendar.is_working_day(d) {
            break;
        }
        d = d.succ_opt().unwrap_or(d);
    }
    let start =
        Clock::start(InspectionClock::Publish, Budget::WorkingDays(days), ctx.now, ctx.calendar, ctx.limits.warn_ratio);
    Clock { due: crate::calendar::day_start(d), ..start }
}

/// Every rule of an inspection.
pub fn decide(s: &Inspection, c: &Command, ctx: &Context<'_>) -> Result<Vec<InspectionEvent>, Refusal> {
    use InspectionStatus as S;
    let status = |action| Refusal::TransitionNotAllowed { action, status: s.status.label() };
    match c {
        Command::Assign { inspectors } => {
            if !is_regulator_of(ctx.actor, &s.unit) {
                return Err(Refusal::Forbidden {
                    action: "assign", why: "由承办部门的监管人员指派检查人员"
                });
            }
            if !matches!(s.status, S::Unassigned | S::Assigned) {
                return Err(status("assign"));
            }
            let inspectors = check_inspectors(inspectors, &s.unit)?;
            if inspectors.is_empty() {
                return Err(Refusal::rule("no_inspectors", "请指派检查人员"));
            }
            Ok(vec![InspectionEvent::Assigned { inspectors }])
        }
        Command::Record { on_site } => {
            let me = ctx.actor.username().filter(|u| s.is_inspector(u));
            if !ctx.actor.has_role(Role::Enforcer) || me.is_none() {
                return Err(Refusal::Forbidden {
                    action: "record", why: "只有指派的执法检查人员可以记录检查结果"
                });
            }
            if s.status != S::Assigned {
                return Err(status("record"));
            }
            let on_site = check_on_site(s, on_site, ctx)?;
            let outcome = on_site.outcome;
            let publish = publish_clock(ctx);
            let statement_due = outcome
                .answerable()
                .then(|| Budget::WorkingDays(ctx.limits.supervision.statement_days).due(ctx.calendar, ctx.now));
            let mut out = vec![InspectionEvent::Recorded { on_site, statement_due, publish }];
            if statement_due.is_none() {
                out.push(InspectionEvent::Finalised { outcome });
            }
            Ok(out)
        }
        Command::State { text: t, files: f } => {
            if !matches!(ctx.actor, Actor::Citizen) {
                return Err(Refusal::Forbidden { action: "state", why: "陈述申辩由被检查企业提出" });
            }
            if s.status != S::Recorded {
                return Err(status("state"));
            }
            if s.statement_due.is_none_or(|d| ctx.now >= d) {
                return Err(Refusal::rule("statement_period_over", "陈述申辩期限已过"));
            }
            Ok(vec![InspectionEvent::Stated { text: text("text", t, 2000)?, files: files("files", f)? }])
        }
        Command::Answer { accepted, reply, outcome, rectify_days } => {
            if !is_regulator_of(ctx.actor, &s.unit) {
                return Err(Refusal::Forbidden {
                    action: "answer", why: "由承办部门的监管人员答复陈述申辩"
                });
            }
            if s.status != S::Stated {
                return Err(status("answer"));
            }
            let held = s.outcome.unwrap_or(Outcome::Passed);
            let new = match (accepted, outcome) {
                (false, _) => held,
                (true, Some(o)) if *o != held => *o,
                (true, _) => {
                    return Err(Refusal::rule("outcome_unchanged", "采纳陈述申辩应写明变更后的检查结果"));
                }
            };
            let days = if *accepted { check_days(*rectify_days, new, ctx)? } else { s.rectify_days };
            Ok(vec![
                InspectionEvent::Answered {
                    accepted: *accepted,
                    reply: text("reply", reply, 2000)?,
                    outcome: new,
                    rectify_days: days,
                },
                InspectionEvent::Finalised { outcome: new },
            ])
        }
        Command::Publish => {
            if !is_regulator_of(ctx.actor, &s.unit) {
                return Err(Refusal::Forbidden {
                    action: "publish", why: "由承办部门的监管人员公示检查结果"
                });
            }
            match s.status {
                S::Final => Ok(vec![InspectionEvent::Published]),
                S::Published => Err(Refusal::AlreadyDone("检查结果已公示")),
                _ => Err(Refusal::rule("not_final", "检查结果尚未确定（陈述申辩期内或待答复），不能公示")),
            }
        }
        Command::Follow { rectification, fact } => {
            if !matches!(ctx.actor, Actor::System) {
                return Err(Refusal::Forbidden { action: "follow", why: "由系统在结果确定后处理" });
            }
            if s.final_at.is_none() {
                return Err(Refusal::rule("not_final", "检查结果尚未确定"));
            }
            if s.followed {
                return Err(Refusal::AlreadyDone("检查结果已处理"));
            }
            Ok(vec![InspectionEvent::Followed { rectification: rectification.clone(), fact: *fact }])
        }
    }
}

/// The statement period's end makes the result final; the publication clock turns
/// yellow and red.
pub fn alarms(s: &Inspection, ctx: &Context<'_>) -> Vec<InspectionEvent> {
    let mut out = vec![];
    if s.status == InspectionStatus::Recorded
        && let (Some(due), Some(outcome)) = (s.statement_due, s.outcome)
        && ctx.now >= due
    {
        out.push(InspectionEvent::Finalised { outcome });
    }
    for c in &s.clocks {
        match (c.stage, c.stage_at(ctx.now)) {
            (Stage::Green, Stage::Yellow) => out.push(InspectionEvent::ClockWarned { clock: c.kind, due: c.due }),
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(InspectionEvent::ClockOverdue { clock: c.kind, due: c.due })
            }
            _ => {}
        }
    }
    out
}

pub fn evolve(state: Option<Inspection>, env: &InspectionEnvelope) -> Option<Inspection> {
    use InspectionStatus as S;
    let mut s = match (state, &env.event) {
        (
            None,
            InspectionEvent::Opened {
                enterprise,
                enterprise_name,
                matter,
                matter_name,
                items,
                inspectors,
                unit,
                source,
                referred_by,
            },
        ) => {
            return Some(Inspection {
                id: env.case.clone(),
                status: if inspectors.is_empty() { S::Unassigned } else { S::Assigned },
                enterprise: enterprise.clone(),
                enterprise_name: enterprise_name.clone(),
                matter: matter.clone(),
                matter_name: matter_name.clone(),
                items: items.clone(),
                inspectors: inspectors.clone(),
                unit: unit.clone(),
                source: source.clone(),
                referred_by: referred_by.clone(),
                on_site: None,
                ended_at: None,
                statement_due: None,
                statement: None,
                outcome: None,
                rectify_days: None,
                final_at: None,
                published_at: None,
                followed: false,
                rectification: None,
                clocks: vec![],
                opened_at: env.at,
                updated_at: env.at,
                version: env.seq,
            });
        }
        (None, _) => return None,
        (Some(s), _) => s,
    };
    match &env.event {
        InspectionEvent::Opened { .. } => {}
        InspectionEvent::Assigned { inspectors } => {
            s.inspectors = inspectors.clone();
            s.status = S::Assigned;
        }
        InspectionEvent::Recorded { on_site, statement_due, publish } => {
            s.outcome = Some(on_site.outcome);
            s.rectify_days = on_site.rectify_days;
            s.on_site = Some(on_site.clone());
            s.ended_at = Some(env.at);
            s.statement_due = *statement_due;
            s.clocks.set_clock(*publish);
            s.status = S::Recorded;
        }
        InspectionEvent::Stated { text, files } => {
            s.statement = Some(Statement {
                text: text.clone(),
                files: files.clone(),
                at: env.at,
                accepted: None,
                reply: None,
                answered_at: None,
            });
            s.status = S::Stated;
        }
        InspectionEvent::Answered { accepted, reply, outcome, rectify_days } => {
            if let Some(st) = &mut s.statement {
                st.accepted = Some(*accepted);
                st.reply = Some(reply.clone());
                st.answered_at = Some(env.at);
            }
            s.outcome = Some(*outcome);
            s.rectify_days = *rectify_days;
        }
        InspectionEvent::Finalised { outcome } => {
            s.outcome = Some(*outcome);
            s.final_at = Some(env.at);
            s.status = S::Final;
        }
        InspectionEvent::Published => {
            s.published_at = Some(env.at);
            s.clocks.stop_clock(InspectionClock::Publish);
            s.status = S::Published;
        }
        InspectionEvent::Followed { rectification, .. } => {
            s.followed = true;
            s.rectification = rectification.clone();
        }
        InspectionEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        InspectionEvent::ClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    s.updated_at = env.at;
    s.version = env.seq;
    Some(s)
}

impl Kind for InspectionKind {
    const NAME: &'static str = "inspection";
    const PREFIX: &'static str = "JC";
    const LABEL: &'static str = "检查";
    type State = Inspection;
    type Event = InspectionEvent;
    type Command = Command;
    const NOTICES_TO_ENTERPRISE: bool = true;

    /// A result with problems, open to 陈述申辩: the enterprise is told, with the
    /// period's end.
    fn notices(_before: Option<&Inspection>, events: &[InspectionEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                InspectionEvent::Recorded { statement_due: Some(_), .. } => Some("inspection_findings"),
                _ => None,
            })
            .collect()
    }

    fn event_name(e: &InspectionEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &InspectionEvent) -> bool {
        matches!(e, InspectionEvent::Opened { .. })
    }
    fn evolve(state: Option<Inspection>, env: &InspectionEnvelope) -> Option<Inspection> {
        evolve(state, env)
    }
    fn decide(s: &Inspection, c: &Command, ctx: &Context<'_>) -> Result<Vec<InspectionEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Inspection, ctx: &Context<'_>) -> Vec<InspectionEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Inspection) -> &CaseId {
        &s.id
    }
    fn version(s: &Inspection) -> u32 {
        s.version
    }
    fn project(s: &Inspection) -> Projection {
        let published = s.status == InspectionStatus::Published;
        let statement_alarm = (s.status == InspectionStatus::Recorded).then_some(s.statement_due).flatten();
        let next_alarm = [s.clocks.next_alarm(), statement_alarm].into_iter().flatten().min();
        let mut access = vec![s.unit.clone()];
        for u in s.inspectors.iter().map(|i| &i.unit).chain(s.referred_by.as_ref()) {
            if !access.contains(u) {
                access.push(u.clone());
            }
        }
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{}·{}", s.enterprise_name, s.matter_name)),
                unit: Some(s.unit.clone()),
                category: Some(s.matter.clone()),
                area: None,
                person: None,
                tracking_code: None,
                opened_at: s.opened_at,
                updated_at: s.updated_at,
                // Closed once published; the system's follow-up may still come after.
                closed_at: if published && s.followed { s.published_at.max(Some(s.updated_at)) } else { None },
                stage: s.clocks.worst_stage(),
                next_due: s.clocks.next_due(),
                next_due_working: s.clocks.next_due_working(),
                next_alarm,
                version: s.version,
            },
            co_units: vec![],
            access,
            facts: vec![],
            volume: vec![
                ("source", s.source.as_str().to_owned()),
                ("outcome", s.outcome.map(|o| o.as_str()).unwrap_or("").to_owned()),
            ],
            detail: serde_json::to_string(&InspectionDetail {
                enterprise: s.enterprise.to_string(),
                enterprise_name: s.enterprise_name.clone(),
                matter: s.matter.clone(),
                matter_name: s.matter_name.clone(),
                source: s.source.as_str().to_owned(),
                source_case: s.source.case().to_string(),
                inspectors: s.inspectors.iter().filter_map(|i| i.username.clone()).collect(),
                outcome: s.outcome,
                ended_at: s.ended_at,
                is_final: s.final_at.is_some(),
                published,
                follow_up: s.final_at.is_some() && !s.followed,
            })
            .expect("an inspection's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        InspectionStatus::ALL.into_iter().find(|x| x.as_str() == status).map(InspectionStatus::label).unwrap_or("")
    }
    fn search_text(s: &Inspection) -> String {
        format!("{} {} {}", s.enterprise_name, s.enterprise, s.matter_name)
    }
    fn touches_text(e: &InspectionEvent) -> bool {
        matches!(e, InspectionEvent::Opened { .. })
    }
    fn attachments(s: &Inspection) -> Vec<String> {
        let mut v = vec![];
        if let Some(o) = &s.on_site {
            v.extend(o.photos.iter().cloned());
            if let Signature::Signed { image, .. } = &o.signature {
                v.push(image.clone());
            }
        }
        if let Some(st) = &s.statement {
            v.extend(st.files.iter().cloned());
        }
        v
    }
    /// The district's leaders see every inspection; departments see theirs.
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Leader)
    }
    fn check(s: &Inspection) -> Result<(), String> {
        if matches!(s.status, InspectionStatus::Recorded | InspectionStatus::Stated | InspectionStatus::Final)
            && s.outcome.is_none()
        {
            return Err("a recorded inspection has a result".into());
        }
        Ok(())
    }
}
