//! Text similarity for duplicates and topics: TF-IDF over character bigrams (Chinese
//! needs no segmentation for this), cosine between L2-normalised sparse vectors.

use std::collections::HashMap;

/// Character bigrams of the letters and digits of a text (lowercased).
pub fn bigrams(text: &str) -> Vec<[char; 2]> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    chars.windows(2).map(|w| [w[0], w[1]]).collect()
}

/// A sparse vector: (term id, weight), sorted by term id, L2-normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vector(pub Vec<(u32, f32)>);

impl Vector {
    pub fn cosine(&self, o: &Vector) -> f32 {
        let (mut i, mut j, mut s) = (0, 0, 0.0);
        while i < self.0.len() && j < o.0.len() {
            match self.0[i].0.cmp(&o.0[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    s += self.0[i].1 * o.0[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }

    /// Adds `w × other` into a dense accumulator (for centroids).
    pub fn add_into(&self, acc: &mut HashMap<u32, f32>, w: f32) {
        for (t, v) in &self.0 {
            *acc.entry(*t).or_default() += v * w;
        }
    }

    pub fn from_dense(acc: &HashMap<u32, f32>) -> Vector {
        let mut v: Vec<(u32, f32)> = acc.iter().map(|(t, w)| (*t, *w)).filter(|(_, w)| *w > 0.0).collect();
        v.sort_by_key(|(t, _)| *t);
        let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        Vector(v)
    }
}

/// A TF-IDF model fitted on a pool of texts (the candidates at hand, or a corpus).
#[derive(Debug, Clone, Default)]
pub struct TfIdf {
    vocab: HashMap<[char; 2], u32>,
    idf: Vec<f32>,
    terms: Vec<[char; 2]>,
}

impl TfIdf {
    pub fn fit<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocab: HashMap<[char; 2], u32> = HashMap::new();
        let mut df: Vec<u32> = vec![];
        let mut terms = vec![];
        let mut n = 0u32;
        for t in texts {
            n += 1;
            let mut seen: Vec<u32> = bigrams(t)
                .into_iter()
                .map(|b| {
                    let next = vocab.len() as u32;
                    *vocab.entry(b).or_insert_with(|| {
                        terms.push(b);
                        df.push(0);
                        next
                    })
                })
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                df[id as usize] += 1;
            }
        }
        // Smooth IDF as scikit-learn does: ln((1 + n) / (1 + df)) + 1.
        let idf = df.iter().map(|d| ((1.0 + n as f32) / (1.0 + *d as f32)).ln() + 1.0).collect();
        TfIdf { vocab, idf, terms }
    }

    /// The sublinear-TF, IDF-weighted, L2-normalised vector of a text. Bigrams not
    /// seen when fitting are ignored.
    pub fn vector(&self, text: &str) -> Vector {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        for b in bigrams(text) {
            if let Some(id) = self.vocab.get(&b) {
                *tf.entry(*id).or_default() += 1.0;
            }
        }
        let acc: HashMap<u32, f32> = tf.into_iter().map(|(t, c)| (t, (1.0 + c.ln()) * self.idf[t as usize])).collect();
        Vector::from_dense(&acc)
    }

    pub fn term(&self, id: u32) -> [char; 2] {
        self.terms[id as usize]
    }

    pub fn idf(&self, id: u32) -> f32 {
        self.idf[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_texts_score_higher_than_unrelated_ones() {
        let pool = ["小区门口路灯不亮", "小区门口的路灯坏了不亮", "楼下饭店油烟很大", "学校收费不合理"];
        let background = ["公交车不按时发车", "医保报销比例太低", "拖欠工资三个月", "噪音影响休息", "小区物业乱收费"];
        let m = TfIdf::fit(pool.iter().chain(background.iter()).copied());
        let v: Vec<Vector> = pool.iter().map(|t| m.vector(t)).collect();
        assert!((v[0].cosine(&v[0]) - 1.0).abs() < 1e-5);
        assert!(v[0].cosine(&v[1]) > 0.4, "{}", v[0].cosine(&v[1]));
        assert!(v[0].cosine(&v[2]) < 0.1);
        assert_eq!(v[0].cosine(&Vector::default()), 0.0);
    }
}
