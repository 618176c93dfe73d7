//! Scoring the extractor against hand labels: the TSV format and the matching rule of
//! `data/targets/README.md` ("Scoring rule"), and the one loader that reads a labelled split
//! from disk (what `yiwang eval targets --data DIR` calls).
//!
//! Matching: an extracted target matches a label when `value` and `unit` are equal and both come
//! from the same sentence (compared after trimming whitespace); each label is matched at most
//! once. `what` and `direction` are not scored.
//!
//! No width folding: `％` and `%`, or full-width and ASCII digits, are different in a unit. The
//! README says units are copied "character for character" (d042 writes `％` and is labelled `％`),
//! and the UI shows the unit as the document writes it, so an extractor that normalised units
//! would be wrong and must score as wrong. Values need no folding either: labels and [`extract`]
//! both write values as ASCII plain decimals.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use super::{Direction, TargetsError, extract};

/// One hand-labelled target (a row of `dev.tsv` / `heldout.tsv`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Label {
    /// Document id (`d042`), the file name of `docs/d042.txt` without extension.
    pub doc: String,
    /// Plain decimal value.
    pub value: String,
    /// Unit as written.
    pub unit: String,
    /// What is counted (not scored).
    pub what: String,
    /// Direction (not scored).
    pub direction: Direction,
    /// The sentence the target stands in.
    pub sentence: String,
}

/// A target or label shown in error analysis: where it is and what it says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mention {
    /// Document id.
    pub doc: String,
    /// Plain decimal value.
    pub value: String,
    /// Unit as written.
    pub unit: String,
    /// The sentence.
    pub sentence: String,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// Extracted targets that match a label (= labels matched).
    pub true_positives: usize,
    /// Extracted targets that match no label.
    pub false_positives: usize,
    /// Labels no extracted target matches.
    pub false_negatives: usize,
    /// `true_positives / extracted` (0 when nothing was extracted).
    pub precision: f64,
    /// `true_positives / labels` (0 when there are no labels).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// The labels that were not matched, in document order.
    pub misses: Vec<Mention>,
    /// The extracted targets that matched no label, in document order.
    pub spurious: Vec<Mention>,
}

const HEADER: [&str; 6] = ["doc", "value", "unit", "what", "direction", "sentence"];

/// Reads labels from the TSV format of `data/targets` (header `doc value unit what direction
/// sentence`, tab-separated, unquoted, one row per target). A row with the wrong number of fields,
/// an unknown direction or a value that is not a plain decimal is refused with its line number.
pub fn load_labels(tsv: &str) -> Result<Vec<Label>, TargetsError> {
    let bad = |line: usize, reason: String| TargetsError::Labels { line, reason };
    let mut lines = tsv.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.trim_start_matches('\u{feff}').split('\t').collect(),
        None => return Err(bad(1, "empty file, expected the header".into())),
    };
    if header != HEADER {
        return Err(bad(1, format!("header is {header:?}, expected {HEADER:?}")));
    }
    let mut labels = Vec::new();
    for (n, line) in lines {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [doc, value, unit, what, direction, sentence] = fields[..] else {
            return Err(bad(line_no, format!("{} fields, expected 6", fields.len())));
        };
        if !is_plain_decimal(value) {
            return Err(bad(line_no, format!("value {value:?} is not a plain decimal")));
        }
        let direction = Direction::parse(direction)
            .ok_or_else(|| bad(line_no, format!("direction {direction:?} is not at_least, at_most, about or exact")))?;
        labels.push(Label {
            doc: doc.to_string(),
            value: value.to_string(),
            unit: unit.to_string(),
            what: what.to_string(),
            direction,
            sentence: sentence.to_string(),
        });
    }
    Ok(labels)
}

/// `\d+(\.\d+)?` in ASCII digits, the README's definition of a plain decimal.
fn is_plain_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// A labelled split read by [`load_dataset`]: the documents it covers and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Document id → text, for the documents the split's labels name.
    pub docs: BTreeMap<String, String>,
    /// The split's labels.
    pub labels: Vec<Label>,
}

