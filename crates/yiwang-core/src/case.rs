//! The one engine's view of a case of any kind (DESIGN.md: everything is a case).
//!
//! A kind — the appeal, the task, later the application and the inspection — lives in
//! a module of its own and implements [`Kind`]: its state, events and commands, its
//! pure `decide` and `evolve`, the clocks it runs, and what it shows the engine, its
//! [`Projection`]: the common header every case has (status, holding unit, area,
//! title, times, stage, next alarm), the other units involved and every unit that may
//! see it, what it adds to the measures and to the dashboards' volumes, its search
//! text and a detail document of its own. The engine — store, scheduler, queues,
//! search, dashboards, access — works on projections and never on a kind's types.
//!
//! [`Case`] is a case of some kind with its type erased, which is what the store hands
//! back and what generic code holds; [`Case::state`] gives the kind's own state back.
//! [`Events`] are a kind's events on their way to the store, and [`Kinds`] the kinds a
//! store knows, so that it can fold any case's recorded events again.
//!
//! Like all of core, nothing here does IO or reads the clock.

use crate::Instant;
use crate::calendar::Calendar;
use crate::deadline::{Stage, TimeLimits};
use crate::id::{CaseId, CategoryCode, InvalidValue, PersonId, UnitCode};
use crate::org::{Actor, Organisation};
use crate::taxonomy::Taxonomy;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

/// A kind of case. Everything a kind contributes to the engine is here or in the
/// projection it gives; see ARCHITECTURE.md, "How to add a kind".
pub trait Kind: Sized + Send + Sync + 'static {
    /// Stored with every case and never changed: `appeal`, `task`.
    const NAME: &'static str;
    /// Two capital letters that start its case numbers: `YW`, `DB`.
    const PREFIX: &'static str;
    /// What people call one (诉求, 督办任务).
    const LABEL: &'static str;

    type State: Clone + Debug + Send + Sync + Serialize + 'static;
    type Event: Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static;
    type Command: Debug;

    /// The event's name, stored beside its body (`accepted`, `dispatched` …).
    fn event_name(e: &Self::Event) -> &'static str;
    /// Whether `e` may be the first event of a case of this kind.
    fn opens(e: &Self::Event) -> bool;
    /// Folds one event into the state: `None` before the first. Makes no decisions.
    fn evolve(state: Option<Self::State>, env: &Envelope<Self::Event>) -> Option<Self::State>;
    /// Every rule of the kind: who may do what, in which state, before which deadline.
    fn decide(state: &Self::State, command: &Self::Command, ctx: &Context<'_>) -> Result<Vec<Self::Event>, Refusal>;
    /// The events the scheduler records for the case at `ctx.now` (the actor is the
    /// system): its clocks turning yellow or red, and whatever else a kind does when
    /// time passes.
    fn alarms(state: &Self::State, ctx: &Context<'_>) -> Vec<Self::Event>;

    fn id(state: &Self::State) -> &CaseId;
    /// The sequence number of the last event folded in.
    fn version(state: &Self::State) -> u32;
    /// What the engine stores of the case and queries by.
    fn project(state: &Self::State) -> Projection;
    /// A status's name for people (待派单, 推进中 …); '' for a name the kind does not have.
    fn status_label(status: &str) -> &'static str;
    /// The text the case is found by (title, text, replies …), as people wrote it.
    fn search_text(state: &Self::State) -> String;
    /// Whether `e` can change the search text (most events move a case along and
    /// leave its text as it is, so its index is not written again).
    fn touches_text(_e: &Self::Event) -> bool {
        true
    }
    /// What the case's own person (its citizen) is told of `events`, appended to
    /// `before` (none for a case's opening): templates the app renders and sends
    /// through the notifications outbox, in the events' own commit. None by default.
    fn notices(_before: Option<&Self::State>, _events: &[Self::Event]) -> Vec<&'static str> {
        vec![]
    }
    /// Whether `notices` go to the enterprise the case is about (its contact in the
    /// register, which the app looks up as it sends) rather than the case's own
    /// person: they are queued although the case has no person.
    const NOTICES_TO_ENTERPRISE: bool = false;
    /// Whether its person is looked up by phone (`CaseQuery::phone_digest`: an
    /// applicant logged in by phone lists their applications, bindings and
    /// enterprises). The store indexes the phone's digest of those person rows only:
    /// the index is a write to a random page of a large B-tree, which the 12345
    /// appeals, found by their tracking code, are spared.
    const FOUND_BY_PHONE: bool = false;
    /// Points the first event at the person it is for, whose personal data the store
    /// keeps beside the record (DESIGN.md) under an id it gives out.
    fn set_person(_first: &mut Self::Event, _person: PersonId) {}
    /// The files the case holds (photos, evidence), as stored: `uploads/<name>`.
    /// Whoever may see the case may open them.
    fn attachments(_state: &Self::State) -> Vec<String> {
        vec![]
    }
    /// Who sees every case of the kind; other staff see what `Projection::access`
    /// gives their unit.
    fn sees_all(actor: &Actor) -> bool;
    /// What every state must hold for `decide` to work on it (a handled appeal has a
    /// unit …), or why it does not. `decide` keeps it by construction; a history
    /// imported from a legacy system never passed through `decide`, so every fold of
    /// new events checks it after each one and refuses a history that breaks it.
    fn check(_state: &Self::State) -> Result<(), String> {
        Ok(())
    }
}

