//! The enterprise as a kind of case: its rules, its fold, and what it shows the engine.

use super::credit::{self, CreditClass, CreditFact};
use super::{
    ClassChange, Command, Enterprise, EnterpriseEnvelope, EnterpriseEvent, Licence, RecordedFact, Registration,
};
use crate::calendar::civil_date;
use crate::case::{Context, Header, Kind, Projection, Refusal, text};
use crate::deadline::Stage;
use crate::id::{CaseId, PersonId, UnitCode};
use crate::org::{Actor, Role};

/// The enterprise register's entries, as the engine knows them.
pub struct EnterpriseKind;

fn may_keep_register(actor: &Actor) -> bool {
    matches!(actor, Actor::System) || actor.has_role(Role::Regulator)
}

fn may_record_facts(actor: &Actor) -> bool {
    may_keep_register(actor) || actor.has_role(Role::Enforcer)
}

/// Checks what an import or a correction gives, whoever gives it.
pub fn check_registration(r: &Registration) -> Result<Registration, Refusal> {
    let industry = r.industry.trim().to_ascii_uppercase();
    let mut chars = industry.chars();
    let section_ok = chars.next().is_some_and(|c| ('A'..='T').contains(&c));
    let digits: String = chars.collect();
    if !section_ok || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(Refusal::rule(
            "invalid_industry",
            format!(
                "行业代码“{}”不符合国民经济行业分类（GB/T 4754）：应为门类字母A至T加至多4位数字，如 H6210",
                r.industry
            ),
        ));
    }
    if let Some((lon, lat)) = r.location
        && !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
    {
        return Err(Refusal::rule("invalid_location", "经纬度不正确"));
    }
    let mut tags = vec![];
    for t in &r.tags {
        let t = text("tags", t, 20)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(Registration {
        code: r.code.clone(),
        name: text("name", &r.name, 100)?,
        entity_type: text("entity_type", &r.entity_type, 40)?,
        industry,
        address: text("address", &r.address, 200)?,
        street: r.street.clone(),
        location: r.location,
        capital: r.capital,
        employees: r.employees,
        founded: r.founded,
        tags,
    })
}

/// 登记入库: the register's keeper (`unit`: the importer's, or the district's
/// register office for the system) enters an enterprise, with the facts of its record
/// so far (an import from the 国家企业信用信息公示系统 brings them), and its class.
pub fn open(
    r: &Registration,
    facts: &[CreditFact],
    unit: &UnitCode,
    ctx: &Context<'_>,
) -> Result<Vec<EnterpriseEvent>, Refusal> {
    if !may_keep_register(ctx.actor) {
        return Err(Refusal::Forbidden { action: "register", why: "只有监管人员可以维护企业名录" });
    }
    if ctx.org.get(unit).is_none() {
        return Err(Refusal::UnknownUnit(unit.clone()));
    }
    let unit = unit.clone();
    if r.founded > civil_date(ctx.now) {
        return Err(Refusal::rule("founded_in_future", "成立日期不能晚于今天"));
    }
    let registration = check_registration(r)?;
    let mut events = vec![EnterpriseEvent::Registered { registration, unit, person: None }];
    for (i, f) in facts.iter().enumerate() {
        events.push(EnterpriseEvent::FactRecorded { number: i as u32 + 1, fact: check_fact(f, ctx.now)? });
    }
    let recorded: Vec<&CreditFact> = events
        .iter()
        .filter_map(|e| match e {
            EnterpriseEvent::FactRecorded { fact, .. } => Some(fact),
            _ => None,
        })
        .collect();
    let (to, reasons) = credit::classify(recorded.iter().copied(), civil_date(ctx.now), &ctx.limits.credit);
    events.push(EnterpriseEvent::Classified { from: None, to, reasons });
    Ok(events)
}

