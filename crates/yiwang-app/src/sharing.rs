//! 一网共享's access (core's `access` and `read_log`): requests and grants, the
//! scoped credential a grant issues, the consumer's reads, and every read kept as
//! evidence.
//!
//! - A request is a case of kind `access`; the case, once granted, is the grant. Its
//!   credential is made here (32 random bytes, shown once, like an API key); only its
//!   SHA-256 is on the grant's chain and in its detail document, which is how a read
//!   finds its grant (`CaseQuery::detail`), with no table of its own.
//! - A read is answered only once its entry is committed: one event on the grant's
//!   read log of the day (kind `read_log`, `readlog:<grant>:<day>`), with the hash of
//!   the body as sent (SHA-256, SM3 when the keyring signs with SM2, i.e. under
//!   `--crypto gm`). The day's log is kept in memory between reads, so a read appends
//!   without loading its chain; a write by another process shows as a conflict, and the
//!   log is loaded again.
//! - X-Road's rule: if no checkpoint could be signed for longer than
//!   `[sharing] unsigned_reads_max_minutes`, reads answer `signing_unavailable`
//!   rather than go on unsigned. `App::checkpoint` records each success.
//! - Each person whose data a read returned gets an access-log entry (`share_read …`),
//!   sealed by the checkpoints like a phone reveal; a citizen logged in by phone sees
//!   them (`my_reads`, 个人信息保护法 §44: the right to know).

use crate::applicant::Applicant;
use crate::catalogue::{ReadQuery, RecordPage};
use crate::{App, AppError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use yiwang_core::access::{self, Access, AccessKind, AccessStatus, NewAccess, OfferedField};
use yiwang_core::calendar::civil_date;
use yiwang_core::case::{Case, Events, Kind, Refusal};
use yiwang_core::chain::HashAlg;
use yiwang_core::id::{CaseId, PersonId, UnitCode};
use yiwang_core::org::{Actor, Role};
use yiwang_core::read_log::{self, NewReadLog, ReadEntry, ReadLog, ReadLogKind};
use yiwang_core::share::Resource;
use yiwang_store::{AccessEntry, AppendBatch, CaseQuery, ListOrder, NewCase, StoreError};

/// The access-log entries of reads start with this.
pub const READ_ACCESS: &str = "share_read";

/// What the app keeps in memory for sharing: the last signed checkpoint's time, each
/// grant's reads in the current minute, and each grant's read log of the day.
pub struct SharingState {
    /// Milliseconds since the epoch of the last successful checkpoint (or of the
    /// start: a server just started has had no chance to sign yet).
    signed_at: AtomicI64,
    rate: Mutex<HashMap<CaseId, (i64, u32)>>,
    logs: Mutex<HashMap<CaseId, Case>>,
}

impl SharingState {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        SharingState {
            signed_at: AtomicI64::new(now.timestamp_millis()),
            rate: Default::default(),
            logs: Default::default(),
        }
    }
}

/// What a consuming unit asks.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessInput {
    /// The consuming system's name (e.g. 区人社局就业补贴系统).
    pub system: String,
    /// 资源代码.
    pub resource: String,
    pub fields: Vec<String>,
    /// Personal fields asked for unmasked (among `fields`).
    #[serde(default)]
    pub unmasked: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// An answer or a revocation, as people give it (the credential is the app's).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccessAction {
    /// 同意; `fields` fewer than asked to narrow.
    Approve {
        opinion: String,
        #[serde(default)]
        fields: Option<Vec<String>>,
        #[serde(default)]
        unmasked: Option<Vec<String>>,
    },
    /// 不予同意.
    Refuse { reason: String },
    /// 撤销授权.
    Revoke { reason: String },
    /// 签发凭证 (the consuming unit): a new credential, shown once; the one before
    /// stops reading.
    IssueCredential,
}

/// A request as pages show it; `credential` only in the answer that made it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessView {
    pub access: Access,
    pub status_label: &'static str,
    pub owner_name: String,
    pub consumer_name: String,
    /// What the viewer may do now: `approve`, `refuse`, `revoke`, `issue_credential`.
    pub actions: Vec<&'static str>,
    /// The credential, shown once, to the consuming unit only: in the answer to a
    /// request granted at once, or to its 签发凭证; never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Why a read was refused: a stable code and a message.
fn refuse(code: &'static str, message: &str) -> AppError {
    AppError::Refused(Refusal::rule(code, message))
}

