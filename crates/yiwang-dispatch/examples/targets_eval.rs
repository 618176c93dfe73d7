//! Scores the target extractor on one labelled split and prints the error analysis:
//! `cargo run -p yiwang-dispatch --example targets_eval -- data/targets dev`.
//!
//! Only the documents the split's TSV names are read (see `targets::load_dataset`).

use std::path::PathBuf;

use yiwang_dispatch::targets::{evaluate, load_dataset};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "data/targets".into()));
    let split = args.next().unwrap_or_else(|| "dev".into());
    let data = match load_dataset(&dir, &split) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let score = evaluate(&data.docs, &data.labels);
    println!("{split}: {} documents, {} labels", data.docs.len(), data.labels.len());
    println!("{score}");
}
