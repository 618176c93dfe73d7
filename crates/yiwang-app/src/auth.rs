//! Staff login. Passwords are hashed with argon2id; a login gives a random token of
//! which only a SHA-256 is stored.
//!
//! Lock-out (等保: 登录失败处理). Every login and failed login is a security event
//! with the client's address (`security_event`), and the lock-out is computed from
//! those events, so it holds across restarts and app servers:
//! - 5 failures on an account from one address within 10 minutes lock the account
//!   for 30 minutes **from that address only**: an attacker elsewhere cannot lock an
//!   operator out of their own desk;
//! - 10 failures on an account from all addresses within 10 minutes throttle it
//!   everywhere: after each failure the next attempt waits 30 seconds, which slows a
//!   distributed guesser without locking anyone out;
//! - a successful login clears its address's count; an administrator's unlock clears
//!   every count of the account.
//!
//! The figures are `LoginPolicy`, set in `security.toml` in the data directory.

use crate::{App, AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::RngCore;
use sha2::{Digest, Sha256};
use yiwang_core::Instant;
use yiwang_core::id::Username;
use yiwang_core::org::{Actor, Role, Staff};
use yiwang_store::{SecurityEvent, SecurityQuery};

/// Lock-out, throttling and sessions' idle end (see the module's text).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginPolicy {
    /// Failures from one address that lock the account there.
    pub max_failures: usize,
    pub window_minutes: i64,
    pub lock_minutes: i64,
    /// Failures from all addresses that throttle the account everywhere.
    pub throttle_failures: usize,
    pub throttle_seconds: i64,
    /// A session unused this long ends (besides its absolute end).
    pub idle_minutes: i64,
    /// Failed tracking-code lookups per client address per hour before it waits.
    pub track_failures: usize,
    /// Passwords older than this must be changed at the next login (none: never).
    pub password_max_age_days: Option<i64>,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            window_minutes: 10,
            lock_minutes: 30,
            throttle_failures: 10,
            throttle_seconds: 30,
            idle_minutes: 30,
            track_failures: 10,
            password_max_age_days: None,
        }
    }
}

/// How long the security audit log is kept in the database before `yiwang audit
/// archive` moves it out to a file (`App::archive_security_log`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditPolicy {
    pub keep_days: i64,
}

impl AuditPolicy {
    /// 网络安全法 §21: network logs are kept for six months at least.
    pub const MIN_KEEP_DAYS: i64 = 180;

    /// Reads the `[audit]` table of `security.toml`.
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        parse_security_toml(text).map(|f| f.audit)
    }
}

impl Default for AuditPolicy {
    fn default() -> Self {
        AuditPolicy { keep_days: Self::MIN_KEEP_DAYS }
    }
}

/// `security.toml`: `[login]` and `[audit]`, each checked.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SecurityFile {
    #[serde(default)]
    login: LoginPolicy,
    #[serde(default)]
    audit: AuditPolicy,
}

fn parse_security_toml(text: &str) -> std::result::Result<SecurityFile, String> {
    let f: SecurityFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let p = &f.login;
    if p.max_failures == 0 || p.window_minutes <= 0 || p.lock_minutes <= 0 || p.idle_minutes <= 0 {
        return Err("login: every figure must be positive".into());
    }
    if f.audit.keep_days < AuditPolicy::MIN_KEEP_DAYS {
        return Err(format!(
            "audit: keep_days must be at least {} (网络安全法 §21: logs are kept six months at least)",
            AuditPolicy::MIN_KEEP_DAYS
        ));
    }
    Ok(f)
}

impl LoginPolicy {
    /// Reads the `[login]` table of `security.toml`.
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        parse_security_toml(text).map(|f| f.login)
    }
}

/// Refuses a password that is too easy to guess (等保: 口令复杂度): fewer than 8
/// characters, fewer than 3 of the 4 kinds (lower case, upper case, digits, others),
/// the username itself (in any case, or inside it), or one of the common passwords
/// shipped in `data/common-passwords.txt`.
pub fn check_password(username: &str, password: &str) -> Result<()> {
    let bad = |m: &str| Err(AppError::invalid("password", m.to_owned()));
    if password.chars().count() < 8 {
        return bad("密码至少8位");
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 3 {
        return bad("密码须包含大写字母、小写字母、数字、符号中的至少三类");
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return bad("密码不能包含用户名");
    }
    static COMMON: &str = include_str!("../data/common-passwords.txt");
    if COMMON.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|l| l == lower) {
        return bad("这是常见密码，容易被猜中，请换一个");
    }
    Ok(())
}

