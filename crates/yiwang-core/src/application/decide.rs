//! Every rule of an application: who may do what, in which status, with which input,
//! before which deadline, and what the law's clocks do when time passes. Nothing here
//! reads the clock or the database.

use super::event::ApplicationEvent;
use super::service::{CERTIFICATE_DAYS, EXTENSION_DAYS_MAX, NOTICE_DAYS, Service};
use super::state::{Application, ApplicationStatus};
use super::{
    ApplicationClock, Channel, Clock, Command, Delivery, Dimension, Dimensions, Missing, NewApplication, PartOf,
    Provided, Rating, Verdict,
};
use crate::case::{Context, Refusal, opt_text, text};
use crate::deadline::{Budget, Clocks, Stage};
use crate::id::UnitCode;
use crate::org::{Actor, Role};
use chrono::{DateTime, Utc};

type Decision = Result<Vec<ApplicationEvent>, Refusal>;

const TEXT_MAX: usize = 2000;
const REASON_MAX: usize = 500;
const MATERIALS_MAX: usize = 50;
const FILES_PER_MATERIAL_MAX: usize = 10;
const MISSING_MAX: usize = 30;

/// Who sees every application: district leaders (the indicators). Departments see
/// their own, and a hall's window what it registered.
pub fn sees_all(actor: &Actor) -> bool {
    actor.has_role(Role::Leader)
}

fn clock(ctx: &Context<'_>, kind: ApplicationClock, days: u32, from: DateTime<Utc>) -> Clock {
    Clock::start(kind, Budget::WorkingDays(days), from, ctx.calendar, ctx.limits.warn_ratio)
}

/// The actor is staff of `unit` with one of `roles`.
fn staff_of(ctx: &Context<'_>, units: &[&UnitCode], roles: &[Role], action: &'static str) -> Result<(), Refusal> {
    let Actor::Staff { unit, .. } = ctx.actor else {
        return Err(Refusal::Forbidden { action, why: "只有工作人员可以执行" });
    };
    if !units.contains(&unit) {
        return Err(Refusal::Forbidden { action, why: "只有事项所属部门或收件窗口可以执行" });
    }
    if !ctx.actor.has_any_role(roles) {
        return Err(Refusal::Forbidden { action, why: "您的角色不能执行此操作" });
    }
    Ok(())
}

/// A window clerk of the department, or of the hall that registered it.
fn clerk(a: &Application, ctx: &Context<'_>, action: &'static str) -> Result<(), Refusal> {
    let mut units = vec![a.department()];
    units.extend(a.registered_by.as_ref());
    staff_of(ctx, &units, &[Role::Clerk], action)
}

/// The applicant acting online, or a clerk recording what they did at the window.
fn applicant_or_clerk(
    a: &Application,
    ctx: &Context<'_>,
    action: &'static str,
    in_person: bool,
) -> Result<(), Refusal> {
    match ctx.actor {
        Actor::Citizen if in_person => Err(Refusal::rule("in_person_needs_clerk", "到窗口办理的，由窗口工作人员登记")),
        Actor::Citizen => Ok(()),
        _ => clerk(a, ctx, action),
    }
}

fn status_in(a: &Application, allowed: &[ApplicationStatus], action: &'static str) -> Result<(), Refusal> {
    if allowed.contains(&a.status) {
        Ok(())
    } else {
        Err(Refusal::TransitionNotAllowed { action, status: a.status.label() })
    }
}

