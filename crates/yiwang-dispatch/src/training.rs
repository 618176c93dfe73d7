//! Training: vocabulary and IDF from the examples, naive-Bayes feature scaling, one-vs-rest
//! linear SVMs solved by dual coordinate descent, and a softmax temperature fitted on cross-validated scores.
//!
//! The solver is the L2-regularised squared-hinge dual coordinate descent of LIBLINEAR
//! (Hsieh et al., 2008), the algorithm behind scikit-learn's `LinearSVC`, which is what
//! the prototypes were tuned with. Everything is deterministic for a given
//! [`TrainOptions::seed`]: the only randomness is the coordinate order, drawn from a
//! seeded generator per class, so results do not depend on the number of threads.

use std::collections::HashMap;

use crate::classifier::{Classifier, ModelParts, softmax};
use crate::features::{FeatureSpec, l2_normalise, smoothed_idf, sublinear_tf};

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Example {
    /// Title followed by detail, or the detail alone.
    pub text: String,
    /// First-level category name.
    pub label: String,
}

impl Example {
    /// Shorthand constructor.
    pub fn new(text: impl Into<String>, label: impl Into<String>) -> Self {
        Self { text: text.into(), label: label.into() }
    }
}

/// Knobs of [`train`]. The defaults are the configuration chosen by 5-fold cross-validation
/// on the `train` rows of the appeals data; they rarely need changing.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Shortest character n-gram (default 1).
    pub min_n: u8,
    /// Longest character n-gram (default 3).
    pub max_n: u8,
    /// Length of the message head whose n-grams are counted a second time in their own
    /// namespace (default 0 = off).
    pub head_chars: u32,
    /// An n-gram must occur in at least this many training messages to become a feature
    /// (default 4): rarer ones are mostly names and numbers that only memorise.
    pub min_df: u32,
    /// SVM cost; higher fits the training data more closely (default 1.0).
    pub c: f32,
    /// Weight each class's positives by `n / (classes * n_class)` so small categories
    /// (交通运输) are not drowned by large ones; this lifts macro-F1 (default true).
    pub balanced: bool,
    /// NB-SVM (Wang & Manning, 2012): scale each feature, per class, by the absolute
    /// log-ratio of its (smoothed) document frequency inside versus outside the class,
    /// so the SVM starts from naive-Bayes evidence. `Some(alpha)` is the additive
    /// smoothing of those counts (default `Some(1.0)`); `None` trains a plain SVM.
    pub nb_alpha: Option<f32>,
    /// Solver stopping tolerance on the projected-gradient spread (default 0.01).
    pub tolerance: f32,
    /// Maximum passes over the data per class (default 200).
    pub max_epochs: usize,
    /// Folds used to fit the probability temperature on held-out scores (default 3).
    /// Below 2, a fixed temperature is used and training is that many times faster.
    pub calibration_folds: usize,
    /// Seed of the coordinate order and of the fold assignment.
    pub seed: u64,
    /// Worker threads for the per-class solvers (default 2). Does not change the result.
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            min_n: 1,
            max_n: 3,
            head_chars: 0,
            min_df: 4,
            c: 1.0,
            balanced: true,
            nb_alpha: Some(1.0),
            tolerance: 0.01,
            max_epochs: 200,
            calibration_folds: 3,
            seed: 12345,
            threads: 2,
        }
    }
}

impl TrainOptions {
    fn spec(&self) -> FeatureSpec {
        FeatureSpec { min_n: self.min_n.max(1), max_n: self.max_n.max(self.min_n.max(1)), head_chars: self.head_chars }
    }
}

/// Softmax sharpness used when calibration is off: maps an SVM margin of 1 to e^3 odds.
const DEFAULT_SHARPNESS: f32 = 3.0;

/// Trains a classifier on `examples`. Labels are taken from the examples and sorted.
///
/// # Panics
/// If `examples` is empty or holds a single label: there is nothing to separate.
pub fn train(examples: &[Example], options: &TrainOptions) -> Classifier {
    train_with_cross_validation(examples, options).0
}

