//! yiwang-app: the use cases. Each one loads what it needs, lets core decide, and
//! persists the decision in one step: intake, actions on a case, queues, the citizen's
//! view, measures, the deadline scheduler, staff login, and setting up a district.
//!
//! It must not know HTTP or HTML: the web crate translates requests into these calls
//! and `AppError` into responses.

mod applicant;
mod application;
mod area;
pub mod auth;
mod authorisation;
mod benefit;
mod bundle;
mod case;
pub mod catalogue;
mod clock;
mod console;
mod credit_repair;
mod dashboard;
mod demo;
mod demo_applications;
mod demo_tasks;
mod dispatch;
mod error;
mod inspection;
pub use inspection::{InspectionRow, InspectionView, PublishedResult, RectificationView, ReferralInput};
pub mod keyring;
mod knowledge;
mod measure;
pub mod monitor;
pub mod notify;
mod open311;
pub mod open_data;
mod patrol;
mod plan;
pub use plan::{
    InspectorName, ONCE_A_YEAR_DAYS, PlanInput, PlanRow, PlanView, SUPERVISION_DOCUMENT, SupervisionReport,
};
mod queue;
mod record;
mod register;
pub use record::{Archived, read_security_archive};
pub mod feed;
mod schedule;
mod setup;
mod sharing;
pub use sharing::{AccessAction, AccessInput, AccessView, PersonalRead, READ_ACCESS, SharedPage, UsageRow, mask_value};
mod supervision;
mod task;
pub mod totp;
mod verification;
pub mod webhook;
pub use verification::Verification;

