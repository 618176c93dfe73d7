//! Measuring a classifier on labelled messages: accuracy, macro-F1, per-category
//! precision/recall/F1, the confusion matrix and prediction speed.

use std::fmt;
use std::time::Instant;

use crate::{Classifier, Example};

/// Figures for one category.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryScore {
    /// Category name.
    pub label: String,
    /// Share of messages predicted as this category that truly are.
    pub precision: f64,
    /// Share of this category's messages predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Messages of this category in the evaluation set.
    pub support: usize,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalReport {
    /// Messages evaluated.
    pub messages: usize,
    /// Share of messages whose top prediction is the true label.
    pub accuracy: f64,
    /// Unweighted mean F1 over the categories present in the evaluation set.
    pub macro_f1: f64,
    /// One entry per label (the model's labels, then any unknown truth labels).
    pub categories: Vec<CategoryScore>,
    /// `confusion[truth][predicted]`, indexed like `categories`.
    pub confusion: Vec<Vec<usize>>,
    /// Wall-clock milliseconds per [`Classifier::predict`] call, single thread.
    pub ms_per_message: f64,
}

/// Runs `clf` over `eval` (full `predict`, as the application calls it) and scores it.
pub fn evaluate(clf: &Classifier, eval: &[Example]) -> EvalReport {
    let mut labels: Vec<String> = clf.labels().to_vec();
    for e in eval {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    let position = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0);
    let mut confusion = vec![vec![0usize; labels.len()]; labels.len()];

    let started = Instant::now();
    let predicted: Vec<String> =
        eval.iter().map(|e| clf.predict(&e.text).into_iter().next().map(|p| p.label).unwrap_or_default()).collect();
    let elapsed = started.elapsed();

    for (e, p) in eval.iter().zip(&predicted) {
        confusion[position(&e.label)][position(p)] += 1;
    }
    let correct: usize = (0..labels.len()).map(|k| confusion[k][k]).sum();
    let categories: Vec<CategoryScore> = labels
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let tp = confusion[k][k] as f64;
            let support: usize = confusion[k].iter().sum();
            let predicted: usize = confusion.iter().map(|row| row[k]).sum();
            let precision = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
            let recall = if support > 0 { tp / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            CategoryScore { label: label.clone(), precision, recall, f1, support }
        })
        .collect();
    let present: Vec<&CategoryScore> = categories.iter().filter(|c| c.support > 0).collect();
    let macro_f1 =
        if present.is_empty() { 0.0 } else { present.iter().map(|c| c.f1).sum::<f64>() / present.len() as f64 };
    EvalReport {
        messages: eval.len(),
        accuracy: if eval.is_empty() { 0.0 } else { correct as f64 / eval.len() as f64 },
        macro_f1,
        categories,
        confusion,
        ms_per_message: if eval.is_empty() { 0.0 } else { elapsed.as_secs_f64() * 1000.0 / eval.len() as f64 },
    }
}

/// Terminal columns a string takes: CJK and other wide characters count two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

/// Left-aligns `s` in `width` terminal columns.
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_width = self.categories.iter().map(|c| display_width(&c.label)).max().unwrap_or(0).max(8) + 2;
        writeln!(f, "{}precision  recall     f1  support", pad("category", name_width))?;
        for c in &self.categories {
            writeln!(
                f,
                "{}{:>9.4} {:>7.4} {:>6.4} {:>8}",
                pad(&c.label, name_width),
                c.precision,
                c.recall,
                c.f1,
                c.support
            )?;
        }
        writeln!(f, "{}{:>33}", pad("total", name_width), self.messages)?;
        writeln!(f)?;
        writeln!(f, "confusion matrix (rows: truth, columns: predicted)")?;
        // Column heads are the first two characters of each label, enough to tell the
        // seven categories apart while keeping the matrix narrow.
        let heads: Vec<String> = self
            .categories
            .iter()
            .map(|c| {
                let head: String = c.label.chars().take(2).collect();
                format!(" {}", pad(&head, 4))
            })
            .collect();
        writeln!(f, "{}{}", " ".repeat(name_width), heads.join(""))?;
        for (c, row) in self.categories.iter().zip(&self.confusion) {
            let cells: Vec<String> = row.iter().map(|n| format!("{n:>5}")).collect();
            writeln!(f, "{}{}", pad(&c.label, name_width), cells.join(""))?;
        }
        writeln!(f)?;
        write!(
            f,
            "macro_f1={:.4} accuracy={:.4} ms_per_message={:.4}",
            self.macro_f1, self.accuracy, self.ms_per_message
        )
    }
}
