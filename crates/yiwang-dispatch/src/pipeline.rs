//! The two jobs the `yiwang` command line runs: training the model from the appeals
//! directory, and evaluating a model on the fixed evaluation rows.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::classifier::SHIPPED_BYTES;
use crate::corpus::{PARTIAL_FILE, SAMPLE_FILE, load_appeals_dir};
use crate::training::train_with_cross_validation;
use crate::{Classifier, DispatchError, Example, TrainOptions, evaluate};

/// What [`run_train`] did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainSummary {
    /// Training rows taken from the appeals directory.
    pub corpus_examples: usize,
    /// Extra examples supplied by the caller (a district's own corrections).
    pub extra_examples: usize,
    /// Training rows dropped because they repeat an evaluation message.
    pub dropped_repeats: usize,
    /// Labels of the trained model.
    pub labels: Vec<String>,
    /// N-gram features kept.
    pub features: usize,
    /// Macro-F1 of the out-of-fold predictions made while calibrating (training rows only;
    /// `None` when calibration is off).
    pub cross_validated_macro_f1: Option<f64>,
    /// Size of the written model file.
    pub model_bytes: usize,
    /// Wall-clock training time.
    pub seconds: f64,
    /// Where the model was written.
    pub path: PathBuf,
}

impl fmt::Display for TrainSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "trained on {} examples ({} from the corpus, {} extra; {} repeats of evaluation messages dropped)",
            self.corpus_examples + self.extra_examples,
            self.corpus_examples,
            self.extra_examples,
            self.dropped_repeats
        )?;
        writeln!(f, "labels: {}", self.labels.join(", "))?;
        if let Some(cv) = self.cross_validated_macro_f1 {
            writeln!(f, "cross-validated macro_f1 on training rows: {cv:.4}")?;
        }
        write!(
            f,
            "{} features, {} bytes written to {} in {:.1} s",
            self.features,
            self.model_bytes,
            self.path.display(),
            self.seconds
        )
    }
}

/// Trains on the `train` rows of the appeals directory `data_dir` plus `extra`, with the
/// default [`TrainOptions`], and writes the model to `out`.
pub fn run_train(data_dir: &Path, extra: &[Example], out: &Path) -> Result<TrainSummary, DispatchError> {
    let started = Instant::now();
    let corpus = load_appeals_dir(data_dir)?;
    let mut examples = corpus.train.clone();
    examples.extend_from_slice(extra);
    let (clf, cv) = train_with_cross_validation(&examples, &TrainOptions::default());
    let bytes = clf.to_bytes();
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DispatchError::io(parent, e))?;
    }
    std::fs::write(out, &bytes).map_err(|e| DispatchError::io(out, e))?;
    Ok(TrainSummary {
        corpus_examples: corpus.train.len(),
        extra_examples: extra.len(),
        dropped_repeats: corpus.dropped_train,
        labels: clf.labels().to_vec(),
        features: clf.feature_count(),
        cross_validated_macro_f1: cv,
        model_bytes: bytes.len(),
        seconds: started.elapsed().as_secs_f64(),
        path: out.to_path_buf(),
    })
}

/// Evaluates the model at `model` (or the shipped one) on both evaluation sets of
/// `data_dir`. Returns a readable report whose last line is
/// `macro_f1=… accuracy=… ms_per_message=…` for `messages_labeled_partial.csv`.
pub fn run_eval(data_dir: &Path, model: Option<&Path>) -> Result<String, DispatchError> {
    let (bytes, source) = match model {
        Some(path) => (std::fs::read(path).map_err(|e| DispatchError::io(path, e))?, path.display().to_string()),
        None => (SHIPPED_BYTES.to_vec(), "shipped model".to_owned()),
    };
    // Timed from bytes in memory to a ready classifier, as `Classifier::shipped` does it.
    let started = Instant::now();
    let clf = Classifier::from_bytes(&bytes)?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let corpus = load_appeals_dir(data_dir)?;

    let sample = evaluate(&clf, &corpus.eval_sample);
    let partial = evaluate(&clf, &corpus.eval_partial);
    Ok(format!(
        "model: {source}, {} bytes, {} features, loaded in {load_ms:.1} ms\n\n\
         == {SAMPLE_FILE}: eval rows (留言编号 % 5 == 0), {} messages ==\n{sample}\n\n\
         == {PARTIAL_FILE}: eval rows (划分 = eval), {} messages ==\n{partial}",
        bytes.len(),
        clf.feature_count(),
        sample.messages,
        partial.messages,
    ))
}
