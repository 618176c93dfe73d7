//! 免申即享: the eligibility language operator by operator, a policy clause by clause
//! with its trace, the policy's and the grant's rules.

use crate::fixture::{code_of, context, t};
use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::benefit::grant::{self, BankAccount};
use yiwang_core::benefit::policy::{self, Command as PolicyCommand};
use yiwang_core::benefit::{
    Clause, Expr, Grant, GrantEvent, GrantKind, GrantStatus, NewGrant, Policy, PolicyDef, PolicyKind, PolicyStatus,
    RunSchedule, RunSummary, Type, compile, grant_key,
};
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::enterprise::{CreditClass, Profile};
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2026-11-16";

fn profile() -> Profile {
    Profile {
        code: CreditCode::parse("91350100M000100Y43").unwrap(),
        name: "云溪区好味小厨餐饮有限公司".into(),
        entity_type: "有限责任公司".into(),
        industry: "H6210".into(),
        address: "云溪区溪园路8号".into(),
        street: Some(code_of("jd")),
        location: None,
        capital: 500_000,
        employees: 35,
        founded: d("2019-03-20"),
        tags: vec!["小微企业".into(), "食品经营".into()],
        licences: vec!["JY13501000000001".into()],
        class: CreditClass::A,
        abnormal: false,
        last_penalty: None,
    }
}

/// Every operator and function: (expression, result for `profile()` on TODAY).
#[test]
fn operators_table() {
    let mut penalised = profile();
    penalised.last_penalty = Some(d("2025-12-01"));
    let rows: &[(&str, Option<bool>)] = &[
        ("employees == 35", Some(true)),
        ("employees != 35", Some(false)),
        ("employees < 36", Some(true)),
        ("employees <= 35", Some(true)),
        ("employees > 35", Some(false)),
        ("employees >= 100", Some(false)),
        ("capital / 10000 == 50", Some(true)),
        ("employees * 2 - 10 + 5 == 65", Some(true)),
        ("-employees < 0", Some(true)),
        ("\"小微企业\" in tags", Some(true)),
        ("\"高新技术企业\" in tags", Some(false)),
        ("class in [\"A\", \"B\"]", Some(true)),
        ("class in [\"C\", \"D\"]", Some(false)),
        ("“食品经营” in tags", Some(true)),
        ("starts_with(industry, \"H\")", Some(true)),
        ("starts_with(industry, \"C\")", Some(false)),
        ("contains(address, \"溪园路\")", Some(true)),
        ("size(tags) == 2", Some(true)),
        ("size(licences) >= 1", Some(true)),
        ("founded < date(\"2020-01-01\")", Some(true)),
        ("founded == date(\"2019-03-20\")", Some(true)),
        ("months_since(founded) == 91", Some(true)),
        ("years_since(founded) == 7", Some(true)),
        ("days_since(date(\"2026-11-06\")) == 10", Some(true)),
        ("today > founded", Some(true)),
        ("abnormal", Some(false)),
        ("!abnormal", Some(true)),
        ("not abnormal", Some(true)),
        ("abnormal == false", Some(true)),
        ("employees > 10 && employees < 50", Some(true)),
        ("employees > 10 and employees > 50", Some(false)),
        ("employees > 100 || class == \"A\"", Some(true)),
        ("employees > 100 or class == \"B\"", Some(false)),
        ("(employees > 100 || class == \"A\") && !abnormal", Some(true)),
        ("min(employees, 10) == 10", Some(true)),
        ("max(employees, 10) == 35", Some(true)),
        ("floor(7.6) == 7 && round(7.5) == 8", Some(true)),
        ("street == \"jd\"", Some(true)),
        ("entity_type != \"个体工商户\"", Some(true)),
        ("name == \"云溪区好味小厨餐饮有限公司\" && code == \"91350100M000100Y43\"", Some(true)),
        // null: equal only to null; anything else on it gives no data, which does not hold.
        ("last_penalty == null", Some(true)),
        ("last_penalty != null", Some(false)),
        ("months_since(last_penalty) >= 24", None),
        ("last_penalty == null || months_since(last_penalty) >= 24", Some(true)),
        ("last_penalty != null && months_since(last_penalty) < 24", Some(false)),
        ("1_000 == 1000", Some(true)),
        ("employees / 0 > 1", None),
    ];
    let today = d(TODAY);
    for (src, want) in rows {
        let e = Expr::compile(src, Type::Bool).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(e.holds(&profile(), today), *want, "{src}");
    }
    // The penalty 11 months ago (2025-12-01 → 2026-11-16).
    let e = Expr::compile("last_penalty == null || months_since(last_penalty) >= 24", Type::Bool).unwrap();
    assert_eq!(e.holds(&penalised, today), Some(false));
    let e = Expr::compile("months_since(last_penalty) == 11", Type::Bool).unwrap();
    assert_eq!(e.holds(&penalised, today), Some(true));
}

