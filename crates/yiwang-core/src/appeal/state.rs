//! The current state of an appeal, folded from its events.

use super::command::ReplyOutcome;
use super::event::{AppealEvent, Envelope};
use super::limits::{Clock, ClockKind};
use super::{AppealType, Channel, Location, Satisfaction};
use crate::deadline::{Clocks, Stage, Urgency};
use crate::id::{CaseId, CategoryCode, PersonId, TrackingCode, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// 待派单 (new, or returned by a unit)
    Accepted,
    /// 待签收
    Dispatched,
    /// 办理中
    Handling,
    /// 待回访
    Replied,
    /// 已回访，未解决: waits for the centre to reopen or close
    CalledBack,
    /// 已结案
    Closed,
    /// 已并案: a duplicate joined to its master case, waiting for the master's reply
    Merged,
}

impl Status {
    pub const ALL: [Status; 7] =
        [Self::Accepted, Self::Dispatched, Self::Handling, Self::Merged, Self::Replied, Self::CalledBack, Self::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Dispatched => "dispatched",
            Self::Handling => "handling",
            Self::Replied => "replied",
            Self::CalledBack => "called_back",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "待派单",
            Self::Dispatched => "待签收",
            Self::Handling => "办理中",
            Self::Replied => "待回访",
            Self::CalledBack => "已回访",
            Self::Closed => "已办结",
            Self::Merged => "已并案",
        }
    }
}

/// How a closed case ended: the honest outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// 已解决
    Resolved,
    /// 无法解决, with the reason in the reply
    CannotSolve,
    /// The citizen said it is not solved and the centre closed it anyway (e.g. an
    /// unreasonable demand).
    Unsolved,
    /// 重复件, merged into another case
    Merged,
    /// 直接办结 by the operator
    AnsweredDirectly,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Resolved => "已解决",
            Self::CannotSolve => "无法解决",
            Self::Unsolved => "未解决",
            Self::Merged => "重复件合并",
            Self::AnsweredDirectly => "直接办结",
        }
    }
}

