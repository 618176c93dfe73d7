//! Leaf categories: the category an appeal is dispatched under, below the seven
//! first-level ones the [`Classifier`](crate::Classifier) knows.
//!
//! No labelled corpus of a district's leaf categories exists, so the leaf is found by
//! combining three things a district has:
//! - the first-level model's probabilities;
//! - the category tree, whose leaves carry keywords (data in `categories.json`: the
//!   leaf's own name, the sub-topics of the national category system 附件1, and the
//!   words citizens use for them);
//! - the district's corrected cases: a case whose category a dispatcher confirmed or
//!   changed is a labelled example, and a new message close to it leans its way.
//!
//! Score of a leaf `l` under first-level `c`:
//! `γ·ln p(c) + α·keywords(l) + β·neighbours(l) − (其他 ? ω : 0)`, softmaxed over all
//! leaves. `keywords(l)` sums, over the leaf's keywords found in the text, a weight
//! that grows with the keyword's length; `neighbours(l)` is the summed similarity of
//! the leaf's cases among the `k` nearest corrected cases.

use crate::similarity::{TfIdf, Vector};

/// A leaf of the tree, as this module needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub code: String,
    /// The first-level category's name, as the classifier labels it.
    pub first_level: String,
    pub keywords: Vec<String>,
    /// A catch-all leaf (其他): chosen only when nothing more specific fits.
    pub catch_all: bool,
}

/// The weights of the score (see the module docs); fitted on the development set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeafParams {
    pub first_level: f32,
    pub keyword: f32,
    pub neighbour: f32,
    pub catch_all: f32,
    pub neighbours: usize,
    /// Scales every score before the softmax: the ranking stays, the probabilities
    /// sharpen (fitted so that the first suggestion's probability matches how often it
    /// is right on the development set).
    pub sharpness: f32,
}

impl Default for LeafParams {
    fn default() -> Self {
        LeafParams { first_level: 1.0, keyword: 1.0, neighbour: 4.0, catch_all: 1.5, neighbours: 10, sharpness: 1.0 }
    }
}

/// The district's corrected cases, ready for nearest-neighbour look-ups.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    weights: TfIdf,
    /// Each case's vector and category code.
    cases: Vec<(Vector, String)>,
}

impl Memory {
    /// `examples`: (text, category code). Codes that are not leaves of the tree the
    /// ranking is given count for nothing.
    pub fn new<'a>(examples: impl IntoIterator<Item = (&'a str, &'a str)>) -> Memory {
        let kept: Vec<(&str, &str)> = examples.into_iter().collect();
        let weights = TfIdf::fit(kept.iter().map(|(t, _)| *t));
        let cases = kept.iter().map(|(t, c)| (weights.vector(t), (*c).to_owned())).collect();
        Memory { weights, cases }
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Summed similarity per leaf of the `k` nearest cases.
    fn votes(&self, text: &str, k: usize, leaves: &[Leaf]) -> Vec<f32> {
        let mut votes = vec![0.0; leaves.len()];
        if self.cases.is_empty() || k == 0 {
            return votes;
        }
        let v = self.weights.vector(text);
        let mut near: Vec<(f32, &str)> = self.cases.iter().map(|(c, code)| (v.cosine(c), code.as_str())).collect();
        let k = k.min(near.len());
        near.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
        let index: std::collections::HashMap<&str, usize> =
            leaves.iter().enumerate().map(|(i, l)| (l.code.as_str(), i)).collect();
        for (s, code) in &near[..k] {
            if let Some(i) = index.get(code) {
                votes[*i] += s;
            }
        }
        votes
    }
}

/// How strongly a leaf's keywords occur in a text: each keyword found adds a weight
/// that grows with its length (a four-character term says more than a two-character one).
fn keyword_score(leaf: &Leaf, text: &str) -> f32 {
    leaf.keywords
        .iter()
        .filter(|k| !k.is_empty() && text.contains(k.as_str()))
        .map(|k| match k.chars().count() {
            1 | 2 => 1.0,
            3 => 1.5,
            _ => 2.0,
        })
        .sum()
}

