//! Notifications: what the outbox holds (`yiwang_store::Notice`, written in the same
//! commit as the events that call for it) rendered in Chinese and sent through
//! pluggable senders, retried with growing pauses, and shown to the hotline centre.
//!
//! The app knows no network: a `Sender` (an SMS gateway over HTTP, e-mail over SMTP,
//! later a department system's webhook) is given to `App::send_notices` by whoever
//! runs it (`yiwang serve`, from `notify.toml`). An entry addressed to the case's own
//! person is routed at send time: to their phone by SMS, else to the e-mail address
//! they left, each when a sender for it is configured; the number is read from the
//! sealed person row then, so the outbox itself holds no personal data, and an
//! erased person gets nothing.

use crate::{App, AppError, Result};
use yiwang_core::appeal::AppealKind;
use yiwang_core::application::{Application, ApplicationKind};
use yiwang_core::org::Actor;
use yiwang_store::{OutboxEntry, OutboxQuery, Sent};

/// A way to send a message: SMS, e-mail, a webhook.
pub trait Sender: Send + Sync {
    /// Sends `text` (with `subject`, where the medium has one) to `to`; the error
    /// says why not, in words for the centre.
    fn send(&self, to: &str, subject: &str, text: &str) -> std::result::Result<(), String>;
}

/// The senders configured, by channel.
#[derive(Default)]
pub struct Senders {
    pub sms: Option<Box<dyn Sender>>,
    pub email: Option<Box<dyn Sender>>,
}

impl Senders {
    /// The demo's: every message written to the log (`LogSender`), none sent.
    pub fn log() -> Self {
        Senders { sms: Some(Box::new(LogSender)), email: Some(Box::new(LogSender)) }
    }
}

/// Writes each message to the log instead of sending it: what `yiwang serve --demo`
/// does without a `notify.toml`, so that a login code can be read there.
pub struct LogSender;

impl Sender for LogSender {
    fn send(&self, to: &str, subject: &str, text: &str) -> std::result::Result<(), String> {
        tracing::info!(to, subject, text, "demo: message not sent, written here");
        Ok(())
    }
}

/// Pauses before the 2nd, 3rd … try; after the last an entry is given up (发送失败)
/// and waits for the centre's 重发.
const RETRY_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];

/// What one pass of `send_notices` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRun {
    pub sent: u32,
    /// Failed, to be tried again.
    pub retrying: u32,
    /// Failed for good (no way to reach the person, or out of tries).
    pub given_up: u32,
}

/// A message ready to send.
struct Message {
    channel: &'static str,
    to: String,
    subject: String,
    text: String,
}

/// Why an entry was not sent: for good (`retry` false: nobody to reach, no template),
/// or for now (the store could not be read).
struct Undeliverable {
    why: String,
    retry: bool,
}

impl App {
    /// Tries every outbox entry due now, at most `limit`.
    pub fn send_notices(&self, senders: &Senders, limit: u32) -> Result<NoticeRun> {
        let now = self.now();
        let mut run = NoticeRun::default();
        for e in self.store().due_notices(now, yiwang_store::Lane::Messages, limit)? {
            let outcome = match self.render(&e) {
                Err(Undeliverable { why, retry }) => Err((why, retry)),
                Ok(m) => {
                    let sender = match m.channel {
                        "sms" => senders.sms.as_deref(),
                        _ => senders.email.as_deref(),
                    };
                    match sender {
                        None => Err((format!("未配置{}通道", if m.channel == "sms" { "短信" } else { "邮件" }), false)),
                        Some(s) => s.send(&m.to, &m.subject, &m.text).map_err(|why| (why, true)),
                    }
                }
            };
            let tried = match outcome {
                Ok(()) => {
                    run.sent += 1;
                    Sent::Delivered { at: now }
                }
                Err((error, retry)) => {
                    let pause = RETRY_MINUTES.get(e.attempts as usize).filter(|_| retry);
                    let retry_at = pause.map(|m| now + chrono::Duration::minutes(*m));
                    if retry_at.is_some() {
                        run.retrying += 1;
                    } else {
                        run.given_up += 1;
                    }
                    tracing::warn!(id = e.id, case = ?e.case_id, %error, retry = retry_at.is_some(), "notification not sent");
                    Sent::Failed { at: now, error, retry_at }
                }
            };
            self.store().notice_tried(e.id, tried)?;
        }
        Ok(run)
    }

