//! Locating an address string through a gazetteer of the district's named places:
//! streets, communities, roads, landmarks, residential compounds, schools, hospitals.
//!
//! Chinese addresses run from the general to the particular (街道 → 路 → 小区 → 楼), so
//! of the names found in an address the one that ends last wins, and of those the
//! longest: "望湖街道湖畔路望湖公园北门" finds 望湖公园, "望湖街道湖畔路32号" finds 湖畔路.
//! Blanks and punctuation are ignored.

use serde::{Deserialize, Serialize};

/// One named place. `area` is the unit (grid, community or street) it lies in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(alias = "unit")]
    pub area: String,
}

#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// (normalised name, place), longest name first.
    entries: Vec<(String, Place)>,
}

fn normalise(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !matches!(c, '，' | ',' | '、' | '。')).collect()
}

impl Gazetteer {
    pub fn new(places: Vec<Place>) -> Self {
        let mut entries: Vec<(String, Place)> =
            places.into_iter().map(|p| (normalise(&p.name), p)).filter(|(n, _)| n.chars().count() >= 2).collect();
        entries.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then_with(|| a.0.cmp(&b.0)));
        Gazetteer { entries }
    }

    /// The most precise place named in the address.
    pub fn locate(&self, address: &str) -> Option<&Place> {
        let a = normalise(address);
        self.entries
            .iter()
            .filter_map(|(n, p)| a.rfind(n.as_str()).map(|at| ((at + n.len(), n.len()), p)))
            .max_by_key(|(key, _)| *key)
            .map(|(_, p)| p)
    }

    /// The places' names (without blanks), longest first: the words a segmenter must keep
    /// whole ([`crate::topic::Labeller::new`]).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Places whose name starts with or contains the typed text, for pickers.
    pub fn complete(&self, typed: &str, limit: usize) -> Vec<&Place> {
        let t = normalise(typed);
        if t.is_empty() {
            return vec![];
        }
        let mut hits: Vec<&(String, Place)> = self.entries.iter().filter(|(n, _)| n.contains(t.as_str())).collect();
        hits.sort_by_key(|(n, _)| (!n.starts_with(t.as_str()), n.chars().count()));
        hits.into_iter().take(limit).map(|(_, p)| p).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, area: &str) -> Place {
        Place { name: name.into(), kind: "x".into(), lon: None, lat: None, area: area.into() }
    }

    #[test]
    fn the_longest_named_place_in_an_address_wins() {
        let g = Gazetteer::new(vec![
            place("望湖街道", "st-wh"),
            place("望湖公园", "gd-wh-1-3"),
            place("湖畔路", "gd-wh-2-2"),
        ]);
        let table = [
            ("望湖街道湖畔路望湖公园北门", Some("gd-wh-1-3")),
            ("望湖街道 湖畔路 32 号", Some("gd-wh-2-2")),
            ("望湖街道办事处门口", Some("st-wh")),
            ("火星基地", None),
        ];
        for (addr, want) in table {
            assert_eq!(g.locate(addr).map(|p| p.area.as_str()), want, "{addr}");
        }
        assert_eq!(g.complete("望湖", 5).len(), 2);
        assert_eq!(g.names().collect::<Vec<_>>(), ["望湖公园", "望湖街道", "湖畔路"]);
    }
}
