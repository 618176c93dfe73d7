//! The demo's 一网通办: four weeks of applications at the windows of the 市场监管局 and
//! the 城管委, in every state a department sees — just filed, waiting on a 补正, under
//! review, decided, certified, finished and rated (well, and badly, with the 差评整改
//! answered or still open), refused at the window, withdrawn — and an old one the
//! department never answered, which the scheduler accepts by §32. And 一件事: 开办餐饮店
//! and 新生儿出生一件事 registered at the windows, just filed, under way in several
//! departments at once, stopped by a refusal, ended with one part refused, and done.

use crate::demo::{GIVEN, Lcg, SURNAMES, staff};
use crate::{App, ApplicationInput, CitizenInput, ManualClock, RatingInput, Result};
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::application::{Command, Delivery, Enterprise, Missing, Provided, Rating, Verdict};
use yiwang_core::id::CreditCode;
use yiwang_core::org::{Role, UnitKind};

/// Shops and firms of 云溪区 that apply.
const FIRMS: [&str; 10] = [
    "云溪区好味小厨餐饮店",
    "澜江市云溪区鲜果时光水果店",
    "云溪区老街坊面馆",
    "澜江云溪晨光便利店",
    "云溪区福满楼酒家",
    "澜江市云溪区书香文具店",
    "云溪区小鹿咖啡馆",
    "澜江云溪安居装饰工程有限公司",
    "云溪区德顺建材经营部",
    "澜江市云溪区街角烘焙坊",
];

/// A valid 统一社会信用代码 for the demo's `n`th firm: the check character computed.
fn credit_code(n: u64) -> CreditCode {
    let base = format!("92350102MA{:07}", 3_000_000 + n * 7919 % 1_000_000);
    "0123456789ABCDEFGHJKLMNPQRTUWXY"
        .chars()
        .find_map(|c| CreditCode::parse(&format!("{base}{c}")).ok())
        .expect("one check character fits")
}

/// A filled-in form of each demo service.
fn form(service: &str, firm: &str) -> BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match service {
        "food-business" => {
            &[("shop-name", firm), ("address", "云溪区府前街18号"), ("kind", "热食类食品制售"), ("area-sqm", "85")]
        }
        "sole-trader" => &[("trade-name", firm), ("scope", "日用百货、预包装食品零售")],
        "signboard" => &[("text", firm), ("size", "4.5")],
        "road-occupation" => &[("place", "湖畔路望湖公园北门西侧人行道"), ("from", "2026-12-01"), ("days", "7")],
        _ => &[],
    };
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Where the applications go, and what the window knows them as.
const PLAN: [(&str, &str); 5] = [
    ("food-business", "scjgj"),
    ("sole-trader", "scjgj"),
    ("signboard", "cgw"),
    ("road-occupation", "cgw"),
    ("construction-waste", "cgw"),
];

