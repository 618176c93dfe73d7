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
    /// The cases it was measured on this month: the most of its dispatched, replied
    /// and called-back counts.
    pub sample: u64,
    /// Rank among units of the same kind (streets among streets, departments among
    /// departments) by score, equal scores sharing a rank (1, 2, 2, 4); none for a
    /// unit measured on fewer cases than `Ranking::min_cases` (样本不足).
    pub rank: Option<u32>,
    /// Too few cases this month to be ranked fairly (样本不足).
    pub too_few: bool,
}

/// How the 三率 rankings treat small samples: a unit with one case answered well would
/// otherwise score 100 and rank first. `measures.toml`: `min_cases = 5`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ranking {
    /// Cases in the month below which a unit is shown as 样本不足, unranked.
    pub min_cases: u64,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking { min_cases: 5 }
    }
}

impl Ranking {
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        let r: Ranking = toml::from_str(text).map_err(|e| e.to_string())?;
        if r.min_cases == 0 {
            return Err("min_cases must be at least 1".into());
        }
        Ok(r)
    }
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
                    sample: tally.dispatched.max(tally.replied).max(tally.callbacks),
                    too_few: tally.dispatched.max(tally.replied).max(tally.callbacks) < self.config.ranking.min_cases,
                    rank: None,
                    unit,
                    tally,
                }
            })
            .collect();
        rank(&mut units);
        Ok(MonthMeasures { month, units, district_rates: district.rates(), district })
    }
}

/// Ranks units among those of their kind by score, as shown (one decimal), equal
/// scores sharing a rank (1, 2, 2, 4); units with too few cases or no score stay
/// unranked. Lists them by kind, the ranked by rank, then the rest by their cases.
fn rank(units: &mut [UnitMeasure]) {
    let shown = |m: &UnitMeasure| m.rates.score.map(|s| (s * 10.0).round() as i64);
    for kind in [UnitKind::Street, UnitKind::Department, UnitKind::Community, UnitKind::District] {
        let mut ranked: Vec<usize> = (0..units.len())
            .filter(|i| units[*i].kind == kind && units[*i].rates.score.is_some() && !units[*i].too_few)
            .collect();
        ranked.sort_by_key(|i| std::cmp::Reverse(shown(&units[*i])));
        let mut rank = 0;
        for (pos, i) in ranked.iter().enumerate() {
            if pos == 0 || shown(&units[*i]) != shown(&units[ranked[pos - 1]]) {
                rank = pos as u32 + 1;
            }
            units[*i].rank = Some(rank);
        }
    }
    units.sort_by(|a, b| {
        (a.kind, a.rank.unwrap_or(u32::MAX), std::cmp::Reverse(a.sample)).cmp(&(
            b.kind,
            b.rank.unwrap_or(u32::MAX),
            std::cmp::Reverse(b.sample),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, kind: UnitKind, sample: u64, score: Option<f64>) -> UnitMeasure {
        UnitMeasure {
            unit: UnitCode::parse(code).unwrap(),
            unit_name: code.into(),
            kind,
            tally: Tally::default(),
            rates: Rates { response: None, resolution: None, satisfaction: None, on_time: None, score },
            sample,
            too_few: sample < Ranking::default().min_cases,
            rank: None,
        }
    }

    #[test]
    fn one_good_case_ranks_nobody_first_and_equal_scores_share_a_rank() {
        let d = UnitKind::Department;
        let mut units = vec![
            unit("lucky", d, 1, Some(100.0)),
            unit("b", d, 5, Some(90.04)),
            unit("c", d, 9, Some(89.96)),
            unit("d", d, 12, Some(80.0)),
            unit("e", d, 30, Some(95.0)),
            unit("quiet", d, 0, None),
            unit("street", UnitKind::Street, 7, Some(50.0)),
        ];
        rank(&mut units);
        let got: Vec<(&str, Option<u32>, bool)> = units.iter().map(|u| (u.unit.as_str(), u.rank, u.too_few)).collect();
        assert_eq!(
            got,
            [
                ("e", Some(1), false),
                ("c", Some(2), false),
                ("b", Some(2), false),
                ("d", Some(4), false),
                ("lucky", None, true),
                ("quiet", None, true),
                ("street", Some(1), false),
            ]
        );
    }

    #[test]
    fn the_least_sample_is_read_from_measures_toml() {
        assert_eq!(Ranking::parse_toml("min_cases = 10").unwrap().min_cases, 10);
        assert_eq!(Ranking::parse_toml("").unwrap(), Ranking::default());
        assert!(Ranking::parse_toml("min_cases = 0").is_err());
        assert!(Ranking::parse_toml("min = 3").is_err());
    }
}
