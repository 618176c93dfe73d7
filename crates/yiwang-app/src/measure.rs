//! The monthly measures per unit and the rankings of streets and of departments.
//! Definitions live in `yiwang_core::measure`.

use crate::{App, AppError, Result};
use serde::Serialize;
use yiwang_core::appeal::AppealKind;
use yiwang_core::case::Kind;
use yiwang_core::id::UnitCode;
use yiwang_core::measure::{FactKind, Rates, Tally, parse_month};
use yiwang_core::org::UnitKind;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitMeasure {
    pub unit: UnitCode,
    pub unit_name: String,
    pub kind: UnitKind,
    pub tally: Tally,
    pub rates: Rates,
    /// Rank among units of the same kind (streets among streets, departments among
    /// departments) by score; units with nothing to measure are unranked.
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthMeasures {
    pub month: String,
    pub units: Vec<UnitMeasure>,
    pub district: Tally,
    pub district_rates: Rates,
}

impl App {
    pub fn measures(&self, month: &str) -> Result<MonthMeasures> {
        let month =
            parse_month(month).ok_or_else(|| AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11"))?;
        let r = self.reference();
        // The appeal's facts, counted per unit (the store lists them in unit order).
        let mut tallies: Vec<(UnitCode, Tally)> = vec![];
        for f in self.store.tally_month(&month)?.into_iter().filter(|f| f.kind == AppealKind::NAME) {
            let Some(k) = FactKind::from_parts(&f.name, f.flag, &f.value) else { continue };
            if tallies.last().is_none_or(|(u, _)| *u != f.unit) {
                tallies.push((f.unit.clone(), Tally::default()));
            }
            tallies.last_mut().expect("pushed").1.add_many(k, f.count);
        }
        let mut district = Tally::default();
        let mut units: Vec<UnitMeasure> = tallies
            .into_iter()
            .map(|(unit, tally)| {
                district.merge(&tally);
                let u = r.org.get(&unit);
                UnitMeasure {
                    unit_name: r.unit_name(&unit),
                    kind: u.map(|u| u.kind).unwrap_or(UnitKind::Department),
                    rates: tally.rates(),
                    rank: None,
                    unit,
                    tally,
                }
            })
            .collect();
        for kind in [UnitKind::Street, UnitKind::Department, UnitKind::Community, UnitKind::District] {
            let mut ranked: Vec<usize> =
                (0..units.len()).filter(|i| units[*i].kind == kind && units[*i].rates.score.is_some()).collect();
            ranked.sort_by(|a, b| units[*b].rates.score.partial_cmp(&units[*a].rates.score).expect("finite scores"));
            for (pos, i) in ranked.into_iter().enumerate() {
                units[i].rank = Some(pos as u32 + 1);
            }
        }
        units.sort_by(|a, b| (a.kind, a.rank.unwrap_or(u32::MAX)).cmp(&(b.kind, b.rank.unwrap_or(u32::MAX))));
        Ok(MonthMeasures { month, units, district_rates: district.rates(), district })
    }
}