/// The roles that must log in with a second factor (等保 level 3): the three
/// administrators.
pub fn requires_totp(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::Admin | Role::SecurityAdmin | Role::Auditor))
}

/// What the security administrator does to an account.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum StaffChange {
    /// Create or update: name, unit, roles, and a password that passes the policy.
    Save {
        username: String,
        name: String,
        unit: String,
        roles: Vec<String>,
        password: String,
    },
    Deactivate {
        username: String,
    },
}

/// A new second factor, shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TotpEnrollment {
    /// Base32, to type into an authenticator app.
    pub secret: String,
    /// `otpauth://` URI, for a QR code.
    pub uri: String,
    /// Each logs in once in place of a code.
    pub recovery_codes: Vec<String>,
}

/// Where a request came from, for the security log: its address, if known.
pub type Address<'a> = Option<&'a str>;

const UNKNOWN: &str = "unknown";

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub staff: Staff,
    pub expires_at: Instant,
    /// The session may do nothing but change the password (`change_password`).
    pub must_change_password: bool,
}

/// A hash to verify against when the user does not exist, so a wrong username takes
/// as long as a wrong password.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

impl App {
    /// Logs in from `address` (the client's), under the lock-out rules, with a second
    /// factor (`otp`: the authenticator's code or a recovery code) when the account has
    /// one.
    pub fn login(&self, username: &str, password: &str, otp: Option<&str>, address: Address) -> Result<Session> {
        let typed: String = username.trim().chars().take(64).collect();
        let address = address.unwrap_or(UNKNOWN);
        let now = self.now();
        self.check_lockout(&typed, address, now)?;
        let name = Username::parse(&typed).ok();
        let rec = match &name {
            Some(n) => self.store.staff(n)?,
            None => None,
        };
        let ok = match &rec {
            Some(r) if r.active => verify_password(password, &r.password_hash),
            _ => {
                let _ = verify_password(password, dummy_hash());
                false
            }
        };
        let Some(rec) = rec.filter(|_| ok) else {
            return self.login_failed(&typed, address, now, "用户名或密码错误");
        };
        if let Some(secret) = rec.totp_secret.clone() {
            let Some(otp) = otp.map(str::trim).filter(|o| !o.is_empty()) else {
                return Err(AppError::OtpRequired);
            };
            let recovery = crate::totp::recovery_hash(otp);
            if crate::totp::verifies(&secret, otp, now.timestamp()) {
                // the authenticator's code
            } else if rec.recovery_codes.contains(&recovery) {
                let left: Vec<String> = rec.recovery_codes.iter().filter(|c| **c != recovery).cloned().collect();
                let n = left.len();
                self.store.put_staff(&yiwang_store::StaffRecord { recovery_codes: left, ..rec.clone() }, now)?;
                let detail = format!("用恢复码登录，还剩 {n} 个");
                self.security(now, "recovery_code_used", Some(rec.username.as_str()), Some(address), detail)?;
            } else {
                return self.login_failed(&typed, address, now, "动态口令错误");
            }
        }
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let expires_at = now + chrono::Duration::hours(self.config.session_hours);
        self.store.create_session(&token_hash(&token), &rec.username, now, expires_at)?;
        self.security(now, "login", Some(rec.username.as_str()), Some(address), "登录成功".into())?;
        let must_change_password = self.password_stale(&rec, now);
        Ok(Session {
            must_change_password,
            token,
            staff: Staff { username: rec.username, name: rec.name, unit: rec.unit, roles: rec.roles },
            expires_at,
        })
    }

    /// Notes a failed login, locks the account from `address` when that was one too
    /// many, and refuses.
    fn login_failed(&self, username: &str, address: &str, now: Instant, why: &str) -> Result<Session> {
        self.security(now, "login_failed", Some(username), Some(address), why.into())?;
        if self.failures_here(username, address, now)? >= self.config.login.max_failures {
            let minutes = self.config.login.lock_minutes;
            self.security(now, "locked_out", Some(username), Some(address), format!("从该地址锁定 {minutes} 分钟"))?;
        }
        Err(AppError::BadCredentials)
    }

