//! Intake, actions on a case, and the views of a case for staff and for the citizen.

use crate::{App, AppError, Result};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use yiwang_core::appeal::{
    self, Action, Appeal, AppealEvent, AppealKind, AppealType, Channel, ClockKind, Envelope, Intake, Location, Point,
    Status,
};
use yiwang_core::case::{Case, Context, Events, Kind, Recorded};
use yiwang_core::deadline::Urgency;
use yiwang_core::id::{
    CaseId, CategoryCode, IdNumber, PhoneNumber, TrackingCode, UnitCode, is_plain_text, mask_name, mask_phone,
};
use yiwang_core::org::Actor;
use yiwang_store::{
    AccessEntry, AppendBatch, CaseQuery, IdempotencyKey, ListOrder, NewCase, Notice, OutboxQuery, PersonData,
    StoreError,
};

/// How long a client's Idempotency-Key answers a retry (issue 19: 24 hours); older
/// keys are purged by the scheduler's `tick`.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// The citizen as given at intake. `None` at intake means anonymous.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitizenInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    /// Other contact details (email, address for letters).
    #[serde(default)]
    pub contact: Option<String>,
}

/// A new appeal as a channel submits it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeInput {
    pub channel: Channel,
    pub appeal_type: AppealType,
    #[serde(default = "normal")]
    pub urgency: Urgency,
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    #[serde(default)]
    pub location: Location,
    /// Absent or null: anonymous.
    #[serde(default)]
    pub citizen: Option<CitizenInput>,
    #[serde(default)]
    pub attachments: Vec<String>,
    #[serde(default)]
    pub category: Option<CategoryCode>,
    /// The citizen asks that the appeal not be published (Open311 and other public
    /// lists); it is handled as any other.
    #[serde(default)]
    pub private: bool,
}

fn normal() -> Urgency {
    Urgency::Normal
}

/// What the citizen gets back: the case number and the code to follow it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub case_id: CaseId,
    pub tracking_code: TrackingCode,
    pub status: Status,
    pub accepted_at: DateTime<Utc>,
    pub dispatch_due: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: &'static str,
    pub summary: String,
    /// The event's content (staff view only), without the tracking code.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "without_tracking_code")]
    pub detail: Option<AppealEvent>,
}

/// Staff never see a case's tracking code: with the citizen's phone number, which the
/// holding unit may reveal, it would let a unit answer its own case's callback. The
/// operator who registers a call sees it once, on the call's receipt, to read it out.
fn without_tracking_code<T: Serialize, S: serde::Serializer>(v: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
    let mut j = serde_json::to_value(v).map_err(serde::ser::Error::custom)?;
    if let Some(o) = j.as_object_mut() {
        o.remove("tracking_code");
    }
    j.serialize(s)
}

/// A case as staff see it: its state, its whole timeline, the citizen masked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    #[serde(serialize_with = "without_tracking_code")]
    pub appeal: Appeal,
    pub unit_name: Option<String>,
    pub category_name: Option<String>,
    pub citizen_name: Option<String>,
    pub citizen_phone: Option<String>,
    pub events: Vec<TimelineEntry>,
    /// The callers merged into this case as duplicates: each gets its reply and is
    /// called back in their own right.
    pub merged_callers: Vec<MergedCaller>,
}

/// A duplicate merged into a case, as its page lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergedCaller {
    pub case_id: CaseId,
    pub status_label: &'static str,
    pub accepted_at: DateTime<Utc>,
    /// The caller's name, masked; none when anonymous.
    pub citizen_name: Option<String>,
    pub channel_label: &'static str,
}

