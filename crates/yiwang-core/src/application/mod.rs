//! The service application (办件) of 一网通办: a citizen or an enterprise applies for a
//! government service (许可, 确认, 给付, 公共服务) online or at the hall's window, and
//! the owning department accepts it, reviews it and decides, under the clocks of
//! 行政许可法 (working days, §82):
//!
//! - §32: what is missing is told once and completely (一次性告知, 补正) within
//!   `NOTICE_DAYS`; a department that lets them pass has the application counted as
//!   accepted from the day its material arrived (the scheduler records it);
//! - §42: the decision within the service's legal limit (20 days for most licences),
//!   extendable once by at most `EXTENSION_DAYS_MAX` with the head's approval; the
//!   district's shorter 承诺时限 runs beside it;
//! - §44: the certificate within `CERTIFICATE_DAYS` of the decision;
//! - §45: time spent on 听证, 检验, 鉴定, 专家评审 … does not count: the clocks pause,
//!   and the applicant is told in writing.
//!
//! Its life: 收件 (filed online or at the window) → 受理, 不予受理, or 补正 (the
//! clocks stopped until the applicant hands the material in; an applicant who never
//! does is treated as withdrawing) → 审查 (with its §45 pauses) → 决定 (准予 or 不予
//! 许可) → 制证 → 送达, which ends it (办结). The applicant may withdraw (撤回) at any
//! point before the decision. A 即办件 is decided at once, at 受理.
//!
//! Every step records whether the applicant had to come in person, so 跑动次数 is a
//! fact of the record: a 补正 at the window counts 2 visits, an all-online
//! application 0.

pub mod certificate;
mod decide;
mod event;
mod kind;
pub mod service;
mod state;

pub use decide::{alarms, decide, open, open_part, sees_all};
pub use event::{ApplicationEnvelope, ApplicationEvent};
pub use kind::{
    ApplicationDetail, ApplicationKind, FACT_DIMENSION, FACT_DONE, FACT_INSTANT, FACT_ONLINE, FACT_RATED, FACT_REUSED,
    FACT_TIME, FACT_VISIT_RATED, FACT_VISITS,
};
pub use service::{Catalogue, Service};
pub use state::{Application, ApplicationStatus, Issued, Rated, Rejection, Review, Suspension, Visit, evolve};

use crate::deadline::ClockName;
use crate::id::{CreditCode, UnitCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use service::{CERTIFICATE_DAYS, EXTENSION_DAYS_MAX, NOTICE_DAYS};

/// The clocks an application runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationClock {
    /// From receiving the material to 受理, 不予受理 or a complete 补正 notice (§32).
    Notice,
    /// The applicant's time to hand in what a 补正 asked for.
    Supplement,
    /// The district's 承诺时限, from 受理 to the decision.
    Promised,
    /// The 法定时限 (§42), from 受理 to the decision.
    Legal,
    /// From a granting decision to the certificate (§44).
    Certificate,
}

impl ClockName for ApplicationClock {
    fn label(self) -> &'static str {
        match self {
            Self::Notice => "受理告知",
            Self::Supplement => "补正期限",
            Self::Promised => "承诺时限",
            Self::Legal => "法定时限",
            Self::Certificate => "制证时限",
        }
    }
}

pub type Clock = crate::deadline::Clock<ApplicationClock>;

/// 一网通办's periods that are the district's, not a service's: `[application]` in
/// `limits.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationLimits {
    /// Working days a department has to verify a bad rating (差评), put it right and
    /// answer the applicant: 15, the common provincial rule (GB/T 39734-2020 §9).
    pub bad_rating_days: u32,
}

impl Default for ApplicationLimits {
    fn default() -> Self {
        ApplicationLimits { bad_rating_days: 15 }
    }
}

impl ApplicationLimits {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=60).contains(&self.bad_rating_days) {
            return Err("[application] bad_rating_days must be 1 to 60 working days".into());
        }
        Ok(())
    }
}

/// 好差评: the five levels of a rating. The first three are 好评, the last two 差评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Rating {
    VerySatisfied,
    Satisfied,
    Basic,
    Unsatisfied,
    VeryUnsatisfied,
}