pub(crate) fn seed(sim: &App, clock: &ManualClock, end: Instant, rng: &mut Lcg) -> Result<usize> {
    let hours = chrono::Duration::hours;
    // Each of the ten paths below for each of the five services.
    let n = 50;
    let mut made = 0;
    // Oldest first, so numbers rise with time.
    let mut ages: Vec<u64> = (0..n).map(|_| 2 + rng.below(26 * 24)).collect();
    ages.sort_unstable_by(|a, b| b.cmp(a));
    for (i, age) in ages.into_iter().enumerate() {
        let (code, dept) = PLAN[i % PLAN.len()];
        let service = sim.service(code, None)?;
        let clerk = staff(&format!("{dept}-clerk"), dept, UnitKind::Department, &[Role::Clerk]);
        let reviewer =
            staff(&format!("{dept}-reviewer"), dept, UnitKind::Department, &[Role::Reviewer, Role::Approver]);
        let leader = staff(&format!("{dept}-leader"), dept, UnitKind::Department, &[Role::UnitLeader]);
        let firm = FIRMS[rng.below(FIRMS.len() as u64) as usize];
        let name = format!(
            "{}{}",
            SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
            GIVEN[rng.below(GIVEN.len() as u64) as usize]
        );
        let phone = format!("139{:08}", 10_000_000 + rng.below(89_999_999));
        // The last material is left out of every third application, for a 补正.
        let wanted = (i / PLAN.len()) % 10;
        let short = wanted == 1 || wanted == 2;
        let materials: Vec<Provided> = service
            .materials
            .iter()
            .enumerate()
            .filter(|(k, m)| m.required && !(short && *k + 1 == service.materials.len()))
            .map(|(_, m)| match &m.certificate {
                Some(_) => Provided {
                    material: m.code.clone(),
                    files: vec![],
                    certificate: Some(format!("YX-{}-{:06}", m.code, i)),
                    paper: false,
                },
                None => Provided { material: m.code.clone(), files: vec![], certificate: None, paper: true },
            })
            .collect();
        let mut at = end - hours(age as i64);
        clock.set(at);
        let input = ApplicationInput {
            service: code.into(),
            applicant: CitizenInput { name: Some(name), phone: Some(phone.clone()), id_number: None, contact: None },
            enterprise: service.for_enterprises.then(|| Enterprise { code: credit_code(i as u64), name: firm.into() }),
            form: form(code, firm),
            materials,
            area: None,
        };
        let a = sim.register_application(&clerk, input)?;
        made += 1;
        let id = a.id.clone();
        // Each step a few hours after the last, never past the story's end.
        let mut step = |rng: &mut Lcg| {
            at += hours(1 + rng.below(20) as i64);
            let ok = at < end;
            if ok {
                clock.set(at);
            }
            ok
        };
        let act = |who: &yiwang_core::org::Actor, cmd: Command| sim.act_application(who, &id, &cmd).map(drop);
        // 0: just filed; 8: an old one nobody answered (the scheduler accepts it).
        if matches!(wanted, 0 | 8) || !step(rng) {
            continue;
        }
        if wanted == 9 {
            act(
                &clerk,
                Command::Reject {
                    reason: "申请事项不属于本机关职权范围".into(),
                    basis: "《中华人民共和国行政许可法》第三十二条第一款第（二）项".into(),
                },
            )?;
            continue;
        }
        if short {
            let last = service.materials.last().expect("the demo's services have materials");
            act(
                &clerk,
                Command::AskSupplement {
                    missing: vec![Missing { material: Some(last.code.clone()), what: last.name.clone() }],
                    on_the_spot: true,
                },
            )?;
            if wanted == 1 || !step(rng) {
                continue;
            }
            let handed = Provided { material: last.code.clone(), files: vec![], certificate: None, paper: true };
            act(&clerk, Command::Supplement { materials: vec![handed], in_person: true })?;
            if !step(rng) {
                continue;
            }
        }
        if wanted == 7 {
            act(&clerk, Command::Withdraw { reason: Some("申请人决定暂缓开业".into()), in_person: true })?;
            continue;
        }
        let verdict = service.instant.then_some(Verdict { grant: true, reasons: None });
        act(&clerk, Command::Accept { verdict })?;
        if wanted == 2 || !step(rng) {
            continue;
        }
        if !service.instant {
            act(&reviewer, Command::Review { opinion: "材料齐全，符合法定条件".into(), grant: true })?;
            if wanted == 3 || !step(rng) {
                continue;
            }
            act(&reviewer, Command::Decide { verdict: Verdict { grant: true, reasons: None } })?;
            if wanted == 4 || !step(rng) {
                continue;
            }
        }
        if service.certificate.is_some() {
            let number = format!("{}{:08}", code.to_uppercase().replace('-', ""), 26_000_000 + i);
            let valid_from = yiwang_core::calendar::civil_date(sim.now());
            // A fee-bearing service is paid (the reference recorded) before 制证.
            if let Some(amount_fen) = service.fee_fen() {
                let reference = format!("FS{}", 2_026_000_000 + i);
                act(&clerk, Command::RecordPayment { reference, amount_fen, paid_on: valid_from })?;
            }
            act(&clerk, Command::Certify { number, valid_from, valid_until: None, signed: None })?;
        }
        let how = if service.instant { Delivery::OnTheSpot } else { Delivery::Electronic };
        act(&clerk, Command::Deliver { how })?;
        if !step(rng) {
            continue;
        }
        // Rated well, but two of them badly, which opens a 差评整改: the first answered,
        // the second still open.
        let rating = match (wanted, i % PLAN.len()) {
            (6, 0 | 1) => Rating::Unsatisfied,
            (5, _) => Rating::VerySatisfied,
            _ => Rating::Satisfied,
        };
        let tracking_code =
            sim.load_as::<yiwang_core::application::ApplicationKind>(&id)?.tracking_code.unwrap_or_default();
        let comment = (!rating.is_good()).then(|| "窗口排队时间太长，叫号系统也不提示".to_owned());
        // The online dimensions: as the overall level, but the guide one level lower.
        let dimensions = yiwang_core::application::Dimension::ONLINE
            .into_iter()
            .map(|d| {
                (
                    d,
                    if d == yiwang_core::application::Dimension::Guide && rating == Rating::VerySatisfied {
                        Rating::Satisfied
                    } else {
                        rating
                    },
                )
            })
            .collect();
        sim.rate_application(RatingInput { tracking_code, phone, rating, comment, named: false, dimensions }, None)?;
        if rating.is_good() || i % PLAN.len() != 0 || !step(rng) {
            continue;
        }
        let q = yiwang_store::CaseQuery { kind: Some("rating_fix"), open: Some(true), limit: 1, ..Default::default() };
        if let Some(fix) = sim.store.list_cases(&q)?.rows.first().map(|r| r.id.clone()) {
            use yiwang_core::rating_fix::Command as Fix;
            sim.act_rating_fix(&leader, &fix, &Fix::Verify { founded: true, finding: "高峰时段窗口开放不足".into() })?;
            sim.act_rating_fix(
                &leader,
                &fix,
                &Fix::Answer {
                    measures: "高峰时段增开两个窗口，叫号屏显示等候人数".into(),
                    reply: "已增开窗口，感谢您的意见".into(),
                },
            )?;
        }
    }
    made += seed_bundles(sim, clock, end)?;
    Ok(made)
}

