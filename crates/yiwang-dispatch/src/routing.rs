//! Routing rules: which unit handles a category in an area. Rules are data an
//! administrator edits (`routing.json`): `{category, area, unit}`, either of category
//! and area may be absent (any). The most specific rule wins — the nearest category
//! (the case's own, then its parents) and then the nearest area (grid, community,
//! street) — and without a rule the category's owner handles it, and without a
//! category the district catches it (兜底).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub area: Option<String>,
    pub unit: String,
}

#[derive(Debug, Clone, Default)]
pub struct RoutingRules {
    rules: Vec<Rule>,
}

/// Why the unit was chosen, for the operator's screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Route {
    /// A routing rule matched.
    Rule { unit: String, category: Option<String>, area: Option<String> },
    /// The category's owning unit.
    Owner { unit: String },
    /// Nothing else applies: the district.
    District { unit: String },
}

impl Route {
    pub fn unit(&self) -> &str {
        match self {
            Route::Rule { unit, .. } | Route::Owner { unit } | Route::District { unit } => unit,
        }
    }
}

impl RoutingRules {
    pub fn new(rules: Vec<Rule>) -> Self {
        RoutingRules { rules }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// `categories`: the case's category then its ancestors; `areas`: the case's area
    /// then its ancestors; `owner`: the category's owning unit; `district`: the
    /// unit of last resort.
    pub fn route(&self, categories: &[&str], areas: &[&str], owner: Option<&str>, district: &str) -> Route {
        // Specificity: a category match outranks an area match, nearer outranks farther.
        let cat_rank = |c: &Option<String>| match c {
            None => Some(categories.len()),
            Some(c) => categories.iter().position(|x| x == c),
        };
        let area_rank = |a: &Option<String>| match a {
            None => Some(areas.len()),
            Some(a) => areas.iter().position(|x| x == a),
        };
        let best = self
            .rules
            .iter()
            .filter_map(|r| Some(((cat_rank(&r.category)?, area_rank(&r.area)?), r)))
            .filter(|((c, a), _)| *c < categories.len() || *a < areas.len())
            .min_by_key(|(rank, _)| *rank);
        match (best, owner) {
            (Some((_, r)), _) => {
                Route::Rule { unit: r.unit.clone(), category: r.category.clone(), area: r.area.clone() }
            }
            (None, Some(o)) => Route::Owner { unit: o.to_owned() },
            (None, None) => Route::District { unit: district.to_owned() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(c: Option<&str>, a: Option<&str>, u: &str) -> Rule {
        Rule { category: c.map(Into::into), area: a.map(Into::into), unit: u.into() }
    }

    #[test]
    fn the_most_specific_rule_wins_and_owners_and_the_district_catch_the_rest() {
        let rules = RoutingRules::new(vec![
            rule(Some("cxjs-02"), Some("st-yx"), "st-yx"),
            rule(Some("cxjs"), Some("gd-yx-1-1"), "cm-yx-1"),
            rule(Some("cxjs-02"), None, "cgzf"),
        ]);
        let cat = ["cxjs-02", "cxjs"];
        let grid = ["gd-yx-1-1", "cm-yx-1", "st-yx"];
        let elsewhere = ["gd-wh-1-1", "cm-wh-1", "st-wh"];
        assert_eq!(rules.route(&cat, &grid, Some("cgw"), "district").unit(), "st-yx");
        assert_eq!(rules.route(&cat, &elsewhere, Some("cgw"), "district").unit(), "cgzf");
        assert_eq!(rules.route(&["cxjs-05", "cxjs"], &grid, Some("zjw"), "district").unit(), "cm-yx-1");
        assert_eq!(
            rules.route(&["jywt-01", "jywt"], &grid, Some("jw"), "district"),
            Route::Owner { unit: "jw".into() }
        );
        assert_eq!(rules.route(&[], &[], None, "district"), Route::District { unit: "district".into() });
    }
}