/// Everything a decision may look at besides the case: the same for every kind.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
    pub calendar: &'a Calendar,
    pub limits: &'a TimeLimits,
    pub org: &'a Organisation,
    pub taxonomy: &'a Taxonomy,
}

/// An event as recorded: its place in the case's chain, when, and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope<E> {
    pub case: CaseId,
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub event: E,
}

/// An event as the store reads it back, before its kind decodes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub case: CaseId,
    pub seq: u32,
    pub at: Instant,
    pub actor: Actor,
    /// The event's name (`Kind::event_name`).
    pub name: String,
    /// The event as JSON, exactly as hashed.
    pub body: String,
}

impl Recorded {
    /// The event as kind `K`'s.
    pub fn decode<K: Kind>(&self) -> Result<Envelope<K::Event>, ReplayError> {
        let event = serde_json::from_str(&self.body).map_err(|e| ReplayError::Undecodable {
            case: self.case.clone(),
            seq: self.seq,
            why: e.to_string(),
        })?;
        Ok(Envelope { case: self.case.clone(), seq: self.seq, at: self.at, actor: self.actor.clone(), event })
    }
}

/// Why a case's recorded events could not be folded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("case {case}: event {seq} is not an event of its kind: {why}")]
    Undecodable { case: CaseId, seq: u32, why: String },
    #[error("case {case} does not begin with an event that opens a {kind}")]
    NotOpened { case: CaseId, kind: &'static str },
    #[error("case {case} is a {found}, not a {expected}")]
    WrongKind { case: CaseId, expected: &'static str, found: &'static str },
    #[error("case {case} is of kind {kind}, which this yiwang does not know")]
    UnknownKind { case: CaseId, kind: String },
    /// Events that leave the case in a state its kind's rules could never reach
    /// (`Kind::check`).
    #[error("case {case}: after event {seq}, {why}")]
    Inconsistent { case: CaseId, seq: u32, why: String },
}

// Projection ----------------------------------------------------------------------

/// What every case shows the engine: the columns every queue, list and search reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The kind's name of its status (`handling`, `assigned` …).
    pub status: &'static str,
    pub title: Option<String>,
    /// The unit holding the case now (承办单位, 牵头单位), if any.
    pub unit: Option<UnitCode>,
    /// The case's classification within its kind: an appeal's category, a task's type.
    pub category: Option<String>,
    /// The smallest area it lies in (grid, community or street).
    pub area: Option<UnitCode>,
    /// The person it is for, whose data is kept beside the record.
    pub person: Option<PersonId>,
    /// The code an outsider follows the case by (查询码), unique among all cases.
    pub tracking_code: Option<String>,
    /// When it was opened (an appeal's 受理, a task's 立项).
    pub opened_at: Instant,
    pub updated_at: Instant,
    pub closed_at: Option<Instant>,
    /// The worst colour of its running clocks.
    pub stage: Stage,
    /// The deadline that matters now, for the time left in a queue.
    pub next_due: Option<Instant>,
    /// Whether the time left to it counts working days (a resolve limit) rather than
    /// natural hours (dispatch, sign-for, contact): one rule for every page.
    pub next_due_working: bool,
    /// When the scheduler must look at the case again; `None` once it is closed.
    pub next_alarm: Option<Instant>,
    pub version: u32,
}

