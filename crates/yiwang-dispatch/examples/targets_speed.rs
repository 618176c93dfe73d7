//! How long target extraction takes on a 60,000-character report (the size of a long 政府工作报告):
//! `cargo run --release -p yiwang-dispatch --example targets_speed [CHARS] [FILE.txt]`.
//!
//! The report is [`synthetic_report`] (hand-written sentences, denser in targets than a real
//! report), or the text of FILE repeated to CHARS characters. Timing lives here, not in the tests
//! (house style: performance belongs to benchmarks).

use std::time::Instant;

use yiwang_dispatch::targets::{extract, synthetic_report};

fn main() {
    let mut args = std::env::args().skip(1);
    let chars: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60_000);
    let report = match args.next() {
        Some(path) => {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let mut report = String::new();
            while report.chars().count() < chars && !text.is_empty() {
                report.push_str(&text);
                report.push('\n');
            }
            report
        }
        None => synthetic_report(chars),
    };
    let rounds = 50;
    let mut found = 0;
    let started = Instant::now();
    for _ in 0..rounds {
        found = std::hint::black_box(extract(std::hint::black_box(&report))).len();
    }
    let per_call = started.elapsed() / rounds;
    println!(
        "{} characters ({} bytes): {found} targets, {:.2} ms per extract (mean of {rounds})",
        report.chars().count(),
        report.len(),
        per_call.as_secs_f64() * 1e3
    );
}