    /// The outbox, newest first: the hotline centre's to see.
    pub fn outbox_for(&self, actor: &Actor, q: &OutboxQuery) -> Result<Vec<OutboxEntry>> {
        centre_only(actor)?;
        if let Some(s) = q.state.as_deref()
            && !["pending", "sent", "failed", "skipped"].contains(&s)
        {
            return Err(AppError::invalid("state", "状态应为 pending、sent、failed 或 skipped"));
        }
        self.outbox(q)
    }

    /// The outbox, newest first (for the server's own use and tests).
    pub fn outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>> {
        Ok(self.store().outbox(&OutboxQuery { limit: q.limit.clamp(1, 500), ..q.clone() })?)
    }

    /// Sends a failed entry again at the next pass (重发), for the hotline centre.
    pub fn resend_notice(&self, actor: &Actor, id: i64) -> Result<()> {
        centre_only(actor)?;
        if self.store().notice_retry(id, self.now())? {
            Ok(())
        } else {
            Err(AppError::invalid("id", "只有发送失败的通知可以重发"))
        }
    }

    fn render(&self, e: &OutboxEntry) -> std::result::Result<Message, Undeliverable> {
        let gone = |why: &str| Undeliverable { why: why.to_owned(), retry: false };
        // A store that cannot be read now may be readable at the next try.
        let later = |e: &dyn std::fmt::Display| Undeliverable { why: format!("暂时无法读取：{e}"), retry: true };
        // The district as people name it: 云溪区 for 云溪区人民政府.
        let district =
            self.reference().org.district().map(|u| u.name.trim_end_matches("人民政府").to_owned()).unwrap_or_default();
        // An applicant's login code: derived from the nonce as it is sent, never stored.
        if let Some(nonce) = e.template.strip_prefix(crate::applicant::CODE_TEMPLATE).and_then(|t| t.strip_prefix('/'))
        {
            let phone =
                e.to.as_deref().and_then(|t| t.strip_prefix("sms:")).ok_or_else(|| gone("验证码未指明手机号"))?;
            let code = self.login_code(phone, nonce);
            let text = format!(
                "【{district}政务服务】您的登录验证码是 {code}，{} 分钟内有效。如非本人操作，请忽略本短信。",
                crate::applicant::CODE_MINUTES
            );
            return Ok(Message { channel: "sms", to: phone.into(), subject: "登录验证码".into(), text });
        }
        let case_id = e.case_id.as_ref().ok_or_else(|| gone("通知未关联工单"))?;
        let case = match self.load_case(case_id) {
            Ok(c) => c,
            Err(AppError::NotFound(_)) => return Err(gone("工单不存在")),
            Err(e) => return Err(later(&e)),
        };
        if let Some(a) = case.state::<ApplicationKind>() {
            let text = application_text(&e.template, a, &district)
                .ok_or_else(|| gone(&format!("未知的通知模板 {}", e.template)))?;
            return self.address(e, format!("办件 {}", a.id), text, a.person, "申请人");
        }
        if let Some(b) = case.state::<yiwang_core::bundle::BundleKind>() {
            let (id, name) = (&b.id, &b.def.name);
            let text = match e.template.as_str() {
                "bundle_stopped" => format!(
                    "【{district}政务服务】您申请的一件事“{name}”（{id}）已终止：{}。已作出决定的事项不受影响。",
                    b.stopped.as_deref().unwrap_or("")
                ),
                "bundle_completed" => {
                    format!("【{district}政务服务】您申请的一件事“{name}”（{id}）各事项均已办理完毕。")
                }
                other => return Err(gone(&format!("未知的通知模板 {other}"))),
            };
            return self.address(e, format!("一件事 {id}"), text, b.person, "申请人");
        }
        if let Some(f) = case.state::<yiwang_core::rating_fix::RatingFixKind>() {
            if e.template != "rating_fix_answered" {
                return Err(gone(&format!("未知的通知模板 {}", e.template)));
            }
            let reply = f.reply.as_deref().map(|r| excerpt(r, 80)).unwrap_or_default();
            let text = format!(
                "【{district}政务服务】您对“{}”（办件号 {}）的评价已核实整改，答复如下：{reply}",
                f.service_name, f.application
            );
            return self.address(e, format!("差评整改 {}", f.id), text, f.person, "申请人");
        }
        if let Some(r) = case.state::<yiwang_core::credit_repair::RepairKind>() {
            let what = format!("{}（信用信息 #{}，{}）", r.enterprise_name, r.fact, r.fact_kind.label());
            let text = match e.template.as_str() {
                "repair_approved" => {
                    format!("【{district}市场监管】您为 {what} 提出的信用修复申请（{}）已同意，信用记录已修复。", r.id)
                }
                "repair_rejected" => format!(
                    "【{district}市场监管】您为 {what} 提出的信用修复申请（{}）不予修复：{}",
                    r.id,
                    r.decision.as_deref().map(|d| excerpt(d, 80)).unwrap_or_default()
                ),
                other => return Err(gone(&format!("未知的通知模板 {other}"))),
            };
            return self.address(e, format!("信用修复 {}", r.id), text, r.person, "申请人");
        }
        if let Some(i) = case.state::<yiwang_core::inspection::InspectionKind>() {
            if e.template != "inspection_findings" {
                return Err(gone(&format!("未知的通知模板 {}", e.template)));
            }
            let unit = self.reference().unit_name(&i.unit);
            let due = i.statement_due.map(|d| yiwang_core::calendar::civil_date(d).to_string()).unwrap_or_default();
            let text = format!(
                "【{district}市场监管】{}：{unit}对贵企业开展的“{}”检查（编号 {}）发现问题。如有异议，请于 {due} 前登录政务服务网“我的企业”陈述申辩；逾期结果即为最终结果并予公示。",
                i.enterprise_name, i.matter_name, i.id
            );
            let contact = self.enterprise(&i.enterprise).map_err(|e| later(&e))?.and_then(|x| x.person);
            return self.address(e, format!("检查 {}", i.id), text, contact, "企业联系人");
        }
        if let Some(z) = case.state::<yiwang_core::rectification::RectificationKind>() {
            let unit = self.reference().unit_name(&z.unit);
            let due = yiwang_core::calendar::civil_date(z.due);
            let text = match e.template.as_str() {
                "rectification_opened" => format!(
                    "【{district}市场监管】{}：{unit}责令贵企业就“{}”检查发现的问题于 {due} 前完成整改（编号 {}）。请登录政务服务网“我的企业”查看问题并报告整改情况。",
                    z.enterprise_name, z.matter_name, z.id
                ),
                "rectification_due_soon" => format!(
                    "【{district}市场监管】{}：整改（编号 {}）将于 {due} 到期，请按时完成并报告整改情况；逾期将影响企业信用。",
                    z.enterprise_name, z.id
                ),
                other => return Err(gone(&format!("未知的通知模板 {other}"))),
            };
            let contact = self.enterprise(&z.enterprise).map_err(|e| later(&e))?.and_then(|x| x.person);
            return self.address(e, format!("整改 {}", z.id), text, contact, "企业联系人");
        }
        if let Some(g) = case.state::<yiwang_core::benefit::GrantKind>() {
            // 免申即享: told to the enterprise's contact in the register (its legal
            // representative's phone), looked up as it is sent.
            let n = &g.grant;
            let text = match e.template.as_str() {
                "grant_opened" => format!(
                    "【{district}免申即享】{}：经比对，贵企业符合“{}”（{}），可享受 {} 元（编号 {}），无需申请。请登录政务服务网“我的企业·免申即享”查看依据并确认收款账户。",
                    n.enterprise_name, n.policy_name, n.basis, n.amount, g.id
                ),
                "grant_paid" => format!(
                    "【{district}免申即享】{}：“{}”的 {} 元已拨付（编号 {}）。",
                    n.enterprise_name, n.policy_name, n.amount, g.id
                ),
                other => return Err(gone(&format!("未知的通知模板 {other}"))),
            };
            let contact = match n.contact {
                Some(p) => Some(p),
                None => self.enterprise(&n.enterprise).map_err(|e| later(&e))?.and_then(|x| x.person),
            };
            return self.address(e, format!("免申即享 {}", g.id), text, contact, "企业联系人");
        }
        let appeal = case.state::<AppealKind>().ok_or_else(|| gone("不是诉求工单"))?;
        let sign = format!("【{district}12345】");
        let id = &appeal.id;
        let text = match e.template.as_str() {
            "appeal_accepted" => {
                format!(
                    "{sign}您的诉求已受理，工单号 {id}，查询码 {}。凭查询码和手机号可查询办理进度。",
                    appeal.tracking_code.as_str()
                )
            }
            "appeal_replied" => {
                let reply = appeal.reply.as_ref().map(|r| excerpt(&r.text, 60)).unwrap_or_default();
                format!("{sign}您的诉求（工单号 {id}）已答复：{reply}。请凭查询码查看答复全文，并对办理结果进行评价。")
            }
            "appeal_answered" => {
                // A direct answer is in its event only.
                let events = self.store().events(id).map_err(|e| later(&e))?;
                let answer = events
                    .iter()
                    .rev()
                    .find(|e| e.name == "answered_directly")
                    .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
                    .and_then(|v| {
                        v.pointer("/AnsweredDirectly/answer")
                            .or(v.get("answer"))
                            .and_then(|a| a.as_str())
                            .map(|a| excerpt(a, 60))
                    })
                    .unwrap_or_default();
                format!("{sign}您的诉求（工单号 {id}）已答复：{answer}。如有疑问请致电12345。")
            }
            "appeal_reopened" => format!("{sign}您的诉求（工单号 {id}）已重新交办，承办单位将再次办理。"),
            "appeal_code" => {
                format!("{sign}您的诉求（工单号 {id}）查询码为 {}。如非本人操作请忽略。", appeal.tracking_code.as_str())
            }
            other => return Err(gone(&format!("未知的通知模板 {other}"))),
        };
        self.address(e, format!("12345 诉求 {id}"), text, appeal.citizen, "诉求人")
    }