/// What `open` checks of an import row, whoever imports it: for an import to name
/// every bad row before it stores any.
pub fn check_import(
    r: &Registration,
    facts: &[CreditFact],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Registration, Refusal> {
    if r.founded > civil_date(now) {
        return Err(Refusal::rule("founded_in_future", "成立日期不能晚于今天"));
    }
    for f in facts {
        check_fact(f, now)?;
    }
    check_registration(r)
}

fn check_fact(f: &CreditFact, now: chrono::DateTime<chrono::Utc>) -> Result<CreditFact, Refusal> {
    if f.date > civil_date(now) {
        return Err(Refusal::rule("fact_in_future", "信用信息的日期不能晚于今天"));
    }
    let note = if f.note.trim().is_empty() { String::new() } else { text("note", &f.note, 500)? };
    Ok(CreditFact { note, ..f.clone() })
}

/// The class the record gives now, as an event when it differs from the one held.
fn reclassify(s: &Enterprise, ctx: &Context<'_>) -> Option<EnterpriseEvent> {
    let (to, reasons) = credit::classify(s.standing_facts(), civil_date(ctx.now), &ctx.limits.credit);
    (to != s.class).then_some(EnterpriseEvent::Classified { from: Some(s.class), to, reasons })
}

/// Every rule of the register: who may correct it, record facts and repair them.
pub fn decide(s: &Enterprise, c: &Command, ctx: &Context<'_>) -> Result<Vec<EnterpriseEvent>, Refusal> {
    let mut events = match c {
        Command::Update { registration } => {
            if !may_keep_register(ctx.actor) {
                return Err(Refusal::Forbidden { action: "update", why: "只有监管人员可以维护企业名录" });
            }
            if registration.code != s.registration.code {
                return Err(Refusal::rule("code_mismatch", "统一社会信用代码不能变更：请登记为另一企业"));
            }
            let new = check_registration(registration)?;
            let changed = changed_fields(&s.registration, &new);
            if changed.is_empty() {
                return Ok(vec![]);
            }
            vec![EnterpriseEvent::Updated { registration: new, changed }]
        }
        Command::RecordFact { fact } => {
            if !may_record_facts(ctx.actor) {
                return Err(Refusal::Forbidden {
                    action: "record_fact",
                    why: "只有监管人员或执法检查人员可以记录信用信息",
                });
            }
            let number = s.facts.iter().map(|f| f.number).max().unwrap_or(0) + 1;
            vec![EnterpriseEvent::FactRecorded { number, fact: check_fact(fact, ctx.now)? }]
        }
        Command::Repair { number, repair, note } => {
            if !may_keep_register(ctx.actor) {
                return Err(Refusal::Forbidden { action: "repair", why: "信用修复由监管部门审核决定" });
            }
            let Some(f) = s.fact(*number) else {
                return Err(Refusal::rule("unknown_fact", format!("没有编号为 {number} 的信用信息")));
            };
            if f.repaired_at.is_some() {
                return Err(Refusal::AlreadyDone("该信用信息已修复"));
            }
            if !f.fact.kind.repairable() {
                return Err(Refusal::rule("not_repairable", "该信用信息不是失信信息，无需修复"));
            }
            match ctx.limits.credit.repairable_from(&f.fact) {
                Some(from) if civil_date(ctx.now) >= from => {}
                Some(from) => {
                    return Err(Refusal::rule(
                        "repair_too_early",
                        format!("{}须公示期满后方可申请信用修复，最早 {from}", f.fact.kind.label()),
                    ));
                }
                None => return Err(Refusal::rule("not_repairable", "该信用信息不适用信用修复")),
            }
            vec![EnterpriseEvent::FactRepaired {
                number: *number,
                repair: repair.clone(),
                note: text("note", note, 500)?,
            }]
        }
        Command::LinkLicence { licence } => {
            if !may_keep_register(ctx.actor) {
                return Err(Refusal::Forbidden { action: "link_licence", why: "证照由发证环节自动关联" });
            }
            if s.licences.iter().any(|l| l.number == licence.number) {
                return Ok(vec![]);
            }
            vec![EnterpriseEvent::LicenceLinked {
                licence: Licence {
                    number: text("number", &licence.number, 64)?,
                    name: text("name", &licence.name, 100)?,
                    case: licence.case.clone(),
                },
            }]
        }
    };
    // A fact recorded or repaired may change the class: decided here, with reasons.
    let mut next = s.clone();
    for e in &events {
        next = apply(next, e, ctx.now, s.version + 1);
    }
    if let Some(c) = reclassify(&next, ctx) {
        events.push(c);
    }
    Ok(events)
}

fn changed_fields(a: &Registration, b: &Registration) -> Vec<String> {
    let mut v = vec![];
    let mut diff = |name: &str, same: bool| {
        if !same {
            v.push(name.to_owned());
        }
    };
    diff("企业名称", a.name == b.name);
    diff("企业类型", a.entity_type == b.entity_type);
    diff("行业", a.industry == b.industry);
    diff("住所", a.address == b.address);
    diff("所在街道", a.street == b.street);
    diff("位置", a.location == b.location);
    diff("注册资本", a.capital == b.capital);
    diff("从业人数", a.employees == b.employees);
    diff("成立日期", a.founded == b.founded);
    diff("标签", a.tags == b.tags);
    v
}

/// The class changes by itself as facts stop counting.
pub fn alarms(s: &Enterprise, ctx: &Context<'_>) -> Vec<EnterpriseEvent> {
    reclassify(s, ctx).into_iter().collect()
}

fn apply(mut s: Enterprise, e: &EnterpriseEvent, at: chrono::DateTime<chrono::Utc>, seq: u32) -> Enterprise {
    match e {
        EnterpriseEvent::Registered { .. } => {}
        EnterpriseEvent::Updated { registration, .. } => s.registration = registration.clone(),
        EnterpriseEvent::LicenceLinked { licence } => s.licences.push(licence.clone()),
        EnterpriseEvent::FactRecorded { number, fact } => s.facts.push(RecordedFact {
            number: *number,
            fact: fact.clone(),
            recorded_at: at,
            repaired_at: None,
            repaired_by: None,
        }),
        EnterpriseEvent::FactRepaired { number, repair, .. } => {
            if let Some(f) = s.facts.iter_mut().find(|f| f.number == *number) {
                f.repaired_at = Some(at);
                f.repaired_by = repair.clone();
            }
        }
        EnterpriseEvent::Classified { from, to, reasons } => {
            s.class = *to;
            s.class_history.push(ClassChange { at, from: *from, to: *to, reasons: reasons.clone() });
        }
    }
    s.updated_at = at;
    s.version = seq;
    s
}

pub fn evolve(state: Option<Enterprise>, env: &EnterpriseEnvelope) -> Option<Enterprise> {
    match (state, &env.event) {
        (None, EnterpriseEvent::Registered { registration, unit, person }) => Some(Enterprise {
            id: env.case.clone(),
            registration: registration.clone(),
            unit: unit.clone(),
            person: *person,
            licences: vec![],
            facts: vec![],
            class: CreditClass::B,
            class_history: vec![],
            registered_at: env.at,
            updated_at: env.at,
            version: env.seq,
        }),
        (None, _) => None,
        (Some(s), e) => Some(apply(s, e, env.at, env.seq)),
    }
}

impl Kind for EnterpriseKind {
    const NAME: &'static str = "enterprise";
    const PREFIX: &'static str = "QY";
    const LABEL: &'static str = "企业档案";
    /// Found by phone: the enterprises a legal representative may act for.
    const FOUND_BY_PHONE: bool = true;
    type State = Enterprise;
    type Event = EnterpriseEvent;
    type Command = Command;

    fn event_name(e: &EnterpriseEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &EnterpriseEvent) -> bool {
        matches!(e, EnterpriseEvent::Registered { .. })
    }
    fn evolve(state: Option<Enterprise>, env: &EnterpriseEnvelope) -> Option<Enterprise> {
        evolve(state, env)
    }
    fn decide(s: &Enterprise, c: &Command, ctx: &Context<'_>) -> Result<Vec<EnterpriseEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Enterprise, ctx: &Context<'_>) -> Vec<EnterpriseEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Enterprise) -> &CaseId {
        &s.id
    }
    fn version(s: &Enterprise) -> u32 {
        s.version
    }
    fn project(s: &Enterprise) -> Projection {
        let profile = s.profile();
        // The class may change when a fact stops counting; the default rules are what
        // the projection can know (the scheduler decides with the configured ones).
        let rules = credit::CreditRules::default();
        let next_alarm = credit::next_change(s.standing_facts(), s.updated_at, &rules);
        Projection {
            header: Header {
                status: "registered",
                title: Some(s.registration.name.clone()),
                // Nobody's work: it stays out of every 我的待办.
                unit: None,
                category: Some(s.registration.industry.chars().take(1).collect()),
                area: s.registration.street.clone(),
                person: s.person,
                tracking_code: Some(super::key(&s.registration.code)),
                opened_at: s.registered_at,
                updated_at: s.updated_at,
                closed_at: None,
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm,
                version: s.version,
            },
            co_units: vec![],
            access: vec![s.unit.clone()],
            facts: vec![],
            volume: vec![
                ("class", s.class.as_str().to_owned()),
                ("industry", s.registration.industry.chars().take(1).collect()),
                ("street", s.registration.street.as_ref().map(|u| u.to_string()).unwrap_or_default()),
            ],
            detail: serde_json::to_string(&profile).expect("a profile serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        if status == "registered" { "在册" } else { "" }
    }
    fn search_text(s: &Enterprise) -> String {
        let r = &s.registration;
        format!("{} {} {} {}", r.name, r.code, r.address, r.tags.join(" "))
    }
    fn touches_text(e: &EnterpriseEvent) -> bool {
        matches!(e, EnterpriseEvent::Registered { .. } | EnterpriseEvent::Updated { .. })
    }
    fn set_person(first: &mut EnterpriseEvent, id: PersonId) {
        if let EnterpriseEvent::Registered { person, .. } = first {
            *person = Some(id);
        }
    }
    /// The register is read by every department that supervises, inspects or grants.
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Regulator)
            || actor.has_role(Role::Enforcer)
            || actor.has_role(Role::PolicyOfficer)
            || actor.has_role(Role::Leader)
    }
}
