//! yiwang-dispatch: the dispatch side of the hotline — which category a citizen's message
//! belongs to ([`Classifier`]), which unit handles it ([`routing`]), where it is
//! ([`gazetteer`]), and whether it repeats or joins a hot topic ([`duplicate`], [`topic`]).
//! For the supervision office (督查室) it also reads the measurable targets a government work
//! report commits to ([`targets`]), which become tracked tasks.
//!
//! # The category classifier
//! [`Classifier::predict`] maps a message (title + detail, or detail alone) to the 7
//! first-level categories of the appeals data: 城乡建设, 环境保护, 交通运输, 教育文体,
//! 劳动和社会保障, 商贸旅游, 卫生计生, each with a probability.
//!
//! The model is a one-vs-rest NB-SVM: a linear SVM (squared hinge, class-balanced) per
//! category over TF-IDF weighted character 1–3-grams (sublinear TF, L2-normalised), each
//! feature scaled per category by its naive-Bayes log-count ratio, with a softmax
//! temperature fitted on cross-validated scores. Prediction is a hash lookup per n-gram
//! and a 7-wide dot product (well under a millisecond per message). [`Classifier::shipped`] is trained with [`run_train`]
//! on the `train` rows of `shared/data/appeals` only (see [`corpus`] for the split and
//! leakage rules); [`run_eval`] reports it on the fixed `eval` rows. To retrain with a
//! district's own corrections, pass them to [`run_train`] or [`train`] as extra examples.

pub mod corpus;
pub mod duplicate;
pub mod gazetteer;
pub mod hot;
pub mod leaf;
pub mod routing;
pub mod similarity;
pub mod targets;
pub mod topic;

mod classifier;
mod evaluation;
mod features;
mod pipeline;
mod training;

pub use classifier::{Classifier, Prediction};
pub use evaluation::{CategoryScore, EvalReport, evaluate};
pub use pipeline::{TrainSummary, run_eval, run_train};
pub use training::{Example, TrainOptions, train};

use std::path::{Path, PathBuf};

/// Everything that can go wrong in this crate's classifier.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file is malformed or misses a column.
    #[error("appeals data: {0}")]
    Data(String),
    /// Bytes are not a valid model file.
    #[error("invalid model: {0}")]
    Model(String),
}

impl DispatchError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}
