//! Developer entry point until the `yiwang` CLI wires the same functions:
//!
//! ```text
//! cargo run --release -p yiwang-dispatch --example dispatch -- train DATA_DIR OUT.bin
//! cargo run --release -p yiwang-dispatch --example dispatch -- eval DATA_DIR [MODEL.bin]
//! cargo run --release -p yiwang-dispatch --example dispatch -- cv DATA_DIR [key=value ...]
//! ```
//!
//! `cv` is for tuning: 5-fold cross-validation on the `train` rows only (never the `eval`
//! rows), with [`TrainOptions`] fields overridden by `key=value` arguments.

use std::path::Path;

use std::process::ExitCode;
use yiwang_dispatch::corpus::load_appeals_dir;
use yiwang_dispatch::{DispatchError, TrainOptions, evaluate, train};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["train", data, out] => yiwang_dispatch::run_train(Path::new(data), &[], Path::new(out)).map(|s| s.to_string()),
        ["cv", data, overrides @ ..] => cross_validate(Path::new(data), overrides),
        ["eval", data] => yiwang_dispatch::run_eval(Path::new(data), None),
        ["eval", data, model] => yiwang_dispatch::run_eval(Path::new(data), Some(Path::new(model))),
        _ => {
            eprintln!("usage: dispatch train DATA_DIR OUT | dispatch eval DATA_DIR [MODEL]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Macro-F1 of 5-fold stratified cross-validation over the corpus's training rows.
fn cross_validate(data: &Path, overrides: &[&str]) -> Result<String, DispatchError> {
    let mut options = TrainOptions { calibration_folds: 0, ..TrainOptions::default() };
    for item in overrides {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        let bad = || DispatchError::Data(format!("bad option {item}"));
        match key {
            "min_n" => options.min_n = value.parse().map_err(|_| bad())?,
            "max_n" => options.max_n = value.parse().map_err(|_| bad())?,
            "head_chars" => options.head_chars = value.parse().map_err(|_| bad())?,
            "min_df" => options.min_df = value.parse().map_err(|_| bad())?,
            "c" => options.c = value.parse().map_err(|_| bad())?,
            "balanced" => options.balanced = value.parse().map_err(|_| bad())?,
            "tolerance" => options.tolerance = value.parse().map_err(|_| bad())?,
            "max_epochs" => options.max_epochs = value.parse().map_err(|_| bad())?,
            "nb_alpha" => {
                options.nb_alpha = if value == "none" { None } else { Some(value.parse().map_err(|_| bad())?) }
            }
            _ => return Err(bad()),
        }
    }
    let corpus = load_appeals_dir(data)?;
    let folds = 5;
    let mut labels: Vec<&str> = corpus.train.iter().map(|e| e.label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    // Stratified by dealing each label's rows round-robin in file order.
    let mut fold_of = vec![0; corpus.train.len()];
    for label in &labels {
        for (n, i) in (0..corpus.train.len()).filter(|&i| corpus.train[i].label == *label).enumerate() {
            fold_of[i] = n % folds;
        }
    }
    let mut scores = Vec::new();
    for fold in 0..folds {
        let mut fit = Vec::new();
        let mut held = Vec::new();
        for (example, &f) in corpus.train.iter().zip(&fold_of) {
            if f == fold { held.push(example.clone()) } else { fit.push(example.clone()) }
        }
        let clf = train(&fit, &options);
        scores.push(evaluate(&clf, &held).macro_f1);
    }
    let mean = scores.iter().sum::<f64>() / folds as f64;
    let folds: Vec<String> = scores.iter().map(|s| format!("{s:.4}")).collect();
    Ok(format!("cv_macro_f1={mean:.4} folds=[{}] options={options:?}", folds.join(" ")))
}