/// One line of a resource's usage: a consumer's reads.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    pub resource: String,
    pub consumer: String,
    pub consumer_name: String,
    pub system: String,
    pub grant: String,
    pub days: u32,
    pub reads: u64,
    pub rows: u64,
    pub last_day: NaiveDate,
}

/// A read of a citizen's data, as they see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalRead {
    pub at: DateTime<Utc>,
    /// The department that read.
    pub department: String,
    pub system: String,
    pub resource: String,
}

/// A read's answer: the body exactly as hashed and logged.
#[derive(Debug, Clone)]
pub struct SharedPage {
    pub body: String,
    pub rows: u32,
    pub log: CaseId,
    /// The body's hash as logged (`sha256:…` or `sm3:…`).
    pub digest: String,
}

fn credential_hash(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

fn new_credential() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("yws_{}", hex::encode(b))
}

/// A personal value masked: a phone or ID number keeps its ends (`138****0000`),
/// a name its family name (`张*`); what else is personal becomes `***`.
pub fn mask_value(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Null => Value::Null,
        Value::String(s) => {
            let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
            Value::String(if digits == 11 && s.chars().count() == 11 {
                yiwang_core::id::mask_phone(s)
            } else if digits >= 7 {
                yiwang_core::id::mask_personal(s, &[])
            } else if s.chars().count() <= 4 {
                yiwang_core::id::mask_name(s)
            } else {
                let first: String = s.chars().take(1).collect();
                format!("{first}***")
            })
        }
        _ => Value::String("***".into()),
    }
}

impl App {
    /// Records that a checkpoint was signed (or that there was nothing to sign and
    /// the keyring could): reads may go on.
    pub(crate) fn signing_succeeded(&self, at: DateTime<Utc>) {
        self.sharing.signed_at.store(at.timestamp_millis(), Ordering::Relaxed);
    }

