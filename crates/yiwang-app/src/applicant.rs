//! The applicant's own side of 一网通办 (我的办件): a citizen, or a person acting for an
//! enterprise, logs in with their mobile phone and a one-time code sent by SMS through
//! the notifications outbox, then applies online, follows every application filed with
//! that phone (online or at a window), hands in what a 补正 asks for, withdraws, and
//! rates.
//!
//! Nothing of a login is stored but the security log:
//! - The code is derived, not kept: `HMAC(login key, phone, nonce)` where the nonce
//!   carries its own expiry. The outbox entry names the nonce and the phone and the
//!   sender derives the code as it sends, so a reader of the database (or of the
//!   console's outbox) learns no code without the installation's key.
//! - Sending and failing are logged (`login_code_sent`, `login_code_failed`) under a
//!   pseudonym of the phone; the log limits how often a phone gets a code and how many
//!   wrong codes it may try, and a code is used once (`applicant_login` names its
//!   nonce). The log is the store's, so every node of a cluster sees the same counts.
//! - The session is a signed token (`phone.expiry.mac`) in an HttpOnly cookie; it
//!   ends on its own after `SESSION_HOURS` and at logout on that browser.
//!
//! An applicant's applications are every `application` case whose person row carries
//! the digest of their phone (`CaseQuery::phone_digest`). Acting for an enterprise
//! needs a binding (企业授权) checked at a window: see `authorisation.rs`.

use crate::{App, ApplicantView, ApplicationInput, auth::Address};
use crate::{AppError, Result};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use yiwang_core::application::{ApplicationKind, Command, Provided, Rating};
use yiwang_core::case::Kind;
use yiwang_core::id::{CaseId, PhoneNumber};
use yiwang_core::org::Actor;
use yiwang_store::{CaseQuery, Notice};

/// How long a code may be used.
pub const CODE_MINUTES: i64 = 10;
/// How long a login lasts.
pub const SESSION_HOURS: i64 = 2;
/// Codes a phone may get in an hour; and the pause between two.
const CODES_PER_HOUR: usize = 5;
const CODE_PAUSE_SECONDS: i64 = 60;
/// Codes one address may ask for in an hour (for any phones).
const CODES_PER_ADDRESS_HOUR: usize = 20;
/// Wrong codes a phone may give within `CODE_MINUTES`.
const TRIES: usize = 5;
/// The outbox template of a login code: `login_code/<nonce>`.
pub const CODE_TEMPLATE: &str = "login_code";

/// A logged-in applicant: the phone they proved they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub phone: PhoneNumber,
}

/// A code sent: what the login must give back with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Names the code sent; the login gives it back.
    pub nonce: String,
    pub expires_at: DateTime<Utc>,
    /// The phone, masked (138****5678), to show where the code went.
    pub phone: String,
}

/// A login: the token of the session (the cookie's value) and when it ends.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicantLogin {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub phone: String,
}

/// One line of 我的办件.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyApplication {
    pub id: CaseId,
    pub service: String,
    pub service_name: String,
    pub status: String,
    pub status_label: String,
    pub filed_at: DateTime<Utc>,
    /// 网上申请 or 窗口申请.
    pub online: bool,
    pub enterprise: Option<String>,
    pub certificate: Option<String>,
    /// Something for the applicant to do: 补正, or a rating.
    pub to_do: Option<String>,
}

/// An application as the applicant files it online.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnlineApplication {
    /// The service's code; its current version applies.
    pub service: String,
    /// The applicant's name (for an enterprise, the person acting for it).
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    /// For an enterprise's service: its 统一社会信用代码, which this phone must be
    /// bound to (企业授权).
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Files uploaded through the portal's form, or certificates of the applicant's
    /// own (证照复用); never paper (that is the window's).
    #[serde(default)]
    pub materials: Vec<Provided>,
    #[serde(default)]
    pub area: Option<yiwang_core::id::UnitCode>,
}

/// A bundle (一件事) as the applicant files it online: its answers choose the parts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnlineBundle {
    /// The bundle's code; its current version applies.
    pub bundle: String,
    pub name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    /// For a bundle with enterprises' services: the 统一社会信用代码 this phone is bound to.
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// The shared form, each field once.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    #[serde(default)]
    pub materials: Vec<Provided>,
}