/// A summoned co-unit (协办单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoUnit {
    pub unit: UnitCode,
    pub summoned_at: DateTime<Utc>,
    pub reported_in_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// One dispatch of the case to a unit, with what the response rate measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub unit: UnitCode,
    pub dispatched_at: DateTime<Utc>,
    pub sign_due: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub contact_due: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    /// When the unit stopped holding the case (returned or reassigned).
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingExtension {
    pub working_days: u32,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyRecord {
    pub unit: UnitCode,
    pub outcome: ReplyOutcome,
    pub text: String,
    pub at: DateTime<Utc>,
    /// Replied before the resolve clock ran out.
    pub on_time: bool,
    /// Photos of the work done (处置后照片), upload names. A duplicate's copy of its
    /// master's reply carries none: the photos stay with the case they were uploaded to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackRecord {
    pub unit: Option<UnitCode>,
    pub solved: bool,
    pub satisfaction: Satisfaction,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appeal {
    pub id: CaseId,
    pub status: Status,
    pub channel: Channel,
    pub appeal_type: AppealType,
    pub urgency: Urgency,
    pub title: Option<String>,
    pub text: String,
    pub location: Location,
    pub citizen: Option<PersonId>,
    pub attachments: Vec<String>,
    pub tracking_code: TrackingCode,
    pub category: Option<CategoryCode>,
    /// The category the operator gave at intake, if any: a later change is a
    /// correction the dispatch model learns from.
    #[serde(default)]
    pub intake_category: Option<CategoryCode>,
    /// The unit holding the case (承办单位), if dispatched.
    pub unit: Option<UnitCode>,
    pub co_units: Vec<CoUnit>,
    /// Clocks now running.
    pub clocks: Vec<Clock>,
    pub assignments: Vec<Assignment>,
    /// The last return, while the case waits for re-dispatch.
    pub returned: Option<(UnitCode, String)>,
    pub extension: Option<PendingExtension>,
    pub suspended_since: Option<DateTime<Utc>>,
    pub reply: Option<ReplyRecord>,
    pub callbacks: Vec<CallbackRecord>,
    pub outcome: Option<Outcome>,
    pub merged_into: Option<CaseId>,
    /// The duplicates joined to this case, whose callers get its reply.
    #[serde(default)]
    pub duplicates: Vec<CaseId>,
    /// Every photo a reply of this case carried, a withdrawn reply's (after a reopen)
    /// included: they are the case's files as much as `attachments`.
    #[serde(default)]
    pub reply_photos: Vec<String>,
    pub returns: u32,
    pub reopens: u32,
    pub reminders: u32,
    pub supervised: bool,
    /// The citizen asked that it not be published.
    #[serde(default)]
    pub private: bool,
    pub accepted_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The sequence number of the last event folded in.
    pub version: u32,
}

impl Appeal {
    /// Whether the case's routing was corrected: its category changed after intake,
    /// a unit returned it as not its own, or the centre reassigned it.
    pub fn was_corrected(&self) -> bool {
        self.returns > 0
            || self.assignments.len() > 1
            || (self.intake_category.is_some() && self.intake_category != self.category)
    }
    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.clock(kind)
    }
    /// The worst colour of any running clock.
    pub fn stage(&self) -> Stage {
        self.clocks.worst_stage()
    }
    /// The earliest instant the scheduler must look at this case again.
    pub fn next_alarm(&self) -> Option<DateTime<Utc>> {
        self.clocks.next_alarm()
    }
    /// The deadline that matters now: the earliest due of the running clocks.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.clocks.next_due()
    }
    pub fn is_open(&self) -> bool {
        self.status != Status::Closed
    }
    fn current_assignment(&mut self) -> Option<&mut Assignment> {
        self.assignments.last_mut().filter(|a| a.ended_at.is_none())
    }
    /// The case goes to a unit (dispatch or reassignment): a new assignment starts,
    /// with its sign-for and resolve clocks.
    fn assign(&mut self, unit: &UnitCode, category: &CategoryCode, sign: Clock, resolve: Clock, at: DateTime<Utc>) {
        self.status = Status::Dispatched;
        self.unit = Some(unit.clone());
        self.category = Some(category.clone());
        self.co_units.clear();
        self.clocks.set_clock(sign);
        self.clocks.set_clock(resolve);
        self.assignments.push(Assignment {
            unit: unit.clone(),
            dispatched_at: at,
            sign_due: sign.due,
            signed_at: None,
            contact_due: None,
            contacted_at: None,
            ended_at: None,
        });
    }
    fn end_assignment(&mut self, at: DateTime<Utc>) {
        if let Some(a) = self.current_assignment() {
            a.ended_at = Some(at);
        }
    }
    fn close(&mut self, at: DateTime<Utc>, outcome: Outcome) {
        self.status = Status::Closed;
        self.outcome = Some(outcome);
        self.closed_at = Some(at);
        self.clocks.clear();
        // Nothing stays pending on a closed case: a reopened one starts clean.
        self.extension = None;
        self.suspended_since = None;
    }
}

impl Appeal {
    /// What `decide` relies on (`Kind::check`): a case with a unit working on it has
    /// that unit and a category; a replied case has its reply; a suspended one, the
    /// resolve clock it will resume.
    pub fn check(&self) -> Result<(), String> {
        // A replied case is held by the unit that replied (a merged duplicate's reply is
        // its master's, given without a unit of its own).
        let held = matches!(self.status, Status::Dispatched | Status::Handling)
            || (self.status == Status::Replied && self.reply.is_none());
        if held && self.unit.is_none() {
            return Err(format!("the appeal is {} but no unit holds it", self.status.as_str()));
        }
        if matches!(self.status, Status::Dispatched | Status::Handling) && self.category.is_none() {
            return Err(format!("the appeal is {} but has no category", self.status.as_str()));
        }
        if self.status == Status::Replied && self.reply.is_none() {
            return Err("the appeal is replied but holds no reply".into());
        }
        if self.status == Status::Merged && self.merged_into.is_none() {
            return Err("the appeal is merged but names no master case".into());
        }
        if self.suspended_since.is_some() && self.clock(ClockKind::Resolve).is_none() {
            return Err("the appeal is suspended but runs no resolve clock".into());
        }
        Ok(())
    }
}