/// One countable fact for the measures: in `month`, `unit` did `name` (with `flag`
/// and `value` where the measure needs them). An appeal's dispatch that was responded
/// to in time is `("dispatch", true, "")`; a callback `("callback", solved,
/// satisfaction)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fact {
    pub unit: UnitCode,
    /// `YYYY-MM`, China time.
    pub month: String,
    pub name: &'static str,
    pub flag: bool,
    pub value: String,
}

/// A case as text labelled with its category: an example the dispatch model learns
/// from (a corrected appeal, answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    pub category: CategoryCode,
}

/// Everything a kind shows the engine of one case. The store writes it beside the
/// events in the same transaction; `reindex` writes it again from the events.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub header: Header,
    /// Units taking part besides the holder (co-units, 协办/配合单位), each once, with
    /// when they joined.
    pub co_units: Vec<(UnitCode, Instant)>,
    /// Every unit whose staff may see the case (besides those who see every case of
    /// the kind): holders now and before, co-units. Sorted, each once. Access is
    /// never withdrawn.
    pub access: Vec<UnitCode>,
    pub facts: Vec<Fact>,
    /// The case's value in each dimension the dashboards count by (`status`,
    /// `category` …), '' for none; counted once on the day it was opened.
    pub volume: Vec<(&'static str, String)>,
    /// The kind's own columns, as a JSON object (queues show and filter by them).
    pub detail: String,
    pub example: Option<Example>,
}

/// Whether `actor` may see a case: the one access rule of every kind. The system
/// sees everything; staff who see every case of the kind (`Kind::sees_all`) see it;
/// other staff see what the case gives their unit access to; citizens and client apps
/// go through public views instead.
pub fn can_view(sees_all: bool, access: &[UnitCode], actor: &Actor) -> bool {
    match actor {
        Actor::System => true,
        Actor::Staff { unit, .. } => sees_all || access.contains(unit),
        Actor::Citizen | Actor::Client { .. } => false,
    }
}

// Refusals ------------------------------------------------------------------------

/// Why a command was refused. `code()` is stable and part of the API; the message is
/// for people. The variants are what every kind refuses for; a rule of one kind is a
/// `Rule` with a code of its own.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("无权执行“{action}”：{why}")]
    Forbidden { action: &'static str, why: &'static str },
    /// `status` is the status's name for people (待派单, 已交办 …).
    #[error("当前状态“{status}”下不能执行“{action}”")]
    TransitionNotAllowed { action: &'static str, status: &'static str },
    /// The case is closed: the message says what may still be done.
    #[error("{0}")]
    CaseClosed(&'static str),
    #[error("字段 {} 不符合要求：{}", .0.field, .0.rule)]
    Invalid(InvalidValue),
    #[error("单位 {0} 不存在")]
    UnknownUnit(UnitCode),
    #[error("诉求分类 {0} 不存在")]
    UnknownCategory(CategoryCode),
    #[error("单位 {0} 不是承办单位，不能接收派单")]
    UnitCannotHandle(UnitCode),
    #[error("办理时限已于 {due} 届满，不能再申请延期")]
    DeadlinePassed { due: DateTime<Utc> },
    #[error("{0}")]
    AlreadyDone(&'static str),
    /// A rule of one kind, with its stable code.
    #[error("{message}")]
    Rule { code: &'static str, message: String },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden { .. } => "forbidden",
            Self::TransitionNotAllowed { .. } => "transition_not_allowed",
            Self::CaseClosed(_) => "case_closed",
            Self::Invalid(_) => "invalid_field",
            Self::UnknownUnit(_) => "unknown_unit",
            Self::UnknownCategory(_) => "unknown_category",
            Self::UnitCannotHandle(_) => "unit_cannot_handle",
            Self::DeadlinePassed { .. } => "deadline_passed",
            Self::AlreadyDone(_) => "already_done",
            Self::Rule { code, .. } => code,
        }
    }

    /// A rule of one kind.
    pub fn rule(code: &'static str, message: impl Into<String>) -> Self {
        Refusal::Rule { code, message: message.into() }
    }
}

/// Required free text: trimmed, non-empty, at most `max` characters, no control
/// characters but line breaks and tabs.
pub fn text(field: &'static str, s: &str, max: usize) -> Result<String, Refusal> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Refusal::Invalid(InvalidValue { field, rule: "不能为空" }));
    }
    if t.chars().count() > max {
        return Err(Refusal::Invalid(InvalidValue { field, rule: "太长" }));
    }
    if !crate::id::is_plain_text(t) {
        return Err(Refusal::Invalid(InvalidValue { field, rule: "含有不可见的控制字符" }));
    }
    Ok(t.to_owned())
}

