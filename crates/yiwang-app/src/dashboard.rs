//! The dashboard for leaders and the 12345 centre: volumes over a period (by day, by
//! category, by street, by grid), the month's measures with their ranking, and the
//! cases now overdue per unit. Names, not codes: the web layer only draws.

use crate::{App, AppError, MonthMeasures, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use yiwang_core::appeal::{AppealKind, Channel, Status};
use yiwang_core::calendar::civil_date;
use yiwang_core::case::Kind;
use yiwang_core::deadline::Stage;
use yiwang_core::id::{CategoryCode, UnitCode};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_store::CaseQuery;

/// One labelled count.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// A code (unit, category, status, channel) or a day (YYYY-MM-DD).
    pub key: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// First and last day of the period, China time (YYYY-MM-DD).
    pub from: String,
    pub to: String,
    pub total: u64,
    /// Every day of the period, zeros included.
    pub by_day: Vec<Count>,
    /// First-level categories; appeals not yet classified under "未分类".
    pub by_category: Vec<Count>,
    /// Streets, from the area each appeal was located in; "未定位" for the rest.
    pub by_street: Vec<Count>,
    /// The recorded area of each appeal (grid, community or street), for the map.
    pub by_area: Vec<Count>,
    pub by_channel: Vec<Count>,
    pub by_status: Vec<Count>,
    /// Open cases whose clock is red, per holding unit (the centre for undispatched).
    pub overdue: Vec<Count>,
    pub measures: MonthMeasures,
    /// 一网通办's district row for the month: its tile (好评率, 按时办结率, 全程网办率,
    /// 差评整改率).
    pub services: crate::ServiceIndicators,
}

impl App {
    /// The dashboard over the last `days` days (1–366) and the measures of `month`.
    /// Only the centre, district leaders and administrators see it.
    pub fn dashboard(&self, actor: &Actor, days: u32, month: &str) -> Result<Dashboard> {
        if !(actor.is_centre() || actor.has_role(Role::Leader)) {
            return Err(AppError::Forbidden("数据看板仅供热线中心和区领导查看".into()));
        }
        let days = days.clamp(1, 366);
        let measures = self.measures(month)?;
        let services = self.service_indicators(actor, month)?.district;
        let r = self.reference();
        let today = civil_date(self.now());
        let first = today - chrono::Duration::days(days as i64 - 1);
        let v = self.store.volumes(AppealKind::NAME, first, today + chrono::Duration::days(1))?;
        let total = v.dimension("status").iter().map(|(_, n)| n).sum();

        let day_counts: BTreeMap<String, u64> = v.by_day.iter().cloned().collect();
        let by_day = (0..days as i64)
            .map(|i| {
                let d = (first + chrono::Duration::days(i)).format("%Y-%m-%d").to_string();
                Count { label: d[5..].to_owned(), count: day_counts.get(&d).copied().unwrap_or(0), key: d }
            })
            .collect();

        let mut cats: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for (code, n) in v.dimension("category").iter().cloned() {
            let top = CategoryCode::parse(&code).ok().and_then(|c| r.taxonomy.top_level(&c).cloned());
            let (k, label) = match top {
                Some(c) => (c.code.to_string(), c.name.clone()),
                None => ("-".to_owned(), "未分类".to_owned()),
            };
            cats.entry(k).or_insert((label, 0)).1 += n;
        }
        let mut by_category: Vec<Count> =
            cats.into_iter().map(|(key, (label, count))| Count { key, label, count }).collect();
        by_category.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));

        let mut streets: BTreeMap<String, (String, u64)> = r
            .org
            .units()
            .filter(|u| u.kind == UnitKind::Street)
            .map(|u| (u.code.to_string(), (u.display_name().to_owned(), 0)))
            .collect();
        let mut by_area = vec![];
        for (code, n) in v.dimension("area").iter().cloned() {
            let unit = UnitCode::parse(&code).ok();
            let street = unit.as_ref().and_then(|u| r.org.street_of(u));
            let (k, label) = match street {
                Some(s) => (s.code.to_string(), s.display_name().to_owned()),
                None => ("-".to_owned(), "未定位".to_owned()),
            };
            streets.entry(k).or_insert((label, 0)).1 += n;
            if let Some(u) = unit {
                by_area.push(Count { label: r.unit_name(&u), key: code, count: n });
            }
        }
        let mut by_street: Vec<Count> =
            streets.into_iter().map(|(key, (label, count))| Count { key, label, count }).collect();
        by_street.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));

        let by_channel = v
            .dimension("channel")
            .iter()
            .cloned()
            .map(|(k, n)| {
                let label = Channel::parse(&k).map(|c| c.label().to_owned()).unwrap_or_else(|| k.clone());
                Count { key: k, label, count: n }
            })
            .collect();
        let by_status = v
            .dimension("status")
            .iter()
            .cloned()
            .map(|(k, n)| Count {
                label: Status::parse(&k).map(|s| s.label()).unwrap_or("").to_owned(),
                key: k,
                count: n,
            })
            .collect();

        // Counted by the store per unit: at a city's volume the red cases are many.
        let red = self.store.count_by_unit(&CaseQuery {
            kind: Some(AppealKind::NAME),
            statuses: [Status::Accepted, Status::Dispatched, Status::Handling].map(|s| s.as_str()).to_vec(),
            open: Some(true),
            stage: Some(Stage::Red),
            ..CaseQuery::default()
        })?;
        let mut overdue: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for (unit, n) in red {
            let (k, label) = match &unit {
                Some(u) => (u.to_string(), r.unit_name(u)),
                None => ("centre".to_owned(), "12345中心（待派单）".to_owned()),
            };
            overdue.entry(k).or_insert((label, 0)).1 += n;
        }
        let mut overdue: Vec<Count> =
            overdue.into_iter().map(|(key, (label, count))| Count { key, label, count }).collect();
        overdue.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));

        Ok(Dashboard {
            from: first.format("%Y-%m-%d").to_string(),
            to: today.format("%Y-%m-%d").to_string(),
            total,
            by_day,
            by_category,
            by_street,
            by_area,
            by_channel,
            by_status,
            overdue,
            measures,
            services,
        })
    }
}