    /// Where a rendered message goes: the entry's own address, else the case's person
    /// (SMS to a mobile number, else e-mail).
    fn address(
        &self,
        e: &OutboxEntry,
        subject: String,
        text: String,
        person: Option<yiwang_core::id::PersonId>,
        who: &str,
    ) -> std::result::Result<Message, Undeliverable> {
        let gone = |why: &str| Undeliverable { why: why.to_owned(), retry: false };
        let later = |e: &dyn std::fmt::Display| Undeliverable { why: format!("暂时无法读取：{e}"), retry: true };
        if let Some(to) = &e.to {
            return match to.split_once(':') {
                Some(("sms", phone)) => Ok(Message { channel: "sms", to: phone.into(), subject, text }),
                Some(("email", addr)) => Ok(Message { channel: "email", to: addr.into(), subject, text }),
                _ => Err(gone("无法识别的收件地址")),
            };
        }
        let pid = person.ok_or_else(|| gone(&format!("{who}未留联系方式")))?;
        let person = self.store().person(pid).map_err(|e| later(&e))?.ok_or_else(|| gone(&format!("{who}不存在")))?;
        if person.erased_at.is_some() {
            return Err(gone(&format!("{who}个人信息已删除")));
        }
        // SMS reaches mobile numbers only; a landline caller is written to, if they
        // left an address.
        if let Some(phone) = person.data.phone.filter(|p| is_mobile(p)) {
            return Ok(Message { channel: "sms", to: phone, subject, text });
        }
        match person.data.contact.filter(|c| c.contains('@') && !c.contains(char::is_whitespace)) {
            Some(addr) => Ok(Message { channel: "email", to: addr, subject, text }),
            None => Err(gone(&format!("{who}未留手机号或邮箱"))),
        }
    }
}