/// Optional free text: as `text`, empty meaning none.
pub fn opt_text(field: &'static str, s: &Option<String>, max: usize) -> Result<Option<String>, Refusal> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, max).map(Some),
    }
}

// Cases of any kind ---------------------------------------------------------------

/// A case of some kind, its type erased: cheap to clone, and its kind's state within.
#[derive(Clone)]
pub struct Case(Arc<dyn AnyState>);

/// A kind's state behind the erased `Case`.
trait AnyState: Any + Send + Sync {
    fn kind(&self) -> &'static dyn AnyKind;
    fn id(&self) -> &CaseId;
    fn version(&self) -> u32;
    fn project(&self) -> Projection;
    fn search_text(&self) -> String;
    fn attachments(&self) -> Vec<String>;
    fn to_json(&self) -> serde_json::Value;
    fn debug(&self) -> String;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

struct Held<K: Kind>(K::State);

impl<K: Kind> AnyState for Held<K> {
    fn kind(&self) -> &'static dyn AnyKind {
        &KindOf::<K>(std::marker::PhantomData)
    }
    fn id(&self) -> &CaseId {
        K::id(&self.0)
    }
    fn version(&self) -> u32 {
        K::version(&self.0)
    }
    fn project(&self) -> Projection {
        K::project(&self.0)
    }
    fn search_text(&self) -> String {
        K::search_text(&self.0)
    }
    fn attachments(&self) -> Vec<String> {
        K::attachments(&self.0)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null)
    }
    fn debug(&self) -> String {
        format!("{:?}", self.0)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Case {
    pub fn new<K: Kind>(state: K::State) -> Self {
        Case(Arc::new(Held::<K>(state)))
    }
    /// The kind's name (`Kind::NAME`).
    pub fn kind(&self) -> &'static str {
        self.0.kind().name()
    }
    pub fn kind_of(&self) -> &'static dyn AnyKind {
        self.0.kind()
    }
    pub fn is<K: Kind>(&self) -> bool {
        self.0.as_any().is::<Held<K>>()
    }
    pub fn id(&self) -> &CaseId {
        self.0.id()
    }
    pub fn version(&self) -> u32 {
        self.0.version()
    }
    pub fn project(&self) -> Projection {
        self.0.project()
    }
    pub fn search_text(&self) -> String {
        self.0.search_text()
    }
    /// The files the case holds (`Kind::attachments`).
    pub fn attachments(&self) -> Vec<String> {
        self.0.attachments()
    }
    /// The state as JSON, for an API that shows any kind.
    pub fn to_json(&self) -> serde_json::Value {
        self.0.to_json()
    }
    /// The state, if the case is of kind `K`.
    pub fn state<K: Kind>(&self) -> Option<&K::State> {
        self.0.as_any().downcast_ref::<Held<K>>().map(|h| &h.0)
    }
    /// The state, if the case is of kind `K`, or the case back. The state is moved
    /// out when this is the case's last handle (folding an append does this for
    /// every append, so it must not copy the state each time), cloned otherwise.
    pub fn into_state<K: Kind>(self) -> Result<K::State, Case> {
        if !self.is::<K>() {
            return Err(self);
        }
        let held = self.0.into_any().downcast::<Held<K>>().expect("checked to be of kind K");
        Ok(match Arc::try_unwrap(held) {
            Ok(h) => h.0,
            Err(shared) => shared.0.clone(),
        })
    }
    /// Whether `actor` may see the case (`can_view`).
    pub fn can_view(&self, actor: &Actor) -> bool {
        let access = if matches!(actor, Actor::Staff { .. }) { self.project().access } else { vec![] };
        can_view(self.0.kind().sees_all(actor), &access, actor)
    }
}

impl Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.debug())
    }
}

impl PartialEq for Case {
    /// Two cases are equal when they are of one kind and their states serialise alike.
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.to_json() == other.to_json()
    }
}

// Events on their way to the store -------------------------------------------------

/// Events of one kind decided for one case, their type erased for the store, which
/// serialises each, links it onto the case's chain and folds it into the state.
pub struct Events(Box<dyn AnyEvents>);

/// One event serialised for the record: its name and its JSON body, exactly as hashed.
pub struct Serialised {
    pub name: &'static str,
    pub body: String,
}

