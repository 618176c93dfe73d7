//! Text to feature vectors: normalisation, hashed character n-grams and TF-IDF weighting.
//!
//! The classifier never sees raw strings. Every message goes through the same
//! [`FeatureSpec`] at training and at prediction time, so this module is the single place
//! that decides what "the same message" means (whitespace, full-width letters, case).

/// Which n-grams a message is turned into. Stored inside the model file so a model is
/// always read back with the extractor it was trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FeatureSpec {
    /// Shortest character n-gram.
    pub min_n: u8,
    /// Longest character n-gram.
    pub max_n: u8,
    /// The first `head_chars` characters also emit n-grams in a separate namespace:
    /// the title and opening sentence say most about the topic, while long details drift.
    /// Zero disables the head namespace.
    pub head_chars: u32,
}

/// Normalises a message into the character sequence n-grams are taken from.
///
/// Whitespace is dropped because one of the training sources had it removed entirely;
/// keeping it would make the same message look different depending on its source.
/// Full-width ASCII (common in Chinese input methods) is folded to half-width and ASCII
/// is lower-cased so `ＡＢＣ`, `ABC` and `abc` count as one token.
pub(crate) fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            c.to_ascii_lowercase()
        })
        .collect()
}

/// FNV-1a offset basis; the namespace is mixed in so head n-grams never equal body n-grams.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Stable 32-bit key of one n-gram. Hand-written (not `std`'s hasher) because the keys are
/// persisted in the model file and must not change with the Rust version.
fn ngram_key(namespace: u8, gram: &[char]) -> u32 {
    let mut h = FNV_OFFSET ^ u64::from(namespace);
    h = h.wrapping_mul(FNV_PRIME);
    for &c in gram {
        for b in (c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    }
    // Fold to 32 bits: with a few hundred thousand distinct n-grams the expected number of
    // colliding pairs is about ten, which costs nothing measurable and halves the key table.
    (h ^ (h >> 32)) as u32
}

impl FeatureSpec {
    /// Term counts of a message as `(key, count)` sorted by key.
    pub(crate) fn term_counts(&self, text: &str) -> Vec<(u32, u32)> {
        let chars = normalise(text);
        let mut keys = Vec::with_capacity(chars.len() * usize::from(self.max_n) * 2);
        self.push_keys(&chars, 0, &mut keys);
        let head = (self.head_chars as usize).min(chars.len());
        if head > 0 {
            self.push_keys(&chars[..head], 1, &mut keys);
        }
        keys.sort_unstable();
        let mut counts: Vec<(u32, u32)> = Vec::with_capacity(keys.len());
        for key in keys {
            match counts.last_mut() {
                Some((last, n)) if *last == key => *n += 1,
                _ => counts.push((key, 1)),
            }
        }
        counts
    }

    fn push_keys(&self, chars: &[char], namespace: u8, out: &mut Vec<u32>) {
        let (min_n, max_n) = (usize::from(self.min_n), usize::from(self.max_n));
        for start in 0..chars.len() {
            for n in min_n..=max_n {
                if start + n > chars.len() {
                    break;
                }
                out.push(ngram_key(namespace, &chars[start..start + n]));
            }
        }
    }
}

/// Sublinear term frequency: a word said ten times is not ten times as telling.
pub(crate) fn sublinear_tf(count: u32) -> f32 {
    1.0 + (count as f32).ln()
}

/// Smoothed inverse document frequency, the same formula as scikit-learn's default so
/// prototypes and this implementation agree.
pub(crate) fn smoothed_idf(documents: usize, df: usize) -> f32 {
    ((1.0 + documents as f32) / (1.0 + df as f32)).ln() + 1.0
}

/// Scales `values` to unit Euclidean length (no-op on an all-zero vector).
pub(crate) fn l2_normalise(values: &mut [f32]) {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for v in values {
            *v /= norm;
        }
    }
}