/// What the applicant does with one of theirs: `{"action": "supplement", …}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicantCommand {
    /// Hands in what the 补正 notice asked for.
    Supplement { materials: Vec<Provided> },
    /// 撤回, before the decision.
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },
    /// 好差评, once it has ended, with any of the online dimensions.
    Rate {
        rating: Rating,
        #[serde(default)]
        comment: Option<String>,
        #[serde(default)]
        named: bool,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(inline))]
        dimensions: yiwang_core::application::Dimensions,
    },
    /// 缴费: the payment of a fee-bearing service, once the decision grants and before
    /// 制证 (its reference, the fees in all in fen, the day paid).
    RecordPayment { reference: String, amount_fen: u64, paid_on: chrono::NaiveDate },
}

/// A certificate the applicant may reuse for a material (我的证照).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyCertificate {
    pub number: String,
    pub type_code: String,
    pub type_name: String,
    pub holder: String,
    pub holder_code: Option<String>,
    pub valid_until: Option<chrono::NaiveDate>,
}

fn mask(phone: &PhoneNumber) -> String {
    phone.masked()
}

impl App {
    fn login_key(&self) -> Hmac<Sha256> {
        let mut k = Hmac::<Sha256>::new_from_slice(&self.config.digest_key).expect("hmac takes any key length");
        k.update(b"yiwang-applicant-login/1");
        Hmac::<Sha256>::new_from_slice(&k.finalize().into_bytes()).expect("hmac takes any key length")
    }

    /// The six digits sent for `nonce` to `phone`.
    pub(crate) fn login_code(&self, phone: &str, nonce: &str) -> String {
        let mut mac = self.login_key();
        mac.update(format!("code:{phone}:{nonce}").as_bytes());
        let b = mac.finalize().into_bytes();
        format!("{:06}", u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000)
    }

    /// The name the security log knows a phone by.
    fn applicant_alias(&self, phone: &PhoneNumber) -> String {
        format!("applicant:{}", &self.phone_digest(phone)[..16])
    }

    fn logged_since(
        &self,
        username: Option<&str>,
        address: Option<&str>,
        kind: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<yiwang_store::SecurityEvent>> {
        let q = yiwang_store::SecurityQuery {
            username: username.map(str::to_owned),
            address: address.map(str::to_owned),
            kinds: vec![kind.into()],
            since: Some(since),
            limit: 100,
            ..Default::default()
        };
        Ok(self.store.security_events(&q)?)
    }

    /// 获取验证码: puts a one-time code for `phone` in the outbox (by SMS). Refused
    /// within a minute of the last one, after `CODES_PER_HOUR` in an hour, and for an
    /// address that asked for too many.
    pub fn send_login_code(&self, phone: &str, address: Address) -> Result<CodeSent> {
        let phone = PhoneNumber::parse(phone.trim())
            .ok()
            .filter(PhoneNumber::is_mobile)
            .ok_or_else(|| AppError::invalid("phone", "请填写11位手机号码"))?;
        let now = self.now();
        let alias = self.applicant_alias(&phone);
        let sent = self.logged_since(Some(&alias), None, "login_code_sent", now - Duration::hours(1))?;
        if sent.first().is_some_and(|e| e.at + Duration::seconds(CODE_PAUSE_SECONDS) > now) {
            return Err(AppError::Throttled("验证码已发送，请一分钟后再获取".into()));
        }
        if sent.len() >= CODES_PER_HOUR {
            return Err(AppError::Throttled("该手机号获取验证码过于频繁，请一小时后再试".into()));
        }
        if let Some(a) = address
            && self.logged_since(None, Some(a), "login_code_sent", now - Duration::hours(1))?.len()
                >= CODES_PER_ADDRESS_HOUR
        {
            return Err(AppError::Throttled("获取验证码过于频繁，请一小时后再试".into()));
        }
        let expires_at = now + Duration::minutes(CODE_MINUTES);
        let mut raw = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut raw);
        let nonce = format!("{:x}-{}", expires_at.timestamp(), hex::encode(raw));
        let r = self.reference();
        let notice =
            Notice { template: format!("{CODE_TEMPLATE}/{nonce}"), to: Some(format!("sms:{}", phone.as_str())) };
        self.store.enqueue_notice(&r.tenant, None, notice, now)?;
        self.security(now, "login_code_sent", Some(&alias), address, format!("验证码发往 {}", mask(&phone)))?;
        Ok(CodeSent { nonce, expires_at, phone: mask(&phone) })
    }

