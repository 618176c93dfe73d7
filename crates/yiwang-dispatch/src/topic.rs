//! Hot topics (热点, 每月一题): appeals of a period grouped into topics, ranked by size
//! and growth, each with representative messages and keywords.
//!
//! One pass of leader clustering over TF-IDF bigram vectors: each message joins the
//! most similar topic (cosine to the topic's centroid) above a threshold or starts a
//! new one. Candidate topics come from an inverted index of each topic's strongest
//! terms, so a period of tens of thousands of appeals clusters in well under a second.
//!
//! Topics are labelled with the words and place names that mark their messages out
//! ([`Labeller`]); the labels play no part in the clustering.

mod labels;

pub use labels::{Labeller, STOP_WORDS};

use crate::similarity::{TfIdf, Vector};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct TopicDoc {
    pub id: String,
    pub text: String,
    /// Seconds since the epoch.
    pub at: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct TopicParams {
    pub min_similarity: f32,
    /// Topics smaller than this are not reported.
    pub min_size: usize,
}

impl Default for TopicParams {
    fn default() -> Self {
        // Chosen on messages_hot.csv (`yiwang eval topics`): at 0.15, 90 % of the
        // same-title pairs share a topic and the ten largest topics gather 7.5 % of all
        // likes; stricter thresholds split real topics into repeated postings.
        TopicParams { min_similarity: 0.15, min_size: 2 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    /// Indexes into the input, oldest first.
    pub members: Vec<usize>,
    /// The members closest to the topic's centre, best first (at most 3).
    pub representatives: Vec<usize>,
    /// Words and place names that mark the topic out, most characteristic first: 3 to 5
    /// when the members have that many to offer, none contained in another.
    pub keywords: Vec<String>,
    /// Members in the second half of the period minus those in the first half.
    pub growth: i64,
}

struct Cluster {
    sum: HashMap<u32, f32>,
    centroid: Vector,
    members: Vec<usize>,
}

const INDEX_TERMS: usize = 32;

fn strongest(v: &Vector, n: usize) -> Vec<u32> {
    let mut t = v.0.clone();
    t.sort_by(|a, b| b.1.total_cmp(&a.1));
    t.into_iter().take(n).map(|(id, _)| id).collect()
}

/// Groups the documents into topics, largest first (ties: faster growing first), labelled
/// by the shared default [`Labeller`].
pub fn topics(docs: &[TopicDoc], p: TopicParams) -> Vec<Topic> {
    topics_with(docs, p, Labeller::shared())
}

/// As [`topics`], labelled by `labeller`: one built with the district's place names
/// ([`Labeller::new`]) keeps them whole and prefers them as keywords.
pub fn topics_with(docs: &[TopicDoc], p: TopicParams, labeller: &Labeller) -> Vec<Topic> {
    let mut out = cluster(docs, p);
    labeller.label(docs, &mut out);
    out
}

/// The topics, unlabelled.
fn cluster(docs: &[TopicDoc], p: TopicParams) -> Vec<Topic> {
    if docs.is_empty() {
        return vec![];
    }
    let model = TfIdf::fit(docs.iter().map(|d| d.text.as_str()));
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by_key(|i| (docs[*i].at, *i));
    let vectors: Vec<Vector> = docs.iter().map(|d| model.vector(&d.text)).collect();
    let mut clusters: Vec<Cluster> = vec![];
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in &order {
        let v = &vectors[i];
        let mut cands: HashSet<usize> = HashSet::new();
        for (t, _) in &v.0 {
            if let Some(cs) = index.get(t) {
                cands.extend(cs.iter().copied());
            }
        }
        let best = cands
            .into_iter()
            .map(|c| (c, clusters[c].centroid.cosine(v)))
            .filter(|(_, s)| *s >= p.min_similarity)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((c, _)) => {
                let cl = &mut clusters[c];
                v.add_into(&mut cl.sum, 1.0);
                cl.centroid = Vector::from_dense(&cl.sum);
                cl.members.push(i);
                for t in strongest(&cl.centroid, INDEX_TERMS) {
                    let e = index.entry(t).or_default();
                    if !e.contains(&c) {
                        e.push(c);
                    }
                }
            }
            None => {
                let mut sum = HashMap::new();
                v.add_into(&mut sum, 1.0);
                let c = clusters.len();
                for t in strongest(v, INDEX_TERMS) {
                    index.entry(t).or_default().push(c);
                }
                clusters.push(Cluster { sum, centroid: v.clone(), members: vec![i] });
            }
        }
    }
    let (t0, t1) = (docs.iter().map(|d| d.at).min().unwrap_or(0), docs.iter().map(|d| d.at).max().unwrap_or(0));
    let mid = t0 + (t1 - t0) / 2;
    let mut out: Vec<Topic> = clusters
        .into_iter()
        .filter(|c| c.members.len() >= p.min_size)
        .map(|c| {
            let mut reps: Vec<(usize, f32)> = c.members.iter().map(|&i| (i, c.centroid.cosine(&vectors[i]))).collect();
            reps.sort_by(|a, b| b.1.total_cmp(&a.1));
            let late = c.members.iter().filter(|&&i| docs[i].at > mid).count() as i64;
            Topic {
                keywords: vec![],
                representatives: reps.into_iter().take(3).map(|(i, _)| i).collect(),
                growth: late - (c.members.len() as i64 - late),
                members: c.members,
            }
        })
        .collect();
    out.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(b.growth.cmp(&a.growth)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(i: i64, text: &str) -> TopicDoc {
        TopicDoc { id: i.to_string(), text: text.into(), at: i }
    }

    #[test]
    fn messages_about_one_problem_form_one_topic_with_its_keywords() {
        // The 搅拌站 complaints come late in the period: a growing topic.
        let docs = vec![
            d(9, "丽发新城附近搅拌站噪音扰民，每天早上六点就开工"),
            d(10, "投诉丽发新城旁边的搅拌站噪音扰民严重"),
            d(3, "学校食堂收费太高，家长意见很大"),
            d(11, "丽发新城小区附近搅拌站噪音太大，晚上也不停"),
            d(5, "社保卡丢失如何补办"),
            d(6, "公交车不按时发车，等了一个小时"),
            d(7, "医保报销比例太低，看病负担重"),
            d(8, "公司拖欠工资三个月不发"),
            d(1, "楼上装修噪音影响休息"),
            d(2, "小区物业乱收停车费"),
            d(4, "饭店油烟直排影响居民"),
        ];
        let t = topics(&docs, TopicParams::default());
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].members, vec![0, 1, 3]);
        assert!(t[0].keywords.iter().any(|k| k.contains("搅拌站")), "{:?}", t[0].keywords);
        assert_eq!(t[0].growth, 3);
    }

    /// Filler on other subjects, so that the topic's words are rare in the period.
    fn others(from: i64) -> Vec<TopicDoc> {
        [
            "学校食堂收费太高，家长意见很大",
            "社保卡丢失如何补办",
            "公交车不按时发车，等了一个小时",
            "医保报销比例太低，看病负担重",
            "公司拖欠工资三个月不发",
            "楼上装修噪音影响休息",
            "饭店油烟直排影响居民",
            "菜市场周边占道经营，垃圾遍地",
        ]
        .iter()
        .enumerate()
        .map(|(k, t)| d(from + k as i64, t))
        .collect()
    }

    fn assert_distinct(keywords: &[String]) {
        for (i, a) in keywords.iter().enumerate() {
            for b in &keywords[i + 1..] {
                assert!(!a.contains(b.as_str()) && !b.contains(a.as_str()), "{keywords:?}");
            }
        }
    }

    #[test]
    fn labels_are_whole_words_and_the_compound_name() {
        let mut docs = vec![
            d(1, "锦绣华庭小区电梯经常故障，上周困人半小时"),
            d(2, "锦绣华庭小区电梯坏了一个月没人修，老人上下楼很困难"),
            d(3, "投诉锦绣华庭小区电梯故障频发，维修公司敷衍了事"),
            d(4, "锦绣华庭小区电梯又停运了，物业说没有维修资金"),
        ];
        docs.extend(others(10));
        let t = topics(&docs, TopicParams::default());
        assert_eq!(t[0].members, vec![0, 1, 2, 3], "{t:?}");
        let k = &t[0].keywords;
        // Every label is a word or name of the texts, never a piece across words
        // (梯故, 华庭小, 绣华庭小区电).
        let words = ["锦绣华庭", "锦绣华庭小区", "电梯", "故障", "物业", "维修", "困人", "停运", "频发", "维修资金"];
        assert!(k.iter().all(|w| words.contains(&w.as_str())), "{k:?}");
        assert!(k.contains(&"电梯".to_owned()), "{k:?}");
        assert!(k.iter().any(|w| w.starts_with("锦绣华庭")), "{k:?}");
        assert!((3..=5).contains(&k.len()), "{k:?}");
        assert_distinct(k);
    }

    #[test]
    fn a_place_name_the_caller_supplies_is_kept_whole() {
        let mut docs = vec![
            d(1, "金星路口红绿灯时间太短，行人过不去"),
            d(2, "金星路口早高峰拥堵严重，建议增加左转红绿灯"),
            d(3, "金星路口的红绿灯坏了三天，车辆乱行"),
        ];
        docs.extend(others(10));
        let plain = topics(&docs, TopicParams::default());
        assert_eq!(plain[0].members, vec![0, 1, 2], "{plain:?}");
        // The dictionary cuts 金星 / 路口: the road's name is lost.
        assert!(!plain[0].keywords.iter().any(|w| w.contains("金星路")), "{:?}", plain[0].keywords);

        let labeller = Labeller::new(&["金星路", " 府前 花园 ", "x"]);
        let t = topics_with(&docs, TopicParams::default(), &labeller);
        assert_eq!(t[0].members, vec![0, 1, 2]);
        assert_eq!(t[0].keywords.first().map(String::as_str), Some("金星路"), "{:?}", t[0].keywords);
        assert!(t[0].keywords.contains(&"红绿灯".to_owned()), "{:?}", t[0].keywords);
        assert_distinct(&t[0].keywords);
    }
}