/// Folds one event into the state. `None` before the first event; events other than
/// `Accepted` on no state are ignored (the store never writes such a log).
pub fn evolve(state: Option<Appeal>, env: &Envelope) -> Option<Appeal> {
    let at = env.at;
    if let AppealEvent::Accepted {
        channel,
        appeal_type,
        urgency,
        title,
        text,
        location,
        citizen,
        attachments,
        category,
        tracking_code,
        dispatch_clock,
        private,
    } = &env.event
    {
        return Some(Appeal {
            id: env.case.clone(),
            status: Status::Accepted,
            channel: *channel,
            appeal_type: *appeal_type,
            urgency: *urgency,
            title: title.clone(),
            text: text.clone(),
            location: location.clone(),
            citizen: *citizen,
            attachments: attachments.clone(),
            tracking_code: tracking_code.clone(),
            category: category.clone(),
            intake_category: category.clone(),
            unit: None,
            co_units: vec![],
            clocks: vec![*dispatch_clock],
            assignments: vec![],
            returned: None,
            extension: None,
            suspended_since: None,
            reply: None,
            callbacks: vec![],
            outcome: None,
            merged_into: None,
            duplicates: vec![],
            reply_photos: vec![],
            returns: 0,
            reopens: 0,
            reminders: 0,
            supervised: false,
            private: *private,
            accepted_at: at,
            closed_at: None,
            updated_at: at,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        AppealEvent::Accepted { .. } => unreachable!("handled above"),
        AppealEvent::Dispatched { unit, category, sign_clock, resolve_clock, .. } => {
            s.returned = None;
            s.clocks.stop_clock(ClockKind::Dispatch);
            s.assign(unit, category, *sign_clock, *resolve_clock, at);
        }
        AppealEvent::SignedFor { contact_clock } => {
            s.status = Status::Handling;
            s.clocks.stop_clock(ClockKind::SignFor);
            s.clocks.set_clock(*contact_clock);
            if let Some(a) = s.current_assignment() {
                a.signed_at = Some(at);
                a.contact_due = Some(contact_clock.due);
            }
        }
        AppealEvent::Returned { unit, reason, dispatch_clock } => {
            s.status = Status::Accepted;
            s.returned = Some((unit.clone(), reason.clone()));
            s.returns += 1;
            s.unit = None;
            s.co_units.clear();
            s.extension = None;
            s.suspended_since = None;
            s.end_assignment(at);
            s.clocks.clear();
            s.clocks.set_clock(*dispatch_clock);
        }
        AppealEvent::Reassigned { to, category, sign_clock, resolve_clock, .. } => {
            s.end_assignment(at);
            s.extension = None;
            s.suspended_since = None;
            s.clocks.clear();
            s.assign(to, category, *sign_clock, *resolve_clock, at);
        }
        AppealEvent::Summoned { units, .. } => {
            for u in units {
                s.co_units.push(CoUnit { unit: u.clone(), summoned_at: at, reported_in_at: None, answered_at: None });
            }
        }
        AppealEvent::ReportedIn { unit } => {
            if let Some(c) = s.co_units.iter_mut().find(|c| &c.unit == unit) {
                c.reported_in_at = Some(at);
            }
        }
        AppealEvent::PartAnswered { unit, .. } => {
            if let Some(c) = s.co_units.iter_mut().find(|c| &c.unit == unit) {
                c.answered_at = Some(at);
            }
        }
        AppealEvent::Contacted { .. } => {
            s.clocks.stop_clock(ClockKind::Contact);
            if let Some(a) = s.current_assignment()
                && a.contacted_at.is_none()
            {
                a.contacted_at = Some(at);
            }
        }
        AppealEvent::ExtensionRequested { working_days, reason } => {
            s.extension =
                Some(PendingExtension { working_days: *working_days, reason: reason.clone(), requested_at: at });
        }
        AppealEvent::ExtensionDecided { resolve_clock, .. } => {
            s.extension = None;
            if let Some(c) = resolve_clock {
                s.clocks.set_clock(*c);
            }
        }
        AppealEvent::Reminded { .. } => s.reminders += 1,
        AppealEvent::Supervised { .. } => s.supervised = true,
        AppealEvent::Suspended { .. } => {
            s.suspended_since = Some(at);
            if let Some(c) = s.clocks.clock_mut(ClockKind::Resolve) {
                *c = c.paused(at);
            }
        }
        AppealEvent::Resumed { resolve_clock } => {
            s.suspended_since = None;
            s.clocks.set_clock(*resolve_clock);
        }
        AppealEvent::Replied { outcome, text, photos, callback_clock } => {
            // On time means before the due instant: at the due the clock is already red.
            let on_time = s.clock(ClockKind::Resolve).is_none_or(|c| at < c.due);
            s.status = Status::Replied;
            // A reply without a holding unit is no case `decide` makes; `check` refuses it.
            s.reply = s.unit.clone().map(|unit| ReplyRecord {
                unit,
                outcome: *outcome,
                text: text.clone(),
                at,
                on_time,
                photos: photos.clone(),
            });
            for p in photos {
                if !s.reply_photos.contains(p) {
                    s.reply_photos.push(p.clone());
                }
            }
            // The answer withdraws any extension request still waiting for a decision.
            s.extension = None;
            s.clocks.clear();
            // Now the centre owes the callback (an older reply recorded no clock).
            if let Some(c) = callback_clock {
                s.clocks.set_clock(*c);
            }
        }
        AppealEvent::CalledBack { solved, satisfaction, .. } => {
            // The unit whose answer the caller rates (a joined duplicate's is the master's).
            let unit = s.reply.as_ref().map(|r| r.unit.clone()).or_else(|| s.unit.clone());
            s.callbacks.push(CallbackRecord { unit, solved: *solved, satisfaction: *satisfaction, at });
            s.clocks.stop_clock(ClockKind::Callback);
            if *solved {
                let outcome = match s.reply.as_ref().map(|r| r.outcome) {
                    Some(ReplyOutcome::CannotSolve) => Outcome::CannotSolve,
                    _ => Outcome::Resolved,
                };
                s.close(at, outcome);
            } else {
                s.status = Status::CalledBack;
            }
        }
        AppealEvent::Reopened { clock, .. } => {
            // Back to the unit that held it, or to dispatch when no unit did (a
            // consultation answered directly, a merged duplicate).
            s.status = if clock.kind == ClockKind::Dispatch { Status::Accepted } else { Status::Handling };
            if clock.kind == ClockKind::Dispatch {
                // Waiting for dispatch, no unit holds the case (as after a return).
                s.unit = None;
                s.co_units.clear();
            }
            s.merged_into = None;
            s.reopens += 1;
            s.outcome = None;
            s.closed_at = None;
            s.reply = None;
            s.clocks.clear();
            s.clocks.set_clock(*clock);
        }
        AppealEvent::Closed { .. } => {
            let outcome = match (s.callbacks.last(), s.reply.as_ref().map(|r| r.outcome)) {
                (_, Some(ReplyOutcome::CannotSolve)) => Outcome::CannotSolve,
                (Some(cb), _) if !cb.solved => Outcome::Unsolved,
                _ => Outcome::Resolved,
            };
            s.close(at, outcome);
        }
        AppealEvent::Merged { into } => {
            s.merged_into = Some(into.clone());
            s.end_assignment(at);
            s.close(at, Outcome::Merged);
        }
        AppealEvent::Joined { into } => {
            s.merged_into = Some(into.clone());
            s.status = Status::Merged;
            s.end_assignment(at);
            s.clocks.clear();
            s.extension = None;
            s.suspended_since = None;
        }
        AppealEvent::DuplicateJoined { case } => {
            if !s.duplicates.contains(case) {
                s.duplicates.push(case.clone());
            }
        }
        AppealEvent::MasterReplied { unit, outcome, text, on_time, callback_clock, .. } => {
            s.status = Status::Replied;
            s.reply = Some(ReplyRecord {
                unit: unit.clone(),
                outcome: *outcome,
                text: text.clone(),
                at,
                on_time: *on_time,
                photos: vec![],
            });
            s.clocks.clear();
            if let Some(c) = callback_clock {
                s.clocks.set_clock(*c);
            }
        }
        AppealEvent::AnsweredDirectly { .. } => s.close(at, Outcome::AnsweredDirectly),
        AppealEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        AppealEvent::ClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    Some(s)
}