/// Checks what was handed in against the service's list: each material on it, once,
/// with files, a certificate (only where the list allows one to stand in), or on paper
/// (only at the window: `at_window`).
fn provided(service: &Service, materials: &[Provided], at_window: bool) -> Result<Vec<Provided>, Refusal> {
    if materials.len() > MATERIALS_MAX {
        return Err(Refusal::rule("too_many_materials", format!("材料最多 {MATERIALS_MAX} 项")));
    }
    for (i, p) in materials.iter().enumerate() {
        let m = service
            .material(&p.material)
            .ok_or_else(|| Refusal::rule("unknown_material", format!("本事项的材料清单中没有“{}”", p.material)))?;
        if materials[..i].iter().any(|o| o.material == p.material) {
            return Err(Refusal::rule("material_twice", format!("材料“{}”提交了两次", m.name)));
        }
        if p.paper && !at_window {
            return Err(Refusal::rule("paper_at_window", format!("材料“{}”：纸质材料只能在窗口提交", m.name)));
        }
        if p.files.is_empty() && p.certificate.is_none() && !p.paper {
            return Err(Refusal::rule("material_empty", format!("材料“{}”没有上传文件", m.name)));
        }
        if p.files.len() > FILES_PER_MATERIAL_MAX {
            return Err(Refusal::rule(
                "too_many_files",
                format!("材料“{}”最多 {FILES_PER_MATERIAL_MAX} 个文件", m.name),
            ));
        }
        if p.certificate.is_some() && m.certificate.is_none() {
            return Err(Refusal::rule("certificate_not_accepted", format!("材料“{}”不能以电子证照代替", m.name)));
        }
    }
    Ok(materials.to_vec())
}

/// Decides 收件: the event that opens an application. Online, the applicant files it;
/// at the window, a clerk registers it with the applicant present (one visit).
pub fn open(n: &NewApplication, ctx: &Context<'_>) -> Decision {
    let registered_by = opener(n, ctx)?;
    filed(n, registered_by, None, ctx)
}

/// Decides 收件 of one part of a bundle (一件事), which records the bundle: by the
/// clerk or the applicant who files the bundle, or by the system when it opens a part
/// the bundle chose (the app's reconcile after a crash), for the window that
/// registered the bundle (`registered_by`).
pub fn open_part(n: &NewApplication, part_of: &PartOf, registered_by: Option<UnitCode>, ctx: &Context<'_>) -> Decision {
    let registered_by = match ctx.actor {
        Actor::System => registered_by,
        _ => opener(n, ctx)?,
    };
    text("part", &part_of.part, 64)?;
    filed(n, registered_by, Some(part_of.clone()), ctx)
}

/// Who may file: online the applicant, at the window a clerk (whose unit registers it).
fn opener(n: &NewApplication, ctx: &Context<'_>) -> Result<Option<UnitCode>, Refusal> {
    Ok(match (n.channel, ctx.actor) {
        (Channel::Online, Actor::Citizen) => None,
        (Channel::Online, _) => {
            return Err(Refusal::Forbidden { action: "apply", why: "网上申请由申请人本人提交" });
        }
        (Channel::Window, Actor::Staff { unit, .. }) if ctx.actor.has_role(Role::Clerk) => Some(unit.clone()),
        (Channel::Window, _) => {
            return Err(Refusal::Forbidden { action: "apply", why: "窗口收件由窗口受理员登记" });
        }
    })
}

fn filed(n: &NewApplication, registered_by: Option<UnitCode>, bundle: Option<PartOf>, ctx: &Context<'_>) -> Decision {
    let s = &n.service;
    s.check().map_err(|e| Refusal::rule("invalid_service", e))?;
    if ctx.org.get(&s.department).is_none() {
        return Err(Refusal::UnknownUnit(s.department.clone()));
    }
    let enterprise = match (&n.enterprise, s.for_enterprises) {
        (Some(e), true) => {
            let mut e = e.clone();
            e.name = text("enterprise.name", &e.name, 100)?;
            Some(e)
        }
        (None, false) => None,
        (None, true) => {
            return Err(Refusal::rule("enterprise_required", "本事项由企业申请，请填写统一社会信用代码和企业名称"));
        }
        (Some(_), false) => {
            return Err(Refusal::rule("enterprise_not_applicable", "本事项由个人申请，不能以企业名义申请"));
        }
    };
    let form = s.check_form(&n.form)?;
    let materials = provided(s, &n.materials, n.channel == Channel::Window)?;
    if let Some(a) = &n.area
        && ctx.org.get(a).is_none()
    {
        return Err(Refusal::UnknownUnit(a.clone()));
    }
    let tracking_code = opt_text("tracking_code", &n.tracking_code, 32)?;
    Ok(vec![ApplicationEvent::Filed {
        service: Box::new(s.clone()),
        channel: n.channel,
        enterprise,
        form,
        materials,
        area: n.area.clone(),
        tracking_code,
        person: None,
        registered_by,
        notice_clock: clock(ctx, ApplicationClock::Notice, NOTICE_DAYS, ctx.now),
        bundle,
    }])
}