fn centre_only(actor: &Actor) -> Result<()> {
    if actor.is_centre() {
        Ok(())
    } else {
        Err(AppError::Forbidden("通知发送记录仅供热线中心查看".into()))
    }
}

/// A mainland mobile number (1[3-9] and nine more digits), which can take an SMS.
fn is_mobile(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// The first `n` characters of `s`, with an ellipsis when cut.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

/// `notify.toml` in the data directory: the senders to use.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub sms: Option<HttpSmsConfig>,
    pub email: Option<SmtpConfig>,
    /// Webhook subscriptions' networks (`crate::webhook`).
    #[serde(default)]
    pub webhooks: crate::webhook::WebhookConfig,
}

/// An SMS gateway reached over HTTP (any 短信平台 maps onto it): `body` is POSTed to
/// `url` with `{phone}` and `{text}` replaced (escaped for JSON when the content type
/// is JSON); any 2xx answer is success.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSmsConfig {
    pub url: String,
    #[serde(default = "default_sms_body")]
    pub body: String,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// Sent as the `Authorization` header, e.g. `Bearer …`.
    pub authorization: Option<String>,
}

fn default_sms_body() -> String {
    r#"{"phone": "{phone}", "text": "{text}"}"#.into()
}

fn default_content_type() -> String {
    "application/json".into()
}