/// Every leaf with its probability, best first. `first_level`: the classifier's
/// (label, probability) pairs. Leaves of first-level categories the classifier does
/// not know get a small floor probability, so keywords can still find them.
pub fn rank(
    leaves: &[Leaf],
    first_level: &[(String, f32)],
    text: &str,
    memory: Option<&Memory>,
    p: LeafParams,
) -> Vec<(usize, f32)> {
    let votes = memory.map(|m| m.votes(text, p.neighbours, leaves)).unwrap_or_else(|| vec![0.0; leaves.len()]);
    let scores: Vec<f32> = leaves
        .iter()
        .enumerate()
        .map(|(i, leaf)| {
            let pc = first_level.iter().find(|(l, _)| *l == leaf.first_level).map_or(0.0, |(_, p)| *p).max(1e-4);
            p.first_level * pc.ln() + p.keyword * keyword_score(leaf, text) + p.neighbour * votes[i]
                - if leaf.catch_all { p.catch_all } else { 0.0 }
        })
        .collect();
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| ((s - max) * p.sharpness).exp()).collect();
    let z: f32 = exp.iter().sum();
    let mut ranked: Vec<(usize, f32)> = exp.into_iter().map(|e| e / z).enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// A message labelled with its leaf (`data/dispatch/leaf_*.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledLeaf {
    pub text: String,
    pub leaf: String,
}

/// Reads a labelled leaf file: a CSV with at least the columns `leaf` and `text`.
pub fn read_labelled(path: &std::path::Path) -> Result<Vec<LabelledLeaf>, crate::DispatchError> {
    let bad = |m: String| crate::DispatchError::Data(format!("{}: {m}", path.display()));
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| bad(format!("no column {name}")));
    let (leaf, text) = (col("leaf")?, col("text")?);
    r.records()
        .map(|rec| {
            let rec = rec.map_err(|e| bad(e.to_string()))?;
            Ok(LabelledLeaf { text: rec[text].to_owned(), leaf: rec[leaf].to_owned() })
        })
        .collect()
}

/// Hits among `n` messages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LeafScore {
    pub messages: usize,
    /// The right leaf first.
    pub top1: usize,
    /// The right leaf among the first three.
    pub top3: usize,
    /// The first suggestion routes to the right leaf's unit.
    pub unit_first: usize,
    /// Summed probability of the first suggestion (calibration: its mean should be
    /// close to the top-1 rate).
    pub confidence: f64,
    /// Summed negative log probability of the right leaf.
    pub log_loss: f64,
}

impl LeafScore {
    fn rate(&self, hits: usize) -> f64 {
        if self.messages == 0 { 0.0 } else { hits as f64 / self.messages as f64 }
    }
    fn add(&mut self, o: LeafScore) {
        self.messages += o.messages;
        self.top1 += o.top1;
        self.top3 += o.top3;
        self.unit_first += o.unit_first;
        self.confidence += o.confidence;
        self.log_loss += o.log_loss;
    }
}

impl std::fmt::Display for LeafScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "messages={} leaf_top1={:.3} leaf_top3={:.3} unit_first={:.3} mean_confidence={:.3} log_loss={:.3}",
            self.messages,
            self.rate(self.top1),
            self.rate(self.top3),
            self.rate(self.unit_first),
            self.confidence / self.messages.max(1) as f64,
            self.log_loss / self.messages.max(1) as f64,
        )
    }
}