trait AnyEvents: Send {
    fn kind(&self) -> &'static dyn AnyKind;
    fn len(&self) -> usize;
    fn serialise(&self) -> Result<Vec<Serialised>, serde_json::Error>;
    fn touches_text(&self) -> bool;
    fn opens(&self) -> bool;
    fn set_person(&mut self, person: PersonId);
    fn fold(self: Box<Self>, before: Option<Case>, at: &Stamp<'_>) -> Result<Case, ReplayError>;
    fn cloned(&self) -> Box<dyn AnyEvents>;
}

/// Where and when events are recorded: the case, the number of the first, the time
/// and the actor of the append.
pub struct Stamp<'a> {
    pub case: &'a CaseId,
    pub seq: u32,
    pub at: Instant,
    pub actor: &'a Actor,
}

struct EventsOf<K: Kind>(Vec<K::Event>);

impl<K: Kind> AnyEvents for EventsOf<K> {
    fn kind(&self) -> &'static dyn AnyKind {
        &KindOf::<K>(std::marker::PhantomData)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn serialise(&self) -> Result<Vec<Serialised>, serde_json::Error> {
        self.0.iter().map(|e| Ok(Serialised { name: K::event_name(e), body: serde_json::to_string(e)? })).collect()
    }
    fn touches_text(&self) -> bool {
        self.0.iter().any(K::touches_text)
    }
    fn opens(&self) -> bool {
        self.0.first().is_some_and(K::opens)
    }
    fn set_person(&mut self, person: PersonId) {
        if let Some(first) = self.0.first_mut() {
            K::set_person(first, person);
        }
    }
    fn fold(self: Box<Self>, before: Option<Case>, at: &Stamp<'_>) -> Result<Case, ReplayError> {
        let mut state = match before {
            None => None,
            Some(c) => match c.into_state::<K>() {
                Ok(s) => Some(s),
                Err(c) => {
                    return Err(ReplayError::WrongKind { case: at.case.clone(), expected: K::NAME, found: c.kind() });
                }
            },
        };
        if state.is_none() && !self.opens() {
            return Err(ReplayError::NotOpened { case: at.case.clone(), kind: K::NAME });
        }
        // One envelope for the append, its event and number replaced as it goes.
        let mut env: Option<Envelope<K::Event>> = None;
        for (i, event) in self.0.into_iter().enumerate() {
            let e = match env.take() {
                Some(mut e) => {
                    e.seq = at.seq + i as u32;
                    e.event = event;
                    e
                }
                None => Envelope { case: at.case.clone(), seq: at.seq, at: at.at, actor: at.actor.clone(), event },
            };
            state = K::evolve(state, &e);
            if let Some(s) = &state {
                K::check(s).map_err(|why| ReplayError::Inconsistent { case: at.case.clone(), seq: e.seq, why })?;
            }
            env = Some(e);
        }
        state.map(Case::new::<K>).ok_or_else(|| ReplayError::NotOpened { case: at.case.clone(), kind: K::NAME })
    }
    fn cloned(&self) -> Box<dyn AnyEvents> {
        Box::new(EventsOf::<K>(self.0.clone()))
    }
}

impl Clone for Events {
    fn clone(&self) -> Self {
        Events(self.0.cloned())
    }
}

impl Events {
    pub fn new<K: Kind>(events: Vec<K::Event>) -> Self {
        Events(Box::new(EventsOf::<K>(events)))
    }
    pub fn kind(&self) -> &'static str {
        self.0.kind().name()
    }
    pub fn kind_of(&self) -> &'static dyn AnyKind {
        self.0.kind()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }
    /// Each event's name and JSON body, as the record keeps them.
    pub fn serialise(&self) -> Result<Vec<Serialised>, serde_json::Error> {
        self.0.serialise()
    }
    /// Whether any of the events can change the case's search text.
    pub fn touches_text(&self) -> bool {
        self.0.touches_text()
    }
    /// Whether the first event opens a case of the kind.
    pub fn opens(&self) -> bool {
        self.0.opens()
    }
    /// Points the first event at the person the case is for.
    pub fn set_person(&mut self, person: PersonId) {
        self.0.set_person(person)
    }
    /// Folds the events, numbered from `at.seq` on, recorded at `at.at` by
    /// `at.actor`, into `before` (`None` for a new case).
    pub fn fold(self, before: Option<Case>, at: &Stamp<'_>) -> Result<Case, ReplayError> {
        self.0.fold(before, at)
    }
}