/// An SMTP relay (on the government intranet, plain SMTP; `starttls` when it offers it).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender address, e.g. `12345@yunxi.gov.cn`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    25
}

impl NotifyConfig {
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        let c: NotifyConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(s) = &c.sms
            && !(s.url.starts_with("http://") || s.url.starts_with("https://"))
        {
            return Err("sms.url must be an http:// or https:// address".into());
        }
        if let Some(e) = &c.email {
            e.from
                .parse::<lettre::message::Mailbox>()
                .map_err(|_| format!("email.from {} is not an address", e.from))?;
        }
        Ok(c)
    }

    /// The senders it configures.
    pub fn senders(&self) -> Senders {
        Senders {
            sms: self.sms.clone().map(|c| Box::new(HttpSms::new(c)) as Box<dyn Sender>),
            email: self.email.clone().map(|c| Box::new(Smtp(c)) as Box<dyn Sender>),
        }
    }
}

/// SMS through an HTTP gateway (`HttpSmsConfig`). The blocking HTTP client runs its
/// own runtime, which may be neither built nor dropped on an async worker, so it
/// lives on a thread of its own, which each send hands the message to.
pub struct HttpSms {
    config: HttpSmsConfig,
    requests: std::sync::Mutex<std::sync::mpsc::Sender<SmsRequest>>,
}

type SmsRequest = (String, std::sync::mpsc::SyncSender<std::result::Result<(), String>>);

impl HttpSms {
    pub fn new(config: HttpSmsConfig) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<SmsRequest>();
        let c = config.clone();
        std::thread::Builder::new()
            .name("yiwang-sms".into())
            .spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(10))
                    .build()
                    .expect("an HTTP client with a timeout");
                for (body, reply) in rx {
                    let _ = reply.send(post_sms(&client, &c, body));
                }
            })
            .expect("spawn the SMS thread");
        HttpSms { config, requests: std::sync::Mutex::new(tx) }
    }
}

fn post_sms(client: &reqwest::blocking::Client, c: &HttpSmsConfig, body: String) -> std::result::Result<(), String> {
    let mut req = client.post(&c.url).header("content-type", &c.content_type).body(body);
    if let Some(a) = &c.authorization {
        req = req.header("authorization", a);
    }
    match req.send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("短信网关答复 {}", r.status())),
        Err(e) if e.is_timeout() => Err("短信网关超时".into()),
        Err(e) => Err(format!("无法连接短信网关：{e}")),
    }
}