/// 受理, at `from`: the decision's clocks start then (a 即办件 runs none).
fn accepted(a: &Application, ctx: &Context<'_>, deemed: bool, from: DateTime<Utc>) -> ApplicationEvent {
    let s = &a.service;
    let (promised_clock, legal_clock) = if s.instant && !deemed {
        (None, None)
    } else {
        (
            Some(clock(ctx, ApplicationClock::Promised, s.promised_days, from)),
            Some(clock(ctx, ApplicationClock::Legal, s.legal_days, from)),
        )
    };
    ApplicationEvent::Accepted { deemed, from, promised_clock, legal_clock }
}

/// 决定 at `ctx.now`, on time when no decision clock has passed its deadline.
fn decided(a: &Application, v: &Verdict, ctx: &Context<'_>) -> Decision {
    let reasons = opt_text("reasons", &v.reasons, TEXT_MAX)?;
    if !v.grant && reasons.is_none() {
        return Err(Refusal::rule("reasons_required", "不予许可应当说明理由"));
    }
    let on_time = a
        .clocks
        .iter()
        .filter(|c| matches!(c.kind, ApplicationClock::Promised | ApplicationClock::Legal))
        .all(|c| ctx.now <= c.due);
    let certificate_clock = (v.grant && a.service.certificate.is_some())
        .then(|| clock(ctx, ApplicationClock::Certificate, CERTIFICATE_DAYS, ctx.now));
    // The working time the decision took from 受理, §45's pauses and 补正 left out:
    // the legal limit (with an approved extension) less what was left of it. A 即办件
    // decided at acceptance took none.
    let extended = a.extension.as_ref().filter(|e| e.approved == Some(true)).map_or(0, |e| e.days);
    let working_seconds = match a.clocks.clock(ApplicationClock::Legal) {
        Some(c) => {
            let budget = i64::from(a.service.legal_days + extended) * 86_400;
            (budget - c.left(ctx.calendar, ctx.now).num_seconds()).max(0)
        }
        None => 0,
    };
    Ok(vec![ApplicationEvent::Decided {
        grant: v.grant,
        reasons,
        on_time,
        certificate_clock,
        working_seconds: Some(working_seconds),
    }])
}

fn notice_passed(a: &Application, now: DateTime<Utc>) -> bool {
    a.clocks.clock(ApplicationClock::Notice).is_some_and(|c| now >= c.due)
}

fn missing(a: &Application, items: &[Missing]) -> Result<Vec<Missing>, Refusal> {
    if items.is_empty() {
        return Err(Refusal::rule("missing_required", "请列明需要补正的全部材料"));
    }
    if items.len() > MISSING_MAX {
        return Err(Refusal::rule("too_many_missing", format!("补正事项最多 {MISSING_MAX} 项")));
    }
    items
        .iter()
        .map(|m| {
            if let Some(code) = &m.material
                && a.service.material(code).is_none()
            {
                return Err(Refusal::rule("unknown_material", format!("本事项的材料清单中没有“{code}”")));
            }
            Ok(Missing { material: m.material.clone(), what: text("missing.what", &m.what, 200)? })
        })
        .collect()
}