    /// When a checkpoint was last signed successfully.
    pub fn last_signed_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.sharing.signed_at.load(Ordering::Relaxed)).unwrap_or_default()
    }

    /// The 数据局: the district's unit, whose 数据专员 see every request.
    fn bureau(&self) -> Option<UnitCode> {
        self.reference().org.district().map(|d| d.code.clone())
    }

    /// 共享申请: by the consuming unit's 数据专员 or head. A 无条件共享 resource is
    /// granted at once (the view carries the credential, shown once); a 不予共享
    /// one refused at once.
    pub fn request_access(&self, actor: &Actor, input: AccessInput) -> Result<AccessView> {
        let Actor::Staff { unit, .. } = actor else {
            return Err(AppError::Forbidden("共享申请由使用部门的工作人员提出".into()));
        };
        let resource: Resource = self.resource(input.resource.trim())?;
        let credential = new_credential();
        let n = NewAccess {
            system: input.system.clone(),
            consumer: unit.clone(),
            resource: resource.code.to_string(),
            resource_name: resource.name.clone(),
            owner: resource.owner.clone(),
            share: resource.share,
            conditions: resource.conditions.clone(),
            offered: resource
                .fields
                .iter()
                .map(|f| OfferedField { name: f.name.clone(), personal: f.personal })
                .collect(),
            fields: input.fields.clone(),
            unmasked: input.unmasked.clone(),
            purpose: input.purpose.clone(),
            legal_basis: input.legal_basis.clone(),
            from: input.from,
            to: input.to,
            bureau: self.bureau(),
            credential: credential_hash(&credential),
        };
        let r = self.reference();
        let now = self.now();
        let events = access::open(&n, &self.context(&r, actor, now))?;
        let granted = events.iter().any(|e| matches!(e, access::AccessEvent::Granted { .. }));
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<AccessKind>(events),
            notices: vec![],
            idempotency: None,
        };
        // Through the live feeds, as every creation: the request's opening goes to the
        // event stream and the webhooks with its later events.
        let a =
            self.create_case(case).wait()?.into_state::<AccessKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let mut view = self.access_view_of(actor, a);
        view.credential = granted.then_some(credential);
        Ok(view)
    }

    /// One request, for someone who may see it.
    pub fn access_view(&self, actor: &Actor, id: &CaseId) -> Result<AccessView> {
        let case = self.load_case(id)?;
        if !case.is::<AccessKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(AccessKind::LABEL));
        }
        let a = case.into_state::<AccessKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        Ok(self.access_view_of(actor, a))
    }

    fn access_view_of(&self, actor: &Actor, a: Access) -> AccessView {
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        let probe = |c: &access::Command| access::decide(&a, c, &ctx).is_ok();
        let mut actions = vec![];
        let approve = access::Command::Approve { opinion: "同意".into(), fields: None, unmasked: None };
        if probe(&approve) {
            actions.push("approve");
        }
        if probe(&access::Command::Refuse { reason: "不同意".into() }) {
            actions.push("refuse");
        }
        if probe(&access::Command::Revoke { reason: "撤销".into() }) {
            actions.push("revoke");
        }
        if probe(&access::Command::IssueCredential { credential: String::new() }) {
            actions.push("issue_credential");
        }
        AccessView {
            status_label: a.status.label(),
            owner_name: r.unit_name(&a.owner),
            consumer_name: r.unit_name(&a.consumer),
            actions,
            credential: None,
            access: a,
        }
    }

    /// Approves (narrowing or not), refuses, revokes, or issues the consumer a
    /// credential. An approval makes none (the owner is not the one to read): the
    /// consumer issues its own, and 签发凭证's view carries it, shown once.
    pub fn act_on_access(&self, actor: &Actor, id: &CaseId, action: AccessAction) -> Result<AccessView> {
        let mut credential = None;
        let command = match action {
            AccessAction::Approve { opinion, fields, unmasked } => {
                access::Command::Approve { opinion, fields, unmasked }
            }
            AccessAction::Refuse { reason } => access::Command::Refuse { reason },
            AccessAction::Revoke { reason } => access::Command::Revoke { reason },
            AccessAction::IssueCredential => {
                let c = new_credential();
                let hash = credential_hash(&c);
                credential = Some(c);
                access::Command::IssueCredential { credential: hash }
            }
        };
        let a = self.act_on::<AccessKind>(actor, id, &command)?;
        if let Some(pending) = self.sharing.logs.lock().ok().as_mut() {
            pending.remove(id);
        }
        let mut view = self.access_view_of(actor, a);
        view.credential = credential;
        Ok(view)
    }

    /// Requests the actor's unit may see: `role` `owner` (to answer), `consumer`
    /// (its own) or any; `status` one of the statuses, or all.
    pub fn access_requests(&self, actor: &Actor, role: Option<&str>, status: Option<&str>) -> Result<Vec<AccessView>> {
        let Actor::Staff { unit, .. } = actor else {
            return Err(AppError::Forbidden("请以工作人员身份登录".into()));
        };
        let mut detail = vec![];
        match role {
            Some("owner") => detail.push(("owner", serde_json::json!(unit.to_string()))),
            Some("consumer") => detail.push(("consumer", serde_json::json!(unit.to_string()))),
            _ => {}
        }
        let statuses = match status {
            Some(s) => vec![
                AccessStatus::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| AppError::invalid("status", "未知的状态"))?
                    .as_str(),
            ],
            None => vec![],
        };
        let q = CaseQuery {
            kind: Some(AccessKind::NAME),
            visible_to: Some(unit.clone()),
            detail,
            statuses,
            limit: 200,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            if let Ok(a) = self.load_as::<AccessKind>(&row.id) {
                out.push(self.access_view_of(actor, a));
            }
        }
        Ok(out)
    }

    /// Reads a shared resource with a grant's credential. Fields outside the grant
    /// are dropped and personal ones masked unless granted unmasked; the read is
    /// logged (and committed) before the body is returned.
    pub fn read_shared(&self, credential: &str, resource: &str, query: &ReadQuery) -> Result<SharedPage> {
        let now = self.now();
        let grant = self.grant_of(credential)?;
        match grant.status {
            AccessStatus::Revoked => return Err(refuse("grant_revoked", "该授权已被撤销")),
            AccessStatus::Expired => return Err(refuse("grant_expired", "该授权已到期")),
            AccessStatus::Granted => {}
            _ => return Err(refuse("credential_invalid", "凭证无效")),
        }
        if now >= grant.ends_at() {
            return Err(refuse("grant_expired", "该授权已到期"));
        }
        if now < grant.starts_at() {
            return Err(refuse("grant_not_started", format!("该授权自 {} 起生效", grant.from).as_str()));
        }
        if grant.resource != resource {
            return Err(refuse("grant_scope", "该凭证不能读取此信息资源"));
        }
        self.take_rate(&grant, now)?;
        let max = i64::from(self.config.limits.sharing.unsigned_reads_max_minutes) * 60_000;
        if now.timestamp_millis() - self.sharing.signed_at.load(Ordering::Relaxed) > max {
            return Err(refuse("signing_unavailable", "存证签名服务不可用，暂停共享读取"));
        }
        let r = self.resource(resource)?;
        let page = self.read_resource(&r, query)?;
        let (body, rows, persons) = shape_page(&r, &grant, &page)?;
        let alg = match self.config.keyring.current_alg() {
            crate::keyring::SignAlg::Sm2 => HashAlg::Sm3,
            _ => HashAlg::Sha256,
        };
        let digest = format!("{}:{}", alg.as_str(), alg.hex(&[body.as_bytes()]));
        let filter = serde_json::json!({
            "since": query.since,
            "after": query.after,
            "limit": query.limit,
        })
        .to_string();
        let entry = ReadEntry { filter, rows, digest: digest.clone(), persons: persons.clone() };
        let log = self.record_read(&grant, entry, now)?;
        let actor = format!("share:{}:{}", grant.consumer, grant.system);
        for p in persons {
            self.store.log_access(&AccessEntry {
                at: now,
                actor: actor.clone(),
                case: Some(log.clone()),
                person: Some(p),
                what: format!("{READ_ACCESS} {} {}", grant.resource, grant.id),
            })?;
        }
        Ok(SharedPage { body, rows, log, digest })
    }

    /// The grant a credential belongs to.
    fn grant_of(&self, credential: &str) -> Result<Access> {
        let credential = credential.trim();
        if credential.is_empty() || credential.len() > 200 {
            return Err(refuse("credential_invalid", "凭证无效"));
        }
        let q = CaseQuery {
            kind: Some(AccessKind::NAME),
            detail: vec![("credential", serde_json::json!(credential_hash(credential)))],
            limit: 1,
            ..Default::default()
        };
        let Some(row) = self.store.list_cases(&q)?.rows.into_iter().next() else {
            return Err(refuse("credential_invalid", "凭证无效"));
        };
        self.load_as::<AccessKind>(&row.id)
    }

    /// A grant's reads in this minute (on the injected clock): past its rate, refused.
    fn take_rate(&self, grant: &Access, now: DateTime<Utc>) -> Result<()> {
        let minute = now.timestamp().div_euclid(60);
        let mut m = self.sharing.rate.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, (at, _)| *at == minute);
        }
        let slot = m.entry(grant.id.clone()).or_insert((minute, 0));
        if slot.0 != minute {
            *slot = (minute, 0);
        }
        if slot.1 >= grant.rate_per_minute.max(1) {
            return Err(refuse("rate_limited", &format!("读取过于频繁：每分钟最多 {} 次", grant.rate_per_minute)));
        }
        slot.1 += 1;
        Ok(())
    }

    /// Appends the read to the grant's log of the day (opening it with the first),
    /// from the log kept in memory; a conflict loads it again.
    fn record_read(&self, grant: &Access, entry: ReadEntry, now: DateTime<Utc>) -> Result<CaseId> {
        let day = civil_date(now);
        let actor = Actor::Client { name: format!("{}（{}）", grant.system, grant.consumer) };
        let r = self.reference();
        for _ in 0..5 {
            let cached = {
                let logs = self.sharing.logs.lock().unwrap_or_else(|p| p.into_inner());
                logs.get(&grant.id)
                    .filter(|c| c.state::<ReadLogKind>().is_some_and(|l: &ReadLog| l.day == day))
                    .cloned()
            };
            let case = match cached {
                Some(c) => c,
                None => match self.store.find_by_tracking_code(&read_log::tracking_code(&grant.id, day))? {
                    Some(id) => self.load_case(&id)?,
                    None => {
                        let n = NewReadLog {
                            grant: grant.id.clone(),
                            resource: grant.resource.clone(),
                            system: grant.system.clone(),
                            consumer: grant.consumer.clone(),
                            owner: grant.owner.clone(),
                            bureau: grant.bureau.clone(),
                            day,
                        };
                        let mut events = read_log::open(&n, &self.context(&r, &actor, now))?;
                        events.push(read_log::ReadLogEvent::Read(entry.clone()));
                        let new = NewCase {
                            tenant: r.tenant.clone(),
                            at: now,
                            actor: actor.clone(),
                            person: None,
                            events: Events::new::<ReadLogKind>(events),
                            notices: vec![],
                            idempotency: None,
                        };
                        // Through the live feeds, as every creation and append.
                        match self.create_case(new).wait() {
                            Ok(c) => {
                                let id = c.id().clone();
                                self.remember_log(grant, c);
                                return Ok(id);
                            }
                            // Another read opened the day's log first: append to it.
                            Err(StoreError::Duplicate(_)) => continue,
                            Err(e) => return Err(e.into()),
                        }
                    }
                },
            };
            let state = case.state::<ReadLogKind>().ok_or_else(|| crate::case::wrong_kind(case.id()))?;
            let events =
                read_log::decide(state, &read_log::Command::Record(entry.clone()), &self.context(&r, &actor, now))?;
            let events = Events::new::<ReadLogKind>(events);
            let feed = self.feed_notices(Some(&case), &events, None, now, &actor);
            let mut batch = AppendBatch::new(r.tenant.clone(), case, now, actor.clone(), events);
            batch.notices.extend(feed);
            match self.store.append(batch).wait() {
                Ok(c) => {
                    let id = c.id().clone();
                    self.remember_log(grant, c);
                    return Ok(id);
                }
                Err(StoreError::Conflict { .. }) => {
                    self.sharing.logs.lock().unwrap_or_else(|p| p.into_inner()).remove(&grant.id);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy)
    }

    fn remember_log(&self, grant: &Access, c: Case) {
        let mut logs = self.sharing.logs.lock().unwrap_or_else(|p| p.into_inner());
        if logs.len() > 10_000 {
            logs.clear();
        }
        logs.insert(grant.id.clone(), c);
    }

    /// The demo's sharing: 人社局 granted the register (narrowed: no legal
    /// representative) by 市场监管局, and 卫健委's request for the hotline's full
    /// cases waiting for the centre. 人社局's 数据专员 issues its system's credential
    /// on the grant's page (签发访问凭证); 卫健委's does once the centre approves.
    pub(crate) fn seed_sharing(&self) -> Result<()> {
        use crate::demo::staff;
        use yiwang_core::org::UnitKind;
        let today = civil_date(self.now());
        let ask = |who: &Actor, resource: &str, system: &str, fields: &[&str], purpose: &str, basis: &str| {
            self.request_access(
                who,
                AccessInput {
                    system: system.into(),
                    resource: resource.into(),
                    fields: fields.iter().map(|f| f.to_string()).collect(),
                    unmasked: vec![],
                    purpose: purpose.into(),
                    legal_basis: basis.into(),
                    from: today,
                    to: today + chrono::Duration::days(365),
                },
            )
        };
        let rsj = staff("rsj-data", "rsj", UnitKind::Department, &[Role::DataOfficer]);
        let v = ask(
            &rsj,
            "YXQ-SC-0001",
            "就业补贴审核系统",
            &["code", "name", "industry", "street", "credit_class", "legal_representative"],
            "核验申请稳岗补贴、一次性吸纳就业补贴的企业的登记状态和信用分类",
            "《就业促进法》第十八条；《政务数据共享条例》第十二条",
        )?;
        let scjgj = staff("scjgj-data", "scjgj", UnitKind::Department, &[Role::DataOfficer]);
        self.act_on_access(
            &scjgj,
            &v.access.id,
            AccessAction::Approve {
                opinion: "同意共享登记和信用分类信息；法定代表人信息与核验用途无关，不予提供".into(),
                fields: Some(vec![
                    "code".into(),
                    "name".into(),
                    "industry".into(),
                    "street".into(),
                    "credit_class".into(),
                ]),
                unmasked: None,
            },
        )?;
        let wjw = staff("wjw-data", "wjw", UnitKind::Department, &[Role::DataOfficer]);
        ask(
            &wjw,
            "YXQ-RX-0002",
            "卫生健康投诉处置系统",
            &["id", "status", "category", "street", "opened_at", "outcome"],
            "对涉及医疗卫生的12345诉求开展专项分析和督办",
            "《基本医疗卫生与健康促进法》第八十六条",
        )?;
        Ok(())
    }

    /// Who read the resources of the actor's unit (the 数据局: of every unit), how
    /// often and how much, over the last `days` days; one line per grant.
    pub fn share_usage(&self, actor: &Actor, days: u32) -> Result<Vec<UsageRow>> {
        let Actor::Staff { unit, .. } = actor else {
            return Err(AppError::Forbidden("请以工作人员身份登录".into()));
        };
        let bureau = self.bureau().as_ref() == Some(unit) && actor.has_role(Role::DataOfficer);
        let from = self.now() - chrono::Duration::days(i64::from(days.clamp(1, 366)));
        let mut lines: BTreeMap<String, UsageRow> = BTreeMap::new();
        let mut after = None;
        let r = self.reference();
        loop {
            let q = CaseQuery {
                kind: Some(ReadLogKind::NAME),
                visible_to: Some(unit.clone()),
                detail: if bureau { vec![] } else { vec![("owner", serde_json::json!(unit.to_string()))] },
                opened_from: Some(from),
                order: ListOrder::ById { after: after.clone() },
                limit: 500,
                ..Default::default()
            };
            let page = self.store.list_cases(&q)?;
            let Some(last) = page.rows.last() else { break };
            after = Some(last.id.clone());
            let n = page.rows.len();
            for row in page.rows {
                let Ok(d) = serde_json::from_str::<read_log::ReadLogDetail>(&row.detail) else { continue };
                let line = lines.entry(d.grant.clone()).or_insert_with(|| UsageRow {
                    resource: d.resource.clone(),
                    consumer_name: UnitCode::parse(&d.consumer).map(|u| r.unit_name(&u)).unwrap_or_default(),
                    consumer: d.consumer.clone(),
                    system: d.system.clone(),
                    grant: d.grant.clone(),
                    days: 0,
                    reads: 0,
                    rows: 0,
                    last_day: d.day,
                });
                line.days += 1;
                line.reads += u64::from(d.reads);
                line.rows += d.rows;
                line.last_day = line.last_day.max(d.day);
            }
            if n < 500 {
                break;
            }
        }
        let mut out: Vec<UsageRow> = lines.into_values().collect();
        out.sort_by(|a, b| (&a.resource, b.reads).cmp(&(&b.resource, a.reads)));
        Ok(out)
    }

    /// Which departments read the applicant's data, and when (个人信息保护法 §44):
    /// the access-log entries of reads that returned a person row of their phone.
    pub fn my_reads(&self, who: &Applicant) -> Result<Vec<PersonalRead>> {
        let digest = self.phone_digest(&who.phone);
        let entries = self.store.accesses_by_phone(&digest, READ_ACCESS, 200)?;
        let r = self.reference();
        let mut out = vec![];
        for e in entries {
            // `share:<unit>:<system>`, as `read_shared` writes it.
            let mut parts = e.actor.splitn(3, ':');
            let (_, unit, system) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let resource = e.what.split(' ').nth(1).unwrap_or("").to_owned();
            let resource = self.resource(&resource).map(|x| x.name).unwrap_or(resource);
            out.push(PersonalRead {
                at: e.at,
                department: UnitCode::parse(unit).map(|u| r.unit_name(&u)).unwrap_or_else(|_| unit.to_owned()),
                system: system.to_owned(),
                resource,
            });
        }
        Ok(out)
    }
}

/// The page as the grant may see it: granted fields only, personal ones masked
/// unless granted unmasked; the body's JSON, its row count, and the people in it.
fn shape_page(r: &Resource, grant: &Access, page: &RecordPage) -> Result<(String, u32, Vec<PersonId>)> {
    let mut records = Vec::with_capacity(page.records.len());
    for rec in &page.records {
        let mut out = serde_json::Map::new();
        for f in r.fields.iter().filter(|f| grant.fields.contains(&f.name)) {
            let v = rec.get(&f.name).cloned().unwrap_or(serde_json::Value::Null);
            let v = if f.personal && !grant.unmasked.contains(&f.name) { mask_value(&v) } else { v };
            out.insert(f.name.clone(), v);
        }
        records.push(serde_json::Value::Object(out));
    }
    let mut persons: Vec<PersonId> = page.person_ids.iter().flatten().copied().collect();
    persons.sort_by_key(|p| p.0);
    persons.dedup();
    let rows = records.len() as u32;
    let body = serde_json::json!({
        "resource": r.code.to_string(),
        "grant": grant.id.to_string(),
        "records": records,
        "next": page.next,
    });
    let body = serde_json::to_string(&body).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((body, rows, persons))
}
