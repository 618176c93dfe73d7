//! What happened to an application. Each event carries what was decided when it
//! happened (the service's version, clocks with their deadlines, whether the decision
//! kept the promise), so `evolve` needs no calendar and makes no decisions.

use super::service::Service;
use super::{ApplicationClock, Channel, Clock, Delivery, Dimensions, Enterprise, Missing, PartOf, Provided, Rating};
use crate::id::{PersonId, UnitCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationEvent {
    /// 收件: the application with the service as it stood (its version kept whole),
    /// and the §32 notice clock started.
    Filed {
        service: Box<Service>,
        channel: Channel,
        #[serde(default)]
        enterprise: Option<Enterprise>,
        form: BTreeMap<String, String>,
        materials: Vec<Provided>,
        #[serde(default)]
        area: Option<UnitCode>,
        #[serde(default)]
        tracking_code: Option<String>,
        /// The applicant (or the enterprise's agent), kept beside the record.
        #[serde(default)]
        person: Option<PersonId>,
        /// The unit whose window registered it (the hall's 综合窗口), if not online.
        #[serde(default)]
        registered_by: Option<UnitCode>,
        notice_clock: Clock,
        /// The bundle (一件事) it is a part of, if any.
        #[serde(default)]
        bundle: Option<PartOf>,
    },
    /// 受理. `deemed`: the §32 notice period passed with no word, so the application
    /// counts as accepted from `from`, when its material arrived. A 即办件 starts no
    /// clocks: its decision follows in the same step.
    Accepted {
        deemed: bool,
        from: DateTime<Utc>,
        #[serde(default)]
        promised_clock: Option<Clock>,
        #[serde(default)]
        legal_clock: Option<Clock>,
    },
    /// 不予受理, with the reason and its legal basis.
    Rejected {
        reason: String,
        basis: String,
    },
    /// 补正告知: everything missing, at once, on the spot at the window (当场) or in
    /// writing; the applicant's period starts. Telling costs the applicant no visit:
    /// handing the material in does.
    SupplementAsked {
        missing: Vec<Missing>,
        on_the_spot: bool,
        supplement_clock: Clock,
    },
    /// The material handed in; the §32 notice period starts again from it.
    Supplemented {
        materials: Vec<Provided>,
        in_person: bool,
        notice_clock: Clock,
    },
    /// 撤回 by the applicant; `deemed` when the 补正 period passed (视为撤回).
    Withdrawn {
        #[serde(default)]
        reason: Option<String>,
        in_person: bool,
        deemed: bool,
    },
    /// 审查意见.
    Reviewed {
        opinion: String,
        grant: bool,
    },
    /// A §45 step began: the decision's clocks pause.
    Suspended {
        step: String,
        step_name: String,
        reason: String,
    },
    /// The §45 step ended: the clocks run again with what they had left.
    Resumed {
        result: String,
        #[serde(default)]
        clocks: Vec<Clock>,
    },
    ExtensionAsked {
        days: u32,
        reason: String,
    },
    /// The head's answer; approved, the legal and promised clocks move by the days.
    ExtensionDecided {
        approved: bool,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        clocks: Vec<Clock>,
    },
    /// 决定: 准予 or 不予许可. `on_time` against the 承诺时限 (and the legal limit,
    /// which is never shorter).
    Decided {
        grant: bool,
        #[serde(default)]
        reasons: Option<String>,
        on_time: bool,
        #[serde(default)]
        certificate_clock: Option<Clock>,
        /// Working time from 受理 to the decision, §45's pauses left out.
        #[serde(default)]
        working_seconds: Option<i64>,
    },
    /// 制证, with the certificate as signed.
    Certified {
        number: String,
        valid_from: NaiveDate,
        #[serde(default)]
        valid_until: Option<NaiveDate>,
        #[serde(default)]
        signed: Option<Box<super::certificate::SignedCertificate>>,
    },
    /// 吊销.
    CertificateRevoked {
        reason: String,
    },
    /// 送达, which ends the application (办结).
    Delivered {
        how: Delivery,
        in_person: bool,
    },
    /// 好差评.
    Rated {
        rating: Rating,
        #[serde(default)]
        comment: Option<String>,
        named: bool,
        /// The online dimensions given (none in events recorded before they were).
        #[serde(default, skip_serializing_if = "Dimensions::is_empty")]
        #[cfg_attr(feature = "openapi", schema(inline))]
        dimensions: Dimensions,
    },
    /// 好差评 of one visit at the hall (现场评价); `step` names the visit, as the
    /// state's visit log has it.
    VisitRated {
        visit: u32,
        step: String,
        rating: Rating,
        #[serde(default, skip_serializing_if = "Dimensions::is_empty")]
        #[cfg_attr(feature = "openapi", schema(inline))]
        dimensions: Dimensions,
        #[serde(default)]
        comment: Option<String>,
        named: bool,
    },
    /// 缴费, recorded before 制证.
    PaymentRecorded {
        reference: String,
        amount_fen: u64,
        paid_on: NaiveDate,
    },
    /// Ended before its decision because its bundle (一件事) stopped.
    EndedWithBundle {
        reason: String,
    },
    /// A clock passed its warning point (黄灯).
    ClockWarned {
        clock: ApplicationClock,
        due: DateTime<Utc>,
    },
    /// A clock passed its deadline (红灯).
    ClockOverdue {
        clock: ApplicationClock,
        due: DateTime<Utc>,
    },
}

impl ApplicationEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Filed { .. } => "filed",
            Self::Accepted { .. } => "application_accepted",
            Self::Rejected { .. } => "application_rejected",
            Self::SupplementAsked { .. } => "supplement_asked",
            Self::Supplemented { .. } => "supplemented",
            Self::Withdrawn { .. } => "application_withdrawn",
            Self::Reviewed { .. } => "application_reviewed",
            Self::Suspended { .. } => "application_suspended",
            Self::Resumed { .. } => "application_resumed",
            Self::ExtensionAsked { .. } => "application_extension_asked",
            Self::ExtensionDecided { .. } => "application_extension_decided",
            Self::Decided { .. } => "application_decided",
            Self::Certified { .. } => "certified",
            Self::CertificateRevoked { .. } => "certificate_revoked",
            Self::Delivered { .. } => "delivered",
            Self::Rated { .. } => "application_rated",
            Self::EndedWithBundle { .. } => "application_ended_with_bundle",
            Self::VisitRated { .. } => "application_visit_rated",
            Self::PaymentRecorded { .. } => "application_payment_recorded",
            Self::ClockWarned { .. } => "application_clock_warned",
            Self::ClockOverdue { .. } => "application_clock_overdue",
        }
    }

    /// Whether the applicant sees it in their timeline: not the department's inner
    /// steps (the reviewer's opinion, an extension asked for but not yet granted,
    /// the clocks' colours).
    pub fn is_public(&self) -> bool {
        !matches!(
            self,
            Self::Reviewed { .. }
                | Self::ExtensionAsked { .. }
                | Self::ExtensionDecided { approved: false, .. }
                | Self::ClockWarned { .. }
                | Self::ClockOverdue { .. }
        )
    }

    /// A one-line Chinese description for timelines.
    pub fn summary(&self) -> String {
        use crate::deadline::ClockName;
        match self {
            Self::Filed { service, channel: Channel::Online, .. } => format!("网上申请：{}", service.name),
            Self::Filed { service, .. } => format!("窗口收件：{}", service.name),
            Self::Accepted { deemed: true, .. } => "逾期未告知补正，自收到材料之日起视为受理".into(),
            Self::Accepted { .. } => "受理".into(),
            Self::Rejected { reason, .. } => format!("不予受理：{reason}"),
            Self::SupplementAsked { missing, .. } => format!("一次性告知补正 {} 项材料", missing.len()),
            Self::Supplemented { .. } => "补正材料已提交".into(),
            Self::Withdrawn { deemed: true, .. } => "逾期未补正，视为撤回申请".into(),
            Self::Withdrawn { .. } => "申请人撤回申请".into(),
            Self::Reviewed { grant: true, .. } => "审查意见：建议准予".into(),
            Self::Reviewed { grant: false, .. } => "审查意见：建议不予".into(),
            Self::Suspended { step_name, .. } => format!("进入{step_name}，所需时间不计入办理时限"),
            Self::Resumed { .. } => "特别程序结束，恢复计时".into(),
            Self::ExtensionAsked { days, .. } => format!("申请延长 {days} 个工作日"),
            Self::ExtensionDecided { approved: true, .. } => "负责人批准延期".into(),
            Self::ExtensionDecided { .. } => "负责人不批准延期".into(),
            Self::Decided { grant: true, .. } => "决定：准予".into(),
            Self::Decided { .. } => "决定：不予许可".into(),
            Self::Certified { number, .. } => format!("制证：{number}"),
            Self::CertificateRevoked { reason } => format!("吊销证照：{reason}"),
            Self::Delivered { how, .. } => format!(
                "送达（{}），办结",
                match how {
                    Delivery::Window => "窗口领取",
                    Delivery::OnTheSpot => "当场送达",
                    Delivery::Post => "邮寄",
                    Delivery::Electronic => "电子送达",
                }
            ),
            Self::Rated { rating, .. } => format!("申请人评价：{}", rating.label()),
            Self::EndedWithBundle { reason } => format!("一件事终止，本事项随之终止：{reason}"),
            Self::VisitRated { visit, step, rating, .. } => {
                format!("第 {visit} 次到窗口（{step}）现场评价：{}", rating.label())
            }
            Self::PaymentRecorded { reference, amount_fen, .. } => {
                format!("已缴费 {}.{:02} 元（缴费凭证号 {reference}）", amount_fen / 100, amount_fen % 100)
            }
            Self::ClockWarned { clock, .. } => format!("{}即将届满（黄灯）", clock.label()),
            Self::ClockOverdue { clock, .. } => format!("{}已超期（红灯）", clock.label()),
        }
    }
}

/// An application's event as recorded.
pub type ApplicationEnvelope = crate::case::Envelope<ApplicationEvent>;
