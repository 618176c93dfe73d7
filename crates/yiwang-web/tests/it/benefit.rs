//! 免申即享 over the API, on both stores: a policy officer defines a policy (bad
//! clauses refused), dry-runs it, cannot enable it over budget, enables and runs it;
//! a re-run and two runs at once grant nobody twice; the enterprise is told by SMS,
//! sees its grant with the trace only through a phone bound to it, confirms its bank
//! account; the paying department records the payment; an enterprise claims a policy
//! (依申请) and is refused with the clauses it fails.

use crate::harness::{Api, Backend, code_of};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use yiwang_app::CitizenInput;
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};
use yiwang_core::enterprise::Registration;
use yiwang_core::id::{CreditCode, UnitCode};
use yiwang_core::org::Actor;

const SHOP: &str = "91350100M000100Y43";
const MINE: &str = "13900001111";
const OTHER: &str = "13900002222";
const LEGAL: &str = "13700003333";

fn registration(code: &str, name: &str, employees: u32, tags: &[&str], founded: &str) -> Registration {
    Registration {
        code: CreditCode::parse(code).unwrap(),
        name: name.into(),
        entity_type: "有限责任公司".into(),
        industry: "H6210".into(),
        address: "云溪区溪园路8号".into(),
        street: Some(UnitCode::parse("st-yx").unwrap()),
        location: None,
        capital: 500_000,
        employees,
        founded: NaiveDate::parse_from_str(founded, "%Y-%m-%d").unwrap(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn code(first17: &str) -> String {
    CreditCode::complete(first17).unwrap().to_string()
}

fn policy(name: &str, budget: u64) -> Value {
    json!({
        "name": name, "basis": "云溪人社〔2026〕3号", "budget": budget, "period": "2026", "unit": "rsj",
        "clauses": [
            {"clause": "第三条第（一）项", "text": "属于小微企业", "rule": "\"小微企业\" in tags"},
            {"clause": "第三条第（二）项", "text": "从业人数10人以上", "rule": "employees >= 10"},
            {"clause": "第三条第（三）项", "text": "成立满1年", "rule": "months_since(founded) >= 12"},
            {"clause": "第三条第（四）项", "text": "近24个月无行政处罚", "rule": "last_penalty == null || months_since(last_penalty) >= 24"}
        ],
        "amount": "min(employees * 600, 50000)", "amount_clause": "第四条"
    })
}

struct World {
    api: Api,
    sms: Arc<Mutex<Vec<String>>>,
    senders: Arc<yiwang_app::notify::Senders>,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let (url, sms) = crate::notify::http_sink(vec![]);
        let config = NotifyConfig {
            sms: Some(HttpSmsConfig {
                url,
                body: r#"{"mobile": "{phone}", "content": "{text}"}"#.into(),
                content_type: "application/json".into(),
                authorization: None,
            }),
            email: None,
            webhooks: Default::default(),
        };
        let w = World { api: Api::on(backend), sms, senders: Arc::new(config.senders()) };
        w.api
            .blocking(|app| {
                let legal =
                    CitizenInput { name: Some("刘海峰".into()), phone: Some(LEGAL.into()), ..Default::default() };
                let rows = [
                    (SHOP.to_owned(), "云溪区好味小厨餐饮有限公司", 35, vec!["小微企业", "食品经营"], "2019-03-20"),
                    (code("91350100MA0000001"), "云溪区溪园印务有限公司", 12, vec!["小微企业"], "2020-05-01"),
                    (code("91350100MA0000002"), "云溪区大成制造有限公司", 300, vec!["高新技术企业"], "2010-01-01"),
                    (code("91350100MA0000003"), "云溪区新开商贸有限公司", 20, vec!["小微企业"], "2026-06-01"),
                ];
                for (c, name, employees, tags, founded) in rows {
                    let r = registration(&c, name, employees, &tags, founded);
                    let legal = (c == SHOP).then_some(&legal);
                    app.register_enterprise(&Actor::System, r, &[], legal).unwrap();
                }
            })
            .await;
        w
    }

    async fn texts(&self) -> Vec<Value> {
        let senders = self.senders.clone();
        self.api.blocking(move |app| app.send_notices(&senders, 100).unwrap()).await;
        self.sms.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect()
    }

    /// Logs `phone` in on the portal: a code asked for, read from the SMS, given back.
    async fn applicant(&self, phone: &str) -> String {
        let (s, sent) = self.api.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": phone}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
        let texts = self.texts().await;
        let text = texts.iter().rev().find(|t| t["mobile"] == phone).unwrap()["content"].as_str().unwrap().to_owned();
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        let body = json!({"phone": phone, "nonce": sent["nonce"], "code": code});
        let (s, v) = self.api.call("POST", "/api/v1/applicant/login", None, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    /// A window binds `phone` to the enterprise `code`.
    async fn bind(&self, phone: &str, code: &str, name: &str) {
        let clerk = self.api.login("cgw-clerk").await;
        let grant = json!({
            "enterprise": code, "enterprise_name": name, "document": "授权委托书，营业执照副本",
            "valid_until": "2027-11-15", "agent": {"name": "刘海峰", "phone": phone}
        });
        let (s, v) = self.api.call("POST", "/api/v1/authorisations", Some(&clerk), Some(grant)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
}

async fn a_policy_finds_the_enterprises_and_grants_once(backend: Backend) {
    let w = World::new(backend).await;
    let api = &w.api;
    let officer = api.login("rsj-policy").await;
    let other = api.login("fgw-policy").await;
    let regulator = api.login("scjgj-regulator").await;

    // Bad definitions, each with its code.
    let mut bad = policy("稳岗补贴", 100_000);
    bad["clauses"][1]["rule"] = json!("employes >= 10");
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&officer), Some(bad)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("第三条第（二）项"), "{e}");
    let mut bad = policy("稳岗补贴", 100_000);
    bad["amount"] = json!("employees > 3");
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&officer), Some(bad)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_formula"), "{e}");
    let mut bad = policy("稳岗补贴", 100_000);
    bad["period"] = json!("2026-01");
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&officer), Some(bad)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_period"), "{e}");
    let mut bad = policy("稳岗补贴", 100_000);
    bad["surprise"] = json!(1);
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&officer), Some(bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {e}");
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&other), Some(policy("稳岗补贴", 100_000))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "another department pays: {e}");
    let (s, _) = api.call("POST", "/api/v1/policies", Some(&regulator), Some(policy("稳岗补贴", 100_000))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("POST", "/api/v1/policies", None, Some(policy("稳岗补贴", 100_000))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Over budget: the dry run shows it, enabling is refused.
    let (s, small) = api.call("POST", "/api/v1/policies", Some(&officer), Some(policy("稳岗补贴", 10_000))).await;
    assert_eq!(s, StatusCode::CREATED, "{small}");
    let small = small["id"].as_str().unwrap().to_owned();
    assert!(small.starts_with("ZC"), "{small}");
    let (s, d) = api.call("GET", &format!("/api/v1/policies/{small}/dry-run"), Some(&officer), None).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        (d["enterprises"].as_u64(), d["eligible"].as_u64(), d["total"].as_u64()),
        (Some(4), Some(2), Some(28_200))
    );
    assert_eq!(d["within_budget"], false);
    let (s, e) = api.call("POST", &format!("/api/v1/policies/{small}/enable"), Some(&officer), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "budget_exceeded"), "{e}");
    let (s, e) = api.call("POST", &format!("/api/v1/policies/{small}/run"), Some(&officer), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_enabled"), "{e}");

    // Within budget: the dry run's page carries the trace; enabled, run.
    let (_, p) = api.call("POST", "/api/v1/policies", Some(&officer), Some(policy("小微企业稳岗补贴", 100_000))).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let (_, d) = api.call("GET", &format!("/api/v1/policies/{id}/dry-run?limit=1"), Some(&officer), None).await;
    assert_eq!(d["rows"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["rows"][0]["trace"][1]["clause"], "第三条第（二）项", "{d}");
    assert_eq!(d["rows"][0]["trace"][1]["result"], "held", "{d}");
    let (s, _) = api.call("GET", &format!("/api/v1/policies/{id}/dry-run"), Some(&regulator), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the dry run is the policy officer's");
    let (s, v) = api.call("POST", &format!("/api/v1/policies/{id}/enable"), Some(&officer), None).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("enabled")), "{v}");
    let mut changed = policy("小微企业稳岗补贴", 200_000);
    changed["budget"] = json!(200_000);
    let (s, e) = api.call("PUT", &format!("/api/v1/policies/{id}"), Some(&officer), Some(changed)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_draft"), "{e}");
    let (s, e) = api.call("POST", &format!("/api/v1/policies/{id}/run"), Some(&other), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, run) = api.call("POST", &format!("/api/v1/policies/{id}/run"), Some(&officer), None).await;
    assert_eq!(s, StatusCode::OK, "{run}");
    assert_eq!(
        (run["eligible"].as_u64(), run["opened"].as_u64(), run["amount"].as_u64()),
        (Some(2), Some(2), Some(28_200))
    );
    // Re-run: nobody twice.
    let (_, again) = api.call("POST", &format!("/api/v1/policies/{id}/run"), Some(&officer), None).await;
    assert_eq!((again["opened"].as_u64(), again["already"].as_u64()), (Some(0), Some(2)), "{again}");
    let (_, g) = api.call("GET", &format!("/api/v1/policies/{id}/grants"), Some(&officer), None).await;
    assert_eq!(g["total"].as_u64(), Some(2), "{g}");
    let shop_grant = g["rows"].as_array().unwrap().iter().find(|r| r["detail"]["enterprise"] == SHOP).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(shop_grant.starts_with("XS"), "{shop_grant}");
    let (s, e) = api.call("GET", &format!("/api/v1/policies/{id}/grants?status=nope"), Some(&officer), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
    let (s, v) = api.call("GET", &format!("/api/v1/grants/{shop_grant}"), Some(&officer), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["grant"]["grant"]["amount"], 21_000);
    assert!(v["explanation"][0].as_str().unwrap().contains("属于小微企业：符合"), "{v}");
    let (s, _) = api.call("GET", &format!("/api/v1/grants/{shop_grant}"), Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another department does not see it");

    // The enterprise is told, at its register's contact phone.
    let texts = w.texts().await;
    let told = texts.iter().find(|t| t["mobile"] == LEGAL).unwrap_or_else(|| panic!("{texts:?}"));
    assert!(told["content"].as_str().unwrap().contains("小微企业稳岗补贴"), "{told}");

    // Only a phone bound to the enterprise sees and confirms its grant.
    let me = w.applicant(MINE).await;
    let stranger = w.applicant(OTHER).await;
    let (s, e) = api.call("GET", &format!("/api/v1/applicant/grants?enterprise={SHOP}"), Some(&me), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    w.bind(MINE, SHOP, "云溪区好味小厨餐饮有限公司").await;
    let (s, mine) = api.call("GET", &format!("/api/v1/applicant/grants?enterprise={SHOP}"), Some(&me), None).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["status_label"], "待企业确认");
    let (s, _) = api.call("GET", &format!("/api/v1/applicant/grants/{shop_grant}"), Some(&stranger), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let account =
        |holder: &str, number: &str| json!({"holder": holder, "bank": "云溪农商银行溪园支行", "account": number});
    let confirm = format!("/api/v1/applicant/grants/{shop_grant}/confirm");
    let good = account("云溪区好味小厨餐饮有限公司", "6228480012345678");
    let (s, _) = api.call("POST", &confirm, Some(&stranger), Some(good.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an unbound phone cannot confirm");
    let (s, _) = api.call("POST", &confirm, Some(&officer), Some(good.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "staff cannot confirm for it");
    let (s, e) = api.call("POST", &confirm, Some(&me), Some(account("云溪区好味小厨餐饮有限公司", "12ab"))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_account"), "{e}");
    let (s, e) = api.call("POST", &confirm, Some(&me), Some(account("别人", "6228480012345678"))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "holder_mismatch"), "{e}");
    let pay = format!("/api/v1/grants/{shop_grant}/payment");
    let (s, e) = api.call("POST", &pay, Some(&officer), Some(json!({"reference": "GK2026-0001"}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_confirmed"), "{e}");
    let (s, v) = api.call("POST", &confirm, Some(&me), Some(good)).await;
    assert_eq!((s, v["account"].as_str()), (StatusCode::OK, Some("云溪农商银行溪园支行 ****5678")), "{v}");
    let (s, _) = api.call("POST", &pay, Some(&other), Some(json!({"reference": "GK2026-0001"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = api.call("POST", &pay, Some(&officer), Some(json!({"reference": "GK2026-0001"}))).await;
    assert_eq!((s, v["grant"]["status"].as_str()), (StatusCode::OK, Some("paid")), "{v}");
    let (_, f) = api.call("GET", "/api/v1/policies/figures", Some(&officer), None).await;
    let line = f.as_array().unwrap().iter().find(|x| x["id"] == id.as_str()).unwrap();
    assert_eq!(
        (line["granted"].as_u64(), line["paid"].as_u64(), line["paid_amount"].as_u64()),
        (Some(2), Some(1), Some(21_000))
    );
    let texts = w.texts().await;
    let paid = texts.iter().filter(|t| t["mobile"] == LEGAL && t["content"].as_str().unwrap().contains("已拨付"));
    assert_eq!(paid.count(), 1, "told once: {texts:?}");

    // 依申请: a policy in force, not yet run. The new firm fails a clause, and is told which.
    let (_, p) =
        api.call("POST", "/api/v1/policies", Some(&officer), Some(policy("稳岗补贴（依申请）", 100_000))).await;
    let claimable = p["id"].as_str().unwrap().to_owned();
    api.call("POST", &format!("/api/v1/policies/{claimable}/enable"), Some(&officer), None).await;
    let (_, open) = api.call("GET", "/api/v1/applicant/policies", Some(&me), None).await;
    assert!(open.as_array().unwrap().iter().any(|p| p["id"] == claimable.as_str()), "{open}");
    let newcomer = code("91350100MA0000003");
    w.bind(MINE, &newcomer, "云溪区新开商贸有限公司").await;
    let claim = |e: &str| json!({"policy": claimable, "enterprise": e});
    let (s, e) = api.call("POST", "/api/v1/applicant/claims", Some(&me), Some(claim(&newcomer))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_eligible"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("成立满1年：不符合"), "{e}");
    let (s, e) = api.call("POST", "/api/v1/applicant/claims", Some(&stranger), Some(claim(SHOP))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, v) = api.call("POST", "/api/v1/applicant/claims", Some(&me), Some(claim(SHOP))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["grant"]["grant"]["claimed"], true);
    let (s, e) = api.call("POST", "/api/v1/applicant/claims", Some(&me), Some(claim(SHOP))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "already_granted"), "{e}");
    // A later run finds the claim and grants the rest.
    let (_, run) = api.call("POST", &format!("/api/v1/policies/{claimable}/run"), Some(&officer), None).await;
    assert_eq!((run["opened"].as_u64(), run["already"].as_u64()), (Some(1), Some(1)), "{run}");
    let my = format!("/api/v1/applicant/grants/{}/decline", v["grant"]["id"].as_str().unwrap());
    let (s, v) = api.call("POST", &my, Some(&me), Some(json!({"reason": "本年度已享受同类补贴"}))).await;
    assert_eq!((s, v["grant"]["status"].as_str()), (StatusCode::OK, Some("declined")), "{v}");
}

/// Two runs at once: the store's unique tracking code lets one grant per enterprise through.
async fn two_runs_at_once_grant_once(backend: Backend) {
    let w = World::new(backend).await;
    let api = &w.api;
    let officer = api.login("rsj-policy").await;
    let (_, p) = api.call("POST", "/api/v1/policies", Some(&officer), Some(policy("稳岗补贴", 100_000))).await;
    let id = p["id"].as_str().unwrap().to_owned();
    api.call("POST", &format!("/api/v1/policies/{id}/enable"), Some(&officer), None).await;
    let path = format!("/api/v1/policies/{id}/run");
    let (a, b) =
        tokio::join!(api.call("POST", &path, Some(&officer), None), api.call("POST", &path, Some(&officer), None));
    let opened: u64 = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).map(|r| r.1["opened"].as_u64().unwrap()).sum();
    assert_eq!(opened, 2, "{a:?} {b:?}");
    let (_, g) = api.call("GET", &format!("/api/v1/policies/{id}/grants"), Some(&officer), None).await;
    assert_eq!(g["total"].as_u64(), Some(2), "{g}");
}

/// A policy on a monthly schedule runs by itself from the scheduler's tick a month
/// after it is enabled, and again a month after that, granting only the newly eligible.
async fn a_scheduled_policy_runs_by_itself_and_grants_the_newly_eligible(backend: Backend) {
    let w = World::new(backend).await;
    let api = &w.api;
    let officer = api.login("rsj-policy").await;
    let mut def = policy("稳岗补贴", 1_000_000);
    def["schedule"] = json!("fortnightly");
    let (s, e) = api.call("POST", "/api/v1/policies", Some(&officer), Some(def.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    def["schedule"] = json!("monthly");
    let (s, p) = api.call("POST", "/api/v1/policies", Some(&officer), Some(def)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let runs = |v: &Value| v["policy"]["runs"].as_array().map(Vec::len).unwrap_or(0);
    // Sessions end as the weeks pass: each look logs in again.
    let view = || async {
        let officer = api.login("rsj-policy").await;
        api.call("GET", &format!("/api/v1/policies/{id}"), Some(&officer), None).await.1
    };
    // A draft is not run, however long it waits.
    api.clock.advance(chrono::Duration::days(40));
    api.blocking(|app| app.tick().unwrap()).await;
    assert_eq!(runs(&view().await), 0);
    let officer = api.login("rsj-policy").await;
    let (s, v) = api.call("POST", &format!("/api/v1/policies/{id}/enable"), Some(&officer), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    api.blocking(|app| app.tick().unwrap()).await;
    assert_eq!(runs(&view().await), 0, "not before its month");
    api.clock.advance(chrono::Duration::days(31));
    api.blocking(|app| app.tick().unwrap()).await;
    let v = view().await;
    assert_eq!(runs(&v), 1, "{v}");
    assert_eq!(v["policy"]["runs"][0][1]["opened"].as_u64(), Some(2), "{v}");
    api.blocking(|app| app.tick().unwrap()).await;
    assert_eq!(runs(&view().await), 1, "once a month");
    // An enterprise registered since is found by the next run; the others are not granted twice.
    api.blocking(|app| {
        let r = registration(&code("91350100MA0000009"), "云溪区新雇商贸有限公司", 15, &["小微企业"], "2021-01-01");
        app.register_enterprise(&Actor::System, r, &[], None).unwrap();
    })
    .await;
    api.clock.advance(chrono::Duration::days(31));
    api.blocking(|app| app.tick().unwrap()).await;
    let v = view().await;
    assert_eq!(runs(&v), 2, "{v}");
    let run = &v["policy"]["runs"][1][1];
    assert_eq!((run["opened"].as_u64(), run["already"].as_u64()), (Some(1), Some(2)), "{v}");
}

on_both_stores!(
    a_policy_finds_the_enterprises_and_grants_once,
    two_runs_at_once_grant_once,
    a_scheduled_policy_runs_by_itself_and_grants_the_newly_eligible
);

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// The pages, in-process: the officer defines a policy with clauses one a line, sees
/// the dry run with each enterprise's trace, enables and runs it, opens a grant; the
/// enterprise's bound phone sees why on the portal and confirms its account there.
#[tokio::test]
async fn the_pages_define_run_and_explain() {
    use crate::ui::{console_login, get, post_form, send};
    let w = World::new(Backend::Sqlite).await;
    let api = &w.api;
    let (cookie, csrf) = console_login(api, "rsj-policy").await;
    let (s, _, page) = send(api, get("/console/policies", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("拟定政策"), "{page}");
    let clauses =
        "第三条第（一）项 | 属于小微企业 | \"小微企业\" in tags\n第三条第（二）项 | 从业人数10人以上 | employees >= 10";
    let form = |clauses: &str| {
        format!(
            "_csrf={csrf}&name={}&basis={}&budget=100000&period=2026&schedule=on_demand&clauses={}&amount={}&amount_clause={}",
            enc("小微企业稳岗补贴"),
            enc("云溪人社〔2026〕3号"),
            enc(clauses),
            enc("min(employees * 600, 50000)"),
            enc("第四条")
        )
    };
    let (s, _, page) = send(api, post_form("/console/policies", Some(&cookie), &form("第三条 | 只有两栏"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 1 行应写作"), "{page}");
    let (s, headers, _) = send(api, post_form("/console/policies", Some(&cookie), &form(clauses))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let at = headers["location"].to_str().unwrap().to_owned();
    let (_, _, page) = send(api, get(&at, Some(&cookie))).await;
    assert!(page.contains("符合条件 <strong>3</strong> 户"), "{page}");
    assert!(page.contains("从业人数：35"), "the trace shows the values read: {page}");
    for action in ["enable", "run"] {
        let (s, _, _) =
            send(api, post_form(&format!("{at}/act"), Some(&cookie), &format!("_csrf={csrf}&action={action}"))).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{action}");
    }
    let (_, _, page) = send(api, get(&at, Some(&cookie))).await;
    assert!(page.contains("新核定 3 户"), "{page}");
    let grant = page.split("/console/grants/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let (s, _, page) = send(api, get(&format!("/console/grants/{grant}"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("核定依据") && page.contains("符合"), "{page}");
    let (other, _) = console_login(api, "fgw-policy").await;
    let (s, _, _) = send(api, get(&format!("/console/grants/{grant}"), Some(&other))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The portal: the bound phone sees why, and confirms its account.
    let token = w.applicant(MINE).await;
    w.bind(MINE, SHOP, "云溪区好味小厨餐饮有限公司").await;
    let me = format!("yw_applicant={token}");
    let (s, _, page) = send(api, get(&format!("/my/grants?enterprise={SHOP}"), Some(&me))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("第三条第（二）项 从业人数10人以上：符合（从业人数：35）"), "{page}");
    let id = page.split("id=\"grant-").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body =
        format!("holder={}&bank={}&account=6228480012345678", enc("云溪区好味小厨餐饮有限公司"), enc("云溪农商银行"));
    let (s, headers, _) =
        send(api, post_form(&format!("/my/grants/{id}/confirm?enterprise={SHOP}"), Some(&me), &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(api, get(headers["location"].to_str().unwrap(), Some(&me))).await;
    assert!(page.contains("收款账户已确认") && page.contains("待拨付"), "{page}");
    let (s, _, _) = send(api, get(&format!("/my/grants?enterprise={SHOP}"), None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "to the login");
}
