//! No input answers 5xx: seeded random and mutated requests against every way in that
//! takes what a person or a client program typed — intake JSON, actions on appeals and
//! tasks, the extractor, the portal's forms (multipart and plain), the console's forms,
//! Open311's forms and queries, search and queue queries. Each input starts from a
//! valid request and is mutated: a value replaced by a hostile one (full-width digits,
//! emoji, combining marks, control characters, very long text, extreme numbers), a key
//! dropped or added, a type changed, or the bytes themselves flipped, cut or made
//! invalid UTF-8. A 5xx (or a panic) fails the test and prints the seed, the request
//! and the answer; `YIWANG_FUZZ_SEED=N` replays a run, `YIWANG_FUZZ_RUNS=N` sets its
//! length (at least 10,000 by default).

use crate::harness::Api;
use crate::ui::console_login;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// Strings that have broken parsers somewhere.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "１１０１０１",
    "１１０１０５１９４９１２３１００２Ｘ",
    "１３８１２３４５６７８",
    "１２３４５",
    "11010519491231002X",
    "13812345678",
    "👍🏽👨‍👩‍👧",
    "e\u{301}\u{301}\u{301}",
    "\u{202e}abc",
    "\u{200b}\u{feff}",
    "\u{0}",
    "a\u{7}b",
    "\r\n\r\n",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\"; DROP TABLE event; --",
    "%FF%FE",
    "../../etc/passwd",
    "NEAR(a b) OR \"x",
    "*",
    "\"",
    "\\",
    "{}",
    "[]",
    "null",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "YW20260101000001",
    "DB20260101000001",
    "2026-02-30",
    "2026-11-16T09:00:00+08:00",
    "9999-12-31T23:59:59Z",
    "cxjs-02",
    "cgw",
    "st-wh",
    "hotline",
    "web",
    "complaint",
    "resolved",
    "very_satisfied",
    "路灯不亮",
    "中",
];

/// Characters random text is drawn from: ASCII, CJK, full-width forms, emoji,
/// combining marks, controls, zero-width and bidi marks.
const CHARS: &[char] = &[
    'a', 'Z', '0', '9', ' ', '-', '_', '.', ',', ';', ':', '/', '?', '&', '=', '%', '+', '#', '"', '\'', '\\', '<',
    '>', '(', ')', '*', '\n', '\t', '\r', '\u{0}', '\u{1}', '\u{7f}', '路', '灯', '不', '亮', '街', '道', '湖', '畔',
    '１', '９', 'Ｘ', '，', '。', '\u{3000}', '😀', '🏽', '\u{301}', '\u{200b}', '\u{202e}', '\u{feff}', '\u{fffd}',
];

struct Fuzz {
    rng: StdRng,
}