/// `s` as it goes inside a JSON string.
fn json_escaped(s: &str) -> String {
    let quoted = serde_json::Value::from(s).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

impl Sender for HttpSms {
    fn send(&self, to: &str, _subject: &str, text: &str) -> std::result::Result<(), String> {
        // Escaped for what the gateway takes: JSON, a form, or text as written.
        let t = &self.config.content_type;
        let esc = |s: &str| {
            if t.contains("json") {
                json_escaped(s)
            } else if t.contains("x-www-form-urlencoded") {
                form_urlencoded::byte_serialize(s.as_bytes()).collect()
            } else {
                s.to_owned()
            }
        };
        let body = self.config.body.replace("{phone}", &esc(to)).replace("{text}", &esc(text));
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let stopped = || "短信通道已停止".to_owned();
        self.requests.lock().map_err(|_| stopped())?.send((body, reply)).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

/// E-mail through an SMTP relay (`SmtpConfig`).
pub struct Smtp(SmtpConfig);

impl Sender for Smtp {
    fn send(&self, to: &str, subject: &str, text: &str) -> std::result::Result<(), String> {
        use lettre::Transport;
        let to = to.parse::<lettre::message::Mailbox>().map_err(|_| "诉求人留下的邮箱地址无效".to_owned())?;
        let from = self.0.from.parse::<lettre::message::Mailbox>().map_err(|_| "发件地址无效".to_owned())?;
        let m = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text.to_owned())
            .map_err(|e| format!("邮件无法生成：{e}"))?;
        let transport = lettre::SmtpTransport::builder_dangerous(&self.0.host)
            .port(self.0.port)
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        // The server's words may repeat the address: the centre sees the kind of failure.
        transport.send(&m).map(drop).map_err(|e| {
            let kind = if e.is_permanent() {
                "邮件服务器拒收"
            } else if e.is_transient() {
                "邮件服务器暂时拒收"
            } else {
                "无法连接邮件服务器"
            };
            tracing::warn!("smtp: {e}");
            kind.to_owned()
        })
    }
}

/// What an applicant is told at each step of an application (`ApplicationKind::notices`).
fn application_text(template: &str, a: &Application, district: &str) -> Option<String> {
    let sign = format!("【{district}政务服务】");
    let (id, name) = (&a.id, &a.service.name);
    let code = a.tracking_code.as_deref().unwrap_or("");
    Some(match template {
        "application_accepted" if a.deemed_accepted => {
            format!("{sign}您申请的“{name}”（办件号 {id}）依法自收到材料之日起视为受理，查询码 {code}。")
        }
        "application_accepted" => format!("{sign}您申请的“{name}”已受理，办件号 {id}，查询码 {code}。"),
        "application_supplement" => {
            let items = a.missing.iter().map(|m| m.what.as_str()).collect::<Vec<_>>().join("；");
            format!(
                "{sign}您申请的“{name}”（办件号 {id}）需补正以下材料：{items}。请在补正期限内提交，逾期视为撤回申请。"
            )
        }
        "application_rejected" => {
            let reason = a.rejection.as_ref().map(|r| excerpt(&r.reason, 60)).unwrap_or_default();
            format!("{sign}您申请的“{name}”（办件号 {id}）不予受理：{reason}。详见不予受理决定书。")
        }
        "application_suspended" => {
            let step = a
                .suspended
                .as_ref()
                .and_then(|s| a.service.steps.iter().find(|x| x.code == s.step))
                .map(|x| x.name.clone())
                .unwrap_or_default();
            format!("{sign}您申请的“{name}”（办件号 {id}）进入{step}，所需时间不计入办理时限，书面告知书已出具。")
        }
        "application_decided" if a.granted == Some(true) => {
            format!("{sign}您申请的“{name}”（办件号 {id}）已审批通过。")
        }
        "application_decided" => format!(
            "{sign}您申请的“{name}”（办件号 {id}）未获批准，理由详见决定书。如不服，可依法申请行政复议或提起行政诉讼。"
        ),
        "application_certified" => {
            let number = a.certificate.as_ref().map(|c| c.number.as_str()).unwrap_or("");
            format!("{sign}您申请的“{name}”（办件号 {id}）已制证，证照编号 {number}。")
        }
        "application_bundle_stopped" => {
            format!("{sign}您申请的“{name}”（办件号 {id}）因所属一件事终止而终止办理。")
        }
        "application_lapsed" => format!("{sign}您申请的“{name}”（办件号 {id}）逾期未补正材料，视为撤回申请。"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_mobile_numbers_get_an_sms() {
        assert!(super::is_mobile("13812345678"));
        assert!(super::is_mobile("19912345678"));
        assert!(!super::is_mobile("057188886666"), "a landline");
        assert!(!super::is_mobile("12345678901"));
        assert!(!super::is_mobile("1381234567"));
    }
}
