//! An application's state, folded from its events.

use super::event::{ApplicationEnvelope, ApplicationEvent};
use super::service::Service;
use super::{
    ApplicationClock, Channel, Clock, Delivery, Dimensions, Enterprise, Missing, PartOf, Payment, Provided, Rating,
};
use crate::deadline::{Clocks, Stage};
use crate::id::{CaseId, PersonId, UnitCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationStatus {
    /// 待受理: filed, the §32 notice clock running.
    Received,
    /// 待补正: waiting on the applicant.
    Supplementing,
    /// 审查中
    Accepted,
    /// 待决定: the reviewer has given an opinion.
    Reviewed,
    /// 特别程序中 (§45): the clocks paused.
    Suspended,
    /// 待制证
    Certifying,
    /// 待送达
    Delivering,
    /// 已办结
    Done,
    /// 不予受理
    Rejected,
    /// 已撤回 (also 视为撤回)
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [Self; 10] = [
        Self::Received,
        Self::Supplementing,
        Self::Accepted,
        Self::Reviewed,
        Self::Suspended,
        Self::Certifying,
        Self::Delivering,
        Self::Done,
        Self::Rejected,
        Self::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Supplementing => "supplementing",
            Self::Accepted => "under_review",
            Self::Reviewed => "reviewed",
            Self::Suspended => "suspended",
            Self::Certifying => "certifying",
            Self::Delivering => "delivering",
            Self::Done => "done",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Received => "待受理",
            Self::Supplementing => "待补正",
            Self::Accepted => "审查中",
            Self::Reviewed => "待决定",
            Self::Suspended => "特别程序中",
            Self::Certifying => "待制证",
            Self::Delivering => "待送达",
            Self::Done => "已办结",
            Self::Rejected => "不予受理",
            Self::Withdrawn => "已撤回",
        }
    }
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Done | Self::Rejected | Self::Withdrawn)
    }
    /// Before the decision: what an applicant may still withdraw.
    pub fn before_decision(self) -> bool {
        matches!(self, Self::Received | Self::Supplementing | Self::Accepted | Self::Reviewed | Self::Suspended)
    }
}

/// An extension asked for, and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    pub days: u32,
    pub reason: String,
    /// None while the head has not answered.
    pub approved: Option<bool>,
}

/// The reviewer's opinion (审查意见).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub opinion: String,
    pub grant: bool,
}

/// A §45 step under way, and the status the application returns to after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    pub step: String,
    pub back_to: ApplicationStatus,
}

/// 不予受理: the reason and its legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    pub reason: String,
    pub basis: String,
}

/// The applicant's rating (好差评).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rated {
    pub rating: Rating,
    pub comment: Option<String>,
    pub named: bool,
    pub at: DateTime<Utc>,
    /// The dimensions given beside the overall level.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub dimensions: Dimensions,
}

/// One time the applicant came in person (跑动), and its rating at the hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    /// What they came for: 窗口收件, 窗口补正, 窗口撤回, 窗口领取.
    pub step: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub rated: Option<Rated>,
}

/// The certificate issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issued {
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub signed: Option<super::certificate::SignedCertificate>,
    /// When and why it was revoked (吊销).
    #[serde(default)]
    pub revoked: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: CaseId,
    pub status: ApplicationStatus,
    /// The service as it stood when the application was filed.
    pub service: Service,
    pub channel: Channel,
    pub enterprise: Option<Enterprise>,
    pub form: BTreeMap<String, String>,
    /// Everything handed in, the 补正's material after the first.
    pub materials: Vec<Provided>,
    pub area: Option<UnitCode>,
    pub tracking_code: Option<String>,
    pub person: Option<PersonId>,
    pub registered_by: Option<UnitCode>,
    /// The bundle (一件事) it is a part of, if any.
    #[serde(default)]
    pub bundle: Option<PartOf>,
    pub filed_at: DateTime<Utc>,
    /// When the material (last) arrived: what a deemed acceptance counts from.
    pub received_at: DateTime<Utc>,
    /// When it counts as accepted (受理, or the deemed date).
    pub accepted_at: Option<DateTime<Utc>>,
    pub deemed_accepted: bool,
    /// What the one 补正 notice asked for; `supplement_asked` once it was sent.
    pub missing: Vec<Missing>,
    pub supplement_asked: bool,
    pub review: Option<Review>,
    /// The §45 step running.
    pub suspended: Option<Suspension>,
    pub extension: Option<Extension>,
    pub decided_at: Option<DateTime<Utc>>,
    pub granted: Option<bool>,
    pub reasons: Option<String>,
    /// Whether the decision came within the promised (and legal) limit.
    pub on_time: Option<bool>,
    /// Working time the decision took from 受理 (§45's pauses left out).
    #[serde(default)]
    pub working_seconds: Option<i64>,
    pub certificate: Option<Issued>,
    pub delivery: Option<Delivery>,
    pub rejection: Option<Rejection>,
    pub withdrawn_deemed: bool,
    /// 跑动次数: the times the applicant had to come in.
    pub visits: u32,
    /// Each of those visits, in order (`visits` long), with its rating at the hall.
    #[serde(default)]
    pub visit_log: Vec<Visit>,
    /// The fee paid, for a service with one.
    #[serde(default)]
    pub payment: Option<Payment>,
    #[serde(default)]
    pub rated: Option<Rated>,
    pub clocks: Vec<Clock>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: u32,
}