#[test]
fn formulas_table() {
    let rows: &[(&str, Option<f64>)] = &[
        ("employees * 1000", Some(35_000.0)),
        ("min(employees * 1000, 20000)", Some(20_000.0)),
        ("max(capital / 100, 8000)", Some(8_000.0)),
        ("employees * 600 + 2000", Some(23_000.0)),
        ("capital * 0.01", Some(5_000.0)),
        ("(employees - 5) * 100 / 3", Some(1000.0)),
        ("years_since(founded) * 1000", Some(7000.0)),
    ];
    for (src, want) in rows {
        let e = Expr::compile(src, Type::Num).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(e.number(&profile(), d(TODAY)), *want, "{src}");
    }
}

/// Bad expressions are refused when compiled, with a message naming where.
#[test]
fn compile_errors_table() {
    let rows: &[(&str, Type, &str)] = &[
        ("", Type::Bool, "不能为空"),
        ("employees >", Type::Bool, "不完整"),
        ("employes > 10", Type::Bool, "没有字段“employes”"),
        ("age(founded) > 1", Type::Bool, "没有函数“age”"),
        ("employees > \"10\"", Type::Bool, "大小比较"),
        ("employees == \"10\"", Type::Bool, "不能比较"),
        ("employees + 1", Type::Bool, "结果应为真假值"),
        ("employees > 1", Type::Num, "结果应为数值"),
        ("tags in tags", Type::Bool, "in"),
        ("\"a\" in class", Type::Bool, "in"),
        ("abnormal && employees", Type::Bool, "并且"),
        ("name * 2 > 1", Type::Bool, "算术"),
        ("founded < date(\"2020-13-01\")", Type::Bool, "日期"),
        ("min(employees) > 1", Type::Bool, "2 个参数"),
        ("months_since(employees) > 1", Type::Bool, "参数应为日期"),
        ("employees > 1 employees", Type::Bool, "多出了内容"),
        ("\"小微企业 in tags", Type::Bool, "引号"),
        ("employees # 3", Type::Bool, "不认识的符号"),
        ("[1, 2] == tags", Type::Bool, "列表只能由文本组成"),
    ];
    for (src, ty, want) in rows {
        let e = Expr::compile(src, *ty).expect_err(src);
        assert!(e.to_string().contains(want), "{src}: {e}");
    }
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(Expr::compile(&format!("{deep} > 0"), Type::Bool).unwrap_err().to_string().contains("嵌套太深"));
    assert!(Expr::compile(&"1 + ".repeat(600), Type::Num).unwrap_err().to_string().contains("太长"));
}