    /// Appends to the security audit log.
    pub(crate) fn security(
        &self,
        at: Instant,
        kind: &str,
        username: Option<&str>,
        address: Option<&str>,
        detail: String,
    ) -> Result<()> {
        self.store.log_security(&SecurityEvent {
            id: 0,
            at,
            kind: kind.into(),
            username: username.map(str::to_owned),
            address: address.map(str::to_owned),
            detail,
        })?;
        // The login figures count what the security log records, as it records it.
        let m = &yiwang_metrics::AUTH;
        match kind {
            "login" => m.login_succeeded.inc(),
            "login_failed" => m.login_failed.inc(),
            "login_refused" => m.login_locked.inc(),
            "locked_out" => m.lockouts.inc(),
            _ => {}
        }
        Ok(())
    }

    /// The account's recent login events, newest first, back to its last unlock.
    fn recent_logins(&self, username: &str, now: Instant) -> Result<Vec<SecurityEvent>> {
        let p = &self.config.login;
        let since = now - chrono::Duration::minutes(p.window_minutes.max(p.lock_minutes));
        let q = SecurityQuery {
            username: Some(username.to_owned()),
            kinds: ["login", "login_failed", "locked_out", "unlocked"].map(String::from).to_vec(),
            since: Some(since),
            limit: 1000,
            ..Default::default()
        };
        let mut events = self.store.security_events(&q)?;
        if let Some(i) = events.iter().position(|e| e.kind == "unlocked") {
            events.truncate(i);
        }
        Ok(events)
    }

    /// Failures on the account from `address` in the window, since its last login there.
    fn failures_here(&self, username: &str, address: &str, now: Instant) -> Result<usize> {
        let since = now - chrono::Duration::minutes(self.config.login.window_minutes);
        Ok(self
            .recent_logins(username, now)?
            .iter()
            .filter(|e| e.address.as_deref() == Some(address))
            .take_while(|e| e.kind != "login")
            .filter(|e| e.kind == "login_failed" && e.at >= since)
            .count())
    }

    /// Refuses a login the lock-out rules hold back.
    fn check_lockout(&self, username: &str, address: &str, now: Instant) -> Result<()> {
        let p = &self.config.login;
        let events = self.recent_logins(username, now)?;
        let mut here =
            events.iter().filter(|e| e.address.as_deref() == Some(address)).take_while(|e| e.kind != "login");
        if let Some(locked) = here.find(|e| e.kind == "locked_out") {
            let until = locked.at + chrono::Duration::minutes(p.lock_minutes);
            if until > now {
                let left = (until - now).num_minutes() + 1;
                self.security(now, "login_refused", Some(username), Some(address), "账号在该地址已锁定".into())?;
                return Err(AppError::LockedOut(format!(
                    "登录失败次数过多，该账号在本机已锁定，请 {left} 分钟后再试，或请管理员解锁"
                )));
            }
        }
        let since = now - chrono::Duration::minutes(p.window_minutes);
        let failures: Vec<&SecurityEvent> =
            events.iter().filter(|e| e.kind == "login_failed" && e.at >= since).collect();
        if failures.len() >= p.throttle_failures {
            let wait = failures[0].at + chrono::Duration::seconds(p.throttle_seconds) - now;
            if wait > chrono::Duration::zero() {
                return Err(AppError::Throttled(format!(
                    "该账号近期登录失败次数过多，请 {} 秒后再试",
                    wait.num_seconds() + 1
                )));
            }
        }
        Ok(())
    }

    /// 解锁: the security administrator clears an account's lock-outs and throttling.
    pub fn unlock(&self, actor: &Actor, username: &str) -> Result<()> {
        if !actor.has_role(Role::SecurityAdmin) {
            return Err(AppError::Forbidden("只有安全管理员可以解锁账号".into()));
        }
        let name = Username::parse(username).map_err(|_| AppError::NotFound("账号"))?;
        self.store.staff(&name)?.ok_or(AppError::NotFound("账号"))?;
        self.security(self.now(), "unlocked", Some(name.as_str()), None, format!("由 {} 解锁", actor.label()))
    }