/// Every rule of an application after it was filed.
pub fn decide(a: &Application, command: &Command, ctx: &Context<'_>) -> Decision {
    use ApplicationStatus as S;
    let action = command.name();
    // A rating comes once the application has ended; everything else before.
    if !a.is_open() && !matches!(command, Command::Rate { .. } | Command::RateVisit { .. } | Command::Revoke { .. }) {
        return Err(Refusal::CaseClosed("办件已结束，不能再办理"));
    }
    let dept = a.department();
    match command {
        Command::Accept { verdict } => {
            clerk(a, ctx, action)?;
            status_in(a, &[S::Received], action)?;
            // Past the §32 period the application already counts as accepted from its
            // material's arrival; accepting it now says so.
            let late = notice_passed(a, ctx.now);
            let from = if late { a.received_at } else { ctx.now };
            match (a.service.instant, verdict) {
                (true, Some(v)) => {
                    let mut events = vec![accepted(a, ctx, late, from)];
                    let mut after = a.clone();
                    if let ApplicationEvent::Accepted { promised_clock, legal_clock, .. } = &events[0] {
                        after.clocks.extend(promised_clock.iter().chain(legal_clock));
                    }
                    events.extend(decided(&after, v, ctx)?);
                    Ok(events)
                }
                (true, None) => Err(Refusal::rule("instant_needs_verdict", "即办件应在受理时当场作出决定")),
                (false, Some(_)) => Err(Refusal::rule("not_instant", "承诺件受理后经审查再作决定，受理时不能作出决定")),
                (false, None) => Ok(vec![accepted(a, ctx, late, from)]),
            }
        }
        Command::Reject { reason, basis } => {
            clerk(a, ctx, action)?;
            status_in(a, &[S::Received], action)?;
            Ok(vec![ApplicationEvent::Rejected {
                reason: text("reason", reason, REASON_MAX)?,
                basis: text("basis", basis, REASON_MAX)?,
            }])
        }
        Command::AskSupplement { missing: items, on_the_spot } => {
            clerk(a, ctx, action)?;
            status_in(a, &[S::Received], action)?;
            if a.supplement_asked {
                return Err(Refusal::rule(
                    "supplement_once",
                    "需要补正的材料应当一次性告知，本件已告知过；材料仍不齐全的，可以不予受理",
                ));
            }
            if notice_passed(a, ctx.now) {
                return Err(Refusal::rule(
                    "notice_period_passed",
                    format!("收到材料已超过 {NOTICE_DAYS} 个工作日未告知补正，依法自收到材料之日起即为受理"),
                ));
            }
            Ok(vec![ApplicationEvent::SupplementAsked {
                missing: missing(a, items)?,
                on_the_spot: *on_the_spot,
                supplement_clock: clock(ctx, ApplicationClock::Supplement, a.service.supplement_days, ctx.now),
            }])
        }
        Command::Supplement { materials, in_person } => {
            applicant_or_clerk(a, ctx, action, *in_person)?;
            status_in(a, &[S::Supplementing], action)?;
            if materials.is_empty() {
                return Err(Refusal::rule("materials_required", "请提交需要补正的材料"));
            }
            Ok(vec![ApplicationEvent::Supplemented {
                materials: provided(&a.service, materials, *in_person)?,
                in_person: *in_person,
                notice_clock: clock(ctx, ApplicationClock::Notice, NOTICE_DAYS, ctx.now),
            }])
        }
        Command::Withdraw { reason, in_person } => {
            applicant_or_clerk(a, ctx, action, *in_person)?;
            if !a.status.before_decision() {
                return Err(Refusal::rule("already_decided", "已作出决定的申请不能撤回"));
            }
            Ok(vec![ApplicationEvent::Withdrawn {
                reason: opt_text("reason", reason, REASON_MAX)?,
                in_person: *in_person,
                deemed: false,
            }])
        }
        Command::Review { opinion, grant } => {
            staff_of(ctx, &[dept], &[Role::Reviewer], action)?;
            status_in(a, &[S::Accepted, S::Reviewed], action)?;
            Ok(vec![ApplicationEvent::Reviewed { opinion: text("opinion", opinion, TEXT_MAX)?, grant: *grant }])
        }
        Command::Suspend { step, reason } => {
            staff_of(ctx, &[dept], &[Role::Reviewer, Role::Approver], action)?;
            status_in(a, &[S::Accepted, S::Reviewed], action)?;
            let st = a.service.uncounted_step(step).ok_or_else(|| {
                Refusal::rule("step_counted", format!("“{step}”不是本事项中不计入办理时限的环节（行政许可法第45条）"))
            })?;
            Ok(vec![ApplicationEvent::Suspended {
                step: st.code.clone(),
                step_name: st.name.clone(),
                reason: text("reason", reason, TEXT_MAX)?,
            }])
        }
        Command::Resume { result } => {
            staff_of(ctx, &[dept], &[Role::Reviewer, Role::Approver], action)?;
            status_in(a, &[S::Suspended], action)?;
            let clocks =
                a.clocks.iter().filter(|c| c.paused_at.is_some()).map(|c| c.resumed(ctx.calendar, ctx.now)).collect();
            Ok(vec![ApplicationEvent::Resumed { result: text("result", result, TEXT_MAX)?, clocks }])
        }
        Command::AskExtension { days, reason } => {
            staff_of(ctx, &[dept], &[Role::Reviewer, Role::Approver], action)?;
            status_in(a, &[S::Accepted, S::Reviewed, S::Suspended], action)?;
            if a.extension.is_some() {
                return Err(Refusal::rule("extension_once", "办理期限只能延长一次（行政许可法第42条）"));
            }
            if !(1..=EXTENSION_DAYS_MAX).contains(days) {
                return Err(Refusal::rule(
                    "extension_too_long",
                    format!("延长期限为 1 至 {EXTENSION_DAYS_MAX} 个工作日（行政许可法第42条）"),
                ));
            }
            let legal = a
                .clocks
                .clock(ApplicationClock::Legal)
                .ok_or_else(|| Refusal::rule("no_time_limit", "本件没有正在计算的办理期限"))?;
            if legal.paused_at.is_none() && ctx.now >= legal.due {
                return Err(Refusal::DeadlinePassed { due: legal.due });
            }
            Ok(vec![ApplicationEvent::ExtensionAsked { days: *days, reason: text("reason", reason, REASON_MAX)? }])
        }
        Command::DecideExtension { approved, note } => {
            staff_of(ctx, &[dept], &[Role::UnitLeader], action)?;
            let Some(ext) = a.extension.as_ref().filter(|e| e.approved.is_none()) else {
                return Err(Refusal::rule("no_extension_asked", "没有待批准的延期申请"));
            };
            let clocks = if *approved {
                a.clocks
                    .iter()
                    .filter(|c| matches!(c.kind, ApplicationClock::Promised | ApplicationClock::Legal))
                    .map(|c| c.extended(ctx.calendar, ext.days, ctx.limits.warn_ratio))
                    .collect()
            } else {
                vec![]
            };
            Ok(vec![ApplicationEvent::ExtensionDecided {
                approved: *approved,
                note: opt_text("note", note, REASON_MAX)?,
                clocks,
            }])
        }
        Command::Decide { verdict } => {
            staff_of(ctx, &[dept], &[Role::Approver, Role::UnitLeader], action)?;
            status_in(a, &[S::Accepted, S::Reviewed], action)?;
            decided(a, verdict, ctx)
        }
        Command::Certify { number, valid_from, valid_until, signed } => {
            staff_of(ctx, &[dept], &[Role::Clerk, Role::Reviewer, Role::Approver, Role::UnitLeader], action)?;
            status_in(a, &[S::Certifying], action)?;
            if valid_until.is_some_and(|u| u <= *valid_from) {
                return Err(Refusal::rule("validity_invalid", "有效期截止日应晚于起始日"));
            }
            // 100: a GB/T 36904 identifier is up to 94 characters.
            let number = text("number", number, 100)?;
            unpaid(a)?;
            // The signed certificate must say what is recorded.
            if let Some(c) = signed
                && (c.document.number != number
                    || c.document.valid_from != *valid_from
                    || c.document.valid_until != *valid_until
                    || c.document.application != a.id)
            {
                return Err(Refusal::rule("certificate_mismatch", "签发的电子证照与制证信息不一致"));
            }
            Ok(vec![ApplicationEvent::Certified {
                number,
                valid_from: *valid_from,
                valid_until: *valid_until,
                signed: signed.clone(),
            }])
        }
        Command::Revoke { reason } => {
            staff_of(ctx, &[dept], &[Role::Approver, Role::UnitLeader], action)?;
            match &a.certificate {
                None => Err(Refusal::rule("no_certificate", "本办件没有制发证照")),
                Some(c) if c.revoked.is_some() => Err(Refusal::AlreadyDone("证照已吊销")),
                Some(_) => {
                    Ok(vec![ApplicationEvent::CertificateRevoked { reason: text("reason", reason, REASON_MAX)? }])
                }
            }
        }
        Command::Deliver { how } => {
            match ctx.actor {
                // Electronic delivery is the system's, when the certificate is made.
                Actor::System if *how == Delivery::Electronic => {}
                _ => clerk(a, ctx, action)?,
            }
            status_in(a, &[S::Delivering], action)?;
            if *how == Delivery::OnTheSpot && !a.service.instant {
                return Err(Refusal::rule("not_on_the_spot", "只有即办件可以当场送达"));
            }
            // A grant with no certificate is handed over only once it is paid for.
            if a.certificate.is_none() && a.granted == Some(true) {
                unpaid(a)?;
            }
            Ok(vec![ApplicationEvent::Delivered { how: *how, in_person: *how == Delivery::Window }])
        }
        Command::Rate { rating, comment, named, dimensions } => rate(a, *rating, comment, *named, dimensions, ctx),
        Command::RateVisit { visit, rating, dimensions, comment, named } => {
            rate_visit(a, *visit, *rating, dimensions, comment, *named, ctx)
        }
        Command::RecordPayment { reference, amount_fen, paid_on } => {
            record_payment(a, reference, *amount_fen, *paid_on, ctx)
        }
        Command::EndWithBundle { reason } => {
            if !matches!(ctx.actor, Actor::System) {
                return Err(Refusal::Forbidden { action, why: "一件事终止时由系统终止其事项" });
            }
            if a.bundle.is_none() {
                return Err(Refusal::rule("not_in_bundle", "本办件不属于一件事"));
            }
            if !a.status.before_decision() {
                return Err(Refusal::rule("already_decided", "已作出决定的事项不随一件事终止"));
            }
            Ok(vec![ApplicationEvent::EndedWithBundle { reason: text("reason", reason, REASON_MAX)? }])
        }
    }
}

