//! The trained dispatch model: prediction and its on-disk byte format.
//!
//! A model is a linear scorer over TF-IDF weighted hashed character n-grams (see
//! [`crate::features`]) plus a softmax temperature that turns the scores into
//! probabilities. Weights are quantised to 8 bits per class when the model is built, so a
//! freshly trained model and the same model read back from bytes predict identically.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::DispatchError;
use crate::features::{FeatureSpec, l2_normalise, sublinear_tf};

/// One category with the model's probability for it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    /// First-level category name, e.g. `城乡建设`.
    pub label: String,
    /// Probability in `[0, 1]`; the confidences of one [`Classifier::predict`] call sum to ~1.
    pub confidence: f32,
}

/// Hasher for n-gram keys, which are already well-mixed FNV hashes. A multiply spreads
/// them into the high bits the hash table uses; SipHash would only cost time.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, key: u32) {
        self.0 = u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type KeyIndex = HashMap<u32, u32, BuildHasherDefault<KeyHasher>>;

/// A trained first-level category classifier.
///
/// Obtain one with [`crate::train`], [`Classifier::from_bytes`] or [`Classifier::shipped`].
#[derive(Debug, Clone)]
pub struct Classifier {
    labels: Vec<String>,
    spec: FeatureSpec,
    /// N-gram keys in ascending order; row `i` of `idf` and `weights` belongs to `keys[i]`.
    keys: Vec<u32>,
    index: KeyIndex,
    /// Inverse document frequency per row, quantised to 1/16 steps (stored as `u8`).
    idf: Vec<f32>,
    /// Row-major `keys.len() x labels.len()` weights, already de-quantised.
    weights: Vec<f32>,
    /// Per-class quantisation step of `weights`.
    steps: Vec<f32>,
    bias: Vec<f32>,
    /// Softmax inverse temperature fitted on held-out scores at training time.
    sharpness: f32,
}

/// Raw parts of a model, before quantisation. Produced by the trainer.
pub(crate) struct ModelParts {
    pub labels: Vec<String>,
    pub spec: FeatureSpec,
    pub keys: Vec<u32>,
    pub idf: Vec<f32>,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    pub sharpness: f32,
}

const MAGIC: &[u8; 8] = b"YWDISP\x00\x01";
const IDF_STEP: f32 = 1.0 / 16.0;

/// The model file built by `run_train` over the appeals data and committed with the crate.
pub(crate) static SHIPPED_BYTES: &[u8] = include_bytes!("../model/dispatch-classifier.bin");