    /// 修改密码: the staff member behind `token` proves the old password and sets a new
    /// one, which must pass `check_password`; every other session of theirs ends.
    pub fn change_password(&self, token: &str, old: &str, new: &str, address: Address) -> Result<u64> {
        let rec = self.session_staff(token)?;
        let staff = Staff {
            username: rec.username.clone(),
            name: rec.name.clone(),
            unit: rec.unit.clone(),
            roles: rec.roles.clone(),
        };
        if !verify_password(old, &rec.password_hash) {
            return Err(AppError::invalid("old_password", "原密码不正确"));
        }
        if old == new {
            return Err(AppError::invalid("password", "新密码不能与原密码相同"));
        }
        check_password(staff.username.as_str(), new)?;
        let now = self.now();
        let changed = yiwang_store::StaffRecord {
            password_hash: hash_password(new)?,
            must_change_password: false,
            password_changed_at: Some(now),
            ..rec
        };
        self.store.put_staff(&changed, now)?;
        let ended = self.store.end_sessions(&staff.username, Some(&token_hash(token)))?;
        let detail = format!("修改密码，结束其他 {ended} 个会话");
        self.security(now, "password_changed", Some(staff.username.as_str()), address, detail)?;
        Ok(ended)
    }

    /// 启用动态口令: gives the staff member behind `token` a TOTP secret (to add to an
    /// authenticator app) and ten recovery codes, each shown this once. Every later
    /// login needs a code. Refused when one is set up already.
    pub fn totp_enroll(&self, token: &str, address: Address) -> Result<TotpEnrollment> {
        let rec = self.session_staff(token)?;
        if rec.totp_secret.is_some() {
            return Err(AppError::Conflict("动态口令已启用".into()));
        }
        let secret = crate::totp::new_secret();
        let (codes, hashes) = crate::totp::new_recovery_codes();
        let now = self.now();
        let name = rec.username.clone();
        let stored = yiwang_store::StaffRecord { totp_secret: Some(secret.clone()), recovery_codes: hashes, ..rec };
        self.store.put_staff(&stored, now)?;
        self.security(now, "totp_enrolled", Some(name.as_str()), address, "启用动态口令".into())?;
        let issuer = "yiwang";
        Ok(TotpEnrollment {
            uri: format!(
                "otpauth://totp/{issuer}:{name}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"
            ),
            secret,
            recovery_codes: codes,
        })
    }

    /// The security administrator's hand on accounts (三员分立): saving a staff member
    /// (`put_staff`) or deactivating one, through the API.
    pub fn manage_staff(&self, actor: &Actor, change: StaffChange) -> Result<()> {
        if !actor.has_role(Role::SecurityAdmin) {
            return Err(AppError::Forbidden("只有安全管理员可以管理账号和角色".into()));
        }
        match change {
            StaffChange::Save { username, name, unit, roles, password } => {
                let roles = roles
                    .iter()
                    .map(|r| Role::parse(r).map_err(|e| AppError::invalid("roles", e.rule)))
                    .collect::<Result<Vec<_>>>()?;
                self.put_staff(&username, &name, &unit, &roles, &password)?;
            }
            StaffChange::Deactivate { username } => {
                self.deactivate_staff(&username)?;
            }
        }
        Ok(())
    }

    /// 停用: the account can no longer log in, and its sessions end at once.
    pub fn deactivate_staff(&self, username: &str) -> Result<u64> {
        let name = Username::parse(username).map_err(|_| AppError::NotFound("账号"))?;
        let rec = self.store.staff(&name)?.ok_or(AppError::NotFound("账号"))?;
        let now = self.now();
        self.store.put_staff(&yiwang_store::StaffRecord { active: false, ..rec }, now)?;
        let ended = self.store.end_sessions(&name, None)?;
        self.security(now, "staff_deactivated", Some(name.as_str()), None, format!("账号停用，结束 {ended} 个会话"))?;
        Ok(ended)
    }

    /// Notes a refusal (403) in the security audit log: what was asked, from where, and
    /// by whom when the request carried a valid session.
    pub fn note_refusal(&self, token: Option<&str>, what: &str, address: Address) -> Result<()> {
        let who = token.and_then(|t| self.authenticate(t).ok()).map(|(s, _)| s.username.to_string());
        self.security(self.now(), "refused", who.as_deref(), address, format!("拒绝访问：{what}"))
    }

    /// Notes an export (its name and who made it) in the security audit log.
    pub fn note_export(&self, actor: &Actor, what: &str) -> Result<()> {
        self.security(self.now(), "export", actor.username(), None, format!("{} 导出 {what}", actor.label()))
    }

    /// The security audit log, newest first: for the security auditor alone (三员分立).
    pub fn security_log(&self, actor: &Actor, q: &SecurityQuery) -> Result<Vec<SecurityEvent>> {
        if !actor.has_role(Role::Auditor) {
            return Err(AppError::Forbidden("只有安全审计员可以查看安全审计日志".into()));
        }
        Ok(self.store.security_events(&SecurityQuery { limit: q.limit.clamp(1, 100_000), ..q.clone() })?)
    }