/// A service with a fee is certified (or, with no certificate, handed over) only
/// once the payment is recorded.
fn unpaid(a: &Application) -> Result<(), Refusal> {
    match (a.service.fee_fen(), &a.payment) {
        (Some(fen), None) if fen > 0 => Err(Refusal::rule(
            "payment_required",
            format!("本事项收费 {}.{:02} 元，请先登记缴费凭证，再制证", fen / 100, fen % 100),
        )),
        _ => Ok(()),
    }
}

/// 缴费: the applicant online, or a clerk at the window, records the payment of a
/// fee-bearing service once the decision grants and before 制证: its reference
/// (letters, digits and `-`), the fee in all, paid between the decision and today.
fn record_payment(
    a: &Application,
    reference: &str,
    amount_fen: u64,
    paid_on: chrono::NaiveDate,
    ctx: &Context<'_>,
) -> Decision {
    applicant_or_clerk(a, ctx, "record_payment", false)?;
    let Some(fee) = a.service.fee_fen().filter(|f| *f > 0) else {
        return Err(Refusal::rule("no_fee", "本事项不收费，无需缴费"));
    };
    if a.payment.is_some() {
        return Err(Refusal::AlreadyDone("本办件已登记缴费"));
    }
    let before_certificate = match a.status {
        ApplicationStatus::Certifying => true,
        ApplicationStatus::Delivering => a.certificate.is_none(),
        _ => false,
    };
    if a.granted != Some(true) || !before_certificate {
        return Err(Refusal::rule("not_payable", "准予许可后、制证前才能登记缴费"));
    }
    let reference = text("reference", reference, 64)?;
    if !reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Refusal::rule("reference_invalid", "缴费凭证号只能由字母、数字和“-”组成"));
    }
    if amount_fen != fee {
        return Err(Refusal::rule(
            "amount_mismatch",
            format!("缴费金额应为本事项收费合计 {}.{:02} 元", fee / 100, fee % 100),
        ));
    }
    let today = crate::calendar::civil_date(ctx.now);
    let decided = a.decided_at.map(crate::calendar::civil_date);
    if paid_on > today || decided.is_some_and(|d| paid_on < d) {
        return Err(Refusal::rule("paid_on_invalid", "缴费日期应在作出决定之日至今天之间"));
    }
    Ok(vec![ApplicationEvent::PaymentRecorded { reference, amount_fen, paid_on }])
}

