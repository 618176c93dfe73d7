//! Likely duplicates of a new appeal: the same problem (similar text), nearby (same
//! area or within a distance), recent (within a window). The operator decides; this
//! only ranks.

use crate::similarity::Vector;

/// An earlier appeal to compare with.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    /// `TfIdf::vector` of its text.
    pub vector: Vector,
    pub point: Option<(f64, f64)>,
    pub area: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct DuplicateParams {
    /// Text similarity (cosine) from which a candidate counts as a likely duplicate.
    pub min_similarity: f32,
    /// How far back to look.
    pub window_days: i64,
    /// How far apart two points may be.
    pub max_metres: f64,
}

impl Default for DuplicateParams {
    fn default() -> Self {
        // Chosen on messages_hot.csv (`yiwang eval duplicates`): at 0.4 a rewritten
        // posting of the same problem is found 79 % of the time, and 11.8 % of
        // messages with no known repeat get a suggestion (some are real repeats).
        DuplicateParams { min_similarity: 0.4, window_days: 30, max_metres: 1000.0 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub id: String,
    pub similarity: f32,
    pub metres: Option<f64>,
}

/// Great-circle distance in metres (haversine).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0;
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Candidates that are likely the same problem, most similar first. `areas` holds the
/// new appeal's area and its ancestors: sharing any area, or being within
/// `max_metres`, or either side having no location at all, counts as nearby.
///
/// Vectors come from one `TfIdf` fitted on a broad sample of appeals (not on the
/// candidates alone, where the shared words of true duplicates would look common).
pub fn find(new: &Candidate, areas: &[String], pool: &[Candidate], p: DuplicateParams) -> Vec<Match> {
    let recent: Vec<&Candidate> = pool
        .iter()
        .filter(|c| c.id != new.id && c.at <= new.at + 60 && new.at - c.at <= p.window_days * 86_400)
        .collect();
    if recent.is_empty() {
        return vec![];
    }
    let mut out: Vec<Match> = recent
        .into_iter()
        .filter_map(|c| {
            let dist = match (new.point, c.point) {
                (Some(a), Some(b)) => Some(metres(a, b)),
                _ => None,
            };
            let same_area = c.area.as_ref().is_some_and(|a| areas.contains(a));
            let located = new.point.is_some() || !areas.is_empty();
            let nearby = same_area
                || dist.is_some_and(|d| d <= p.max_metres)
                || !located
                || (c.point.is_none() && c.area.is_none());
            if !nearby {
                return None;
            }
            let s = new.vector.cosine(&c.vector);
            (s >= p.min_similarity).then(|| Match { id: c.id.clone(), similarity: s, metres: dist })
        })
        .collect();
    out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::TfIdf;

    fn model() -> TfIdf {
        let texts = [
            "公交车不按时发车",
            "医保报销比例太低",
            "拖欠工资三个月",
            "噪音影响休息",
            "小区物业乱收费",
            "学校收费不合理",
            "湖畔路路灯一周不亮，晚上很黑",
            "楼下饭店油烟很大影响休息",
        ];
        TfIdf::fit(texts)
    }

    fn c(id: &str, text: &str, point: Option<(f64, f64)>, at: i64) -> Candidate {
        Candidate { id: id.into(), vector: model().vector(text), point, area: None, at }
    }

    #[test]
    fn the_same_problem_nearby_and_recent_is_a_likely_duplicate() {
        let here = (116.25, 39.88);
        let far = (116.35, 39.98);
        let day = 86_400;
        let pool = vec![
            c("same", "湖畔路路灯一周不亮，晚上很黑", Some(here), 10 * day),
            c("far", "湖畔路路灯一周不亮，晚上很黑", Some(far), 10 * day),
            c("old", "湖畔路路灯一周不亮，晚上很黑", Some(here), 0),
            c("other", "楼下饭店油烟很大影响休息", Some(here), 10 * day),
        ];
        let new = c("new", "湖畔路的路灯已经一周不亮了", Some(here), 40 * day - 1);
        let found = find(&new, &[], &pool, DuplicateParams::default());
        assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["same"]);
        assert!(metres(here, far) > 10_000.0);
    }
}