impl Rating {
    pub const ALL: [Rating; 5] =
        [Rating::VerySatisfied, Rating::Satisfied, Rating::Basic, Rating::Unsatisfied, Rating::VeryUnsatisfied];
    pub fn label(self) -> &'static str {
        match self {
            Self::VerySatisfied => "非常满意",
            Self::Satisfied => "满意",
            Self::Basic => "基本满意",
            Self::Unsatisfied => "不满意",
            Self::VeryUnsatisfied => "非常不满意",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerySatisfied => "very_satisfied",
            Self::Satisfied => "satisfied",
            Self::Basic => "basic",
            Self::Unsatisfied => "unsatisfied",
            Self::VeryUnsatisfied => "very_unsatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Rating> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// 好评: 非常满意, 满意 and 基本满意.
    pub fn is_good(self) -> bool {
        matches!(self, Self::VerySatisfied | Self::Satisfied | Self::Basic)
    }
    /// The level as a score for a dimension's average: 非常满意 5 … 非常不满意 1.
    pub fn score(self) -> u8 {
        match self {
            Self::VerySatisfied => 5,
            Self::Satisfied => 4,
            Self::Basic => 3,
            Self::Unsatisfied => 2,
            Self::VeryUnsatisfied => 1,
        }
    }
}

/// 好差评's dimensions (分项评价) beside the overall level (整体满意度, which is the
/// rating itself), each on the five levels. An application's rating (网上评价) takes
/// 办事效率, 办事指南精确度, 办事便捷度 and 平台操作性; a visit's at the hall (现场评价)
/// takes 服务效率, 服务水平 and 服务态度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Dimension {
    /// 办事效率 online, 服务效率 at the hall.
    Efficiency,
    /// 办事指南精确度 (online).
    Guide,
    /// 办事便捷度 (online).
    Convenience,
    /// 平台操作性 (online).
    Platform,
    /// 服务水平 (hall).
    Level,
    /// 服务态度 (hall).
    Attitude,
}

/// A rating's dimensions as given: each at most once, in a stable order.
pub type Dimensions = BTreeMap<Dimension, Rating>;

impl Dimension {
    /// An application's rating (online).
    pub const ONLINE: [Dimension; 4] = [Self::Efficiency, Self::Guide, Self::Convenience, Self::Platform];
    /// A visit's rating (at the hall).
    pub const HALL: [Dimension; 3] = [Self::Efficiency, Self::Level, Self::Attitude];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Efficiency => "efficiency",
            Self::Guide => "guide",
            Self::Convenience => "convenience",
            Self::Platform => "platform",
            Self::Level => "level",
            Self::Attitude => "attitude",
        }
    }
    pub fn parse(s: &str) -> Option<Dimension> {
        Self::ONLINE.into_iter().chain(Self::HALL).find(|d| d.as_str() == s)
    }
    /// Its Chinese name, online or at the hall.
    pub fn label(self, hall: bool) -> &'static str {
        match (self, hall) {
            (Self::Efficiency, false) => "办事效率",
            (Self::Efficiency, true) => "服务效率",
            (Self::Guide, _) => "办事指南精确度",
            (Self::Convenience, _) => "办事便捷度",
            (Self::Platform, _) => "平台操作性",
            (Self::Level, _) => "服务水平",
            (Self::Attitude, _) => "服务态度",
        }
    }
}

/// A fee paid (缴费), as the applicant or the window records it: the payment's
/// reference, the amount in fen and the day. No payment gateway: the reference is
/// what the bank or the 非税收入 system gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub reference: String,
    pub amount_fen: u64,
    pub paid_on: chrono::NaiveDate,
}

/// Where an application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// 网上申请: the portal or the app.
    Online,
    /// 窗口申请: registered by a clerk, the applicant present.
    Window,
}

/// An enterprise that applies, as the application records it (#9's register links
/// to it by the code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enterprise {
    pub code: CreditCode,
    pub name: String,
}

/// A material as handed in: a file uploaded, or an e-certificate of the applicant's
/// own standing in for it (证照复用: nothing is uploaded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provided {
    /// The service's material code.
    pub material: String,
    /// The stored files (`uploads/…`).
    #[serde(default)]
    pub files: Vec<String>,
    /// The number of the certificate that stands in for it.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Handed in on paper at the window, where the clerk checked it (纸质材料).
    #[serde(default)]
    pub paper: bool,
}

/// One item of a 补正 notice: what is missing or wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Missing {
    /// The service's material code, or none for something not on the list.
    #[serde(default)]
    pub material: Option<String>,
    pub what: String,
}

/// A decision on the application (决定).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// 准予 rather than 不予许可.
    pub grant: bool,
    /// The reasons; required for a refusal, which also states the right to appeal.
    #[serde(default)]
    pub reasons: Option<String>,
}

/// How the result reaches the applicant (送达).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Delivery {
    /// 窗口领取: the applicant comes in (a visit).
    Window,
    /// 当场送达: a 即办件's result handed over in the visit it was decided in.
    OnTheSpot,
    /// 邮寄送达
    Post,
    /// 电子送达: the e-certificate and the decision online.
    Electronic,
}

/// The bundle (一件事) an application is a part of, and which part: recorded at
/// filing, so the part is never opened twice and queues can mark it 联办.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartOf {
    pub bundle: crate::id::CaseId,
    /// The part's code: its service's.
    pub part: String,
}