impl Classifier {
    /// Builds a classifier from trainer output, quantising idf and weights.
    pub(crate) fn from_parts(parts: ModelParts) -> Self {
        let classes = parts.labels.len();
        let steps: Vec<f32> = (0..classes)
            .map(|k| {
                let max = parts.weights.iter().skip(k).step_by(classes).fold(0.0f32, |m, w| m.max(w.abs()));
                if max > 0.0 { max / 127.0 } else { 1.0 }
            })
            .collect();
        let qweights: Vec<i8> = parts
            .weights
            .iter()
            .enumerate()
            .map(|(i, w)| (w / steps[i % classes]).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let qidf: Vec<u8> = parts.idf.iter().map(|v| (v / IDF_STEP).round().clamp(1.0, 255.0) as u8).collect();
        Self::assemble(parts.labels, parts.spec, parts.keys, &qidf, &qweights, steps, parts.bias, parts.sharpness)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        labels: Vec<String>,
        spec: FeatureSpec,
        keys: Vec<u32>,
        qidf: &[u8],
        qweights: &[i8],
        steps: Vec<f32>,
        bias: Vec<f32>,
        sharpness: f32,
    ) -> Self {
        let classes = labels.len();
        let mut index = KeyIndex::with_capacity_and_hasher(keys.len(), BuildHasherDefault::default());
        for (row, &key) in keys.iter().enumerate() {
            index.insert(key, row as u32);
        }
        let idf = qidf.iter().map(|&q| f32::from(q) * IDF_STEP).collect();
        let weights = qweights.iter().enumerate().map(|(i, &q)| f32::from(q) * steps[i % classes]).collect();
        Self { labels, spec, keys, index, idf, weights, steps, bias, sharpness }
    }

    /// The model shipped inside this crate, trained on the `train` rows of the appeals data
    /// (see the crate docs). Parsed once on first use, then shared.
    ///
    /// # Panics
    /// Only if the embedded model file is corrupt, which the crate's tests rule out.
    pub fn shipped() -> &'static Classifier {
        static SHIPPED: OnceLock<Classifier> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Classifier::from_bytes(SHIPPED_BYTES).expect("the model file embedded in yiwang-dispatch is valid")
        })
    }

    /// Category names this model can predict, in the model's internal order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Number of n-gram features the model keeps.
    pub fn feature_count(&self) -> usize {
        self.keys.len()
    }

    /// Raw linear scores per label (in [`Classifier::labels`] order).
    fn scores(&self, text: &str) -> Vec<f32> {
        let classes = self.labels.len();
        let counts = self.spec.term_counts(text);
        let mut rows = Vec::with_capacity(counts.len());
        let mut values = Vec::with_capacity(counts.len());
        for (key, count) in counts {
            if let Some(&row) = self.index.get(&key) {
                rows.push(row as usize);
                values.push(sublinear_tf(count) * self.idf[row as usize]);
            }
        }
        l2_normalise(&mut values);
        let mut scores = self.bias.clone();
        for (row, value) in rows.into_iter().zip(values) {
            let w = &self.weights[row * classes..(row + 1) * classes];
            for (s, w) in scores.iter_mut().zip(w) {
                *s += value * w;
            }
        }
        scores
    }

    /// Every label with its probability, most likely first.
    ///
    /// Text may be a title followed by the detail, or the detail alone; whitespace is
    /// ignored. An empty text yields the model's prior-like bias ranking.
    pub fn predict(&self, text: &str) -> Vec<Prediction> {
        let scores = self.scores(text);
        let probabilities = softmax(&scores, self.sharpness);
        let mut out: Vec<Prediction> = self
            .labels
            .iter()
            .zip(probabilities)
            .map(|(label, confidence)| Prediction { label: label.clone(), confidence })
            .collect();
        // Ties keep label order, so the ranking is deterministic.
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        out
    }

    /// The most likely label (shortcut for `predict(text)[0].label`).
    pub fn predict_label(&self, text: &str) -> &str {
        let scores = self.scores(text);
        let mut best = 0;
        for (k, s) in scores.iter().enumerate() {
            if *s > scores[best] {
                best = k;
            }
        }
        &self.labels[best]
    }

    /// Serialises the model (a few MB). The format is private to this crate but versioned:
    /// [`Classifier::from_bytes`] rejects files written by an incompatible version.
    pub fn to_bytes(&self) -> Vec<u8> {
        let classes = self.labels.len();
        let mut out = Vec::with_capacity(self.keys.len() * (3 + classes) + 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[self.spec.min_n, self.spec.max_n]);
        out.extend_from_slice(&self.spec.head_chars.to_le_bytes());
        put_u32(&mut out, classes as u32);
        for label in &self.labels {
            put_u32(&mut out, label.len() as u32);
            out.extend_from_slice(label.as_bytes());
        }
        for (step, bias) in self.steps.iter().zip(&self.bias) {
            out.extend_from_slice(&step.to_le_bytes());
            out.extend_from_slice(&bias.to_le_bytes());
        }
        out.extend_from_slice(&self.sharpness.to_le_bytes());
        put_u32(&mut out, self.keys.len() as u32);
        // Keys ascend, so their gaps are small: LEB128 varints take ~2 bytes instead of 4.
        let mut previous = 0u32;
        for &key in &self.keys {
            put_varint(&mut out, key - previous);
            previous = key;
        }
        out.extend(self.idf.iter().map(|v| (v / IDF_STEP).round() as u8));
        for (i, w) in self.weights.iter().enumerate() {
            out.push(((w / self.steps[i % classes]).round() as i8).to_le_bytes()[0]);
        }
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DispatchError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(DispatchError::Model("not a yiwang dispatch model (bad magic or version)".into()));
        }
        let ngrams = r.take(2)?;
        let spec = FeatureSpec { min_n: ngrams[0], max_n: ngrams[1], head_chars: r.u32()? };
        if spec.min_n == 0 || spec.min_n > spec.max_n || spec.max_n > 8 {
            return Err(DispatchError::Model(format!("invalid n-gram range {}..={}", spec.min_n, spec.max_n)));
        }
        let classes = r.u32()? as usize;
        if classes == 0 || classes > 1024 {
            return Err(DispatchError::Model(format!("invalid class count {classes}")));
        }
        let mut labels = Vec::with_capacity(classes);
        for _ in 0..classes {
            let len = r.u32()? as usize;
            let label =
                std::str::from_utf8(r.take(len)?).map_err(|_| DispatchError::Model("label is not UTF-8".into()))?;
            labels.push(label.to_owned());
        }
        let mut steps = Vec::with_capacity(classes);
        let mut bias = Vec::with_capacity(classes);
        for _ in 0..classes {
            steps.push(r.f32()?);
            bias.push(r.f32()?);
        }
        let sharpness = r.f32()?;
        let rows = r.u32()? as usize;
        // Each row needs at least one key byte, one idf byte and one byte per class.
        if rows.saturating_mul(2 + classes) > bytes.len() {
            return Err(DispatchError::Model("feature count exceeds file size".into()));
        }
        let mut keys = Vec::with_capacity(rows);
        let mut key = 0u32;
        for _ in 0..rows {
            key = key.checked_add(r.varint()?).ok_or_else(|| DispatchError::Model("feature keys overflow".into()))?;
            keys.push(key);
        }
        let qidf = r.take(rows)?.to_vec();
        let qweights: Vec<i8> = r.take(rows * classes)?.iter().map(|&b| i8::from_le_bytes([b])).collect();
        if r.pos != bytes.len() {
            return Err(DispatchError::Model("trailing bytes after model".into()));
        }
        Ok(Self::assemble(labels, spec, keys, &qidf, &qweights, steps, bias, sharpness))
    }
}

/// Softmax of `scores * sharpness`, shifted by the maximum for numerical safety.
pub(crate) fn softmax(scores: &[f32], sharpness: f32) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scores.iter().map(|s| ((s - max) * sharpness).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bounds-checked cursor over a model file; every read fails cleanly on truncation.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DispatchError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| DispatchError::Model("model file is truncated".into()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }
    fn u32(&mut self) -> Result<u32, DispatchError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, DispatchError> {
        let v = f32::from_bits(self.u32()?);
        if v.is_finite() { Ok(v) } else { Err(DispatchError::Model("non-finite number in model".into())) }
    }
    fn varint(&mut self) -> Result<u32, DispatchError> {
        let mut v = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.take(1)?[0];
            v |= u32::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DispatchError::Model("malformed varint".into()))
    }
}
