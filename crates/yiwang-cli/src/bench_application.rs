//! `bench lifecycle --kind application`: each client thread plays whole service
//! applications (一网通办) through the use-case layer on the real store — 收件 at the
//! window, 受理, 审查, 决定, 制证 (the certificate made and signed with the keyring),
//! 送达 and the applicant's 评价 with its dimensions — on the demo district's 食品经营许可,
//! and reports applications per second, each step's p50 and p99, and the writer
//! thread's CPU per application (the part that cannot be spread over cores).

use super::bench::{LifecycleOptions, cpu_since, pct, thread_cpu};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};
use yiwang_app::{App, ApplicationInput, CitizenInput, RatingInput};
use yiwang_core::application::{
    ApplicationStatus, Command, Delivery, Dimension, Enterprise, Provided, Rating, Verdict,
};
use yiwang_core::id::{CreditCode, UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

/// The steps timed, in order.
const STEPS: [&str; 7] = ["收件", "受理", "审查", "决定", "制证", "送达", "评价"];
const SERVICE: &str = "food-business";

struct Staff {
    clerk: Actor,
    reviewer: Actor,
    approver: Actor,
}

/// One application from 收件 to 评价: each step's time in µs, or the error.
fn play(app: &App, s: &Staff, i: u64) -> Result<[u64; 7], yiwang_app::AppError> {
    let mut times = [0u64; 7];
    let mut step = 0;
    let mut t = Instant::now();
    let mut lap = |times: &mut [u64; 7]| {
        times[step] = t.elapsed().as_micros() as u64;
        step += 1;
        t = Instant::now();
    };
    let phone = format!("138{:08}", i % 100_000_000);
    let paper = |code: &str| Provided { material: code.into(), files: vec![], certificate: None, paper: true };
    let input = ApplicationInput {
        service: SERVICE.into(),
        applicant: CitizenInput { name: Some("测试".into()), phone: Some(phone.clone()), ..Default::default() },
        enterprise: Some(Enterprise {
            code: CreditCode::parse("91350100M000100Y43").expect("a valid credit code"),
            name: format!("压测餐饮店{i}"),
        }),
        form: [
            ("shop-name", format!("压测小厨{i}")),
            ("address", "云溪区府前街18号".to_owned()),
            ("kind", "热食类食品制售".to_owned()),
            ("area-sqm", "85".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        materials: ["application-form", "business-licence", "floor-plan", "safety-rules"].map(paper).to_vec(),
        area: None,
    };
    let a = app.register_application(&s.clerk, input)?;
    lap(&mut times);
    let id = a.id.clone();
    app.act_application(&s.clerk, &id, &Command::Accept { verdict: None })?;
    lap(&mut times);
    app.act_application(&s.reviewer, &id, &Command::Review { opinion: "材料齐全，现场核查合格".into(), grant: true })?;
    lap(&mut times);
    app.act_application(&s.approver, &id, &Command::Decide { verdict: Verdict { grant: true, reasons: None } })?;
    lap(&mut times);
    let today = yiwang_core::calendar::civil_date(app.now());
    let certify = Command::Certify { number: format!("JY{i:012}"), valid_from: today, valid_until: None, signed: None };
    app.act_application(&s.clerk, &id, &certify)?;
    lap(&mut times);
    app.act_application(&s.clerk, &id, &Command::Deliver { how: Delivery::Window })?;
    lap(&mut times);
    let rating = RatingInput {
        tracking_code: a.tracking_code.clone().unwrap_or_default(),
        phone,
        rating: Rating::Satisfied,
        comment: None,
        named: false,
        dimensions: Dimension::ONLINE.into_iter().map(|d| (d, Rating::Satisfied)).collect(),
    };
    let v = app.rate_application(rating, None)?;
    lap(&mut times);
    if v.rating.is_none() || v.status_label != ApplicationStatus::Done.label() {
        return Err(yiwang_app::AppError::invalid("bench", "the application did not end rated"));
    }
    Ok(times)
}

pub fn lifecycle(opts: LifecycleOptions) -> Result<std::process::ExitCode> {
    let dir = std::env::temp_dir().join(format!("yiwang-bench-applications-{}", std::process::id()));
    let data = crate::config::DataDir::open_or_create(&dir)?.with_database(opts.database.clone());
    let (_store, app) = data.open_app()?;
    let anyhow_err = |e: yiwang_app::AppError| anyhow::anyhow!("{e}");
    if !app.has_district() {
        app.setup_district(&yiwang_app::demo_files(), Some("bench-only-password")).map_err(anyhow_err)?;
    }
    let service = app.service(SERVICE, None).map_err(anyhow_err).context("the demo catalogue has 食品经营许可")?;
    let unit: UnitCode = service.department.clone();
    let staff = |name: &str, role: Role| Actor::Staff {
        username: Username::parse(&format!("{unit}-{name}")).expect("bench usernames are valid"),
        unit: unit.clone(),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    };
    let s = Arc::new(Staff {
        clerk: staff("clerk", Role::Clerk),
        reviewer: staff("reviewer", Role::Reviewer),
        approver: staff("approver", Role::Approver),
    });
    println!(
        "bench lifecycle --kind application: {} client threads for {} s{} on {} (7 steps per application: {})",
        opts.clients,
        opts.seconds,
        if opts.count > 0 { format!(" or {} applications", opts.count) } else { String::new() },
        data.describe(),
        STEPS.join(" → ")
    );
    let deadline = Instant::now() + Duration::from_secs(opts.seconds.max(1));
    let left = Arc::new(std::sync::atomic::AtomicU64::new(if opts.count > 0 { opts.count } else { u64::MAX }));
    let cpu_before = thread_cpu();
    let start = Instant::now();
    let threads: Vec<_> = (0..opts.clients.max(1))
        .map(|t| {
            let (app, s, left): (Arc<App>, _, _) = (app.clone(), s.clone(), left.clone());
            std::thread::spawn(move || -> (Vec<[u64; 7]>, u64) {
                let (mut done, mut failed) = (vec![], 0u64);
                let mut i = t as u64;
                while Instant::now() < deadline
                    && left
                        .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| {
                            n.checked_sub(1)
                        })
                        .is_ok()
                {
                    i += 64;
                    match play(&app, &s, i) {
                        Ok(times) => done.push(times),
                        Err(e) => {
                            failed += 1;
                            tracing::warn!("an application failed: {e}");
                        }
                    }
                }
                (done, failed)
            })
        })
        .collect();
    let (mut done, mut failed) = (vec![], 0u64);
    for t in threads {
        let (d, f) = t.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
        done.extend(d);
        failed += f;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_since(&cpu_before);
    let n = done.len() as u64;
    let rate = n as f64 / elapsed;
    let mut whole: Vec<u64> = done.iter().map(|t| t.iter().sum()).collect();
    whole.sort_unstable();
    println!(
        "applications: {n} done and rated in {elapsed:.1} s = {rate:.1}/s ({:.0} commands/s); per application p50 {:.2} ms, p99 {:.2} ms; {failed} failed",
        rate * STEPS.len() as f64,
        pct(&whole, 0.50),
        pct(&whole, 0.99)
    );
    let mut figures = format!(
        "applications_per_s={rate:.1} p50_ms={:.2} p99_ms={:.2} failed={failed}",
        pct(&whole, 0.50),
        pct(&whole, 0.99)
    );
    let mut per_step = vec![];
    for (k, name) in STEPS.iter().enumerate() {
        let mut l: Vec<u64> = done.iter().map(|t| t[k]).collect();
        l.sort_unstable();
        per_step.push(format!("{name} p50 {:.2} ms p99 {:.2} ms", pct(&l, 0.50), pct(&l, 0.99)));
        figures += &format!(" step{}_p50_ms={:.2} step{}_p99_ms={:.2}", k + 1, pct(&l, 0.50), k + 1, pct(&l, 0.99));
    }
    println!("per step: {}", per_step.join("; "));
    if n > 0 {
        let per = |secs: f64| secs * 1e6 / n as f64;
        if let Some(w) = cpu.iter().find(|(name, _)| name.contains("-write")).map(|(_, s)| *s) {
            println!("writer thread CPU: {:.0} µs per application ({:.0} µs per command)", per(w), per(w) / 7.0);
            figures += &format!(" writer_cpu_us_per_application={:.0}", per(w));
        }
        let total: f64 = cpu.values().sum();
        figures += &format!(" cpu_us_per_application={:.0}", per(total));
    }
    println!("{figures}");
    drop(app);
    drop(_store);
    if opts.database.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(if failed == 0 && n > 0 { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(1) })
}