/// [`train`], also returning the macro-F1 of the out-of-fold predictions made while
/// calibrating (`None` when [`TrainOptions::calibration_folds`] is below 2).
pub(crate) fn train_with_cross_validation(examples: &[Example], options: &TrainOptions) -> (Classifier, Option<f64>) {
    let mut labels: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    assert!(labels.len() >= 2, "training needs examples of at least two labels");
    let targets: Vec<usize> = examples.iter().map(|e| labels.binary_search(&e.label).unwrap_or(0)).collect();
    let spec = options.spec();
    let counts: Vec<Vec<(u32, u32)>> = examples.iter().map(|e| spec.term_counts(&e.text)).collect();

    let (sharpness, cv_macro_f1) = if options.calibration_folds >= 2 {
        let held_out = cross_validated_scores(&counts, &targets, labels.len(), options);
        (fit_sharpness(&held_out, &targets), Some(macro_f1(&held_out, &targets, labels.len())))
    } else {
        (DEFAULT_SHARPNESS, None)
    };

    let all: Vec<usize> = (0..examples.len()).collect();
    let fitted = fit(&counts, &targets, &all, labels.len(), options);
    let clf = Classifier::from_parts(ModelParts {
        labels,
        spec,
        keys: fitted.vocabulary.keys,
        idf: fitted.vocabulary.idf,
        weights: fitted.weights,
        bias: fitted.bias,
        sharpness,
    });
    (clf, cv_macro_f1)
}

/// Macro-F1 of the arg-max of `scores` against `targets`.
fn macro_f1(scores: &[Vec<f32>], targets: &[usize], classes: usize) -> f64 {
    let mut tp = vec![0usize; classes];
    let mut predicted = vec![0usize; classes];
    let mut support = vec![0usize; classes];
    for (s, &truth) in scores.iter().zip(targets) {
        let guess = (0..classes).fold(0, |best, k| if s[k] > s[best] { k } else { best });
        predicted[guess] += 1;
        support[truth] += 1;
        if guess == truth {
            tp[truth] += 1;
        }
    }
    let f1s: Vec<f64> = (0..classes)
        .filter(|&k| support[k] > 0)
        .map(|k| if tp[k] == 0 { 0.0 } else { 2.0 * tp[k] as f64 / (predicted[k] + support[k]) as f64 })
        .collect();
    f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
}

/// Features kept for one training run.
struct Vocabulary {
    keys: Vec<u32>,
    idf: Vec<f32>,
    rows: HashMap<u32, u32>,
}