pub use applicant::{
    Applicant, ApplicantCommand, ApplicantLogin, CODE_MINUTES, CodeSent, MyApplication, MyCertificate,
    OnlineApplication, OnlineBundle, SESSION_HOURS,
};
pub use application::{
    ApplicantView, ApplicationInput, ApplicationStep, ApplicationView, CatalogueReport, CertificateStatus, FixView,
    RatingInput, SCORE_COLUMNS, Score, ServiceIndicators, ServiceMonth, ServiceSummary, StatusList, StatusListBody,
};
pub use area::AreaIndex;
pub use auth::{Session, hash_password};
pub use authorisation::{AuthorisationInput, AuthorisationView};
pub use benefit::{DryRun, EligibleRow, GrantRow, GrantView, PolicyFigures, PolicyRow, PolicyView};
pub use bundle::{BundleGuide, BundleInput, BundleView, PartView, SharedField, SharedMaterial};
pub use case::{
    CaseView, CitizenInput, IDEMPOTENCY_HOURS, IntakeInput, MergedCaller, PublicView, Receipt, TimelineEntry,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credit_repair::{RepairInput, RepairView};
pub use dashboard::{Count, Dashboard};
pub use demo::CATALOGUE as DEMO_CATALOGUE;
pub use demo::{
    DEMO_APPLICANT, DEMO_ENTERPRISE, DEMO_PASSWORD, ENTERPRISES as DEMO_ENTERPRISES, SERVICES as DEMO_SERVICES,
    demo_files, demo_register,
};
pub use demo_tasks::work_report;
pub use dispatch::{
    CategorySuggestion, DispatchSuggestion, DuplicateView, SuggestInput, TopicCase, TopicView, TopicsReport, leaves_of,
    route_of,
};
pub use error::AppError;
pub use knowledge::{ArticleInput, ArticleView};
pub use measure::{MonthMeasures, Ranking, UnitMeasure};
pub use open311::{
    ApiKeyView, CreatedRequest, DEMO_API_CLIENT, DEMO_API_KEY, IssuedApiKey, OPEN311_MAX_REQUESTS, OPEN311_WINDOW_DAYS,
    Open311Service, Publication, RequestFilter, RequestUpdate, ServiceRequest, ServiceRequestInput, fms_status,
};
pub use patrol::{Coverage, GridCoverage, PatrolView, ProblemInput};
pub use queue::{COUNT_LIMIT, CaseSummary, Queue, QueuePage, SEARCH_COUNT_LIMIT, SearchFilter, TodoItem, TodoPage};
pub use register::{EnterpriseView, FactEntry, REGISTER_UNIT, RegisterEntry, RegisterReport, RowError, parse_register};
pub use schedule::TickReport;
pub use setup::{DistrictFiles, SetupReport};
pub use supervision::{KindCounts, RegisterCounts, SUPERVISION_KINDS, SupervisionBoard, sees_supervision};
pub use task::{
    Board, BoardUnit, MAX_DOCUMENT_BYTES, MAX_TASKS_AT_ONCE, TargetProposal, TaskQueue, TaskRow, TaskTimelineEntry,
    TaskView,
};
pub use yiwang_store::{CaseRow, IdempotencyKey, OutboxEntry, OutboxQuery, SecurityEvent, SecurityQuery};

use std::sync::{Arc, RwLock};
use yiwang_core::calendar::Calendar;
use yiwang_core::deadline::TimeLimits;
use yiwang_core::id::TenantId;
use yiwang_core::org::Organisation;
use yiwang_core::taxonomy::Taxonomy;
use yiwang_dispatch::gazetteer::Gazetteer;
use yiwang_dispatch::routing::RoutingRules;
use yiwang_store::Store;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Settings the use cases need; the CLI builds them from flags, environment and files.
#[derive(Clone)]
pub struct AppConfig {
    /// Key of the keyed digest of phone numbers (so a citizen is matched by phone
    /// without comparing plaintext). Kept in the data directory, never in the database.
    pub digest_key: Vec<u8>,
    /// How long a staff login lasts.
    pub session_hours: i64,
    pub limits: TimeLimits,
    pub calendar: Calendar,
    /// Which cases Open311 publishes, and how.
    pub publication: open311::Publication,
    /// Lock-out, throttling and idle sessions.
    pub login: auth::LoginPolicy,
    /// A demo installation (`serve --demo`): its published logins need no change at
    /// first login.
    pub demo: bool,
    /// How the 三率 rankings treat small samples (`measures.toml`).
    pub ranking: measure::Ranking,
    /// The keys e-certificates are signed with (the data directory's `keys/`); an
    /// in-memory key by default, for tests and benches.
    pub keyring: Arc<keyring::Keyring>,
    /// Which networks webhook subscriptions may point into (`notify.toml`'s
    /// `[webhooks]`).
    pub webhooks: webhook::WebhookConfig,
    /// Whether each write also leaves its events for the event stream's relay
    /// (`stream.toml` configures one; `crate::feed`).
    pub stream: bool,
    /// How the catalogue's gateway reaches departments' systems (一网共享).
    pub gateway: catalogue::GatewayConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            // No built-in secret: a key of its own for every configuration made
            // without one (tests, benches); an installation reads its `secret.key`.
            digest_key: {
                let mut k = vec![0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut k);
                k
            },
            session_hours: 12,
            limits: TimeLimits::default(),
            calendar: Calendar::bundled(),
            publication: open311::Publication::default(),
            login: auth::LoginPolicy::default(),
            demo: false,
            ranking: measure::Ranking::default(),
            keyring: Arc::new(keyring::Keyring::ephemeral()),
            webhooks: webhook::WebhookConfig::default(),
            stream: false,
            gateway: catalogue::GatewayConfig::default(),
        }
    }
}

/// Reference data every decision reads, swapped whole when an administrator changes it.
pub struct Reference {
    pub tenant: TenantId,
    pub org: Organisation,
    pub taxonomy: Taxonomy,
    pub areas: AreaIndex,
    pub gazetteer: Gazetteer,
    pub routing: RoutingRules,
}

