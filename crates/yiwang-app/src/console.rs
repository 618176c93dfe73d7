//! What the browser pages need beyond the API's use cases: which actions a staff
//! member may take on a case now, so the console offers only those forms (and the API
//! takes a reply's photos only from who may reply); and the photos of a citizen's own
//! appeal for the tracking page.
//!
//! The answer comes from core's `decide`, run on sample input without storing
//! anything: the rules stay in one place and the console never guesses them.

use crate::{App, AppError, Result};
use yiwang_core::appeal::{self, Action, Appeal, AppealKind, ReplyOutcome, Satisfaction};
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::Actor;

/// Refusals that mean "not for you, not now" rather than "not with this input".
const UNAVAILABLE: [&str; 9] = [
    "forbidden",
    "transition_not_allowed",
    "case_closed",
    "already_done",
    "not_a_consultation",
    "no_extension_pending",
    "extension_pending",
    "deadline_passed",
    "case_suspended",
];

impl App {
    /// Whether the actor may reply to the case now, and so upload the photos of the
    /// work done for that reply: a case they may not see is not found.
    pub fn may_reply(&self, actor: &Actor, id: &CaseId) -> Result<()> {
        let a = self.load_as::<AppealKind>(id)?;
        if !appeal::can_view(&a, actor) {
            return Err(AppError::NotFound("工单"));
        }
        if !self.available_actions(actor, &a).contains(&"reply") {
            return Err(AppError::Forbidden("只有正在办理本工单的承办单位可以上传处置后照片".into()));
        }
        Ok(())
    }

    /// The names of the actions (`Action::name`) this actor may take on the case now,
    /// in the order the console shows them.
    pub fn available_actions(&self, actor: &Actor, a: &Appeal) -> Vec<&'static str> {
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        let category: Option<CategoryCode> = r.taxonomy.categories().next().map(|c| c.code.clone());
        // A unit other than the holder, for the samples that name one.
        let other: Option<UnitCode> = r
            .org
            .units()
            .filter(|u| u.kind.can_handle())
            .map(|u| u.code.clone())
            .find(|u| Some(u) != a.unit.as_ref() && !a.co_units.iter().any(|c| &c.unit == u));
        let note = || "—".to_owned();
        let mut samples = vec![];
        if let Some(c) = &category {
            samples.push(Action::Dispatch { category: c.clone(), unit: None, note: None });
        }
        samples.push(Action::SignFor);
        samples.push(Action::Return { reason: note() });
        if let Some(u) = &other {
            samples.push(Action::Reassign { unit: u.clone(), category: None, reason: note() });
            samples.push(Action::Summon { units: vec![u.clone()], note: None });
        }
        samples.extend([
            Action::ReportIn,
            Action::AnswerPart { text: note() },
            Action::Contact { note: note() },
            Action::RequestExtension { working_days: 1, reason: note() },
            Action::DecideExtension { approve: true, note: None },
            Action::Suspend { reason: note() },
            Action::Resume,
            Action::Reply { outcome: ReplyOutcome::Resolved, text: note(), photos: vec![] },
            Action::Callback { solved: true, satisfaction: Satisfaction::Satisfied, note: None },
            Action::AnswerDirectly { answer: note() },
            Action::Remind { note: note() },
            Action::Supervise { note: note() },
            Action::Reopen { reason: note() },
            Action::Close { note: None },
        ]);
        if let Ok(into) = CaseId::parse("YW20000101000001") {
            samples.push(Action::Merge { into });
        }
        samples
            .into_iter()
            .filter(|s| match appeal::decide(a, s, &ctx) {
                Ok(_) => true,
                Err(r) => !UNAVAILABLE.contains(&r.code()),
            })
            .map(|s| s.name())
            .collect()
    }
}