    /// 验证码登录: the code sent for `nonce` to `phone`, given back in time, once.
    pub fn login_with_code(&self, phone: &str, nonce: &str, code: &str, address: Address) -> Result<ApplicantLogin> {
        let bad = || AppError::invalid("code", "验证码不正确或已过期，请重新获取");
        let phone = PhoneNumber::parse(phone.trim()).ok().filter(PhoneNumber::is_mobile).ok_or_else(bad)?;
        let now = self.now();
        let alias = self.applicant_alias(&phone);
        let failed =
            self.logged_since(Some(&alias), None, "login_code_failed", now - Duration::minutes(CODE_MINUTES))?;
        if failed.len() >= TRIES {
            return Err(AppError::Throttled("验证码错误次数过多，请十分钟后重新获取".into()));
        }
        let expires = nonce
            .split_once('-')
            .and_then(|(e, _)| i64::from_str_radix(e, 16).ok())
            .and_then(|e| DateTime::<Utc>::from_timestamp(e, 0));
        let fresh = expires.is_some_and(|e| e > now && e <= now + Duration::minutes(CODE_MINUTES));
        let right = {
            let mut mac = self.login_key();
            mac.update(format!("code:{}:{nonce}", phone.as_str()).as_bytes());
            let b = mac.finalize().into_bytes();
            let want = format!("{:06}", u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000);
            // Compared in constant time: the code is a secret.
            want.len() == code.trim().len()
                && want.bytes().zip(code.trim().bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        };
        let used = || -> Result<bool> {
            let logins =
                self.logged_since(Some(&alias), None, "applicant_login", now - Duration::minutes(CODE_MINUTES + 1))?;
            Ok(logins.iter().any(|e| e.detail.ends_with(&format!("({nonce})"))))
        };
        if !fresh || !right || used()? {
            self.security(now, "login_code_failed", Some(&alias), address, "验证码不正确、已过期或已使用".into())?;
            return Err(bad());
        }
        self.security(
            now,
            "applicant_login",
            Some(&alias),
            address,
            format!("办事人 {} 验证码登录 ({nonce})", mask(&phone)),
        )?;
        let expires_at = now + Duration::hours(SESSION_HOURS);
        Ok(ApplicantLogin { token: self.applicant_token(&phone, expires_at), expires_at, phone: mask(&phone) })
    }

    fn applicant_token(&self, phone: &PhoneNumber, expires_at: DateTime<Utc>) -> String {
        let body = format!("{}.{:x}", phone.as_str(), expires_at.timestamp());
        let mut mac = self.login_key();
        mac.update(format!("session:{body}").as_bytes());
        format!("{body}.{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// The applicant a session token names, while it lasts.
    pub fn applicant(&self, token: &str) -> Option<Applicant> {
        let (body, tag) = token.rsplit_once('.')?;
        let (phone, expires) = body.split_once('.')?;
        let mut mac = self.login_key();
        mac.update(format!("session:{body}").as_bytes());
        mac.verify_slice(&hex::decode(tag).ok()?).ok()?;
        let expires = DateTime::<Utc>::from_timestamp(i64::from_str_radix(expires, 16).ok()?, 0)?;
        (expires > self.now()).then_some(())?;
        Some(Applicant { phone: PhoneNumber::parse(phone).ok()? })
    }

    /// 我的办件: every application filed with the applicant's phone, newest first.
    pub fn my_applications(&self, who: &Applicant) -> Result<Vec<MyApplication>> {
        use yiwang_core::application::ApplicationStatus as S;
        let q = CaseQuery {
            kind: Some(ApplicationKind::NAME),
            phone_digest: Some(self.phone_digest(&who.phone)),
            limit: 200,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            let a = self.load_as::<ApplicationKind>(&row.id)?;
            let to_do = match a.status {
                S::Supplementing => Some("请补正材料".to_owned()),
                S::Done | S::Rejected if a.rated.is_none() => Some("请评价".to_owned()),
                _ => None,
            };
            out.push(MyApplication {
                id: a.id.clone(),
                service: a.service.code.clone(),
                service_name: a.service.name.clone(),
                status: row.status.clone(),
                status_label: a.status.label().to_owned(),
                filed_at: a.filed_at,
                online: a.channel == yiwang_core::application::Channel::Online,
                enterprise: a.enterprise.as_ref().map(|e| e.name.clone()),
                certificate: a.certificate.as_ref().map(|c| c.number.clone()),
                to_do,
            });
        }
        Ok(out)
    }

    /// One of the applicant's applications; any other is not found.
    fn own_application(&self, who: &Applicant, id: &CaseId) -> Result<yiwang_core::application::Application> {
        let not_found = || AppError::NotFound("您的这件办件");
        let a = self.load_as::<ApplicationKind>(id).map_err(|_| not_found())?;
        let person = a.person.ok_or_else(not_found)?;
        match self.store.person(person)? {
            Some(p) if p.erased_at.is_none() && p.data.phone_digest == Some(self.phone_digest(&who.phone)) => Ok(a),
            _ => Err(not_found()),
        }
    }

    /// One of 我的办件, as the applicant sees it.
    pub fn my_application(&self, who: &Applicant, id: &CaseId) -> Result<ApplicantView> {
        let a = self.own_application(who, id)?;
        self.applicant_view(&a)
    }

    /// 网上申请: the applicant files an application online, as themselves or for an
    /// enterprise their phone is bound to.
    pub fn apply_online(
        &self,
        who: &Applicant,
        input: OnlineApplication,
    ) -> Result<yiwang_core::application::Application> {
        if input.materials.iter().any(|m| m.paper) {
            return Err(AppError::invalid("materials", "网上申请请上传材料或选用电子证照，纸质材料请到窗口提交"));
        }
        let enterprise = match input.enterprise.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => Some(self.bound_enterprise(who, code)?),
            None => None,
        };
        let form = ApplicationInput {
            service: input.service,
            applicant: crate::CitizenInput {
                name: Some(input.name),
                phone: Some(who.phone.as_str().to_owned()),
                id_number: input.id_number,
                contact: None,
            },
            enterprise,
            form: input.form,
            materials: input.materials,
            area: input.area,
        };
        self.register_as(&Actor::Citizen, yiwang_core::application::Channel::Online, form, None)
    }

    /// 一件事 online: one form, one set of materials, filed by the applicant; its parts
    /// are their applications (我的办件 lists each).
    pub fn apply_bundle_online(&self, who: &Applicant, input: OnlineBundle) -> Result<crate::BundleView> {
        if input.materials.iter().any(|m| m.paper) {
            return Err(AppError::invalid("materials", "网上申请请上传材料或选用电子证照，纸质材料请到窗口提交"));
        }
        let enterprise = match input.enterprise.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => Some(self.bound_enterprise(who, code)?),
            None => None,
        };
        let form = crate::BundleInput {
            bundle: input.bundle,
            applicant: crate::CitizenInput {
                name: Some(input.name),
                phone: Some(who.phone.as_str().to_owned()),
                id_number: input.id_number,
                contact: None,
            },
            enterprise,
            answers: input.answers,
            form: input.form,
            materials: input.materials,
            area: None,
        };
        self.register_bundle(&Actor::Citizen, form)
    }

    /// What the applicant does with one of theirs: 补正, 撤回, 评价.
    pub fn act_as_applicant(&self, who: &Applicant, id: &CaseId, c: ApplicantCommand) -> Result<ApplicantView> {
        let a = self.own_application(who, id)?;
        if let Some(e) = &a.enterprise {
            // Acting for an enterprise needs the binding still in force.
            self.bound_enterprise(who, e.code.as_str())?;
        }
        let rated = matches!(c, ApplicantCommand::Rate { .. });
        let command = match c {
            ApplicantCommand::Supplement { materials } => {
                if materials.iter().any(|m| m.paper) {
                    return Err(AppError::invalid("materials", "网上补正请上传材料或选用电子证照"));
                }
                Command::Supplement { materials, in_person: false }
            }
            ApplicantCommand::Withdraw { reason } => Command::Withdraw { reason, in_person: false },
            ApplicantCommand::Rate { rating, comment, named, dimensions } => {
                Command::Rate { rating, comment, named, dimensions }
            }
            ApplicantCommand::RecordPayment { reference, amount_fen, paid_on } => {
                Command::RecordPayment { reference, amount_fen, paid_on }
            }
        };
        let a = self.act_on::<ApplicationKind>(&Actor::Citizen, &a.id, &command)?;
        if rated && let Some(r) = a.rated.as_ref().filter(|r| !r.rating.is_good()) {
            self.open_rating_fix(&a, r, None)?;
        }
        self.applicant_view(&a)
    }

    /// 我的证照: the certificates issued on the applicant's own applications, in force
    /// and not revoked, that a material may reuse.
    pub fn my_certificates(&self, who: &Applicant) -> Result<Vec<MyCertificate>> {
        let today = yiwang_core::calendar::civil_date(self.now());
        let mut out: Vec<MyCertificate> = vec![];
        for m in self.my_applications(who)? {
            if m.certificate.is_none() {
                continue;
            }
            let a = self.load_as::<ApplicationKind>(&m.id)?;
            let Some(c) = a.certificate.filter(|c| c.revoked.is_none()).and_then(|c| c.signed) else { continue };
            let d = &c.document;
            if !d.in_force(today) || out.iter().any(|x| x.number == d.number) {
                continue;
            }
            out.push(MyCertificate {
                number: d.number.clone(),
                type_code: d.type_code.clone(),
                type_name: d.type_name.clone(),
                holder: d.holder.clone(),
                holder_code: d.holder_code.clone(),
                valid_until: d.valid_until,
            });
        }
        Ok(out)
    }
}