/// A rating's dimensions: only those of its kind (`allowed`).
fn dimensions(given: &Dimensions, allowed: &[Dimension], hall: bool) -> Result<Dimensions, Refusal> {
    match given.keys().find(|d| !allowed.contains(d)) {
        Some(d) => Err(Refusal::rule(
            "dimension_not_applicable",
            format!("“{}”不是{}的评价项目", d.label(hall), if hall { "现场评价" } else { "办件评价" }),
        )),
        None => Ok(given.clone()),
    }
}

/// A rating's comment: required for 差评, so it can be put right.
fn rating_comment(rating: Rating, comment: &Option<String>) -> Result<Option<String>, Refusal> {
    let comment = opt_text("comment", comment, REASON_MAX)?;
    if !rating.is_good() && comment.is_none() {
        return Err(Refusal::rule("comment_required", "差评请说明不满意的原因，以便整改"));
    }
    Ok(comment)
}

/// 现场评价: a visit at the hall rated once, on the window's 评价器 (the applicant
/// on the clerk's tablet, a rating pad of its own, or the applicant online), while
/// the application runs or after it ended.
fn rate_visit(
    a: &Application,
    visit: u32,
    rating: Rating,
    given: &Dimensions,
    comment: &Option<String>,
    named: bool,
    ctx: &Context<'_>,
) -> Decision {
    match ctx.actor {
        Actor::Citizen | Actor::Client { .. } => {}
        _ => clerk(a, ctx, "rate_visit")?,
    }
    let Some(v) = (visit as usize).checked_sub(1).and_then(|i| a.visit_log.get(i)) else {
        return Err(Refusal::rule("no_such_visit", format!("本办件没有第 {visit} 次到窗口的记录")));
    };
    if v.rated.is_some() {
        return Err(Refusal::AlreadyDone("这次到窗口已评价"));
    }
    Ok(vec![ApplicationEvent::VisitRated {
        visit,
        step: v.step.clone(),
        rating,
        dimensions: dimensions(given, &Dimension::HALL, true)?,
        comment: rating_comment(rating, comment)?,
        named,
    }])
}

