//! 企业授权: a window records that a phone may act for an enterprise (core's
//! `authorisation`), and the applicant portal checks it on every act for one.

use crate::applicant::Applicant;
use crate::{App, CitizenInput};
use crate::{AppError, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yiwang_core::application::Enterprise;
use yiwang_core::authorisation::{self, Authorisation, AuthorisationKind, NewAuthorisation};
use yiwang_core::case::{Events, Kind};
use yiwang_core::id::{CaseId, CreditCode, PhoneNumber};
use yiwang_core::org::Actor;
use yiwang_store::{CaseQuery, NewCase};

/// What the window records.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorisationInput {
    /// 统一社会信用代码.
    pub enterprise: String,
    pub enterprise_name: String,
    /// What was checked (授权委托书 No., 营业执照 …).
    pub document: String,
    /// The last day the agent may act.
    pub valid_until: NaiveDate,
    /// The agent (经办人): name and mobile phone, with which they log in.
    pub agent: CitizenInput,
}

/// A binding as pages show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorisationView {
    pub authorisation: Authorisation,
    pub status_label: &'static str,
    pub unit_name: String,
    /// The agent's name and phone, masked.
    pub agent: String,
    pub in_force: bool,
}

impl App {
    /// 授权登记, by a window clerk who checked the enterprise's authorisation.
    pub fn grant_authorisation(&self, actor: &Actor, input: AuthorisationInput) -> Result<Authorisation> {
        let enterprise = CreditCode::parse(input.enterprise.trim())
            .map_err(|e| AppError::invalid("enterprise", format!("统一社会信用代码{}", e.rule)))?;
        let person = self.person_data(&input.agent, "agent")?;
        let mobile = input.agent.phone.as_deref().and_then(|p| PhoneNumber::parse(p.trim()).ok());
        if person.as_ref().is_none_or(|p| p.name.is_none()) || !mobile.is_some_and(|p| p.is_mobile()) {
            return Err(AppError::invalid(
                "agent",
                "请填写被授权人（经办人）的姓名和11位手机号，他将用该手机号登录办事",
            ));
        }
        let now = self.now();
        let r = self.reference();
        let n = NewAuthorisation {
            enterprise,
            enterprise_name: input.enterprise_name,
            document: input.document,
            valid_until: input.valid_until,
        };
        let events = authorisation::open(&n, &self.context(&r, actor, now))?;
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person,
            events: Events::new::<AuthorisationKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?.into_state::<AuthorisationKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// One binding, for staff who may see it.
    pub fn authorisation_view(&self, actor: &Actor, id: &CaseId) -> Result<AuthorisationView> {
        let a = self.load_as::<AuthorisationKind>(id)?;
        if !actor.has_role(yiwang_core::org::Role::Clerk)
            && !matches!(actor, Actor::Staff { unit, .. } if *unit == a.unit)
        {
            return Err(AppError::NotFound("企业授权"));
        }
        self.view_of(a)
    }

    fn view_of(&self, a: Authorisation) -> Result<AuthorisationView> {
        let agent = match a.person {
            Some(p) => match self.store.person(p)? {
                Some(p) if p.erased_at.is_none() => format!(
                    "{} {}",
                    p.data.name.unwrap_or_default(),
                    p.data
                        .phone
                        .as_deref()
                        .and_then(|x| PhoneNumber::parse(x).ok())
                        .map(|x| x.masked())
                        .unwrap_or_default()
                ),
                _ => "（个人信息已删除）".into(),
            },
            None => String::new(),
        };
        Ok(AuthorisationView {
            status_label: a.status.label(),
            unit_name: self.reference().unit_name(&a.unit),
            in_force: a.in_force(self.now()),
            agent,
            authorisation: a,
        })
    }

    /// 解除授权, by a clerk.
    pub fn revoke_authorisation(&self, actor: &Actor, id: &CaseId, reason: &str) -> Result<AuthorisationView> {
        self.load_as::<AuthorisationKind>(id)?;
        let c = authorisation::Command::Revoke { reason: reason.into() };
        let a = self.act_on::<AuthorisationKind>(actor, id, &c)?;
        self.view_of(a)
    }

    /// The bindings of the applicant's phone, newest first (in force or not).
    pub fn my_authorisations(&self, who: &Applicant) -> Result<Vec<AuthorisationView>> {
        let q = CaseQuery {
            kind: Some(AuthorisationKind::NAME),
            phone_digest: Some(self.phone_digest(&who.phone)),
            limit: 100,
            ..Default::default()
        };
        let mut out = vec![];
        for row in self.store.list_cases(&q)?.rows {
            out.push(self.view_of(self.load_as::<AuthorisationKind>(&row.id)?)?);
        }
        Ok(out)
    }

    /// The agent ends their own binding.
    pub fn revoke_my_authorisation(&self, who: &Applicant, id: &CaseId, reason: &str) -> Result<AuthorisationView> {
        let mine = self.my_authorisations(who)?;
        if !mine.iter().any(|v| v.authorisation.id == *id) {
            return Err(AppError::NotFound("您的这项企业授权"));
        }
        let c = authorisation::Command::Revoke { reason: reason.into() };
        let a = self.act_on::<AuthorisationKind>(&Actor::Citizen, id, &c)?;
        self.view_of(a)
    }

    /// The enterprise `code`, when the applicant's phone is bound to it now; refused
    /// otherwise. Every act for an enterprise goes through here.
    pub fn bound_enterprise(&self, who: &Applicant, code: &str) -> Result<Enterprise> {
        let code = CreditCode::parse(code.trim())
            .map_err(|e| AppError::invalid("enterprise", format!("统一社会信用代码{}", e.rule)))?;
        let now = self.now();
        let q = CaseQuery {
            kind: Some(AuthorisationKind::NAME),
            phone_digest: Some(self.phone_digest(&who.phone)),
            open: Some(true),
            detail: vec![("enterprise", serde_json::json!(code.to_string()))],
            limit: 20,
            ..Default::default()
        };
        for row in self.store.list_cases(&q)?.rows {
            let a = self.load_as::<AuthorisationKind>(&row.id)?;
            if a.in_force(now) {
                return Ok(Enterprise { code: a.enterprise, name: a.enterprise_name });
            }
        }
        // The register's contact phone (its legal representative's) acts for it too.
        if let Some(name) = self.register_contact(who, &code)? {
            return Ok(Enterprise { code, name });
        }
        Err(AppError::Forbidden(format!(
            "您的手机号未获企业 {code} 授权或授权已失效：请持授权委托书到政务服务窗口办理企业授权"
        )))
    }
}