impl Application {
    pub fn is_open(&self) -> bool {
        !self.status.is_closed()
    }
    pub fn department(&self) -> &UnitCode {
        &self.service.department
    }
    pub fn stage(&self) -> Stage {
        self.clocks.worst_stage()
    }
}

/// Folds one event into the state. Makes no decisions and never panics.
pub fn evolve(state: Option<Application>, env: &ApplicationEnvelope) -> Option<Application> {
    let at = env.at;
    if let ApplicationEvent::Filed {
        service,
        channel,
        enterprise,
        form,
        materials,
        area,
        tracking_code,
        person,
        registered_by,
        notice_clock,
        bundle,
    } = &env.event
    {
        return Some(Application {
            id: env.case.clone(),
            status: ApplicationStatus::Received,
            service: (**service).clone(),
            channel: *channel,
            enterprise: enterprise.clone(),
            form: form.clone(),
            materials: materials.clone(),
            area: area.clone(),
            tracking_code: tracking_code.clone(),
            person: *person,
            registered_by: registered_by.clone(),
            bundle: bundle.clone(),
            filed_at: at,
            received_at: at,
            accepted_at: None,
            deemed_accepted: false,
            missing: vec![],
            supplement_asked: false,
            review: None,
            suspended: None,
            extension: None,
            decided_at: None,
            granted: None,
            reasons: None,
            on_time: None,
            working_seconds: None,
            certificate: None,
            delivery: None,
            rejection: None,
            withdrawn_deemed: false,
            visits: u32::from(*channel == Channel::Window),
            visit_log: if *channel == Channel::Window { vec![visit("窗口收件", at)] } else { vec![] },
            payment: None,
            rated: None,
            clocks: vec![*notice_clock],
            updated_at: at,
            closed_at: None,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        ApplicationEvent::Filed { .. } => {}
        ApplicationEvent::Accepted { deemed, from, promised_clock, legal_clock } => {
            s.status = ApplicationStatus::Accepted;
            s.accepted_at = Some(*from);
            s.deemed_accepted = *deemed;
            s.clocks.stop_clock(ApplicationClock::Notice);
            s.clocks.stop_clock(ApplicationClock::Supplement);
            for c in promised_clock.iter().chain(legal_clock) {
                s.clocks.set_clock(*c);
            }
        }
        ApplicationEvent::Rejected { reason, basis } => {
            s.status = ApplicationStatus::Rejected;
            s.rejection = Some(Rejection { reason: reason.clone(), basis: basis.clone() });
            close(&mut s, at);
        }
        ApplicationEvent::SupplementAsked { missing, supplement_clock, .. } => {
            s.status = ApplicationStatus::Supplementing;
            s.missing = missing.clone();
            s.supplement_asked = true;
            s.clocks.stop_clock(ApplicationClock::Notice);
            s.clocks.set_clock(*supplement_clock);
        }
        ApplicationEvent::Supplemented { materials, in_person, notice_clock } => {
            s.status = ApplicationStatus::Received;
            s.materials.extend(materials.iter().cloned());
            s.received_at = at;
            came(&mut s, *in_person, "窗口补正", at);
            s.clocks.stop_clock(ApplicationClock::Supplement);
            s.clocks.set_clock(*notice_clock);
        }
        ApplicationEvent::Withdrawn { in_person, deemed, .. } => {
            s.status = ApplicationStatus::Withdrawn;
            s.withdrawn_deemed = *deemed;
            came(&mut s, *in_person, "窗口撤回", at);
            close(&mut s, at);
        }
        ApplicationEvent::Reviewed { opinion, grant } => {
            s.status = ApplicationStatus::Reviewed;
            s.review = Some(Review { opinion: opinion.clone(), grant: *grant });
        }
        ApplicationEvent::Suspended { step, .. } => {
            s.suspended = Some(Suspension { step: step.clone(), back_to: s.status });
            s.status = ApplicationStatus::Suspended;
            for c in s.clocks.iter_mut() {
                if matches!(c.kind, ApplicationClock::Promised | ApplicationClock::Legal) {
                    *c = c.paused(at);
                }
            }
        }
        ApplicationEvent::Resumed { clocks, .. } => {
            if let Some(back) = s.suspended.take() {
                s.status = back.back_to;
            }
            for c in clocks {
                s.clocks.set_clock(*c);
            }
        }
        ApplicationEvent::ExtensionAsked { days, reason } => {
            s.extension = Some(Extension { days: *days, reason: reason.clone(), approved: None });
        }
        ApplicationEvent::ExtensionDecided { approved, clocks, .. } => {
            if let Some(e) = s.extension.as_mut() {
                e.approved = Some(*approved);
            }
            for c in clocks {
                s.clocks.set_clock(*c);
            }
        }
        ApplicationEvent::Decided { grant, reasons, on_time, certificate_clock, working_seconds } => {
            s.decided_at = Some(at);
            s.working_seconds = *working_seconds;
            s.granted = Some(*grant);
            s.reasons = reasons.clone();
            s.on_time = Some(*on_time);
            s.clocks.stop_clock(ApplicationClock::Promised);
            s.clocks.stop_clock(ApplicationClock::Legal);
            s.clocks.stop_clock(ApplicationClock::Notice);
            match certificate_clock {
                Some(c) => {
                    s.status = ApplicationStatus::Certifying;
                    s.clocks.set_clock(*c);
                }
                None => s.status = ApplicationStatus::Delivering,
            }
        }
        ApplicationEvent::Certified { number, valid_from, valid_until, signed } => {
            s.status = ApplicationStatus::Delivering;
            s.certificate = Some(Issued {
                number: number.clone(),
                valid_from: *valid_from,
                valid_until: *valid_until,
                at,
                signed: signed.as_deref().cloned(),
                revoked: None,
            });
            s.clocks.stop_clock(ApplicationClock::Certificate);
        }
        ApplicationEvent::Delivered { how, in_person } => {
            s.status = ApplicationStatus::Done;
            s.delivery = Some(*how);
            came(&mut s, *in_person, "窗口领取", at);
            close(&mut s, at);
        }
        ApplicationEvent::CertificateRevoked { reason } => {
            if let Some(c) = s.certificate.as_mut() {
                c.revoked = Some((at, reason.clone()));
            }
        }
        ApplicationEvent::Rated { rating, comment, named, dimensions } => {
            s.rated = Some(Rated {
                rating: *rating,
                comment: comment.clone(),
                named: *named,
                at,
                dimensions: dimensions.clone(),
            });
        }
        ApplicationEvent::VisitRated { visit, rating, dimensions, comment, named, .. } => {
            if let Some(v) = (*visit as usize).checked_sub(1).and_then(|i| s.visit_log.get_mut(i)) {
                v.rated = Some(Rated {
                    rating: *rating,
                    comment: comment.clone(),
                    named: *named,
                    at,
                    dimensions: dimensions.clone(),
                });
            }
        }
        ApplicationEvent::PaymentRecorded { reference, amount_fen, paid_on } => {
            s.payment = Some(Payment { reference: reference.clone(), amount_fen: *amount_fen, paid_on: *paid_on });
        }
        ApplicationEvent::EndedWithBundle { .. } => {
            s.status = ApplicationStatus::Withdrawn;
            close(&mut s, at);
        }
        ApplicationEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        ApplicationEvent::ClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    Some(s)
}

fn visit(step: &str, at: DateTime<Utc>) -> Visit {
    Visit { step: step.into(), at, rated: None }
}

/// A step the applicant came in person for: one more visit (跑动).
fn came(s: &mut Application, in_person: bool, step: &str, at: DateTime<Utc>) {
    if in_person {
        s.visits += 1;
        s.visit_log.push(visit(step, at));
    }
}

fn close(s: &mut Application, at: DateTime<Utc>) {
    s.closed_at = Some(at);
    s.clocks.clear();
    s.suspended = None;
}