/// 好差评: the applicant (proved by the app) or the hall's rating pad (a client), once
/// the application has ended with a result: 办结 or 不予受理.
fn rate(
    a: &Application,
    rating: Rating,
    comment: &Option<String>,
    named: bool,
    given: &Dimensions,
    ctx: &Context<'_>,
) -> Decision {
    if !matches!(ctx.actor, Actor::Citizen | Actor::Client { .. }) {
        return Err(Refusal::Forbidden { action: "rate", why: "评价由申请人作出" });
    }
    if !matches!(a.status, ApplicationStatus::Done | ApplicationStatus::Rejected) {
        return Err(Refusal::rule("not_finished", "办件办结后才能评价"));
    }
    if a.rated.is_some() {
        return Err(Refusal::AlreadyDone("本办件已评价"));
    }
    let dimensions = dimensions(given, &Dimension::ONLINE, false)?;
    let comment = rating_comment(rating, comment)?;
    Ok(vec![ApplicationEvent::Rated { rating, comment, named, dimensions }])
}

/// What the scheduler records at `ctx.now`: clocks turning yellow or red; the §32
/// period passing with no word (the application accepted from its material's
/// arrival); the 补正 period passing with nothing handed in (视为撤回).
pub fn alarms(a: &Application, ctx: &Context<'_>) -> Vec<ApplicationEvent> {
    let mut out = vec![];
    if !a.is_open() {
        return out;
    }
    for c in &a.clocks {
        match (c.stage, c.stage_at(ctx.now)) {
            (Stage::Green | Stage::Yellow, Stage::Red) => match c.kind {
                ApplicationClock::Notice if a.status == ApplicationStatus::Received => {
                    return vec![accepted(a, ctx, true, a.received_at)];
                }
                ApplicationClock::Supplement if a.status == ApplicationStatus::Supplementing => {
                    return vec![ApplicationEvent::Withdrawn {
                        reason: Some("逾期未补正".into()),
                        in_person: false,
                        deemed: true,
                    }];
                }
                _ => out.push(ApplicationEvent::ClockOverdue { clock: c.kind, due: c.due }),
            },
            (Stage::Green, Stage::Yellow) => out.push(ApplicationEvent::ClockWarned { clock: c.kind, due: c.due }),
            _ => {}
        }
    }
    out
}
