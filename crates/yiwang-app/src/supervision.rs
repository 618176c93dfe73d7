//! The supervision dashboard (一网通管 and 免申即享): the register by credit class and
//! street, with each enterprise's place for the map; and for every kind of the
//! supervision network — plans, inspections, rectifications, 信用修复, policies and
//! grants — its cases by status, with how many ran late. Read from projections
//! alone, generically: a kind the store does not know is left out.

use crate::{App, AppError, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use yiwang_core::deadline::Stage;
use yiwang_core::enterprise::{CreditClass, Profile};
use yiwang_core::org::{Actor, Role};
use yiwang_store::CaseQuery;

/// The kinds of the supervision network, in the dashboard's order.
pub const SUPERVISION_KINDS: [&str; 6] = ["plan", "inspection", "rectification", "credit_repair", "policy", "grant"];

/// One kind's cases by status.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCounts {
    pub kind: &'static str,
    pub label: &'static str,
    pub total: u64,
    /// (status, its label, cases)
    pub by_status: Vec<(String, &'static str, u64)>,
    /// Open cases whose clock is red.
    pub overdue: u64,
    /// Sums of the kind's detail columns that the dashboard reads (`SUMMED`): (what
    /// it is, the sum over the cases that have it, those cases). A `true` counts 1.
    pub sums: Vec<(&'static str, f64, u64)>,
    /// An inspection's result (`outcome`): (its label, inspections).
    pub by_result: Vec<(&'static str, u64)>,
}

/// The register's figures.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterCounts {
    pub total: u64,
    pub abnormal: u64,
    /// Class → enterprises.
    pub by_class: BTreeMap<String, u64>,
    /// Street (unit code) → class → enterprises.
    pub by_street: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionBoard {
    pub register: RegisterCounts,
    /// Enterprises with a place: (longitude, latitude, class).
    #[serde(skip)]
    pub places: Vec<(f64, f64, CreditClass)>,
    pub kinds: Vec<KindCounts>,
}

/// Who reads the supervision dashboard.
pub fn sees_supervision(actor: &Actor) -> bool {
    matches!(actor, Actor::System) || actor.has_any_role(&[Role::Leader, Role::Regulator, Role::PolicyOfficer])
}

/// The detail columns the dashboard sums, when a kind has them, with what each is:
/// a plan's drawn targets, an inspection's final and published results, a
/// rectification on time, a policy's grants, a grant's amount and what was paid.
const SUMMED: [(&str, &str); 7] = [
    ("drawn", "抽中对象（户）"),
    ("is_final", "结果已确定（件）"),
    ("published", "已公示（件）"),
    ("on_time", "按期整改（件）"),
    ("granted", "已核定企业（户）"),
    ("amount", "核定金额（元）"),
    ("paid", "已拨付金额（元）"),
];

impl App {
    pub fn supervision_board(&self, actor: &Actor) -> Result<SupervisionBoard> {
        if !sees_supervision(actor) {
            return Err(AppError::Forbidden("监管看板供区领导、监管人员和政策专员查阅".into()));
        }
        let mut register = RegisterCounts::default();
        let mut places = vec![];
        for p in self.register_profiles()? {
            count_profile(&mut register, &p);
            if let Some((lon, lat)) = p.location {
                places.push((lon, lat, p.class));
            }
        }
        let kinds = yiwang_core::kinds();
        let mut out = vec![];
        for name in SUPERVISION_KINDS {
            let Some(k) = kinds.get(name) else { continue };
            out.push(self.kind_counts(k)?);
        }
        Ok(SupervisionBoard { register, places, kinds: out })
    }

    fn kind_counts(&self, k: &'static dyn yiwang_core::case::AnyKind) -> Result<KindCounts> {
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut sums: BTreeMap<usize, (f64, u64)> = BTreeMap::new();
        let mut by_result: BTreeMap<usize, u64> = BTreeMap::new();
        let outcomes = yiwang_core::inspection::Outcome::ALL;
        let (mut total, mut overdue) = (0, 0);
        self.each_case(&CaseQuery { kind: Some(k.name()), ..Default::default() }, |row| {
            total += 1;
            *by_status.entry(row.status.clone()).or_default() += 1;
            if row.stage == Stage::Red {
                overdue += 1;
            }
            if let Ok(serde_json::Value::Object(d)) = serde_json::from_str::<serde_json::Value>(&row.detail) {
                for (i, (col, _)) in SUMMED.iter().enumerate() {
                    let v = match d.get(*col) {
                        Some(serde_json::Value::Number(x)) => x.as_f64(),
                        Some(serde_json::Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
                        _ => None,
                    };
                    if let Some(v) = v {
                        let e = sums.entry(i).or_default();
                        e.0 += v;
                        e.1 += 1;
                    }
                }
                if let Some(serde_json::Value::String(o)) = d.get("outcome")
                    && let Some(i) = outcomes.iter().position(|x| x.as_str() == o)
                {
                    *by_result.entry(i).or_default() += 1;
                }
            }
            Ok(())
        })?;
        Ok(KindCounts {
            kind: k.name(),
            label: k.label(),
            total,
            by_status: by_status.into_iter().map(|(s, n)| (s.clone(), k.status_label(&s), n)).collect(),
            overdue,
            sums: sums.into_iter().map(|(i, (s, n))| (SUMMED[i].1, s, n)).collect(),
            by_result: by_result.into_iter().map(|(i, n)| (outcomes[i].label(), n)).collect(),
        })
    }
}

fn count_profile(r: &mut RegisterCounts, p: &Profile) {
    r.total += 1;
    if p.abnormal {
        r.abnormal += 1;
    }
    *r.by_class.entry(p.class.as_str().to_owned()).or_default() += 1;
    let street = p.street.as_ref().map(|s| s.to_string()).unwrap_or_default();
    *r.by_street.entry(street).or_default().entry(p.class.as_str().to_owned()).or_default() += 1;
}