pub fn small_firms() -> PolicyDef {
    let clause = |c: &str, text: &str, rule: &str| Clause { clause: c.into(), text: text.into(), rule: rule.into() };
    PolicyDef {
        name: "小微企业稳岗补贴".into(),
        basis: "云溪人社〔2026〕3号".into(),
        budget: 1_000_000,
        period: "2026".into(),
        unit: code_of("sw"),
        clauses: vec![
            clause("第三条第（一）项", "属于小微企业", "\"小微企业\" in tags"),
            clause("第三条第（二）项", "从业人数10人以上100人以下", "employees >= 10 && employees <= 100"),
            clause("第三条第（三）项", "成立满1年", "months_since(founded) >= 12"),
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

/// Clause by clause: which held for each enterprise, with the values read.
#[test]
fn eligibility_clause_by_clause() {
    let c = compile(&small_firms()).unwrap();
    let today = d(TODAY);
    let base = profile();
    let with = |f: &dyn Fn(&mut Profile)| {
        let mut p = base.clone();
        f(&mut p);
        p
    };
    // (case, profile, each clause's result, amount)
    let rows: Vec<(&str, Profile, [&str; 5], u64)> = vec![
        ("eligible", base.clone(), ["held"; 5], 21_000),
        ("not small", with(&|p| p.tags = vec!["食品经营".into()]), ["failed", "held", "held", "held", "held"], 0),
        ("too few", with(&|p| p.employees = 9), ["held", "failed", "held", "held", "held"], 0),
        ("too many", with(&|p| p.employees = 101), ["held", "failed", "held", "held", "held"], 0),
        ("boundary 100", with(&|p| p.employees = 100), ["held"; 5], 50_000),
        ("new", with(&|p| p.founded = d("2026-01-01")), ["held", "held", "failed", "held", "held"], 0),
        ("12 months", with(&|p| p.founded = d("2025-11-16")), ["held"; 5], 21_000),
        ("class C", with(&|p| p.class = CreditClass::C), ["held", "held", "held", "failed", "held"], 0),
        ("penalised", with(&|p| p.last_penalty = Some(d("2025-06-01"))), ["held", "held", "held", "held", "failed"], 0),
        ("old penalty", with(&|p| p.last_penalty = Some(d("2024-11-16"))), ["held"; 5], 21_000),
        ("abnormal", with(&|p| p.abnormal = true), ["held", "held", "held", "held", "failed"], 0),
    ];
    for (name, p, results, amount) in rows {
        let ev = c.explain(&p, today);
        let got: Vec<&str> = ev.clauses.iter().map(|c| c.result.as_str()).collect();
        assert_eq!(got, results, "{name}");
        assert_eq!(ev.amount, amount, "{name}");
        assert_eq!(ev.eligible, amount > 0, "{name}");
        assert_eq!(c.amount_if_eligible(&p, today), (amount > 0).then_some(amount), "{name}: the fast path agrees");
    }
    // The trace says where each condition came from and what it read.
    let ev = c.explain(&base, today);
    assert_eq!(ev.clauses[1].clause, "第三条第（二）项");
    assert_eq!(ev.clauses[1].values[0].label, "从业人数");
    assert_eq!(ev.clauses[1].values[0].value, "35");
    assert_eq!(ev.clauses[0].sentence(), "第三条第（一）项 属于小微企业：符合（企业标签：小微企业、食品经营）");
    assert_eq!(ev.amount_clause, "第四条");
    assert_eq!(ev.amount_values[0].value, "35");
}

#[test]
fn definition_checks_table() {
    type Change = Box<dyn Fn(&mut PolicyDef)>;
    let rows: Vec<(&str, Change, &str)> = vec![
        ("period", Box::new(|d| d.period = "2026-1".into()), "invalid_period"),
        ("budget", Box::new(|d| d.budget = 0), "invalid_budget"),
        ("no clauses", Box::new(|d| d.clauses.clear()), "invalid_clauses"),
        ("bad rule", Box::new(|d| d.clauses[2].rule = "founded > 3".into()), "invalid_rule"),
        ("bad formula", Box::new(|d| d.amount = "employees > 3".into()), "invalid_formula"),
        ("no name", Box::new(|d| d.name = " ".into()), "invalid_field"),
    ];
    for (name, f, code) in rows {
        let mut def = small_firms();
        f(&mut def);
        assert_eq!(compile(&def).unwrap_err().code(), code, "{name}");
    }
    let mut def = small_firms();
    def.clauses[2].rule = "founded > 3".into();
    let e = compile(&def).unwrap_err().to_string();
    assert!(e.contains("第三条第（三）项"), "the refusal names the clause: {e}");
    for p in ["2026", "2026H1", "2026H2", "2026Q1", "2026Q4"] {
        assert!(yiwang_core::benefit::valid_period(p), "{p}");
    }
    for p in ["26", "2026Q5", "2026-01", "20x6"] {
        assert!(!yiwang_core::benefit::valid_period(p), "{p}");
    }
}

fn staff(name: &str, unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}
fn officer() -> Actor {
    staff("sw-policy", "sw", Role::PolicyOfficer)
}

fn env<E>(case: &str, seq: u32, at: Instant, who: &Actor, event: E) -> Envelope<E> {
    Envelope { case: CaseId::parse(case).unwrap(), seq, at, actor: who.clone(), event }
}

fn defined() -> Policy {
    let now = t("2026-11-16 09:00");
    let events = policy::open(&small_firms(), &context(&officer(), now)).unwrap();
    let mut s = None;
    for (i, e) in events.into_iter().enumerate() {
        s = PolicyKind::evolve(s, &env("ZC20261116000001", i as u32 + 1, now, &officer(), e));
    }
    s.unwrap()
}

fn policy_act(s: Policy, who: &Actor, c: PolicyCommand) -> Result<Policy, Refusal> {
    let now = t("2026-11-16 10:00");
    let events = policy::decide(&s, &c, &context(who, now))?;
    let mut s = Some(s);
    for e in events {
        let seq = s.as_ref().unwrap().version + 1;
        s = PolicyKind::evolve(s, &env("ZC20261116000001", seq, now, who, e));
    }
    Ok(s.unwrap())
}

#[test]
fn policy_rules_table() {
    let other = staff("cgw-policy", "cgw", Role::PolicyOfficer);
    let regulator = staff("sw-reg", "sw", Role::Regulator);
    // Who may define: the paying department's policy officer only.
    let now = t("2026-11-16 09:00");
    assert_eq!(policy::open(&small_firms(), &context(&other, now)).unwrap_err().code(), "forbidden");
    assert_eq!(policy::open(&small_firms(), &context(&regulator, now)).unwrap_err().code(), "forbidden");
    let mut unknown = small_firms();
    unknown.unit = code_of("nosuch");
    assert_eq!(policy::open(&unknown, &context(&officer(), now)).unwrap_err().code(), "unknown_unit");

    let s = defined();
    assert_eq!(s.status, PolicyStatus::Draft);
    // A run needs an enabled policy.
    let run = RunSummary {
        period: "2026".into(),
        enterprises: 10,
        eligible: 2,
        opened: 2,
        already: 0,
        over_budget: 0,
        amount: 42_000,
    };
    let refused = policy_act(s.clone(), &Actor::System, PolicyCommand::RecordRun { run: run.clone() });
    assert_eq!(refused.unwrap_err().code(), "not_enabled");
    // The budget: a dry run over it cannot be enabled.
    let over = policy_act(s.clone(), &officer(), PolicyCommand::Enable { eligible: 30, total: 1_000_001 });
    assert_eq!(over.unwrap_err().code(), "budget_exceeded");
    let by_other = policy_act(s.clone(), &other, PolicyCommand::Enable { eligible: 3, total: 100 });
    assert_eq!(by_other.unwrap_err().code(), "forbidden");
    // Edited while a draft, not after.
    let mut def = small_firms();
    def.budget = 2_000_000;
    let s = policy_act(s, &officer(), PolicyCommand::Edit { def: def.clone() }).unwrap();
    assert_eq!(s.def.budget, 2_000_000);
    let s = policy_act(s, &officer(), PolicyCommand::Enable { eligible: 30, total: 1_000_001 }).unwrap();
    assert_eq!(s.status, PolicyStatus::Enabled);
    assert_eq!(policy_act(s.clone(), &officer(), PolicyCommand::Edit { def }).unwrap_err().code(), "not_draft");
    assert_eq!(
        policy_act(s.clone(), &officer(), PolicyCommand::Enable { eligible: 1, total: 1 }).unwrap_err().code(),
        "transition_not_allowed"
    );
    let wrong_period = RunSummary { period: "2027".into(), ..run.clone() };
    assert_eq!(
        policy_act(s.clone(), &Actor::System, PolicyCommand::RecordRun { run: wrong_period }).unwrap_err().code(),
        "invalid_period"
    );
    let s = policy_act(s, &Actor::System, PolicyCommand::RecordRun { run }).unwrap();
    assert_eq!(s.granted_in("2026"), 42_000);
    let s = policy_act(s, &officer(), PolicyCommand::Close { reason: "预算执行完毕".into() }).unwrap();
    assert_eq!(s.status, PolicyStatus::Closed);
    assert!(PolicyKind::project(&s).header.closed_at.is_some());
}

#[test]
fn a_scheduled_policy_runs_next_by_its_schedule_after_its_last_run() {
    // (schedule, last run or enabling) → next run.
    let at = t("2026-11-16 10:00");
    let table = [
        (RunSchedule::OnDemand, None),
        (RunSchedule::Daily, Some(t("2026-11-17 10:00"))),
        (RunSchedule::Weekly, Some(t("2026-11-23 10:00"))),
        (RunSchedule::Monthly, Some(t("2026-12-16 10:00"))),
    ];
    for (schedule, next) in table {
        assert_eq!(schedule.next_after(at), next, "{schedule:?}");
        assert_eq!(RunSchedule::parse(schedule.as_str()), Some(schedule));
    }
    // The last of January runs next on the last of February.
    assert_eq!(RunSchedule::Monthly.next_after(t("2027-01-31 10:00")), Some(t("2027-02-28 10:00")));
    // A draft is never run; an enabled policy from its enabling, then from its last run;
    // a closed one never again.
    let mut def = small_firms();
    def.schedule = RunSchedule::Monthly;
    let s = policy_act(defined(), &officer(), PolicyCommand::Edit { def }).unwrap();
    assert_eq!(s.next_run(), None);
    let s = policy_act(s, &officer(), PolicyCommand::Enable { eligible: 1, total: 1 }).unwrap();
    assert_eq!(s.next_run(), Some(t("2026-12-16 10:00")));
    let run = RunSummary {
        period: "2026".into(),
        enterprises: 1,
        eligible: 1,
        opened: 1,
        already: 0,
        over_budget: 0,
        amount: 1,
    };
    let mut s = policy_act(s, &Actor::System, PolicyCommand::RecordRun { run }).unwrap();
    s.runs.last_mut().unwrap().0 = t("2026-12-20 03:00");
    assert_eq!(s.next_run(), Some(t("2027-01-20 03:00")));
    let s = policy_act(s, &officer(), PolicyCommand::Close { reason: "预算执行完毕".into() }).unwrap();
    assert_eq!(s.next_run(), None);
    // A definition on demand is stored as it was before schedules existed.
    let stored = serde_json::to_value(small_firms()).unwrap();
    assert!(stored.get("schedule").is_none(), "{stored}");
}

fn new_grant(claimed: bool) -> NewGrant {
    let c = compile(&small_firms()).unwrap();
    let p = profile();
    NewGrant::from_evaluation(&defined(), &p, c.explain(&p, d(TODAY)), claimed, None)
}

fn grant_act(s: Grant, who: &Actor, c: grant::Command) -> Result<Grant, Refusal> {
    let now = t("2026-11-17 10:00");
    let events = grant::decide(&s, &c, &context(who, now))?;
    let mut s = Some(s);
    for e in events {
        let seq = s.as_ref().unwrap().version + 1;
        s = GrantKind::evolve(s, &env("XS20261116000001", seq, now, who, e));
    }
    Ok(s.unwrap())
}

fn opened() -> Grant {
    let now = t("2026-11-16 10:00");
    let events = grant::open(&new_grant(false), &context(&Actor::System, now)).unwrap();
    let mut s = None;
    for (i, e) in events.into_iter().enumerate() {
        s = GrantKind::evolve(s, &env("XS20261116000001", i as u32 + 1, now, &Actor::System, e));
    }
    s.unwrap()
}

fn account(holder: &str, number: &str) -> grant::Command {
    grant::Command::ConfirmBank {
        account: BankAccount {
            holder: holder.into(), bank: "云溪农商银行溪园支行".into(), account: number.into()
        },
    }
}

#[test]
fn grant_rules_table() {
    let now = t("2026-11-16 10:00");
    // Who opens one: a run (the system or the paying officer), or the enterprise's claim.
    let other = staff("cgw-policy", "cgw", Role::PolicyOfficer);
    assert!(grant::open(&new_grant(false), &context(&officer(), now)).is_ok());
    assert_eq!(grant::open(&new_grant(false), &context(&other, now)).unwrap_err().code(), "forbidden");
    assert_eq!(grant::open(&new_grant(false), &context(&Actor::Citizen, now)).unwrap_err().code(), "forbidden");
    assert!(grant::open(&new_grant(true), &context(&Actor::Citizen, now)).is_ok());
    // Never for a clause that did not hold.
    let mut g = new_grant(true);
    g.trace[3].result = "failed".into();
    assert_eq!(grant::open(&g, &context(&Actor::Citizen, now)).unwrap_err().code(), "not_eligible");

    let s = opened();
    assert_eq!(s.status, GrantStatus::Notified);
    let h = GrantKind::project(&s).header;
    assert_eq!(h.tracking_code.as_deref(), Some(grant_key(&s.grant.policy, "2026", &s.grant.enterprise).as_str()));
    assert_eq!(GrantKind::notices(None, &[GrantEvent::Opened { grant: Box::new(s.grant.clone()) }]), ["grant_opened"]);
    let name = s.grant.enterprise_name.clone();
    // (who, command, the refusal's code)
    let rows: Vec<(&str, Actor, grant::Command, &str)> = vec![
        ("staff cannot confirm", officer(), account(&name, "6228480012345678"), "forbidden"),
        ("short account", Actor::Citizen, account(&name, "1234"), "invalid_account"),
        ("letters", Actor::Citizen, account(&name, "62284800ABCD5678"), "invalid_account"),
        ("holder", Actor::Citizen, account("别的公司", "6228480012345678"), "holder_mismatch"),
        ("pay unconfirmed", officer(), grant::Command::RecordPayment { reference: "P1".into() }, "not_confirmed"),
        ("staff cannot decline", officer(), grant::Command::Decline { reason: "x".into() }, "forbidden"),
    ];
    for (name, who, c, code) in rows {
        assert_eq!(grant_act(s.clone(), &who, c).unwrap_err().code(), code, "{name}");
    }
    let confirmed = grant_act(s.clone(), &Actor::Citizen, account(&name, "6228 4800 1234 5678")).unwrap();
    assert_eq!(confirmed.status, GrantStatus::Confirmed);
    assert_eq!(confirmed.account.as_ref().unwrap().account, "6228480012345678");
    assert_eq!(confirmed.account.as_ref().unwrap().masked(), "云溪农商银行溪园支行 ****5678");
    assert_eq!(GrantKind::project(&confirmed).header.unit, Some(code_of("sw")), "the payer's to-do");
    let pay = || grant::Command::RecordPayment { reference: "GK2026-001".into() };
    assert_eq!(grant_act(confirmed.clone(), &other, pay()).unwrap_err().code(), "forbidden");
    let paid = grant_act(confirmed, &officer(), pay()).unwrap();
    assert_eq!(paid.status, GrantStatus::Paid);
    assert!(paid.closed_at.is_some());
    assert_eq!(
        grant_act(paid, &Actor::Citizen, grant::Command::Decline { reason: "不需要".into() }).unwrap_err().code(),
        "transition_not_allowed"
    );
    let declined = grant_act(s, &Actor::Citizen, grant::Command::Decline { reason: "不需要".into() }).unwrap();
    assert_eq!(declined.status, GrantStatus::Declined);
    assert!(declined.closed_at.is_some());
}

/// The demo's policies (`data/demo/policies.json`) compile, clause by clause.
#[test]
fn demo_policies_compile() {
    let text = include_str!("../../../../data/demo/policies.json");
    let demo: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    assert_eq!(demo.len(), 2);
    for d in demo {
        let def: PolicyDef = serde_json::from_value(d["policy"].clone()).unwrap();
        let c = compile(&def).unwrap_or_else(|e| panic!("{}: {e}", def.name));
        assert!(c.def.clauses.len() >= 4, "{}", def.name);
    }
}