/// The demo's bundles, each a few days old: (bundle, answers, how far it got).
fn seed_bundles(sim: &App, clock: &ManualClock, end: Instant) -> Result<usize> {
    use crate::BundleInput;
    use yiwang_core::org::Actor;
    let hours = chrono::Duration::hours;
    let pairs = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
    let paper = |codes: &[&str]| {
        codes
            .iter()
            .map(|c| Provided { material: c.to_string(), files: vec![], certificate: None, paper: true })
            .collect::<Vec<_>>()
    };
    let restaurant = |n: u64, firm: &str, sign: &str| BundleInput {
        bundle: "open-restaurant".into(),
        applicant: CitizenInput {
            name: Some(format!("{}{}", SURNAMES[n as usize % SURNAMES.len()], GIVEN[n as usize % GIVEN.len()])),
            phone: Some(format!("1370000{:04}", 100 + n)),
            id_number: None,
            contact: None,
        },
        enterprise: Some(Enterprise { code: credit_code(100 + n), name: firm.into() }),
        answers: pairs(&[("signboard", sign), ("wastewater", "否"), ("size", "150平方米以下")]),
        form: pairs(&[
            ("shop-name", firm),
            ("address", "云溪区府前街26号"),
            ("kind", "热食类食品制售"),
            ("area-sqm", "120"),
            ("size", "3.6"),
        ]),
        materials: paper(&[
            "application-form",
            "business-licence",
            "floor-plan",
            "safety-rules",
            "design",
            "safety-commitment",
        ])
        .into_iter()
        .filter(|m| sign == "是" || !matches!(m.material.as_str(), "design" | "safety-commitment"))
        .collect(),
        area: None,
    };
    let newborn = |n: u64, baby: &str, card: &str| BundleInput {
        bundle: "newborn".into(),
        applicant: CitizenInput {
            name: Some(format!("{}{}", SURNAMES[n as usize % SURNAMES.len()], GIVEN[(n as usize + 3) % GIVEN.len()])),
            phone: Some(format!("1370000{:04}", 200 + n)),
            id_number: None,
            contact: None,
        },
        enterprise: None,
        answers: pairs(&[("insure", "是"), ("card", card)]),
        form: pairs(&[
            ("baby-name", baby),
            ("baby-sex", "女"),
            ("birth-date", "2026-11-02"),
            ("hospital", "云溪区妇幼保健院"),
            ("address", "云溪区翠苑小区3栋"),
        ]),
        materials: paper(&["parents-id", "delivery-record", "hukou-book"]),
        area: None,
    };
    let dept = |code: &str, roles: &[Role]| staff(&format!("{code}-demo"), code, UnitKind::Department, roles);
    let clerk_of = |code: &str| dept(code, &[Role::Clerk]);
    let reviewer_of = |code: &str| dept(code, &[Role::Reviewer, Role::Approver]);
    let part = |v: &crate::BundleView, service: &str| {
        v.parts.iter().find(|p| p.service == service).and_then(|p| p.case.clone()).expect("the part was opened")
    };
    let grant = || Verdict { grant: true, reasons: None };
    // Runs the part's whole procedure to its end, as the department would.
    let finish = |who: &Actor,
                  reviewer: &Actor,
                  id: &yiwang_core::id::CaseId,
                  instant: bool,
                  cert: Option<&str>|
     -> Result<()> {
        if instant {
            sim.act_application(who, id, &Command::Accept { verdict: Some(grant()) })?;
            sim.act_application(who, id, &Command::Deliver { how: Delivery::OnTheSpot })?;
            return Ok(());
        }
        sim.act_application(who, id, &Command::Accept { verdict: None })?;
        sim.act_application(reviewer, id, &Command::Review { opinion: "材料齐全，符合法定条件".into(), grant: true })?;
        sim.act_application(reviewer, id, &Command::Decide { verdict: grant() })?;
        if let Some(number) = cert {
            let valid_from = yiwang_core::calendar::civil_date(sim.now());
            sim.act_application(
                who,
                id,
                &Command::Certify { number: number.into(), valid_from, valid_until: None, signed: None },
            )?;
        }
        sim.act_application(who, id, &Command::Deliver { how: Delivery::Electronic })?;
        Ok(())
    };
    let (scj, cgw, wjw) = (clerk_of("scjgj"), clerk_of("cgw"), clerk_of("wjw"));
    let at = |h: i64| clock.set(end - hours(h));
    let review = || Command::Review { opinion: "材料齐全，符合法定条件".into(), grant: true };
    // In the order things happened, oldest first.
    // 新生儿出生一件事, done: every part in four departments.
    at(140);
    let done = sim.register_bundle(&wjw, newborn(4, "李若溪", "是"))?;
    at(136);
    finish(&wjw, &reviewer_of("wjw"), &part(&done, "birth-certificate"), false, Some("Q350102026110001"))?;
    finish(&wjw, &reviewer_of("gafj"), &part(&done, "newborn-hukou"), false, None)?;
    finish(&wjw, &reviewer_of("ybj"), &part(&done, "newborn-insurance"), true, None)?;
    // 开办餐饮店, stopped: the sign refused, so (all-stop) the food licence, not yet
    // decided, ends with it.
    at(120);
    let stopped = sim.register_bundle(&scj, restaurant(3, "云溪区老城烧烤店", "是"))?;
    at(116);
    let sign = part(&stopped, "signboard");
    sim.act_application(&cgw, &sign, &Command::Accept { verdict: None })?;
    at(110);
    finish(&wjw, &reviewer_of("rsj"), &part(&done, "social-security-card"), false, None)?;
    at(100);
    let refuse = Verdict {
        grant: false, reasons: Some("拟设置位置位于历史文化街区，不符合门头招牌设置导则".into())
    };
    sim.act_application(
        &reviewer_of("cgw"),
        &sign,
        &Command::Review { opinion: "位置不符合导则".into(), grant: false },
    )?;
    sim.act_application(&reviewer_of("cgw"), &sign, &Command::Decide { verdict: refuse })?;
    sim.act_application(&cgw, &sign, &Command::Deliver { how: Delivery::Electronic })?;
    // 开办餐饮店 under way in two departments at once.
    at(70);
    let running = sim.register_bundle(&scj, restaurant(2, "云溪区南门茶餐厅", "是"))?;
    at(66);
    sim.act_application(&scj, &part(&running, "food-business"), &Command::Accept { verdict: None })?;
    sim.act_application(&cgw, &part(&running, "signboard"), &Command::Accept { verdict: None })?;
    at(50);
    sim.act_application(&reviewer_of("scjgj"), &part(&running, "food-business"), &review())?;
    // 新生儿: one part refused at the window (the hukou is elsewhere); the rest go on.
    at(40);
    let partly = sim.register_bundle(&wjw, newborn(5, "张一诺", "否"))?;
    at(38);
    let reject = Command::Reject {
        reason: "申报人户籍不在本区，应向户籍地派出所申报".into(),
        basis: "《中华人民共和国户口登记条例》第七条".into(),
    };
    sim.act_application(&wjw, &part(&partly, "newborn-hukou"), &reject)?;
    finish(&wjw, &reviewer_of("ybj"), &part(&partly, "newborn-insurance"), true, None)?;
    // 开办餐饮店 just filed at the 市场监管局's window: both parts wait to be accepted.
    at(20);
    sim.register_bundle(&scj, restaurant(1, "云溪区川味小馆", "是"))?;
    Ok(5)
}