impl Vocabulary {
    fn build(counts: &[Vec<(u32, u32)>], docs: &[usize], min_df: u32) -> Self {
        let mut df: HashMap<u32, u32> = HashMap::new();
        for &d in docs {
            for &(key, _) in &counts[d] {
                *df.entry(key).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u32, u32)> = df.into_iter().filter(|&(_, n)| n >= min_df.max(1)).collect();
        kept.sort_unstable();
        let keys: Vec<u32> = kept.iter().map(|k| k.0).collect();
        let idf = kept.iter().map(|&(_, n)| smoothed_idf(docs.len(), n as usize)).collect();
        let rows = keys.iter().enumerate().map(|(row, &key)| (key, row as u32)).collect();
        Self { keys, idf, rows }
    }

    /// TF-IDF row of one document, L2-normalised, sorted by feature row.
    fn vectorise(&self, counts: &[(u32, u32)]) -> Vec<(u32, f32)> {
        let mut row: Vec<(u32, f32)> = counts
            .iter()
            .filter_map(|&(key, n)| self.rows.get(&key).map(|&r| (r, sublinear_tf(n) * self.idf[r as usize])))
            .collect();
        row.sort_unstable_by_key(|e| e.0);
        let mut values: Vec<f32> = row.iter().map(|e| e.1).collect();
        l2_normalise(&mut values);
        row.iter().zip(values).map(|(e, v)| (e.0, v)).collect()
    }
}

struct Fitted {
    vocabulary: Vocabulary,
    /// Row-major features x classes.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Fitted {
    fn scores(&self, counts: &[(u32, u32)], classes: usize) -> Vec<f32> {
        let mut s = self.bias.clone();
        for (row, v) in self.vocabulary.vectorise(counts) {
            let w = &self.weights[row as usize * classes..(row as usize + 1) * classes];
            for (s, w) in s.iter_mut().zip(w) {
                *s += v * w;
            }
        }
        s
    }
}

/// Fits vocabulary and one-vs-rest SVMs on the documents `docs`.
fn fit(
    counts: &[Vec<(u32, u32)>],
    targets: &[usize],
    docs: &[usize],
    classes: usize,
    options: &TrainOptions,
) -> Fitted {
    let vocabulary = Vocabulary::build(counts, docs, options.min_df);
    let rows: Vec<Vec<(u32, f32)>> = docs.iter().map(|&d| vocabulary.vectorise(&counts[d])).collect();
    let y: Vec<usize> = docs.iter().map(|&d| targets[d]).collect();
    let features = vocabulary.keys.len();

    let scales: Vec<Vec<f32>> = match options.nb_alpha {
        Some(alpha) => naive_bayes_scales(&rows, &y, classes, features, alpha),
        None => Vec::new(),
    };
    let threads = options.threads.clamp(1, classes);
    let mut per_class: Vec<(Vec<f32>, f32)> = vec![(Vec::new(), 0.0); classes];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (rows, y, scales) = (&rows, &y, &scales);
                scope.spawn(move || {
                    (t..classes)
                        .step_by(threads)
                        .map(|k| (k, solve_binary(rows, y, k, scales.get(k), features, classes, options)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (k, solution) in handle.join().expect("solver thread panicked") {
                per_class[k] = solution;
            }
        }
    });

    let mut weights = vec![0.0f32; features * classes];
    let mut bias = vec![0.0f32; classes];
    for (k, (w, b)) in per_class.into_iter().enumerate() {
        for (row, value) in w.into_iter().enumerate() {
            weights[row * classes + k] = value;
        }
        bias[k] = b;
    }
    Fitted { vocabulary, weights, bias }
}

/// Per class, `|ln(P(feature | class) / P(feature | other classes))|` from smoothed
/// binary document counts.
fn naive_bayes_scales(
    rows: &[Vec<(u32, f32)>],
    y: &[usize],
    classes: usize,
    features: usize,
    alpha: f32,
) -> Vec<Vec<f32>> {
    let mut present = vec![vec![0.0f32; features]; classes];
    for (row, &k) in rows.iter().zip(y) {
        for &(f, _) in row {
            present[k][f as usize] += 1.0;
        }
    }
    let total: Vec<f32> = (0..features).map(|f| present.iter().map(|p| p[f]).sum()).collect();
    let grand: f32 = total.iter().sum();
    (0..classes)
        .map(|k| {
            let inside_sum = present[k].iter().sum::<f32>() + alpha * features as f32;
            let outside_sum = grand - present[k].iter().sum::<f32>() + alpha * features as f32;
            (0..features)
                .map(|f| {
                    let inside = (present[k][f] + alpha) / inside_sum;
                    let outside = (total[f] - present[k][f] + alpha) / outside_sum;
                    (inside / outside).ln().abs()
                })
                .collect()
        })
        .collect()
}

/// Small deterministic generator (SplitMix64) for coordinate order and folds.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Class `k` versus the rest: L2-regularised squared-hinge SVM in the dual, with a bias
/// feature of constant value 1 (regularised like the other weights, as LIBLINEAR does).
/// With `scale`, feature `f` enters as `value * scale[f]`; the returned weights already
/// include the scale, so prediction stays a plain dot product.
/// Returns the weights and the bias.
fn solve_binary(
    rows: &[Vec<(u32, f32)>],
    y: &[usize],
    k: usize,
    scale: Option<&Vec<f32>>,
    features: usize,
    classes: usize,
    options: &TrainOptions,
) -> (Vec<f32>, f32) {
    let scaled: Vec<Vec<(u32, f32)>>;
    let rows = match scale {
        Some(scale) => {
            scaled = rows.iter().map(|r| r.iter().map(|&(f, v)| (f, v * scale[f as usize])).collect()).collect();
            &scaled
        }
        None => rows,
    };
    let n = rows.len();
    let positives = y.iter().filter(|&&c| c == k).count().max(1);
    let c_pos = if options.balanced { options.c * n as f32 / (classes as f32 * positives as f32) } else { options.c };
    let c_neg = options.c;
    let sign: Vec<f32> = y.iter().map(|&c| if c == k { 1.0 } else { -1.0 }).collect();
    let diag: Vec<f32> = sign.iter().map(|&s| if s > 0.0 { 0.5 / c_pos } else { 0.5 / c_neg }).collect();
    let qd: Vec<f32> =
        rows.iter().zip(&diag).map(|(r, d)| d + 1.0 + r.iter().map(|e| e.1 * e.1).sum::<f32>()).collect();

    let mut w = vec![0.0f32; features];
    let mut b = 0.0f32;
    let mut alpha = vec![0.0f32; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut active = n;
    let mut rng = SplitMix(options.seed ^ (k as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    // Upper bound of the dual is infinite for the squared hinge, so only the largest
    // projected gradient of the previous pass matters for shrinking.
    let mut pg_max_old = f32::INFINITY;

    for _ in 0..options.max_epochs {
        for i in 0..active {
            let j = i + rng.below(active - i);
            order.swap(i, j);
        }
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        let mut s = 0;
        while s < active {
            let i = order[s];
            let row = &rows[i];
            let margin = b + row.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>();
            let g = sign[i] * margin - 1.0 + diag[i] * alpha[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    // Shrinking: this example sits comfortably outside the margin.
                    active -= 1;
                    order.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * sign[i];
                for &(f, v) in row {
                    w[f as usize] += d * v;
                }
                b += d;
            }
            s += 1;
        }
        if pg_max - pg_min <= options.tolerance {
            if active == n {
                break;
            }
            // Converged on the shrunk set: check once more on everything.
            active = n;
            pg_max_old = f32::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
    }
    if let Some(scale) = scale {
        for (w, s) in w.iter_mut().zip(scale) {
            *w *= s;
        }
    }
    (w, b)
}

/// Out-of-fold scores for every example: stratified folds, a full fit per fold.
fn cross_validated_scores(
    counts: &[Vec<(u32, u32)>],
    targets: &[usize],
    classes: usize,
    options: &TrainOptions,
) -> Vec<Vec<f32>> {
    let folds = fold_assignment(targets, classes, options.calibration_folds, options.seed);
    let mut scores = vec![Vec::new(); targets.len()];
    for fold in 0..options.calibration_folds {
        let train: Vec<usize> = (0..targets.len()).filter(|&i| folds[i] != fold).collect();
        let fitted = fit(counts, targets, &train, classes, options);
        for i in (0..targets.len()).filter(|&i| folds[i] == fold) {
            scores[i] = fitted.scores(&counts[i], classes);
        }
    }
    scores
}

/// Stratified fold index per example: each class is shuffled and dealt round-robin.
pub(crate) fn fold_assignment(targets: &[usize], classes: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix(seed ^ 0x5EED_F01D);
    let mut assignment = vec![0; targets.len()];
    let mut next = 0;
    for k in 0..classes {
        let mut members: Vec<usize> = (0..targets.len()).filter(|&i| targets[i] == k).collect();
        for i in (1..members.len()).rev() {
            members.swap(i, rng.below(i + 1));
        }
        for i in members {
            assignment[i] = next % folds;
            next += 1;
        }
    }
    assignment
}

/// Sharpness `t` minimising the negative log-likelihood of `softmax(t * scores)`,
/// by golden-section search over `ln t` (the loss is unimodal in `t`).
fn fit_sharpness(scores: &[Vec<f32>], targets: &[usize]) -> f32 {
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp() as f32;
        scores.iter().zip(targets).map(|(s, &k)| -f64::from(softmax(s, t)[k].max(1e-12)).ln()).sum()
    };
    let (mut lo, mut hi) = ((0.1f64).ln(), (100.0f64).ln());
    let ratio = (5.0f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let a = hi - ratio * (hi - lo);
        let b = lo + ratio * (hi - lo);
        if nll(a) < nll(b) { hi = b } else { lo = a }
    }
    ((lo + hi) / 2.0).exp() as f32
}