impl Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Events({}, {})", self.kind(), self.len())
    }
}

// The kinds a store knows -----------------------------------------------------------

/// A kind as the engine holds it, its types erased.
pub trait AnyKind: Send + Sync {
    fn name(&self) -> &'static str;
    fn prefix(&self) -> &'static str;
    fn label(&self) -> &'static str;
    /// A status's name for people (`Kind::status_label`).
    fn status_label(&self, status: &str) -> &'static str;
    /// Folds the recorded events of `case`, in order, into its state.
    fn replay(&self, case: &CaseId, events: &[Recorded]) -> Result<Case, ReplayError>;
    /// Whether `body`, an event as JSON, is an event of this kind that opens a case.
    fn opens(&self, body: &str) -> bool;
    /// The events the scheduler records for `case` at `ctx.now` (see `Kind::alarms`),
    /// and what the case's person is told of them (`Kind::notices`).
    fn alarms(&self, case: &Case, ctx: &Context<'_>) -> Option<(Events, Vec<&'static str>)>;
    fn sees_all(&self, actor: &Actor) -> bool;
    /// `Kind::NOTICES_TO_ENTERPRISE`.
    fn notices_to_enterprise(&self) -> bool;
    /// `Kind::FOUND_BY_PHONE`.
    fn found_by_phone(&self) -> bool;
}

struct KindOf<K>(std::marker::PhantomData<fn() -> K>);

impl<K: Kind> AnyKind for KindOf<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }
    fn prefix(&self) -> &'static str {
        K::PREFIX
    }
    fn label(&self) -> &'static str {
        K::LABEL
    }
    fn status_label(&self, status: &str) -> &'static str {
        K::status_label(status)
    }
    fn replay(&self, case: &CaseId, events: &[Recorded]) -> Result<Case, ReplayError> {
        let mut state: Option<K::State> = None;
        for (i, r) in events.iter().enumerate() {
            let env = r.decode::<K>()?;
            if i == 0 && !K::opens(&env.event) {
                break;
            }
            state = K::evolve(state, &env);
        }
        state.map(Case::new::<K>).ok_or_else(|| ReplayError::NotOpened { case: case.clone(), kind: K::NAME })
    }
    fn opens(&self, body: &str) -> bool {
        serde_json::from_str::<K::Event>(body).is_ok_and(|e| K::opens(&e))
    }
    fn alarms(&self, case: &Case, ctx: &Context<'_>) -> Option<(Events, Vec<&'static str>)> {
        let state = case.state::<K>()?;
        let events = K::alarms(state, ctx);
        if events.is_empty() {
            return None;
        }
        let notices = K::notices(Some(state), &events);
        Some((Events::new::<K>(events), notices))
    }
    fn sees_all(&self, actor: &Actor) -> bool {
        K::sees_all(actor)
    }
    fn notices_to_enterprise(&self) -> bool {
        K::NOTICES_TO_ENTERPRISE
    }
    fn found_by_phone(&self) -> bool {
        K::FOUND_BY_PHONE
    }
}

/// The kinds a store knows: it folds a case's events with the kind recorded for it.
#[derive(Clone)]
pub struct Kinds(Vec<&'static dyn AnyKind>);

impl Kinds {
    pub fn empty() -> Self {
        Kinds(vec![])
    }
    /// Adds kind `K`. A name or prefix known already is a programming error.
    pub fn with<K: Kind>(mut self) -> Self {
        assert!(
            self.0.iter().all(|k| k.name() != K::NAME && k.prefix() != K::PREFIX),
            "kind {} or prefix {} registered twice",
            K::NAME,
            K::PREFIX
        );
        self.0.push(&KindOf::<K>(std::marker::PhantomData));
        self
    }
    pub fn get(&self, name: &str) -> Option<&'static dyn AnyKind> {
        self.0.iter().copied().find(|k| k.name() == name)
    }
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn AnyKind> + '_ {
        self.0.iter().copied()
    }
    /// Folds the recorded events of `case` with its kind, `kind`.
    pub fn replay(&self, kind: &str, case: &CaseId, events: &[Recorded]) -> Result<Case, ReplayError> {
        let k = self.get(kind).ok_or_else(|| ReplayError::UnknownKind { case: case.clone(), kind: kind.to_owned() })?;
        k.replay(case, events)
    }
}

impl Debug for Kinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|k| k.name())).finish()
    }
}
