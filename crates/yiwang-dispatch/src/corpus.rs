//! The appeals data set on disk (`shared/data/appeals`, described by its `SOURCE.md`):
//! reading the CSV files, applying the fixed evaluation split, and keeping evaluation
//! messages out of everything used for training.
//!
//! Split rules (fixed, never tuned):
//! - `messages_labeled_partial.csv`: the `划分` column decides; text `文本`, label `一级标签`.
//! - `messages_labeled.csv`: `eval` when `留言编号 % 5 == 0`; text is `留言主题` followed by
//!   `留言详情`; label `一级分类`.
//!
//! Leakage rule: the same message can be posted twice under different ids, or appear with
//! and without its title in different sources. A training or unlabelled message is dropped
//! when the first 60 whitespace-free characters of any evaluation message (its full text,
//! and for the sample file also its detail alone) occur near the start of it.

use std::collections::HashSet;
use std::path::Path;

use crate::{DispatchError, Example};

/// Labelled file rebuilt from two public splits of the full 附件2.
pub const PARTIAL_FILE: &str = "messages_labeled_partial.csv";
/// The organisers' 495-row sample of 附件2.
pub const SAMPLE_FILE: &str = "messages_labeled.csv";
/// Unlabelled messages, usable only for unsupervised features.
pub const UNLABELLED_FILES: [&str; 2] = ["messages_hot.csv", "messages_replied.csv"];

/// Characters compared when looking for a repeated evaluation message (per `SOURCE.md`).
const KEY_CHARS: usize = 60;
/// How far into a message a repeated evaluation text may start: a detail-only copy of a
/// message matches inside the title+detail copy after the title (1–42 characters).
const MAX_KEY_OFFSET: usize = 100;
/// Evaluation texts shorter than this are matched only as a whole, not inside others,
/// since very short strings (`如题`) occur everywhere.
const MIN_KEY_CHARS: usize = 20;

/// The appeals data, split and filtered.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// `train` rows of both labelled files, minus repeats of evaluation messages.
    pub train: Vec<Example>,
    /// `eval` rows of `messages_labeled_partial.csv` (1,053): the headline figure.
    pub eval_partial: Vec<Example>,
    /// `eval` rows of `messages_labeled.csv` (95), reported separately.
    pub eval_sample: Vec<Example>,
    /// Title+detail texts of `messages_hot.csv` and `messages_replied.csv`, minus repeats
    /// of evaluation messages. Not used by the shipped model (see the crate docs).
    pub unlabelled: Vec<String>,
    /// Training rows dropped because they repeat an evaluation message.
    pub dropped_train: usize,
    /// Unlabelled rows dropped because they repeat an evaluation message.
    pub dropped_unlabelled: usize,
}

/// Reads the appeals directory. The two labelled files are required; the unlabelled ones
/// are read when present.
pub fn load_appeals_dir(dir: &Path) -> Result<Corpus, DispatchError> {
    let mut train = Vec::new();
    let mut eval_partial = Vec::new();
    for row in read_rows(&dir.join(PARTIAL_FILE), &["文本", "一级标签", "划分"])? {
        let [text, label, split] = <[String; 3]>::try_from(row).unwrap_or_default();
        let example = Example { text, label };
        match split.as_str() {
            "train" => train.push((example, None)),
            "eval" => eval_partial.push(example),
            other => {
                return Err(DispatchError::Data(format!("{PARTIAL_FILE}: unknown 划分 value {other:?}")));
            }
        }
    }

    let mut eval_sample = Vec::new();
    let mut sample_details = Vec::new();
    for row in read_rows(&dir.join(SAMPLE_FILE), &["留言编号", "留言主题", "留言详情", "一级分类"])? {
        let [id, title, detail, label] = <[String; 4]>::try_from(row).unwrap_or_default();
        let id: u64 =
            id.trim().parse().map_err(|_| DispatchError::Data(format!("{SAMPLE_FILE}: bad 留言编号 {id:?}")))?;
        let example = Example { text: format!("{title}{detail}"), label };
        if id.is_multiple_of(5) {
            eval_sample.push(example);
            sample_details.push(detail);
        } else {
            train.push((example, Some(detail)));
        }
    }

    let guard = EvalGuard::new(
        eval_partial
            .iter()
            .map(|e| e.text.as_str())
            .chain(eval_sample.iter().map(|e| e.text.as_str()))
            .chain(sample_details.iter().map(String::as_str)),
    );

    let before = train.len();
    let train: Vec<Example> = train
        .into_iter()
        .filter(|(e, detail)| !guard.repeats(&e.text) && !detail.as_deref().is_some_and(|d| guard.repeats(d)))
        .map(|(e, _)| e)
        .collect();
    let dropped_train = before - train.len();

    let mut unlabelled = Vec::new();
    let mut dropped_unlabelled = 0;
    for file in UNLABELLED_FILES {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        for row in read_rows(&path, &["留言主题", "留言详情"])? {
            let [title, detail] = <[String; 2]>::try_from(row).unwrap_or_default();
            let text = format!("{title}{detail}");
            if guard.repeats(&text) || guard.repeats(&detail) {
                dropped_unlabelled += 1;
            } else {
                unlabelled.push(text);
            }
        }
    }

    Ok(Corpus { train, eval_partial, eval_sample, unlabelled, dropped_train, dropped_unlabelled })
}

/// Reads the named columns of a CSV file, in the order given.
fn read_rows(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>, DispatchError> {
    let data = |e: csv::Error| DispatchError::Data(format!("{}: {e}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(data)?;
    let headers = reader.headers().map_err(data)?.clone();
    let positions: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| DispatchError::Data(format!("{}: missing column {c}", path.display())))
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(data)?;
        rows.push(positions.iter().map(|&p| record.get(p).unwrap_or_default().to_owned()).collect());
    }
    Ok(rows)
}

/// Recognises messages that repeat an evaluation message.
struct EvalGuard {
    /// Whitespace-free 60-character prefixes of evaluation texts.
    keys: HashSet<String>,
    /// Whole whitespace-free evaluation texts shorter than 60 characters.
    short: Vec<String>,
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

impl EvalGuard {
    fn new<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut keys = HashSet::new();
        let mut short = Vec::new();
        for text in texts {
            let text = without_whitespace(text);
            if text.chars().count() >= KEY_CHARS {
                keys.insert(text.chars().take(KEY_CHARS).collect());
            } else if !text.is_empty() {
                short.push(text);
            }
        }
        Self { keys, short }
    }

    fn repeats(&self, text: &str) -> bool {
        let text = without_whitespace(text);
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let chars = starts.len() - 1;
        if chars >= KEY_CHARS {
            for offset in 0..=MAX_KEY_OFFSET.min(chars - KEY_CHARS) {
                if self.keys.contains(&text[starts[offset]..starts[offset + KEY_CHARS]]) {
                    return true;
                }
            }
        }
        self.short
            .iter()
            .any(|s| if s.chars().count() >= MIN_KEY_CHARS { text.contains(s.as_str()) } else { text == *s })
    }
}
