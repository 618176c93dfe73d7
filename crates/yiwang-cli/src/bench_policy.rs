//! `bench policy`: a 免申即享 run over a synthetic register. Loads --enterprises
//! profiles through the real store (the register's own bulk import, on a temporary
//! SQLite file or --database), then, separately timed and with the peak RSS reset
//! between them (`/proc/self/clear_refs`): reading the register from projections,
//! the dry run (every enterprise evaluated, no writes), and the run (the eligible
//! enterprises' grants opened with their traces, the run recorded). The policy is
//! realistic: 5 clauses (tags, employees, age, class, no penalty within 24 months and
//! not on the 经营异常名录) and an amount formula.

use anyhow::{Context, Result};
use std::time::Instant;
use yiwang_core::id::{CreditCode, UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

pub struct PolicyOptions {
    pub enterprises: u64,
    pub database: Option<String>,
}

/// A small deterministic generator (the register is the same on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The synthetic register as an import file's JSON entries.
fn register(n: u64, first: u64) -> String {
    let mut rng = Lcg(first.wrapping_mul(2654435761).wrapping_add(7));
    let streets = ["st-yx", "st-wh", "st-qs", "st-ty", "st-jq"];
    let industries = ["H6210", "F5212", "C1391", "I6513", "M7320", "E4890", "O8010", "C3311"];
    let mut out = String::from("[");
    for i in first..first + n {
        let code = CreditCode::complete(&format!("91350100MA{i:07}")).expect("a synthetic code");
        let employees = match rng.below(10) {
            0..=5 => 1 + rng.below(20),
            6..=8 => 20 + rng.below(180),
            _ => 200 + rng.below(2000),
        };
        let mut tags = vec![];
        if employees < 100 && rng.below(10) < 8 {
            tags.push("\"小微企业\"");
        }
        if rng.below(100) < 8 {
            tags.push("\"高新技术企业\"");
        }
        if rng.below(100) < 20 {
            tags.push("\"食品经营\"");
        }
        let year = 2000 + rng.below(26);
        let facts = match rng.below(100) {
            0..=5 => format!(r#"[{{"kind": "penalty", "date": "{}-0{}-15"}}]"#, 2024 + rng.below(2), 1 + rng.below(9)),
            6..=7 => format!(r#"[{{"kind": "abnormal_listed", "date": "2025-0{}-10"}}]"#, 1 + rng.below(9)),
            _ => "[]".into(),
        };
        if i > first {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"code": "{code}", "name": "压测企业{i}有限公司", "entity_type": "有限责任公司", "industry": "{}", "address": "云溪区压测路{i}号", "street": "{}", "capital": {}, "employees": {employees}, "founded": "{year}-0{}-1{}", "tags": [{}], "facts": {facts}}}"#,
            industries[rng.below(industries.len() as u64) as usize],
            streets[rng.below(streets.len() as u64) as usize],
            10_000 * (1 + rng.below(1000)),
            1 + rng.below(9),
            rng.below(9),
            tags.join(", "),
        ));
    }
    out.push(']');
    out
}

fn policy() -> yiwang_core::benefit::PolicyDef {
    let clause = |c: &str, text: &str, rule: &str| yiwang_core::benefit::Clause {
        clause: c.into(),
        text: text.into(),
        rule: rule.into(),
    };
    yiwang_core::benefit::PolicyDef {
        name: "小微企业稳岗补贴（压测）".into(),
        basis: "云溪人社〔2026〕3号".into(),
        budget: 10_000_000_000,
        period: "2026".into(),
        unit: UnitCode::parse("rsj").expect("a unit code"),
        clauses: vec![
            clause("第三条第（一）项", "属于小微企业", "\"小微企业\" in tags"),
            clause("第三条第（二）项", "从业人数5人以上100人以下", "employees >= 5 && employees < 100"),
            clause("第三条第（三）项", "成立满2年", "months_since(founded) >= 24"),
            clause("第三条第（四）项", "信用风险分类为A类或B类", "class in [\"A\", \"B\"]"),
            clause(
                "第三条第（五）项",
                "近24个月无行政处罚且未列入经营异常名录",
                "(last_penalty == null || months_since(last_penalty) >= 24) && !abnormal",
            ),
        ],
        amount: "min(employees * 600, 50000)".into(),
        amount_clause: "第四条".into(),
        schedule: Default::default(),
    }
}