impl Fuzz {
    fn one_in(&mut self, n: u32) -> bool {
        self.rng.gen_range(0..n) == 0
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.rng.gen_range(0..xs.len())]
    }

    fn string(&mut self) -> String {
        match self.rng.gen_range(0..40) {
            0..=19 => (*self.pick(HOSTILE)).to_owned(),
            20..=38 => {
                let n = self.rng.gen_range(0..40);
                (0..n).map(|_| *self.pick(CHARS)).collect()
            }
            _ => {
                let c = *self.pick(&['中', 'a', '１', '😀', '\u{301}']);
                std::iter::repeat_n(c, self.rng.gen_range(1_000..6_000)).collect()
            }
        }
    }

    /// A valid value made subtly wrong: typed in full-width forms, cut short, or
    /// with a stray character inside.
    fn twist(&mut self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        let at = self.rng.gen_range(0..=chars.len());
        match self.rng.gen_range(0..4) {
            0 => s
                .chars()
                .map(|c| if c.is_ascii_graphic() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c })
                .collect(),
            1 => chars[..at].iter().collect(),
            2 => {
                let c = *self.pick(CHARS);
                chars[..at].iter().chain(std::iter::once(&c)).chain(&chars[at..]).collect()
            }
            _ => s.repeat(self.rng.gen_range(2..400)),
        }
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.rng.gen_range(0..if depth > 2 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.r#gen()),
            2 => json!(*self.pick(&[0i64, -1, 1, 7, i64::MIN, i64::MAX, 4_294_967_296])),
            3 => json!(*self.pick(&[0.5f64, -0.0, 1e308, -1e308, 116.225087, 39.876892, 500.0])),
            4 | 5 => Value::String(self.string()),
            6 => Value::Array((0..self.rng.gen_range(0..4)).map(|_| self.value(depth + 1)).collect()),
            _ => {
                let mut m = Map::new();
                for _ in 0..self.rng.gen_range(0..4) {
                    m.insert(self.string(), self.value(depth + 1));
                }
                Value::Object(m)
            }
        }
    }

    /// A valid body, or one mutated by one to four changes, or its bytes corrupted.
    fn json(&mut self, base: &Value) -> Vec<u8> {
        let mut v = base.clone();
        if self.one_in(10) {
            return v.to_string().into_bytes();
        }
        if self.one_in(5) {
            return self.bytes(v.to_string().into_bytes());
        }
        for _ in 0..self.rng.gen_range(1..=4) {
            let mut paths = vec![];
            paths_of(&v, &mut vec![], &mut paths);
            let path = self.pick(&paths).clone();
            let op = self.rng.gen_range(0..3);
            let new = self.value(0);
            let key = self.string();
            let target = at(&mut v, &path);
            match (op, target) {
                (1, Value::Object(m)) if !m.is_empty() => {
                    let k = m.keys().nth(self.rng.gen_range(0..m.len())).cloned().expect("non-empty");
                    m.remove(&k);
                }
                (2, Value::Object(m)) => {
                    m.insert(key, new);
                }
                (2, Value::Array(a)) => a.push(new),
                (0, Value::String(x)) => *x = self.twist(x),
                (_, t) => *t = new,
            }
        }
        v.to_string().into_bytes()
    }

    /// Bytes flipped, inserted (invalid UTF-8 among them), cut off or repeated.
    fn bytes(&mut self, mut b: Vec<u8>) -> Vec<u8> {
        for _ in 0..self.rng.gen_range(1..=3) {
            let at = self.rng.gen_range(0..=b.len());
            match self.rng.gen_range(0..5) {
                0 if at < b.len() => b[at] ^= 1 << self.rng.gen_range(0..8),
                1 => {
                    b.splice(at..at, [0xFF, 0xFE, 0xC3].iter().copied().take(self.rng.gen_range(1..=3))).for_each(drop)
                }
                2 => b.truncate(at),
                3 => {
                    let tail = b[at..].to_vec();
                    b.extend_from_slice(&tail);
                }
                _ => b.splice(at..at, self.string().into_bytes()).for_each(drop),
            }
        }
        b
    }

    /// Form fields from valid ones: values replaced, fields dropped, repeated or added.
    fn fields(&mut self, base: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = base.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if self.one_in(10) {
            return f;
        }
        for _ in 0..self.rng.gen_range(1..=4) {
            let i = self.rng.gen_range(0..f.len().max(1));
            match self.rng.gen_range(0..5) {
                0 if i < f.len() => {
                    f.remove(i);
                }
                1 if i < f.len() => {
                    let k = f[i].0.clone();
                    let v = self.string();
                    f.push((k, v));
                }
                2 => {
                    let (k, v) = (self.string(), self.string());
                    f.push((k, v));
                }
                3 if i < f.len() => f[i].1 = self.twist(&f[i].1),
                _ if i < f.len() => f[i].1 = self.string(),
                _ => {}
            }
        }
        f
    }

    fn form(&mut self, base: &[(&str, &str)]) -> Vec<u8> {
        let f = self.fields(base);
        let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(f).finish().into_bytes();
        if self.one_in(6) { self.bytes(encoded) } else { encoded }
    }

    /// A multipart body with the fields and, sometimes, a photo of random bytes.
    fn multipart(&mut self, base: &[(&str, &str)]) -> Vec<u8> {
        let mut b = vec![];
        for (k, v) in self.fields(base) {
            b.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n").as_bytes(),
            );
            b.extend_from_slice(v.as_bytes());
            b.extend_from_slice(b"\r\n");
        }
        if self.one_in(3) {
            let name = self.string().replace(['"', '\r', '\n'], "");
            let head: &[u8] =
                self.pick::<&[u8]>(&[&b"\x89PNG\r\n\x1a\n"[..], b"\xFF\xD8\xFF", b"RIFF\0\0\0\0WEBP", b"GIF89a"]);
            let mut photo = head.to_vec();
            photo.extend((0..self.rng.gen_range(0..2_000)).map(|_| self.rng.r#gen::<u8>()));
            b.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\n\
                     Content-Type: image/png\r\n\r\n"
                )
                .as_bytes(),
            );
            b.extend_from_slice(&photo);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        if self.one_in(6) { self.bytes(b) } else { b }
    }

    /// A path segment: usually the valid one, else a hostile one, percent-encoded
    /// (with stray `%FF`s and the like left as they are).
    fn segment(&mut self, valid: &str) -> String {
        if self.one_in(3) {
            return valid.to_owned();
        }
        let s = self.string();
        let encoded: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        if self.one_in(4) { format!("{encoded}%FF") } else { encoded }
    }

    fn query(&mut self, base: &[(&str, &str)]) -> String {
        let f = self.fields(base);
        form_urlencoded::Serializer::new(String::new()).extend_pairs(f).finish()
    }
}