    pub fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        if let Some(s) = self.store.session(&hash)? {
            self.security(self.now(), "logout", Some(s.username.as_str()), None, "退出登录".into())?;
        }
        self.store.delete_session(&hash)?;
        Ok(())
    }

    /// Whether the staff member must change their password before anything else: it
    /// was set by an import, or it is older than `LoginPolicy::password_max_age_days`.
    fn password_stale(&self, rec: &yiwang_store::StaffRecord, now: Instant) -> bool {
        let expired = self
            .config
            .login
            .password_max_age_days
            .is_some_and(|days| rec.password_changed_at.is_none_or(|t| t + chrono::Duration::days(days) <= now));
        rec.must_change_password || expired
    }

    /// The staff member behind a token, as an actor core understands. A session ends
    /// at its absolute end, or after `LoginPolicy::idle_minutes` unused; its use is
    /// noted once a minute. A staff member who must change their password first is
    /// refused (`PasswordChangeRequired`) until they do.
    pub fn authenticate(&self, token: &str) -> Result<(Staff, Actor)> {
        let rec = self.session_staff(token)?;
        if self.password_stale(&rec, self.now()) {
            return Err(AppError::PasswordChangeRequired);
        }
        if requires_totp(&rec.roles) && rec.totp_secret.is_none() && !self.config.demo {
            return Err(AppError::TotpEnrollmentRequired);
        }
        // A 核验员 sees nothing else: refused here, before any use case runs, so that
        // no path that authenticates can forget to refuse them.
        if Role::only_verifies(&rec.roles) {
            return Err(AppError::VerifierOnly);
        }
        let staff = Staff { username: rec.username, name: rec.name, unit: rec.unit, roles: rec.roles };
        let actor = self.actor_for(&staff)?;
        Ok((staff, actor))
    }

    /// As `authenticate`, for the two things a 核验员 may do: verify a certificate and
    /// log out. Any staff member with `Role::Verifier` passes; others are refused.
    pub fn authenticate_verifier(&self, token: &str) -> Result<(Staff, Actor)> {
        let rec = self.session_staff(token)?;
        if self.password_stale(&rec, self.now()) {
            return Err(AppError::PasswordChangeRequired);
        }
        if !rec.roles.contains(&Role::Verifier) {
            return Err(AppError::Forbidden("只有核验员可以在工作台核验电子证照".into()));
        }
        let staff = Staff { username: rec.username, name: rec.name, unit: rec.unit, roles: rec.roles };
        let actor = self.actor_for(&staff)?;
        Ok((staff, actor))
    }

    /// The staff record behind a live session (see `authenticate`).
    fn session_staff(&self, token: &str) -> Result<yiwang_store::StaffRecord> {
        let hash = token_hash(token);
        let s = self.store.session(&hash)?.ok_or(AppError::Unauthenticated)?;
        let now = self.now();
        let idle = chrono::Duration::minutes(self.config.login.idle_minutes);
        if s.expires_at <= now || s.last_seen_at + idle <= now {
            return Err(AppError::Unauthenticated);
        }
        let rec = self.store.staff(&s.username)?.filter(|r| r.active).ok_or(AppError::Unauthenticated)?;
        if now - s.last_seen_at >= chrono::Duration::minutes(1) {
            self.store.touch_session(&hash, now)?;
        }
        Ok(rec)
    }

    pub fn actor_for(&self, staff: &Staff) -> Result<Actor> {
        let kind = self.reference().org.get(&staff.unit).map(|u| u.kind).ok_or_else(|| {
            AppError::Internal(format!("staff {} belongs to unknown unit {}", staff.username, staff.unit))
        })?;
        Ok(Actor::staff(staff, kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_mixed_and_uncommon() {
        for ok in ["Lu7#deng-buliang", "湖畔路Lamp42", "x9!Kq2pzR"] {
            assert!(check_password("operator1", ok).is_ok(), "{ok}");
        }
        let refused = [
            ("Ab1!xyz", "至少8位"),
            ("abcdefgh12", "至少三类"),
            ("yiwang2026", "至少三类"),
            ("Operator1!x", "用户名"),
            ("P@ssw0rd", "常见密码"),
            ("Admin@123", "常见密码"),
            ("1QAZ@wsx", "常见密码"),
        ];
        for (bad, why) in refused {
            match check_password("operator1", bad) {
                Err(AppError::Invalid { message, .. }) => assert!(message.contains(why), "{bad}: {message}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