/// Scores the ranking on labelled messages. `units[i]` is the unit leaf `i` routes to;
/// `first_level(text)` the classifier's probabilities.
pub fn score(
    leaves: &[Leaf],
    units: &[String],
    rows: &[LabelledLeaf],
    first_level: &dyn Fn(&str) -> Vec<(String, f32)>,
    memory: Option<&Memory>,
    p: LeafParams,
) -> LeafScore {
    let mut s = LeafScore::default();
    for row in rows {
        let Some(truth) = leaves.iter().position(|l| l.code == row.leaf) else { continue };
        let ranked = rank(leaves, &first_level(&row.text), &row.text, memory, p);
        s.messages += 1;
        s.top1 += usize::from(ranked[0].0 == truth);
        s.top3 += usize::from(ranked.iter().take(3).any(|(i, _)| *i == truth));
        s.unit_first += usize::from(units[ranked[0].0] == units[truth]);
        s.confidence += f64::from(ranked[0].1);
        let p_truth = ranked.iter().find(|(i, _)| *i == truth).map_or(0.0, |(_, p)| *p);
        s.log_loss -= f64::from(p_truth.max(1e-6)).ln();
    }
    s
}

/// Cross-validation over corrected cases: the rows are split into `folds` folds by
/// position; each fold is scored with the other folds as the district's corrected
/// cases.
pub fn cross_validate(
    leaves: &[Leaf],
    units: &[String],
    rows: &[LabelledLeaf],
    first_level: &dyn Fn(&str) -> Vec<(String, f32)>,
    folds: usize,
    p: LeafParams,
) -> LeafScore {
    let mut total = LeafScore::default();
    for f in 0..folds.max(2) {
        let in_fold = |i: usize| i % folds.max(2) == f;
        let memory = Memory::new(
            rows.iter().enumerate().filter(|(i, _)| !in_fold(*i)).map(|(_, r)| (r.text.as_str(), r.leaf.as_str())),
        );
        let test: Vec<LabelledLeaf> =
            rows.iter().enumerate().filter(|(i, _)| in_fold(*i)).map(|(_, r)| r.clone()).collect();
        total.add(score(leaves, units, &test, first_level, Some(&memory), p));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(code: &str, first: &str, kw: &[&str], catch_all: bool) -> Leaf {
        Leaf {
            code: code.into(),
            first_level: first.into(),
            keywords: kw.iter().map(|k| k.to_string()).collect(),
            catch_all,
        }
    }

    #[test]
    fn keywords_pick_the_leaf_within_the_first_level_and_corrections_pull_their_way() {
        let leaves = vec![
            leaf("a-1", "城乡建设", &["路灯", "井盖"], false),
            leaf("a-2", "城乡建设", &["物业", "房产证"], false),
            leaf("a-9", "城乡建设", &[], true),
            leaf("b-1", "环境保护", &["噪音"], false),
        ];
        let first = vec![("城乡建设".to_owned(), 0.9), ("环境保护".to_owned(), 0.1)];
        let top = |text: &str, m: Option<&Memory>| {
            leaves[rank(&leaves, &first, text, m, LeafParams::default())[0].0].code.clone()
        };
        assert_eq!(top("小区门口路灯不亮一个月了", None), "a-1");
        assert_eq!(top("物业不给办房产证", None), "a-2");
        // Nothing specific: the first level's catch-all is not preferred over a
        // specific leaf without evidence, but it stays in the ranking.
        let r = rank(&leaves, &first, "没有任何关键词的留言", None, LeafParams::default());
        assert!(r.iter().any(|(i, _)| leaves[*i].code == "a-9"));
        assert!((r.iter().map(|(_, p)| p).sum::<f32>() - 1.0).abs() < 1e-4);
        // A district that files 化粪池 under a-2 teaches the ranking so.
        assert_eq!(top("楼下化粪池堵了臭气熏天", None), "a-1", "without memory, the first leaf wins a tie");
        let texts = ["化粪池满了一直没人清理", "化粪池堵塞外溢", "小区化粪池冒水"];
        let m = Memory::new(texts.iter().map(|t| (*t, "a-2")));
        assert_eq!(top("楼下化粪池堵了臭气熏天", Some(&m)), "a-2");
    }
}