/// Reads split `split` of a labelled directory: `DIR/<split>.tsv` and the documents it names,
/// `DIR/docs/<doc>.txt`. Only those documents are opened, so evaluating one split never reads
/// another split's documents. This is the only function of the module that does file IO.
pub fn load_dataset(dir: &Path, split: &str) -> Result<Dataset, TargetsError> {
    if split.is_empty() || !split.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(TargetsError::Dataset {
            path: dir.to_path_buf(),
            reason: format!("split name {split:?} must be letters, digits, - or _"),
        });
    }
    let tsv_path = dir.join(format!("{split}.tsv"));
    let tsv =
        std::fs::read_to_string(&tsv_path).map_err(|source| TargetsError::Io { path: tsv_path.clone(), source })?;
    let labels =
        load_labels(&tsv).map_err(|e| TargetsError::Dataset { path: tsv_path.clone(), reason: e.to_string() })?;
    let mut docs = BTreeMap::new();
    for label in &labels {
        if docs.contains_key(&label.doc) {
            continue;
        }
        if label.doc.is_empty() || !label.doc.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(TargetsError::Dataset {
                path: tsv_path.clone(),
                reason: format!("document id {:?} is not a file name", label.doc),
            });
        }
        let path = dir.join("docs").join(format!("{}.txt", label.doc));
        let text = std::fs::read_to_string(&path).map_err(|source| TargetsError::Io { path, source })?;
        docs.insert(label.doc.clone(), text);
    }
    Ok(Dataset { docs, labels })
}

/// Runs [`extract`] on every document and scores the result against `labels` by the README's
/// matching rule. Labels of documents missing from `docs` count as misses; every target extracted
/// from a document in `docs` counts, whether or not the document has labels.
pub fn evaluate(docs: &BTreeMap<String, String>, labels: &[Label]) -> Score {
    // Unmatched labels, by (doc, value, unit, trimmed sentence), in file order.
    type Key = (String, String, String, String);
    let key = |doc: &str, value: &str, unit: &str, sentence: &str| -> Key {
        (doc.to_string(), value.to_string(), unit.to_string(), sentence.trim().to_string())
    };
    let mut open: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, l) in labels.iter().enumerate().rev() {
        open.entry(key(&l.doc, &l.value, &l.unit, &l.sentence)).or_default().push(i);
    }
    let mut matched = vec![false; labels.len()];
    let mut spurious = Vec::new();
    let mut true_positives = 0;
    let mut extracted = 0;
    for (doc, text) in docs {
        for t in extract(text) {
            extracted += 1;
            match open.get_mut(&key(doc, &t.value, &t.unit, &t.sentence)).and_then(Vec::pop) {
                Some(i) => {
                    matched[i] = true;
                    true_positives += 1;
                }
                None => spurious.push(Mention { doc: doc.clone(), value: t.value, unit: t.unit, sentence: t.sentence }),
            }
        }
    }
    let misses: Vec<Mention> = labels
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(l, _)| Mention {
            doc: l.doc.clone(),
            value: l.value.clone(),
            unit: l.unit.clone(),
            sentence: l.sentence.clone(),
        })
        .collect();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(true_positives, extracted);
    let recall = ratio(true_positives, labels.len());
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Score {
        true_positives,
        false_positives: extracted - true_positives,
        false_negatives: labels.len() - true_positives,
        precision,
        recall,
        f1,
        misses,
        spurious,
    }
}

impl fmt::Display for Score {
    /// The misses and false positives for error analysis, then one summary line
    /// `precision=… recall=… f1=… tp=… fp=… fn=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (title, list) in
            [("missed (label not extracted)", &self.misses), ("false positive (extracted, no label)", &self.spurious)]
        {
            if list.is_empty() {
                continue;
            }
            writeln!(f, "{title}: {}", list.len())?;
            for m in list {
                writeln!(f, "  {}\t{}\t{}\t{}", m.doc, m.value, m.unit, m.sentence)?;
            }
        }
        write!(
            f,
            "precision={:.3} recall={:.3} f1={:.3} tp={} fp={} fn={}",
            self.precision, self.recall, self.f1, self.true_positives, self.false_positives, self.false_negatives
        )
    }
}
