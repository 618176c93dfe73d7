//! The demo district (云溪区示范区): the files in `data/demo/`, compiled in, and a few
//! months of appeals walked through their lifecycle so that queues, measures and
//! dashboards have something to show. Loaded by `yiwang serve --demo` on first start.

use crate::{App, AppError, CitizenInput, Clock, DistrictFiles, IntakeInput, ManualClock, Result, SetupReport};
use serde::Deserialize;
use std::sync::Arc;
use yiwang_core::appeal::{Action, AppealType, Location, Point, ReplyOutcome, Satisfaction, Status};
use yiwang_core::deadline::Urgency;
use yiwang_core::id::{CaseId, CategoryCode, UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

/// The password of every demo login (README lists the logins).
pub const DEMO_PASSWORD: &str = "yiwang2026";

pub const UNITS: &str = include_str!("../../../data/demo/units.json");
pub const CATEGORIES: &str = include_str!("../../../data/demo/categories.json");
pub const STAFF: &str = include_str!("../../../data/demo/staff.json");
pub const BOUNDARIES: &str = include_str!("../../../data/demo/boundaries.geojson");
pub const PLACES: &str = include_str!("../../../data/demo/places.json");
pub const ROUTING: &str = include_str!("../../../data/demo/routing.json");
pub const SERVICES: &str = include_str!("../../../data/demo/services.toml");
/// The registers of 双随机一公开 (`crate::plan`).
pub const SUPERVISION: &str = include_str!("../../../data/demo/supervision.toml");
const KNOWLEDGE: &str = include_str!("../../../data/demo/knowledge.json");
const APPEALS: &str = include_str!("../../../data/demo/appeals.json");
/// 政务信息资源目录: yiwang's own data and one department's gateway (一网共享).
pub const CATALOGUE: &str = include_str!("../../../data/demo/catalogue.json");

#[derive(Deserialize)]
struct DemoAppeal {
    #[serde(rename = "type")]
    appeal_type: AppealType,
    urgency: Urgency,
    category: CategoryCode,
    title: String,
    text: String,
    place: String,
    address: String,
    reply: String,
}

#[derive(Deserialize)]
struct Place {
    name: String,
    lon: f64,
    lat: f64,
    unit: UnitCode,
}

/// A small deterministic generator, so every demo looks the same.
pub(crate) struct Lcg(pub(crate) u64);
impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"];
pub(crate) const GIVEN: [&str; 12] = ["秀英", "建国", "丽", "伟", "芳", "强", "桂兰", "洋", "敏", "静", "磊", "军"];

/// The demo's 办事人: their phone, for the portal's login (README).
pub const DEMO_APPLICANT: &str = "13800138000";
/// The enterprise the demo's 办事人 may act for.
pub const DEMO_ENTERPRISE: (&str, &str) = ("91350100M000100Y43", "云溪区好味小厨餐饮店");

pub(crate) fn staff(username: &str, unit: &str, kind: UnitKind, roles: &[Role]) -> Actor {
    Actor::Staff {
        username: Username::parse(username).expect("demo usernames are valid"),
        unit: UnitCode::parse(unit).expect("demo units are valid"),
        unit_kind: kind,
        roles: roles.to_vec(),
    }
}

/// The demo district's set-up files (units, categories, staff, boundaries).
pub fn demo_files() -> DistrictFiles {
    DistrictFiles {
        units: Some(UNITS.into()),
        categories: Some(CATEGORIES.into()),
        staff: Some(STAFF.into()),
        boundaries: Some(BOUNDARIES.into()),
        places: Some(PLACES.into()),
        routing: Some(ROUTING.into()),
        services: Some(SERVICES.into()),
        supervision: Some(SUPERVISION.into()),
    }
}

impl App {
    /// Whether the store already holds the demo (or any) district.
    pub fn has_district(&self) -> bool {
        self.is_set_up()
    }

    /// Loads the demo district and walks its appeals through a few months of work,
    /// ending at the app clock's now.
    pub fn seed_demo(&self) -> Result<(SetupReport, usize)> {
        let report = self.setup_district(&demo_files(), Some(DEMO_PASSWORD))?;
        // The demo Open311 client app's key (README: Open311).
        self.install_api_key(crate::DEMO_API_KEY, crate::DEMO_API_CLIENT)?;
        let articles: Vec<crate::ArticleInput> =
            serde_json::from_str(KNOWLEDGE).map_err(|e| AppError::Internal(e.to_string()))?;
        let admin = staff("admin", "district", UnitKind::District, &[Role::Admin]);
        for a in articles {
            self.save_article(&admin, None, a)?;
        }
        let places: Vec<Place> = serde_json::from_str(PLACES).map_err(|e| AppError::Internal(e.to_string()))?;
        let appeals: Vec<DemoAppeal> = serde_json::from_str(APPEALS).map_err(|e| AppError::Internal(e.to_string()))?;

        let end = self.now();
        let clock = Arc::new(ManualClock::new(end));
        let sim = App::new(self.store.clone(), clock.clone(), self.config.clone())?;
        let r = sim.reference();
        let operator = staff("operator1", "centre", UnitKind::Centre, &[Role::Operator]);
        let dispatcher = staff("dispatcher1", "centre", UnitKind::Centre, &[Role::Dispatcher, Role::Operator]);
        let supervisor = staff("supervisor1", "centre", UnitKind::Centre, &[Role::Supervisor]);
        let mut rng = Lcg(20261122);
        let hours = chrono::Duration::hours;
        let mut n = 0;
        // Oldest first, so case numbers rise with time.
        let mut plan: Vec<(i64, usize)> = (0..appeals.len()).map(|i| (rng.below(80 * 24) as i64 + 2, i)).collect();
        plan.sort_by_key(|p| std::cmp::Reverse(p.0));
        for (age_hours, i) in plan {
            let d = &appeals[i];
            let start = end - hours(age_hours);
            clock.set(start);
            let place = places.iter().find(|p| p.name == d.place);
            let citizen = (rng.below(10) > 0).then(|| CitizenInput {
                name: Some(format!("{}{}", SURNAMES[rng.below(12) as usize], GIVEN[rng.below(12) as usize])),
                phone: Some(format!("13{}{:08}", 5 + rng.below(5), rng.below(100_000_000))),
                ..Default::default()
            });
            let receipt = sim.submit_appeal(
                &operator,
                IntakeInput {
                    channel: yiwang_core::appeal::Channel::Hotline,
                    appeal_type: d.appeal_type,
                    urgency: d.urgency,
                    title: Some(d.title.clone()),
                    text: d.text.clone(),
                    location: Location {
                        point: place.map(|p| Point { lon: p.lon, lat: p.lat }),
                        address: Some(d.address.clone()),
                        area: None,
                    },
                    citizen,
                    attachments: vec![],
                    category: Some(d.category.clone()),
                    private: false,
                },
            )?;
            n += 1;
            let id = receipt.case_id;
            let step = |h: i64| -> bool {
                let t = clock.now() + hours(h);
                if t >= end {
                    return false;
                }
                clock.set(t);
                true
            };
            // Consultations: half are answered on the call.
            if d.appeal_type == AppealType::Consultation && rng.below(2) == 0 {
                sim.act(&operator, &id, &Action::AnswerDirectly { answer: d.reply.clone() })?;
                continue;
            }
            if !step(if d.urgency == Urgency::Emergency { 0 } else { 1 + rng.below(6) as i64 }) {
                continue;
            }
            let owner = r.taxonomy.get(&d.category).map(|c| c.unit.clone()).expect("demo categories exist");
            // A few are first sent to the street, which returns them as not its own.
            let street = place.and_then(|p| r.org.street_of(&p.unit)).map(|u| u.code.clone());
            if let Some(st) = street.as_ref().filter(|_| rng.below(12) == 0) {
                sim.act(
                    &dispatcher,
                    &id,
                    &Action::Dispatch { category: d.category.clone(), unit: Some(st.clone()), note: None },
                )?;
                if !step(2) {
                    continue;
                }
                let h = handler(&r, st);
                sim.act(&h, &id, &Action::Return { reason: "经核实不属于本街道职责，请改派主管部门".into() })?;
                if !step(1) {
                    continue;
                }
            }
            sim.act(
                &dispatcher,
                &id,
                &Action::Dispatch { category: d.category.clone(), unit: Some(owner.clone()), note: None },
            )?;
            let h = handler(&r, &owner);
            // Most sign within the limit; some late.
            if !step(if rng.below(8) == 0 { 5 } else { 1 }) {
                continue;
            }
            sim.act(&h, &id, &Action::SignFor)?;
            if !step(if rng.below(6) == 0 { 30 } else { 3 + rng.below(8) as i64 }) {
                continue;
            }
            sim.act(&h, &id, &Action::Contact { note: "已电话联系诉求人，了解具体情况".into() })?;
            if let Some(st) = street.as_ref().filter(|_| rng.below(8) == 0) {
                sim.act(
                    &h,
                    &id,
                    &Action::Summon { units: vec![st.clone()], note: Some("请属地街道协助现场核查".into()) },
                )?;
                if !step(4) {
                    continue;
                }
                let sh = handler(&r, st);
                sim.act(&sh, &id, &Action::ReportIn)?;
                if !step(20) {
                    continue;
                }
                sim.act(&sh, &id, &Action::AnswerPart { text: "街道已派员现场核查并配合处置".into() })?;
            }
            if rng.below(10) == 0 {
                sim.act(&supervisor, &id, &Action::Remind { note: "请抓紧办理，按时答复诉求人".into() })?;
            }
            // Replies take one to twenty working days.
            if !step(24 * (1 + rng.below(20) as i64)) {
                continue;
            }
            let outcome = if rng.below(15) == 0 { ReplyOutcome::CannotSolve } else { ReplyOutcome::Resolved };
            sim.act(&h, &id, &Action::Reply { outcome, text: d.reply.clone(), photos: vec![] })?;
            if !step(6 + rng.below(30) as i64) {
                continue;
            }
            let roll = rng.below(20);
            let (solved, sat) = match roll {
                0..=12 => (true, Satisfaction::Satisfied),
                13..=16 => (true, Satisfaction::BasicallySatisfied),
                17 => (false, Satisfaction::BasicallySatisfied),
                _ => (false, Satisfaction::Unsatisfied),
            };
            sim.act(&operator, &id, &Action::Callback { solved, satisfaction: sat, note: None })?;
            if !solved && sim.load_as::<yiwang_core::appeal::AppealKind>(&id)?.status == Status::CalledBack {
                if !step(2) {
                    continue;
                }
                sim.act(&supervisor, &id, &Action::Reopen { reason: "诉求人反映问题未解决，请重新办理".into() })?;
            }
        }
        // The scheduler catches up on the deadlines that passed during the story.
        clock.set(end);
        sim.tick()?;
        // The year's commitments (督查督办), on the same engine.
        let tasks = crate::demo_tasks::seed(&sim, &clock, end)?;
        // Four weeks of grid patrols (网格巡查), some grids left unpatrolled.
        let patrols = seed_patrols(&sim, &clock, end, &mut rng)?;
        // Four weeks of 一网通办 at two departments' windows, in every state.
        let applications = crate::demo_applications::seed(&sim, &clock, end, &mut rng)?;
        // The district's register of enterprises, its records shifted to end today.
        clock.set(end - chrono::Duration::days(2));
        let enterprises = seed_register(&sim)?;
        // The demo's 办事人 (README) may act for a restaurant: bound at the 城管委's window.
        clock.set(end - chrono::Duration::days(3));
        sim.grant_authorisation(
            &staff("cgw-clerk", "cgw", UnitKind::Department, &[Role::Clerk]),
            crate::AuthorisationInput {
                enterprise: DEMO_ENTERPRISE.0.into(),
                enterprise_name: DEMO_ENTERPRISE.1.into(),
                document: "授权委托书、营业执照副本、经办人身份证".into(),
                valid_until: yiwang_core::calendar::civil_date(end) + chrono::Duration::days(365),
                agent: crate::CitizenInput {
                    name: Some("刘海峰".into()),
                    phone: Some(DEMO_APPLICANT.into()),
                    id_number: None,
                    contact: None,
                },
            },
        )?;
        // 免申即享: the demo's policies, the first run the day before.
        clock.set(end - chrono::Duration::days(1));
        let grants = sim.seed_policies()?;
        // 一网共享: the catalogue, kept by the 数据局, and today's open data.
        let bureau = staff("data-bureau", "district", UnitKind::District, &[Role::DataOfficer]);
        sim.seed_catalogue(&bureau, CATALOGUE)?;
        sim.seed_sharing()?;
        clock.set(end);
        sim.tick()?;
        sim.refresh_open_data()?;
        tracing::info!(appeals = n, tasks, patrols, applications, enterprises, grants, "demo district seeded");
        Ok((report, n))
    }

    /// The demo case ids, newest first (for tests and smoke checks).
    pub fn demo_case_ids(&self, limit: u32) -> Result<Vec<CaseId>> {
        let q = yiwang_store::CaseQuery { kind: Some("appeal"), limit, ..Default::default() };
        Ok(self.store.list_cases(&q)?.rows.into_iter().map(|r| r.id).collect())
    }
}

/// What grid workers put right on the spot in the demo.
const FIXED_ON_THE_SPOT: [&str; 6] = [
    "清理电线杆上的小广告",
    "扶正倒伏的共享单车并整齐摆放",
    "劝离人行道上占道经营的流动摊贩",
    "清扫楼道口堆放的杂物",
    "提醒商户把外摆桌椅收回店内",
    "井盖松动，已临时摆放警示锥并固定",
];

/// Patrols of the four weeks before `end`: each grid's worker (`<grid>-worker`) walks
/// their grid a few times, a route around the grid's centre, now and then putting
/// something right on the spot; about a quarter of the grids are not patrolled.
fn seed_patrols(sim: &App, clock: &ManualClock, end: yiwang_core::Instant, rng: &mut Lcg) -> Result<usize> {
    let r = sim.reference();
    let mut grids: Vec<(UnitCode, [f64; 2])> = r
        .areas
        .shapes()
        .filter(|(u, _)| r.org.get(u).is_some_and(|x| x.kind == UnitKind::Grid))
        .filter_map(|(u, rings)| {
            let pts: Vec<&[f64; 2]> = rings.iter().flat_map(|ring| ring.iter()).collect();
            let n = pts.len() as f64;
            (n > 0.0).then(|| {
                (u.clone(), [pts.iter().map(|p| p[0]).sum::<f64>() / n, pts.iter().map(|p| p[1]).sum::<f64>() / n])
            })
        })
        .collect();
    grids.sort_by(|a, b| a.0.cmp(&b.0));
    let mut plan = vec![];
    for (grid, centre) in &grids {
        if rng.below(4) == 0 {
            continue;
        }
        for _ in 0..1 + rng.below(5) {
            plan.push((rng.below(27 * 24) as i64 + 24, grid.clone(), *centre));
        }
    }
    // Oldest first, so patrol numbers rise with time.
    plan.sort_by_key(|p| std::cmp::Reverse(p.0));
    let minutes = chrono::Duration::minutes;
    for (age_hours, grid, [lon0, lat0]) in &plan {
        let worker = staff(&format!("{grid}-worker"), grid.as_str(), UnitKind::Grid, &[Role::GridWorker]);
        let start = end - chrono::Duration::hours(*age_hours);
        clock.set(start);
        let p = sim.start_patrol(&worker)?;
        let (mut lon, mut lat) = (*lon0, *lat0);
        let walk = 15 + rng.below(20) as i64;
        let route: Vec<yiwang_core::patrol::RoutePoint> = (1..=walk)
            .map(|k| {
                lon += (rng.below(9) as f64 - 4.0) * 0.00015;
                lat += (rng.below(9) as f64 - 4.0) * 0.00012;
                yiwang_core::patrol::RoutePoint { lon, lat, at: start + minutes(3 * k) }
            })
            .collect();
        clock.set(start + minutes(3 * walk));
        sim.track_patrol(&worker, &p.id, route, None)?;
        if rng.below(10) < 4 {
            let text = FIXED_ON_THE_SPOT[rng.below(FIXED_ON_THE_SPOT.len() as u64) as usize].to_owned();
            let input = crate::ProblemInput {
                text,
                point: Some(Point { lon, lat }),
                photos: vec![],
                fixed: true,
                category: None,
            };
            sim.patrol_problem(&worker, &p.id, input)?;
        }
        clock.set(start + minutes(3 * walk + 5));
        sim.end_patrol(&worker, &p.id)?;
    }
    Ok(plan.len())
}

/// The demo handler of a unit (`<unit>-handler`).
fn handler(r: &crate::Reference, unit: &UnitCode) -> Actor {
    let kind = r.org.get(unit).map(|u| u.kind).unwrap_or(UnitKind::Department);
    staff(&format!("{unit}-handler"), unit.as_str(), kind, &[Role::Handler])
}

/// The demo's register (`data/demo/enterprises.json`, made by `gen_enterprises.py`).
pub const ENTERPRISES: &str = include_str!("../../../data/demo/enterprises.json");

/// The day the demo register's records were generated up to: they are shifted so
/// that they end on the demo's today, and the classes come out as generated.
const REGISTER_GENERATED: (i32, u32, u32) = (2026, 11, 30);

fn seed_register(app: &App) -> Result<usize> {
    let (entries, errors) = demo_register(yiwang_core::calendar::civil_date(app.now()));
    let report = app.import_entries(&Actor::System, entries, errors)?;
    Ok(report.registered)
}

/// The demo register with its records shifted to end on `today`.
pub fn demo_register(today: chrono::NaiveDate) -> (Vec<(usize, crate::RegisterEntry)>, Vec<crate::RowError>) {
    let (mut entries, errors) = crate::register::parse_register(ENTERPRISES);
    let generated = chrono::NaiveDate::from_ymd_opt(REGISTER_GENERATED.0, REGISTER_GENERATED.1, REGISTER_GENERATED.2)
        .expect("a date");
    let shift = today - generated;
    for (_, e) in &mut entries {
        for f in &mut e.facts {
            f.date = (f.date + shift).min(today);
        }
        e.founded = (e.founded + shift).min(today);
    }
    (entries, errors)
}