const BOUNDARY: &str = "yiwangfuzzboundary";

/// Every path to a value in `v` (object keys and array indexes), `v` itself first.
fn paths_of(v: &Value, here: &mut Vec<Result<String, usize>>, out: &mut Vec<Vec<Result<String, usize>>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(Ok(k.clone()));
                paths_of(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Err(i));
                paths_of(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'v>(v: &'v mut Value, path: &[Result<String, usize>]) -> &'v mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Ok(k) => &mut v[k.as_str()],
        Err(i) => &mut v[*i],
    })
}

/// One request to send: its description for a failure, and the request.
struct Input {
    method: &'static str,
    uri: String,
    content_type: Option<String>,
    auth: Vec<(header::HeaderName, String)>,
    body: Vec<u8>,
}

#[tokio::test]
async fn no_input_answers_5xx() {
    let seed: u64 = std::env::var("YIWANG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    let runs: u32 = std::env::var("YIWANG_FUZZ_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut fz = Fuzz { rng: StdRng::seed_from_u64(seed) };

    let api = Api::new();
    let router = yiwang_web::router(api.app.clone());
    const USERS: [&str; 6] = ["dispatcher1", "operator1", "cgw-handler", "supervisor1", "inspector1", "rsj-handler"];
    let mut tokens = vec![];
    for u in USERS {
        tokens.push(api.login(u).await);
    }
    let (dispatcher, inspector) = (tokens[0].clone(), tokens[4].clone());
    let (cookie, csrf) = console_login(&api, "dispatcher1").await;
    let (case_id, tracking) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &case_id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let task = json!({
        "title": "城镇新增就业8000人", "task_type": "annual",
        "target": {"value": "8000", "unit": "人", "what": "城镇新增就业", "direction": "at_least", "source": "城镇新增就业8000人"},
        "lead": "rsj", "co_units": [], "deadline": "2026-12-31", "leader": "leader1", "document": "云溪区2026年政府工作报告"
    });
    let (s, v) = api.call("POST", "/api/v1/tasks", Some(&inspector), Some(json!({"tasks": [task.clone()]}))).await;
    assert_eq!(s.as_u16(), 201, "{v}");
    let task_id = v["ids"][0].as_str().unwrap().to_owned();
    let api_key = api.blocking(|app| app.issue_api_key(&yiwang_core::org::Actor::System, "fuzz")).await.unwrap().key;

    let intake = json!({
        "channel": "web", "appeal_type": "complaint", "title": "路灯不亮",
        "text": "湖畔路望湖公园北门以西路灯一周不亮，晚上很黑。",
        "location": {"point": {"lon": 116.225087, "lat": 39.876892}, "address": "望湖街道湖畔路"},
        "citizen": {"name": "张三", "phone": "13812345678", "id_number": "11010519491231002X", "contact": "微信 zs"},
        "attachments": ["uploads/photo-1.jpg"]
    });
    let hotline = json!({
        "channel": "hotline", "appeal_type": "help", "text": "噪音扰民", "category": "cxjs-02", "urgency": "urgent",
        "location": {"area": "st-wh", "address": "湖畔路12号"}, "citizen": {"phone": "010-62345678"}
    });
    let actions = [
        json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw", "note": "请处理"}),
        json!({"action": "sign_for"}),
        json!({"action": "summon", "units": ["st-wh"], "note": "请协助"}),
        json!({"action": "contact", "note": "已联系"}),
        json!({"action": "reply", "outcome": "resolved", "text": "已修复"}),
        json!({"action": "request_extension", "working_days": 5, "reason": "需采购"}),
        json!({"action": "callback", "solved": true, "satisfaction": "satisfied"}),
        json!({"action": "reopen", "reason": "仍不亮"}),
        json!({"action": "merge", "into": case_id}),
        json!({"action": "return", "reason": "不属于本单位"}),
        json!({"action": "close", "note": "已解释"}),
    ];
    let task_actions = [
        json!({"action": "sign_for"}),
        json!({"action": "report", "progress": "4000", "note": "完成一半", "evidence": []}),
        json!({"action": "remind", "note": "请加快"}),
        json!({"action": "close", "note": "完成"}),
    ];

    let mut answers = std::collections::BTreeMap::new();
    for i in 0..runs {
        let mut auth = vec![];
        let bearer = |t: &str| (header::AUTHORIZATION, format!("Bearer {t}"));
        let json_ct = Some("application/json".to_owned());
        let form_ct = Some("application/x-www-form-urlencoded".to_owned());
        let input = match fz.rng.gen_range(0..16) {
            0 | 1 => Input {
                method: "POST",
                uri: "/api/v1/appeals".into(),
                content_type: json_ct,
                auth,
                body: fz.json(&intake),
            },
            2 => {
                auth.push(bearer(&tokens[1]));
                Input {
                    method: "POST",
                    uri: "/api/v1/appeals".into(),
                    content_type: json_ct,
                    auth,
                    body: fz.json(&hotline),
                }
            }
            3 | 4 => {
                auth.push(bearer(&fz.pick(&tokens[..]).clone()));
                let action = fz.pick(&actions).clone();
                let uri = format!("/api/v1/appeals/{}/actions", fz.segment(&case_id));
                Input { method: "POST", uri, content_type: json_ct, auth, body: fz.json(&action) }
            }
            5 => {
                auth.push(bearer(&fz.pick(&tokens[..]).clone()));
                let action = fz.pick(&task_actions).clone();
                let uri = format!("/api/v1/tasks/{}/actions", fz.segment(&task_id));
                Input { method: "POST", uri, content_type: json_ct, auth, body: fz.json(&action) }
            }
            6 => {
                auth.push(bearer(&tokens[4]));
                let body = if fz.one_in(2) {
                    fz.json(&json!({"tasks": [task.clone()]}))
                } else {
                    let text = format!("{}{}{}", fz.string(), "到2026年底，城镇新增就业8000人。", fz.string());
                    fz.json(&json!({"text": text}))
                };
                let uri = if fz.one_in(2) { "/api/v1/tasks" } else { "/api/v1/targets/extract" }.to_owned();
                Input { method: "POST", uri, content_type: json_ct, auth, body }
            }
            7 | 8 => {
                let fields = [
                    ("appeal_type", "complaint"),
                    ("title", "路灯不亮"),
                    ("text", "湖畔路路灯一周不亮"),
                    ("lon", "116.225087"),
                    ("lat", "39.876892"),
                    ("area", "st-wh"),
                    ("address", "湖畔路"),
                    ("name", "张三"),
                    ("phone", "13812345678"),
                    ("contact", ""),
                    ("urgency", "normal"),
                ];
                let body = fz.multipart(&fields);
                let content_type = Some(format!("multipart/form-data; boundary={BOUNDARY}"));
                Input { method: "POST", uri: "/".into(), content_type, auth, body }
            }
            9 => {
                let fields = [
                    ("tracking_code", tracking.as_str()),
                    ("phone", "13812345678"),
                    ("solved", "yes"),
                    ("satisfaction", "satisfied"),
                    ("note", "好"),
                ];
                let uri = if fz.one_in(2) { "/track" } else { "/track/callback" }.to_owned();
                Input { method: "POST", uri, content_type: form_ct, auth, body: fz.form(&fields) }
            }
            10 | 11 => {
                auth.push((header::COOKIE, cookie.clone()));
                let (uri, fields): (String, Vec<(&str, &str)>) = if fz.one_in(2) {
                    let fields = vec![
                        ("_csrf", csrf.as_str()),
                        ("appeal_type", "help"),
                        ("phone", "13812345678"),
                        ("name", "李四"),
                        ("urgency", "normal"),
                        ("title", "噪音"),
                        ("text", "夜间施工噪音"),
                        ("category", "cxjs-02"),
                        ("area", "st-wh"),
                        ("address", "湖畔路"),
                        ("lon", ""),
                        ("lat", ""),
                    ];
                    ("/console/intake".into(), fields)
                } else {
                    let action = *fz.pick(&[
                        "dispatch",
                        "sign_for",
                        "summon",
                        "contact",
                        "reply",
                        "request_extension",
                        "decide_extension",
                        "callback",
                        "reopen",
                        "merge",
                        "close",
                        "remind",
                        "return",
                    ]);
                    let fields = vec![
                        ("_csrf", csrf.as_str()),
                        ("action", action),
                        ("category", "cxjs-02"),
                        ("unit", "cgw"),
                        ("units", "st-wh"),
                        ("note", "请处理"),
                        ("working_days", "5"),
                        ("approve", "yes"),
                        ("outcome", "resolved"),
                        ("text", "已修复"),
                        ("solved", "yes"),
                        ("satisfaction", "satisfied"),
                        ("reason", "不属于"),
                        ("into", case_id.as_str()),
                    ];
                    (format!("/console/cases/{}/act", fz.segment(&case_id)), fields)
                };
                Input { method: "POST", uri, content_type: form_ct, auth, body: fz.form(&fields) }
            }
            12 => {
                let fields = [
                    ("api_key", api_key.as_str()),
                    ("service_code", "cxjs-11"),
                    ("lat", "39.876892"),
                    ("long", "116.225087"),
                    ("address_string", "湖畔路12号"),
                    ("description", "水管破裂"),
                    ("first_name", "三"),
                    ("last_name", "张"),
                    ("phone", "13812345678"),
                    ("email", "a@b.cn"),
                    ("media_url", "https://example.org/a.jpg"),
                    ("attribute[x]", "1"),
                ];
                let file = *fz.pick(&["requests.json", "requests.xml", "requests.csv", "requests"]);
                let uri = format!("/open311/v2/{}", fz.segment(file));
                Input { method: "POST", uri, content_type: form_ct, auth, body: fz.form(&fields) }
            }
            13 => {
                let q = fz.query(&[
                    ("start_date", "2026-11-01T00:00:00+08:00"),
                    ("end_date", "2026-11-30T00:00:00+08:00"),
                    ("status", "open"),
                    ("service_code", "cxjs-11"),
                    ("service_request_id", case_id.as_str()),
                    ("jurisdiction_id", "yunxi"),
                ]);
                let uri = match fz.rng.gen_range(0..4) {
                    0 => format!("/open311/v2/requests.json?{q}"),
                    1 => format!("/open311/v2/requests/{}.xml?{q}", fz.segment(&case_id)),
                    2 => format!("/open311/v2/services/{}.json?{q}", fz.segment("cxjs-11")),
                    _ => format!("/open311/v2/{}?{q}", fz.segment("services.xml")),
                };
                Input { method: "GET", uri, content_type: None, auth, body: vec![] }
            }
            _ => {
                auth.push(bearer(&fz.pick(&tokens[..]).clone()));
                let q = fz.query(&[
                    ("q", "路灯"),
                    ("status", "open"),
                    ("limit", "20"),
                    ("offset", "0"),
                    ("from", "2026-11-01"),
                    ("to", "2026-11-30"),
                    ("unit", "cgw"),
                    ("category", "cxjs-02"),
                ]);
                let uri = match fz.rng.gen_range(0..5) {
                    0 => format!("/api/v1/search?{q}"),
                    1 => format!("/api/v1/queues/{}?{q}", fz.segment("all")),
                    2 => format!("/api/v1/task-queues/{}?{q}", fz.segment("all")),
                    3 => format!("/api/v1/places?{q}"),
                    _ => format!("/api/v1/appeals/{}", fz.segment(&case_id)),
                };
                Input { method: "GET", uri, content_type: None, auth, body: vec![] }
            }
        };
        let mut req = Request::builder().method(input.method).uri(&input.uri);
        if let Some(ct) = &input.content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in &input.auth {
            req = req.header(k, v);
        }
        let Ok(req) = req.body(Body::from(input.body.clone())) else {
            continue; // Not an HTTP request at all (a URI no client could send).
        };
        let told = |answer: &str| {
            format!(
                "input {i} of seed {seed} (rerun with YIWANG_FUZZ_SEED={seed}) was answered {answer}:\n{} {}\n{}",
                input.method,
                input.uri,
                String::from_utf8_lossy(&input.body).chars().take(600).collect::<String>(),
            )
        };
        // On a task of its own, so that a panic is caught and reported with the seed.
        let resp = match tokio::spawn(router.clone().oneshot(req)).await {
            Ok(r) => r.unwrap(),
            Err(e) => panic!("{}", told(&format!("with a panic ({e})"))),
        };
        let status = resp.status();
        *answers.entry(status.as_u16()).or_insert(0u32) += 1;
        if status.is_server_error() {
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            panic!("{}\n→ {}", told(status.as_str()), String::from_utf8_lossy(&body));
        }
        // The clock moves, so the deadlines and alarms of the cases made move too (by
        // less than a session lasts: logging in again costs an argon2 hash each).
        if i % 500 == 499 {
            api.step(chrono::Duration::minutes(20));
        }
    }
    eprintln!("seed {seed}: {runs} inputs answered {answers:?}");
}