/// What opens an application: the service as it stands now (copied into the record),
/// who applies, and what they handed in.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApplication {
    pub service: Service,
    pub channel: Channel,
    /// For an enterprise's application; a person's is the applicant's own.
    pub enterprise: Option<Enterprise>,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<Provided>,
    /// The area the matter lies in, if it has one (a shop's street).
    pub area: Option<UnitCode>,
    /// The code the applicant follows it by (办件查询码).
    pub tracking_code: Option<String>,
}

/// What people do with an application: `{"action": "accept"}`, one per call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Named apart in the OpenAPI document: the task's, the 差评整改's and the
// application's commands would otherwise all be `Command`, and one would hide the others.
#[cfg_attr(feature = "openapi", schema(as = ApplicationCommand))]
pub enum Command {
    /// 受理; a 即办件 is decided in the same step.
    Accept {
        #[serde(default)]
        verdict: Option<Verdict>,
    },
    /// 不予受理, with the reason and its legal basis.
    Reject { reason: String, basis: String },
    /// 补正告知: everything missing, once; `on_the_spot` at the window (当场告知).
    AskSupplement {
        missing: Vec<Missing>,
        #[serde(default)]
        on_the_spot: bool,
    },
    /// The applicant hands in what was asked for (online, or at the window).
    Supplement {
        materials: Vec<Provided>,
        #[serde(default)]
        in_person: bool,
    },
    /// 撤回, by the applicant, before the decision.
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        in_person: bool,
    },
    /// 审查意见.
    Review { opinion: String, grant: bool },
    /// A §45 step starts (听证, 检验 …): the clocks pause, the applicant is told.
    Suspend { step: String, reason: String },
    /// The §45 step is over: the clocks run again.
    Resume { result: String },
    /// 延期申请 (§42), by the reviewer or approver.
    AskExtension { days: u32, reason: String },
    /// The head's answer (本机关负责人批准).
    DecideExtension {
        approved: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// 决定.
    Decide { verdict: Verdict },
    /// 制证: the certificate issued. The app signs it and puts it in `signed`, which
    /// no request can set.
    Certify {
        number: String,
        valid_from: chrono::NaiveDate,
        #[serde(default)]
        valid_until: Option<chrono::NaiveDate>,
        #[serde(skip)]
        #[cfg_attr(feature = "openapi", schema(ignore))]
        signed: Option<Box<certificate::SignedCertificate>>,
    },
    /// 吊销 the certificate, with the reason; seen at every verification after.
    Revoke { reason: String },
    /// 送达, which ends the application (办结).
    Deliver { how: Delivery },
    /// The bundle this application is a part of stopped (一件事终止): the system ends
    /// it before its decision, and the applicant is told.
    EndWithBundle { reason: String },
    /// 好差评: the applicant's rating once it has ended (办结 or 不予受理), once;
    /// `named` when they let the department call them back about it (实名评价).
    Rate {
        rating: Rating,
        #[serde(default)]
        comment: Option<String>,
        #[serde(default)]
        named: bool,
        /// 办事效率, 办事指南精确度, 办事便捷度, 平台操作性 (each may be left out).
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(inline))]
        dimensions: Dimensions,
    },
    /// 好差评 of one visit at the hall (现场评价): `visit` counts the applicant's visits
    /// from 1 (跑动次数), each rated once, on the window's 评价器, before or after
    /// the application ends.
    RateVisit {
        visit: u32,
        rating: Rating,
        /// 服务效率, 服务水平, 服务态度 (each may be left out).
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(inline))]
        dimensions: Dimensions,
        #[serde(default)]
        comment: Option<String>,
        #[serde(default)]
        named: bool,
    },
    /// 缴费: the payment of a fee-bearing service, once the decision grants and
    /// before 制证, by the applicant or the window.
    RecordPayment { reference: String, amount_fen: u64, paid_on: chrono::NaiveDate },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept",
            Self::Reject { .. } => "reject",
            Self::AskSupplement { .. } => "ask_supplement",
            Self::Supplement { .. } => "supplement",
            Self::Withdraw { .. } => "withdraw",
            Self::Review { .. } => "review",
            Self::Suspend { .. } => "suspend",
            Self::Resume { .. } => "resume",
            Self::AskExtension { .. } => "ask_extension",
            Self::DecideExtension { .. } => "decide_extension",
            Self::Decide { .. } => "decide",
            Self::Certify { .. } => "certify",
            Self::Deliver { .. } => "deliver",
            Self::Rate { .. } => "rate",
            Self::RateVisit { .. } => "rate_visit",
            Self::RecordPayment { .. } => "record_payment",
            Self::Revoke { .. } => "revoke",
            Self::EndWithBundle { .. } => "end_with_bundle",
        }
    }
}