/// Peak resident memory (VmHWM) of this process, in MB.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak to the current resident set, so the next phase's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn policy_run(opts: PolicyOptions) -> Result<std::process::ExitCode> {
    let dir = std::env::temp_dir().join(format!("yiwang-bench-policy-{}", std::process::id()));
    let data = crate::config::DataDir::open_or_create(&dir)?.with_database(opts.database.clone());
    let (_store, app) = data.open_app()?;
    let err = |e: yiwang_app::AppError| anyhow::anyhow!("{e}");
    if !app.has_district() {
        app.setup_district(&yiwang_app::demo_files(), Some("bench-only-password")).map_err(err)?;
    }
    println!("bench policy: {} enterprises on {}", opts.enterprises, data.describe());

    // The load: the register's import, in files of 10,000.
    let t = Instant::now();
    let mut first = 0;
    while first < opts.enterprises {
        let n = (opts.enterprises - first).min(10_000);
        let report = app.import_register(&Actor::System, &register(n, first)).map_err(err)?;
        anyhow::ensure!(report.registered as u64 == n, "imported {} of {n}", report.registered);
        first += n;
    }
    let load = t.elapsed();
    println!(
        "load:     {:>8.2} s  ({:.0} enterprises/s; peak RSS {:.0} MB)",
        load.as_secs_f64(),
        opts.enterprises as f64 / load.as_secs_f64(),
        peak_mb().unwrap_or(0.0)
    );

    let officer = Actor::Staff {
        username: Username::parse("rsj-policy").expect("a username"),
        unit: UnitCode::parse("rsj").expect("a unit code"),
        unit_kind: UnitKind::Department,
        roles: vec![Role::PolicyOfficer],
    };
    let p = app.define_policy(&officer, policy()).map_err(err)?;

    reset_peak();
    let t = Instant::now();
    let mut profiles = app.register_profiles().map_err(err)?;
    let read = t.elapsed();
    println!(
        "register: {:>8.2} s  ({} profiles from projections, App::register_profiles; peak RSS {:.0} MB)",
        read.as_secs_f64(),
        profiles.len(),
        peak_mb().unwrap_or(0.0)
    );

    reset_peak();
    let t = Instant::now();
    let dry = app.dry_run_on(&p, &mut profiles, 0, 20).map_err(err)?;
    let dry_time = t.elapsed();
    println!(
        "dry run:  {:>8.2} s  ({} eligible, {} 元: every enterprise evaluated, 20 traces; peak RSS {:.0} MB)",
        dry_time.as_secs_f64(),
        dry.eligible,
        dry.total,
        peak_mb().unwrap_or(0.0)
    );
    app.enable_policy_on(&officer, &p.id, &profiles).map_err(err)?;

    reset_peak();
    let t = Instant::now();
    let run = app.run_policy_on(&officer, &p.id, &mut profiles).map_err(err)?;
    let run_time = t.elapsed();
    let peak = peak_mb().unwrap_or(0.0);
    println!(
        "run:      {:>8.2} s  ({} eligible, {} grants opened with their traces, {} 元; peak RSS {peak:.0} MB, the register in memory included)",
        run_time.as_secs_f64(),
        run.eligible,
        run.opened,
        run.amount
    );
    let t = Instant::now();
    let again = app.run_policy_on(&officer, &p.id, &mut profiles).map_err(err)?;
    println!(
        "re-run:   {:>8.2} s  ({} opened, {} granted already)",
        t.elapsed().as_secs_f64(),
        again.opened,
        again.already
    );
    anyhow::ensure!(again.opened == 0, "a re-run granted again");
    if opts.database.is_none() {
        drop(app);
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let ok = run_time.as_secs_f64() < 10.0 && peak < 500.0;
    println!("targets (run < 10 s, < 500 MB): {}", if ok { "met" } else { "NOT met" });
    Ok(std::process::ExitCode::SUCCESS)
}