/// The application: a store, a clock, the configuration and the reference data.
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: AppConfig,
    reference: RwLock<Arc<Reference>>,
    weights: dispatch::WordWeights,
    corrections: dispatch::Corrections,
    labeller: dispatch::TopicLabeller,
    /// Webhook subscriptions, cached so that intake reads no document per write.
    hooks: webhook::Hooks,
    /// Whether writes leave their events for the stream's relay (`AppConfig::stream`,
    /// switched by `set_stream`).
    stream: std::sync::atomic::AtomicBool,
    /// Scheduled policy runs that failed, and when (`run_due_policies`).
    scheduled_failures:
        std::sync::Mutex<std::collections::HashMap<yiwang_core::id::CaseId, chrono::DateTime<chrono::Utc>>>,
    /// 一网共享's reads: the last signed checkpoint, rates, the day's read logs.
    sharing: sharing::SharingState,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: AppConfig) -> Result<Self> {
        let stream = config.stream.into();
        let sharing = sharing::SharingState::new(clock.now());
        let app = App {
            sharing,
            store,
            clock,
            config,
            reference: RwLock::new(Arc::new(Reference::empty())),
            weights: Default::default(),
            corrections: Default::default(),
            labeller: Default::default(),
            hooks: Default::default(),
            stream,
            scheduled_failures: Default::default(),
        };
        app.reload()?;
        Ok(app)
    }

    /// Reads the organisation, categories and boundaries from the store again.
    pub fn reload(&self) -> Result<()> {
        let units = self.store.units()?;
        let org = Organisation::new(units).map_err(|e| AppError::Internal(format!("stored organisation: {e}")))?;
        let taxonomy = Taxonomy::new(self.store.categories()?)
            .map_err(|e| AppError::Internal(format!("stored categories: {e}")))?;
        let areas = AreaIndex::from_geojson(&self.store.boundaries()?)
            .map_err(|e| AppError::Internal(format!("stored boundaries: {e}")))?;
        let doc = |name: &str| -> Result<Option<String>> { Ok(self.store.document(name)?) };
        let gazetteer = match doc("places")? {
            Some(t) => {
                Gazetteer::new(serde_json::from_str(&t).map_err(|e| AppError::Internal(format!("stored places: {e}")))?)
            }
            None => Gazetteer::default(),
        };
        let routing = match doc("routing")? {
            Some(t) => RoutingRules::new(
                serde_json::from_str(&t).map_err(|e| AppError::Internal(format!("stored routing rules: {e}")))?,
            ),
            None => RoutingRules::default(),
        };
        let tenant = org
            .district()
            .map(|d| TenantId::parse(d.code.as_str()).expect("unit codes are valid tenant ids"))
            .unwrap_or_else(|| TenantId::parse("default").expect("valid"));
        *self.reference.write().unwrap_or_else(|p| p.into_inner()) =
            Arc::new(Reference { tenant, org, taxonomy, areas, gazetteer, routing });
        self.reload_webhooks()?;
        Ok(())
    }

    pub fn reference(&self) -> Arc<Reference> {
        self.reference.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
    pub fn now(&self) -> yiwang_core::Instant {
        self.clock.now()
    }
    pub fn config(&self) -> &AppConfig {
        &self.config
    }
    /// Whether a district has been set up (units loaded).
    pub fn is_set_up(&self) -> bool {
        !self.reference().org.is_empty()
    }
}

/// Where a location was found, and how.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Located {
    pub area: Option<yiwang_core::id::UnitCode>,
    pub point: Option<yiwang_core::appeal::Point>,
    /// `point` (point in polygon) or `address` (gazetteer), or none.
    pub by: Option<&'static str>,
    /// The gazetteer's place, when found by address.
    pub place: Option<String>,
}

impl Reference {
    /// Finds the area of a location: the point in the boundaries, else the most
    /// precise place named in the address.
    pub fn locate(&self, l: &yiwang_core::appeal::Location) -> Located {
        if let Some(p) = l.point
            && let Some(area) = self.areas.locate(p)
        {
            return Located { area: Some(area.clone()), point: Some(p), by: Some("point"), place: None };
        }
        if let Some(addr) = &l.address
            && let Some(place) = self.gazetteer.locate(addr)
        {
            let point = match (place.lon, place.lat) {
                (Some(lon), Some(lat)) => yiwang_core::appeal::Point::parse(lon, lat).ok(),
                _ => None,
            };
            return Located {
                area: yiwang_core::id::UnitCode::parse(&place.area).ok(),
                point,
                by: Some("address"),
                place: Some(place.name.clone()),
            };
        }
        Located::default()
    }

    fn empty() -> Self {
        Reference {
            tenant: TenantId::parse("default").expect("valid"),
            org: Organisation::default(),
            taxonomy: Taxonomy::default(),
            areas: AreaIndex::default(),
            gazetteer: Gazetteer::default(),
            routing: RoutingRules::default(),
        }
    }
    /// A unit's display name, or its code when unknown.
    pub fn unit_name(&self, code: &yiwang_core::id::UnitCode) -> String {
        self.org.get(code).map(|u| u.display_name().to_owned()).unwrap_or_else(|| code.to_string())
    }
}