/// A case as the citizen sees it: status, public timeline and the reply; no staff
/// notes, no personal data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicView {
    pub case_id: CaseId,
    pub status: Status,
    pub status_label: &'static str,
    pub appeal_type: AppealType,
    pub title: Option<String>,
    pub text: String,
    pub accepted_at: DateTime<Utc>,
    pub unit_name: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub outcome: Option<&'static str>,
    pub can_answer_callback: bool,
    /// When the answer is due: the resolve limit, while it runs (none before dispatch
    /// and after the reply).
    pub reply_due: Option<DateTime<Utc>>,
    /// Where the citizen said it is: the point they chose and the address.
    pub location: appeal::Location,
    pub timeline: Vec<TimelineEntry>,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl App {
    /// Every case `q` matches (its `limit`, `offset`, `order` and `text` aside), in id
    /// order, read a page at a time by id (`ListOrder::ById`): each page costs the same
    /// however deep the walk, where an offset would read again every row it skips.
    pub(crate) fn each_case(
        &self,
        q: &CaseQuery,
        mut f: impl FnMut(yiwang_store::CaseRow) -> Result<()>,
    ) -> Result<()> {
        const PAGE: u32 = 500;
        let mut q = CaseQuery {
            text: None,
            limit: PAGE,
            offset: 0,
            count_up_to: Some(1),
            order: ListOrder::ById { after: None },
            ..q.clone()
        };
        loop {
            let page = self.store.list_cases(&q)?;
            let n = page.rows.len() as u32;
            if let Some(last) = page.rows.last() {
                q.order = ListOrder::ById { after: Some(last.id.clone()) };
            }
            for row in page.rows {
                f(row)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    pub(crate) fn phone_digest(&self, phone: &PhoneNumber) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.config.digest_key).expect("hmac takes any key length");
        mac.update(phone.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The context a decision of any kind runs in.
    pub(crate) fn context<'a>(&'a self, r: &'a crate::Reference, actor: &'a Actor, now: DateTime<Utc>) -> Context<'a> {
        Context {
            now,
            actor,
            calendar: &self.config.calendar,
            limits: &self.config.limits,
            org: &r.org,
            taxonomy: &r.taxonomy,
        }
    }

    /// A person's details as given (name, phone, ID number, other contact), checked;
    /// none when nothing was given. `field` prefixes the fields an error names.
    pub(crate) fn person_data(&self, c: &CitizenInput, field: &str) -> Result<Option<PersonData>> {
        let phone = match clean(&c.phone) {
            Some(p) => Some(PhoneNumber::parse(&p).map_err(|_| {
                AppError::invalid(format!("{field}.phone"), "联系电话格式不正确，请填写11位手机号或带区号的固定电话")
            })?),
            None => None,
        };
        let name = clean(&c.name);
        if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
            return Err(AppError::invalid(format!("{field}.name"), "姓名不能超过50个字"));
        }
        if !name.as_deref().is_none_or(is_plain_text) {
            return Err(AppError::invalid(format!("{field}.name"), "姓名含有不可见的控制字符"));
        }
        let id_number = match clean(&c.id_number) {
            Some(id) => Some(
                IdNumber::parse(&id)
                    .map_err(|e| AppError::invalid(format!("{field}.id_number"), e.rule))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let contact = clean(&c.contact);
        if contact.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(AppError::invalid(format!("{field}.contact"), "其他联系方式不能超过200个字"));
        }
        if !contact.as_deref().is_none_or(is_plain_text) {
            return Err(AppError::invalid(format!("{field}.contact"), "其他联系方式含有不可见的控制字符"));
        }
        if name.is_none() && phone.is_none() && id_number.is_none() && contact.is_none() {
            Ok(None)
        } else {
            Ok(Some(PersonData {
                phone_digest: phone.as_ref().map(|p| self.phone_digest(p)),
                phone: phone.map(|p| p.as_str().to_owned()),
                name,
                id_number,
                contact,
            }))
        }
    }

    /// 受理: registers a new appeal from any channel, and answers once it is on disk.
    /// Blocks the calling thread; an async caller awaits `intake` instead.
    pub fn submit_appeal(&self, actor: &Actor, input: IntakeInput) -> Result<Receipt> {
        block_on(self.intake(actor, &input))
    }

    /// `submit_appeal` once per client's Idempotency-Key: a key used already for
    /// the same request answers the case it made (`replay_intake`), also when a
    /// concurrent retry used it first.
    pub fn submit_appeal_keyed(
        &self,
        actor: &Actor,
        input: IntakeInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<Receipt> {
        let Some(k) = key else { return self.submit_appeal(actor, input) };
        if let Some(r) = self.replay_intake(k)? {
            return Ok(r);
        }
        match block_on(self.intake_keyed(actor, &input, key)) {
            Err(AppError::IdempotencyKeyUsed) => self.replay_intake(k)?.ok_or(AppError::IdempotencyKeyUsed),
            r => r,
        }
    }

    /// 受理, for an async caller: the validation and core's decision run on the
    /// caller's thread, and the future waits for the commit without holding a thread.
    pub async fn intake(&self, actor: &Actor, input: &IntakeInput) -> Result<Receipt> {
        self.intake_keyed(actor, input, None).await
    }

    /// `intake` carrying a client's Idempotency-Key, stored in the case's own commit.
    /// A key its scope used already is refused (`AppError::IdempotencyKeyUsed`)
    /// with nothing written: the caller answers with `replay_intake`, which it
    /// should also have asked first (a lookup blocks, so it is not made here, on
    /// an async worker).
    pub async fn intake_keyed(
        &self,
        actor: &Actor,
        input: &IntakeInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<Receipt> {
        loop {
            let mut new = self.new_case(actor, input)?;
            new.idempotency = key.cloned();
            match self.create_case(new).await {
                // A tracking code collides about once in 31^8 / n cases: draw again.
                Err(StoreError::Duplicate(m)) if m.contains("tracking_code") => continue,
                created => {
                    let a = created?.into_state::<AppealKind>().map_err(|c| wrong_kind(c.id()))?;
                    return Ok(Receipt {
                        dispatch_due: a.clock(ClockKind::Dispatch).map(|c| c.due),
                        case_id: a.id,
                        tracking_code: a.tracking_code,
                        status: a.status,
                        accepted_at: a.accepted_at,
                    });
                }
            }
        }
    }

    /// A new appeal as the store takes it: validated, located, decided by core, with
    /// a fresh tracking code. Does no IO.
    fn new_case(&self, actor: &Actor, input: &IntakeInput) -> Result<NewCase> {
        let now = self.now();
        let r = self.reference();
        let person = match &input.citizen {
            None => None,
            Some(c) => self.person_data(c, "citizen")?,
        };
        let mut location = input.location.clone();
        if let Some(p) = location.point {
            Point::parse(p.lon, p.lat)?;
        }
        // Which area a case belongs to and how urgent it is are staff decisions: from a
        // citizen or a client program they are ignored (the area is found from the
        // point or the address, as for an operator who leaves it empty).
        // The area a citizen chose stays in the address, as what they said, for the
        // operator to check.
        let from_public = matches!(actor, Actor::Citizen | Actor::Client { .. });
        if let Some(area) = location.area.take_if(|_| from_public) {
            let said = format!("（诉求人所选区域：{}）", r.unit_name(&area));
            let address = location.address.take().unwrap_or_default();
            location.address = Some(format!("{address}{said}").chars().take(200).collect());
        }
        let urgency = if from_public { Urgency::Normal } else { input.urgency };
        // An appeal yiwang cannot place is still accepted, for the operator to locate.
        if location.area.is_none() {
            let found = r.locate(&location);
            location.area = found.area;
            location.point = location.point.or(found.point);
        }
        // Uniform digits below 31 (`gen_range` rejects rather than reduces modulo); an
        // anonymous case, followed by its code alone, gets a longer one.
        let mut rng = rand::thread_rng();
        let raw: [u8; 10] = std::array::from_fn(|_| rng.gen_range(0..TrackingCode::BASE));
        let day = yiwang_core::calendar::civil_date(now);
        let tracking_code = if person.is_some() {
            TrackingCode::dated(day, std::array::from_fn(|i| raw[i]))
        } else {
            TrackingCode::dated_anonymous(day, raw)
        };
        let intake = Intake {
            channel: input.channel,
            appeal_type: input.appeal_type,
            urgency,
            // The citizen's or operator's own title, else one taken from the text, so
            // that no queue lists an appeal as （无标题）.
            title: input.title.clone().filter(|t| !t.trim().is_empty()).or_else(|| title_from(&input.text)),
            text: input.text.clone(),
            location,
            citizen: None,
            attachments: input.attachments.clone(),
            category: input.category.clone(),
            tracking_code,
            private: input.private,
        };
        let ctx = self.context(&r, actor, now);
        let events = appeal::decide_intake(&intake, &ctx)?;
        let notices = match &person {
            Some(_) => AppealKind::notices(None, &events).into_iter().map(Notice::to_citizen).collect(),
            None => vec![],
        };
        Ok(NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person,
            events: Events::new::<AppealKind>(events),
            notices,
            idempotency: None,
        })
    }

    /// The case a client's Idempotency-Key was used for, when its scope used it within
    /// `IDEMPOTENCY_HOURS` for the same request (the same fingerprint). The same key
    /// with another request is refused (`IdempotencyKeyReused`); an expired one is
    /// purged and answers none.
    pub fn replay(&self, key: &IdempotencyKey) -> Result<Option<CaseId>> {
        let Some(w) = self.store.idempotent(&key.scope, &key.key)? else { return Ok(None) };
        let expired = self.now() - chrono::Duration::hours(IDEMPOTENCY_HOURS);
        if w.created_at < expired {
            self.store.purge_idempotency(expired)?;
            return Ok(None);
        }
        if w.fingerprint != key.fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        Ok(Some(w.case_id))
    }

    /// What intake answered for a key used already (the case as it is now: same
    /// number, tracking code and acceptance), or none for a key not used yet.
    pub fn replay_intake(&self, key: &IdempotencyKey) -> Result<Option<Receipt>> {
        let Some(id) = self.replay(key)? else { return Ok(None) };
        let a = self.load_as::<AppealKind>(&id).map_err(|_| AppError::IdempotencyKeyReused)?;
        Ok(Some(Receipt {
            dispatch_due: a.clock(ClockKind::Dispatch).map(|c| c.due),
            case_id: a.id,
            tracking_code: a.tracking_code,
            status: a.status,
            accepted_at: a.accepted_at,
        }))
    }

    /// A case of any kind.
    pub fn load_case(&self, id: &CaseId) -> Result<Case> {
        self.store.load(id)?.ok_or(AppError::NotFound("工单"))
    }

    /// A case of kind `K`; one of another kind is not found.
    pub fn load_as<K: Kind>(&self, id: &CaseId) -> Result<K::State> {
        self.load_case(id)?.into_state::<K>().map_err(|_| AppError::NotFound(K::LABEL))
    }

    /// The files a case of any kind holds (photos, evidence), for someone who may see
    /// it; for anyone else the case does not exist.
    pub fn case_attachments(&self, actor: &Actor, id: &CaseId) -> Result<Vec<String>> {
        let case = self.load_case(id)?;
        if !case.can_view(actor) {
            return Err(AppError::NotFound(case.kind_of().label()));
        }
        Ok(case.attachments())
    }

    fn load(&self, id: &CaseId) -> Result<Appeal> {
        self.load_as::<AppealKind>(id)
    }

    /// Runs one command on a case of kind `K`, for any kind: the case is loaded, the
    /// actor must be allowed to see it (one access rule, `Case::can_view`; citizens
    /// and the system act through rules of their own), its kind decides, and the
    /// events are appended. A concurrent change makes the kind decide again on the
    /// fresh state (a few times), so two people never overwrite each other.
    pub fn act_on<K: Kind>(&self, actor: &Actor, id: &CaseId, command: &K::Command) -> Result<K::State> {
        self.act_on_keyed::<K>(actor, id, command, None)
    }

    /// `act_on` storing a client's Idempotency-Key in the events' commit; a key its
    /// scope used already refuses the command (`IdempotencyKeyUsed`) unwritten.
    fn act_on_keyed<K: Kind>(
        &self,
        actor: &Actor,
        id: &CaseId,
        command: &K::Command,
        key: Option<&IdempotencyKey>,
    ) -> Result<K::State> {
        for _ in 0..5 {
            let case = self.load_case(id)?;
            if !case.is::<K>() || (!matches!(actor, Actor::Citizen | Actor::System) && !case.can_view(actor)) {
                return Err(AppError::NotFound(K::LABEL));
            }
            let now = self.now();
            let r = self.reference();
            let state = case.state::<K>().expect("checked the kind");
            let events = K::decide(state, command, &self.context(&r, actor, now))?;
            if events.is_empty() {
                return Ok(state.clone());
            }
            // Told to the case's person, or to the enterprise it is about.
            let mut notices: Vec<Notice> = if case.project().header.person.is_some() || K::NOTICES_TO_ENTERPRISE {
                K::notices(Some(state), &events).into_iter().map(Notice::to_citizen).collect()
            } else {
                vec![]
            };
            let names: Vec<&'static str> = events.iter().map(K::event_name).collect();
            let events = Events::new::<K>(events);
            notices.extend(self.feed_notices(Some(&case), &events, Some(&names), now, actor));
            let mut batch = AppendBatch::new(r.tenant.clone(), case, now, actor.clone(), events);
            batch.notices = notices;
            batch.idempotency = key.cloned();
            match self.store.append(batch).wait() {
                Err(StoreError::Conflict { .. }) => continue,
                other => return other?.into_state::<K>().map_err(|c| wrong_kind(c.id())),
            }
        }
        Err(AppError::Busy)
    }

    /// Runs one command on an appeal.
    pub fn act(&self, actor: &Actor, id: &CaseId, action: &Action) -> Result<Appeal> {
        self.act_keyed(actor, id, action, None).map(|(a, _)| a)
    }

    /// `act` once per client's Idempotency-Key: a retry with a key used already for
    /// this request on this case answers the case as it is now, running nothing again
    /// (the flag says so); the same key for another request or case is refused.
    pub fn act_keyed(
        &self,
        actor: &Actor,
        id: &CaseId,
        action: &Action,
        key: Option<&IdempotencyKey>,
    ) -> Result<(Appeal, bool)> {
        let replayed = self.once(id, key, || self.act_once(actor, id, action, key).map(drop))?;
        Ok((self.load(id)?, replayed))
    }

    /// `act_on` once per client's Idempotency-Key, on a case of any kind: true when
    /// the key was used already for this request on this case, and nothing ran again.
    pub fn act_on_once<K: Kind>(
        &self,
        actor: &Actor,
        id: &CaseId,
        command: &K::Command,
        key: Option<&IdempotencyKey>,
    ) -> Result<bool> {
        self.once(id, key, || self.act_on_keyed::<K>(actor, id, command, key).map(drop))
    }

    /// Runs `run` (which stores `key` with its write) unless `key` was used already
    /// on case `id`: true when it was. The same key for another case is refused; a
    /// key a concurrent retry used first answers what that retry did.
    fn once(&self, id: &CaseId, key: Option<&IdempotencyKey>, run: impl Fn() -> Result<()>) -> Result<bool> {
        let Some(k) = key else { return run().map(|()| false) };
        for _ in 0..2 {
            if let Some(done) = self.replay(k)? {
                if &done != id {
                    return Err(AppError::IdempotencyKeyReused);
                }
                return Ok(true);
            }
            match run() {
                Err(AppError::IdempotencyKeyUsed) => continue,
                done => return done.map(|()| false),
            }
        }
        Err(AppError::IdempotencyKeyUsed)
    }

    fn act_once(&self, actor: &Actor, id: &CaseId, action: &Action, key: Option<&IdempotencyKey>) -> Result<Appeal> {
        if let Action::Merge { into } = action {
            // A case the actor may not see answers as one that does not exist.
            let missing = || AppError::invalid("into", format!("要并入的工单 {into} 不存在"));
            let target = self.load(into).map_err(|_| missing())?;
            if !appeal::can_view(&target, actor) {
                return Err(missing());
            }
            if target.merged_into.is_some() {
                return Err(AppError::invalid("into", format!("工单 {into} 本身已是重复件，请并入主工单")));
            }
        }
        let after = self.act_on_keyed::<AppealKind>(actor, id, action, key)?;
        match action {
            // The master learns of its duplicate; if it is answered already, the
            // duplicate's caller gets that answer now.
            Action::Merge { into } => {
                let master =
                    self.act_on::<AppealKind>(&Actor::System, into, &Action::NoteDuplicate { case: id.clone() })?;
                if master.reply.is_some()
                    && matches!(master.status, Status::Replied | Status::CalledBack | Status::Closed)
                {
                    return self.share_reply(&master, id);
                }
                Ok(after)
            }
            // Every caller merged into this case gets its answer, and their own callback.
            Action::Reply { .. } => {
                for d in &after.duplicates {
                    match self.load(d) {
                        Ok(dup) if dup.status == Status::Merged && dup.merged_into.as_ref() == Some(&after.id) => {
                            self.share_reply(&after, d)?;
                        }
                        _ => {}
                    }
                }
                Ok(after)
            }
            _ => Ok(after),
        }
    }

    /// Gives a master's reply to one of its joined duplicates.
    fn share_reply(&self, master: &Appeal, duplicate: &CaseId) -> Result<Appeal> {
        let reply =
            master.reply.clone().ok_or_else(|| AppError::Internal(format!("case {} has no reply", master.id)))?;
        self.act_on::<AppealKind>(&Actor::System, duplicate, &Action::ShareReply { master: master.id.clone(), reply })
    }

    /// A case for staff. Cases the actor may not see are "not found".
    pub fn case_view(&self, actor: &Actor, id: &CaseId) -> Result<CaseView> {
        let a = self.load(id)?;
        if !appeal::can_view(&a, actor) {
            return Err(AppError::NotFound("工单"));
        }
        let r = self.reference();
        let person = match a.citizen {
            Some(p) => self.store.person(p)?,
            None => None,
        };
        let events = decoded(self.store.events(id)?)?;
        // People by name, unit and role, not by login id.
        let mut names = std::collections::HashMap::new();
        for e in &events {
            if let Actor::Staff { username, .. } = &e.actor
                && !names.contains_key(username)
            {
                let name = self.store.staff(username)?.map(|s| s.name).unwrap_or_else(|| username.to_string());
                names.insert(username.clone(), name);
            }
        }
        let events = events
            .into_iter()
            .map(|e| {
                let who = match &e.actor {
                    Actor::Staff { username, unit, roles, .. } => {
                        let role = roles.first().map(|r| r.label()).unwrap_or("工作人员");
                        Some(format!("{}（{}·{role}）", names[username], r.unit_name(unit)))
                    }
                    _ => None,
                };
                let mut t = timeline_entry(&r, e, true);
                t.actor = who.unwrap_or(t.actor);
                t
            })
            .collect();
        let mut merged_callers = vec![];
        for d in &a.duplicates {
            // One taken back out (reopened as no duplicate after all) is no longer listed.
            let Ok(dup) = self.load(d) else { continue };
            if dup.merged_into.as_ref() != Some(&a.id) {
                continue;
            }
            let name = match dup.citizen {
                Some(p) => self.store.person(p)?.and_then(|p| p.data.name.as_deref().map(mask_name)),
                None => None,
            };
            merged_callers.push(MergedCaller {
                case_id: dup.id.clone(),
                status_label: dup.status.label(),
                accepted_at: dup.accepted_at,
                citizen_name: name,
                channel_label: dup.channel.label(),
            });
        }
        Ok(CaseView {
            merged_callers,
            unit_name: a.unit.as_ref().map(|u| r.unit_name(u)),
            category_name: a.category.as_ref().and_then(|c| r.taxonomy.path_name(c)),
            citizen_name: person.as_ref().and_then(|p| p.data.name.as_deref().map(mask_name)),
            citizen_phone: person.as_ref().and_then(|p| p.data.phone.as_deref().map(mask_phone)),
            appeal: a,
            events,
        })
    }

    /// Reveals a citizen's full phone number to staff who may see the case, and
    /// records who looked (access_log).
    pub fn reveal_phone(&self, actor: &Actor, id: &CaseId) -> Result<Option<String>> {
        let a = self.load(id)?;
        if !appeal::can_view(&a, actor) {
            return Err(AppError::NotFound("工单"));
        }
        // A unit that no longer holds the case (it returned it, or it was reassigned)
        // still reads it, to see what became of its work, but may no longer call the
        // citizen: only the holding unit, its co-units and those who see every case.
        let holds = match actor {
            Actor::Staff { unit, .. } => a.unit.as_ref() == Some(unit) || a.co_units.iter().any(|c| &c.unit == unit),
            _ => false,
        };
        if !holds && !AppealKind::sees_all(actor) {
            return Err(AppError::Forbidden("只有当前承办单位、协办单位和热线中心可以查看诉求人电话".into()));
        }
        let Some(pid) = a.citizen else { return Ok(None) };
        let phone = self.store.person(pid)?.and_then(|p| p.data.phone);
        self.store.log_access(&AccessEntry {
            at: self.now(),
            actor: actor.label(),
            case: Some(id.clone()),
            person: Some(pid),
            what: "reveal_phone".into(),
        })?;
        self.security(self.now(), "reveal_phone", actor.username(), None, format!("查看工单 {id} 诉求人电话"))?;
        Ok(phone)
    }

    /// The case behind a tracking code, if the phone number matches the citizen's.
    /// Anonymous cases are found by the code alone.
    /// Lookups that fail count against the client's address: past
    /// `LoginPolicy::track_failures` in an hour it must wait (see `TrackingCode` for
    /// why that bounds guessing).
    fn citizen_case(&self, code: &str, phone: &str, address: crate::auth::Address) -> Result<Appeal> {
        self.guarded_lookup(address, || self.find_citizen_case(code, phone))
    }

    /// A lookup by tracking code and phone, limited per client address: after
    /// `track_failures` misses within an hour, refused for the rest of it. Each miss
    /// is in the security log.
    pub(crate) fn guarded_lookup<T>(
        &self,
        address: crate::auth::Address,
        find: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let address = address.unwrap_or("unknown");
        let now = self.now();
        let limit = self.config.login.track_failures;
        let q = yiwang_store::SecurityQuery {
            address: Some(address.to_owned()),
            kinds: vec!["track_failed".into()],
            since: Some(now - chrono::Duration::hours(1)),
            limit: limit as u32 + 1,
            ..Default::default()
        };
        if self.store.security_events(&q)?.len() >= limit {
            return Err(AppError::Throttled("查询失败次数过多，请一小时后再试".into()));
        }
        let found = find();
        if let Err(AppError::NotFound(_)) = &found {
            self.security(now, "track_failed", None, Some(address), "查询码与电话不匹配".into())?;
        }
        found
    }

    fn find_citizen_case(&self, code: &str, phone: &str) -> Result<Appeal> {
        let not_found = || AppError::NotFound("与查询码和电话匹配的诉求");
        let code = TrackingCode::parse(code).map_err(|_| not_found())?;
        let id = self.store.find_by_tracking_code(code.as_str())?.ok_or_else(not_found)?;
        let a = self.load(&id).map_err(|_| not_found())?;
        // A citizen whose personal data was erased can no longer be told from anyone
        // else: the case is no longer followed online.
        let stored = match a.citizen {
            Some(p) => match self.store.person(p)? {
                Some(person) if person.erased_at.is_none() => person.data.phone_digest,
                _ => return Err(not_found()),
            },
            None => None,
        };
        if let Some(digest) = stored {
            let given = PhoneNumber::parse(phone).map_err(|_| not_found())?;
            if self.phone_digest(&given) != digest {
                return Err(not_found());
            }
        }
        Ok(a)
    }

    /// A citizen who lost their tracking code asks for it again with the case number
    /// and their phone number: when the two match, it is sent by SMS to the number on
    /// file (never shown). Every request, matched or not, counts against the address's
    /// failed lookups (so the count tells nothing about a match), and a case gets at
    /// most one such SMS in ten minutes (so nobody floods a citizen's phone).
    pub fn resend_tracking_code(&self, case_id: &str, phone: &str, address: crate::auth::Address) -> Result<()> {
        let at = self.now();
        let q = yiwang_store::SecurityQuery {
            address: Some(address.unwrap_or("unknown").to_owned()),
            kinds: vec!["track_failed".into(), "track_resend".into()],
            since: Some(at - chrono::Duration::hours(1)),
            limit: self.config.login.track_failures as u32 + 1,
            ..Default::default()
        };
        if self.store.security_events(&q)?.len() >= self.config.login.track_failures {
            return Err(AppError::Throttled("查询失败次数过多，请一小时后再试".into()));
        }
        let matched = CaseId::parse(case_id.trim()).ok().and_then(|id| {
            let a = self.load(&id).ok()?;
            let person = self.store.person(a.citizen?).ok()??;
            let given = PhoneNumber::parse(phone).ok()?;
            (person.erased_at.is_none() && person.data.phone_digest == Some(self.phone_digest(&given))).then_some(a)
        });
        let who = Some(address.unwrap_or("unknown"));
        match matched {
            Some(a) => {
                self.security(at, "track_resend", None, who, "补发查询码".into())?;
                let q = OutboxQuery { case_id: Some(a.id.clone()), limit: 20, ..Default::default() };
                let recent = self
                    .store
                    .outbox(&q)?
                    .into_iter()
                    .any(|e| e.template == "appeal_code" && e.created_at > at - chrono::Duration::minutes(10));
                if !recent {
                    let r = self.reference();
                    self.store.enqueue_notice(&r.tenant, Some(&a.id), Notice::to_citizen("appeal_code"), at)?;
                }
            }
            None => self.security(at, "track_failed", None, who, "补发查询码：工单号与电话不匹配".into())?,
        }
        Ok(())
    }

    /// 进度查询: what the citizen sees with their tracking code and phone, asked from
    /// a client `address` (which the rate limit counts).
    pub fn track(&self, code: &str, phone: &str, address: crate::auth::Address) -> Result<PublicView> {
        self.public_view(&self.citizen_case(code, phone, address)?)
    }

    /// As `track`, with the photos of the citizen's own appeal and those of the
    /// reply (处置后照片), which the portal shows back to them and to no one else.
    pub fn track_with_attachments(
        &self,
        code: &str,
        phone: &str,
        address: crate::auth::Address,
    ) -> Result<(PublicView, Vec<String>, Vec<String>)> {
        let a = self.citizen_case(code, phone, address)?;
        let reply_photos = a.reply.as_ref().map(|r| r.photos.clone()).unwrap_or_default();
        Ok((self.public_view(&a)?, a.attachments, reply_photos))
    }

    fn public_view(&self, a: &Appeal) -> Result<PublicView> {
        let r = self.reference();
        let timeline = decoded(self.store.events(&a.id)?)?
            .into_iter()
            .filter(|e| e.event.is_public())
            .map(|e| timeline_entry(&r, e, false))
            .collect();
        let answered = a.callbacks.iter().any(|c| Some(c.at) > a.reply.as_ref().map(|r| r.at));
        Ok(PublicView {
            case_id: a.id.clone(),
            status: a.status,
            status_label: a.status.label(),
            appeal_type: a.appeal_type,
            title: a.title.clone(),
            text: a.text.clone(),
            accepted_at: a.accepted_at,
            unit_name: a.unit.as_ref().map(|u| r.unit_name(u)),
            reply: a.reply.as_ref().map(|r| r.text.clone()),
            replied_at: a.reply.as_ref().map(|r| r.at),
            outcome: a.outcome.map(|o| o.label()),
            can_answer_callback: a.status == Status::Replied && !answered,
            reply_due: a
                .clocks
                .iter()
                .find(|c| c.kind == appeal::ClockKind::Resolve)
                .filter(|_| a.reply.is_none() && a.is_open())
                .map(|c| c.due),
            location: a.location.clone(),
            timeline,
        })
    }

    /// The citizen answers the callback online.
    pub fn citizen_callback(
        &self,
        code: &str,
        phone: &str,
        answer: appeal::CallbackAnswer,
        note: Option<String>,
        address: crate::auth::Address,
    ) -> Result<PublicView> {
        let a = self.citizen_case(code, phone, address)?;
        let action = Action::Callback { solved: answer.solved, satisfaction: answer.satisfaction, note };
        self.act(&Actor::Citizen, &a.id, &action)?;
        self.track(code, phone, address)
    }

    /// 删除个人信息: erases a citizen's personal data (the record keeps only their id)
    /// and answers the files their cases hold, for the caller to delete with them;
    /// `None` when there was no such person or they were erased already.
    pub fn erase_person(&self, id: yiwang_core::id::PersonId) -> Result<Option<Vec<String>>> {
        let q = CaseQuery { person: Some(id), limit: 10_000, ..Default::default() };
        let mut files = vec![];
        for row in self.store.list_cases(&q)?.rows {
            if let Some(c) = self.store.load(&row.id)? {
                files.extend(c.attachments());
            }
        }
        let now = self.now();
        if !self.store.erase_person(id, now)? {
            return Ok(None);
        }
        let detail = format!("删除个人信息：诉求人 {}，{} 个附件", id.0, files.len());
        self.security(now, "person_erased", None, None, detail)?;
        Ok(Some(files))
    }

    /// Units that can be dispatched to or summoned.
    /// The units that handle cases, in the order of the tree (a street's communities
    /// under it, indented by their depth), for a unit filter.
    pub fn handling_units(&self) -> Vec<(UnitCode, String)> {
        let r = self.reference();
        r.org
            .in_tree_order()
            .into_iter()
            .filter(|(u, _)| u.kind.can_handle())
            .map(|(u, depth)| (u.code.clone(), "　".repeat(depth.saturating_sub(1)) + u.display_name()))
            .collect()
    }
}

/// An appeal's recorded events, decoded.
pub(crate) fn decoded(events: Vec<Recorded>) -> Result<Vec<Envelope>> {
    events.iter().map(|e| e.decode::<AppealKind>().map_err(|e| AppError::Internal(e.to_string()))).collect()
}

/// A store that answered a case of another kind than the one written: a bug.
pub(crate) fn wrong_kind(id: &CaseId) -> AppError {
    AppError::Internal(format!("case {id} came back as another kind"))
}

fn timeline_entry(r: &crate::Reference, e: Envelope, staff: bool) -> TimelineEntry {
    let summary = match &e.event {
        // Show unit names, not codes, to people.
        AppealEvent::Dispatched { unit, .. } => format!("派单至{}", r.unit_name(unit)),
        AppealEvent::Reassigned { to, .. } if !staff => format!("转至{}办理", r.unit_name(to)),
        AppealEvent::Reassigned { from, to, reason, .. } => {
            format!("由{}改派至{}：{reason}", r.unit_name(from), r.unit_name(to))
        }
        AppealEvent::Returned { unit, reason, .. } => format!("{}退单：{reason}", r.unit_name(unit)),
        AppealEvent::Summoned { units, .. } => {
            format!("吹哨召集：{}", units.iter().map(|u| r.unit_name(u)).collect::<Vec<_>>().join("、"))
        }
        AppealEvent::ReportedIn { unit } => format!("{}报到", r.unit_name(unit)),
        AppealEvent::PartAnswered { unit, .. } => format!("{}答复协办部分", r.unit_name(unit)),
        other => other.summary(),
    };
    let actor = match (&e.actor, staff) {
        (a, true) => a.label(),
        (Actor::Citizen, false) => "诉求人".into(),
        (Actor::Staff { unit, .. }, false) => r.unit_name(unit),
        (_, false) => "12345热线".into(),
    };
    TimelineEntry { seq: e.seq, at: e.at, actor, kind: e.event.name(), summary, detail: staff.then_some(e.event) }
}

/// Runs a future to its end on this thread, parking while it waits: how a blocking
/// caller uses an async use case whose only waiting is for the store's answer.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A title for an appeal given none: the text's first sentence, at most 20 characters
/// (cut with …); none for a text with no words.
pub(crate) fn title_from(text: &str) -> Option<String> {
    const MAX: usize = 20;
    let first =
        text.trim().split(['。', '！', '？', '!', '?', '；', ';', '\n']).map(str::trim).find(|s| !s.is_empty())?;
    let first: String = first.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(if first.chars().count() > MAX { first.chars().take(MAX).collect::<String>() + "…" } else { first })
}

#[cfg(test)]
mod title_tests {
    use super::title_from;

    #[test]
    fn an_untitled_appeal_is_titled_by_its_first_sentence() {
        assert_eq!(title_from("路灯不亮。已经三天了！").as_deref(), Some("路灯不亮"));
        assert_eq!(
            title_from("湖畔路望湖公园北门以西的路灯已经一周不亮了晚上很黑").as_deref(),
            Some("湖畔路望湖公园北门以西的路灯已经一周不亮…")
        );
        assert_eq!(title_from("  \n 噪音扰民？\n").as_deref(), Some("噪音扰民"));
        assert_eq!(title_from("。。"), None);
    }
}
