//! The appeals corpus loader and its fixed evaluation split.

use std::collections::HashSet;

use yiwang_dispatch::corpus::load_appeals_dir;

use crate::appeals_dir;

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_corpus_loader_applies_the_fixed_eval_split() {
    let corpus = load_appeals_dir(&appeals_dir()).expect("appeals data loads");
    assert_eq!(corpus.eval_partial.len(), 1053);
    assert_eq!(corpus.eval_sample.len(), 95);
    // 4,215 + 400 train rows, less the few that repeat an evaluation message.
    assert_eq!(corpus.train.len() + corpus.dropped_train, 4215 + 400);
    assert!(corpus.dropped_train < 50, "dropped {}", corpus.dropped_train);
    // About 35 unlabelled messages repeat an evaluation message (SOURCE.md).
    assert_eq!(corpus.unlabelled.len() + corpus.dropped_unlabelled, 4326 + 2816);
    assert!((30..100).contains(&corpus.dropped_unlabelled), "dropped {}", corpus.dropped_unlabelled);

    let labels: HashSet<&str> = corpus.train.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels.len(), 7, "{labels:?}");
    let sample_labels: HashSet<&str> = corpus.eval_sample.iter().map(|e| e.label.as_str()).collect();
    assert!(sample_labels.is_subset(&labels));
}

#[test]
fn no_training_or_unlabelled_text_repeats_the_start_of_an_eval_message() {
    let corpus = load_appeals_dir(&appeals_dir()).expect("appeals data loads");
    let eval_keys: HashSet<String> = corpus
        .eval_partial
        .iter()
        .chain(&corpus.eval_sample)
        .map(|e| squeeze(&e.text).chars().take(60).collect())
        .collect();
    let key = |t: &str| -> String { squeeze(t).chars().take(60).collect() };
    // None of the three is empty, or the checks below would hold without checking.
    // (The two files share some eval messages, so there are fewer keys than rows.)
    assert!(eval_keys.len() > 1000, "{} eval keys", eval_keys.len());
    assert!(corpus.train.len() > 4000, "{} training rows", corpus.train.len());
    assert!(corpus.unlabelled.len() > 7000, "{} unlabelled rows", corpus.unlabelled.len());
    assert!(corpus.train.iter().all(|e| !eval_keys.contains(&key(&e.text))));
    assert!(corpus.unlabelled.iter().all(|t| !eval_keys.contains(&key(t))));
}
