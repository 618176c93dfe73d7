//! Evaluation of duplicate and hot-topic detection on real repeated postings:
//! `messages_hot.csv` of the appeals data (附件3), which has no labels but holds
//! messages that repeat one problem.
//!
//! Ground truth, from the data itself:
//! - **near-duplicates**: messages with the same title (留言主题) but different detail
//!   texts — the same problem written again, by the same or another citizen;
//! - **exact repeats**: messages whose detail text (留言详情) is identical.
//!
//! Only the detail text is given to the detectors; titles are hidden from them.

use crate::duplicate::{self, Candidate, DuplicateParams};
use crate::topic::{self, TopicDoc, TopicParams};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

struct Row {
    title: String,
    detail: String,
    at: i64,
    likes: u64,
}

fn parse_time(s: &str) -> i64 {
    // `2019/2/28 11:25:05` (a few cells are bare dates).
    let (date, time) = s.split_once(' ').unwrap_or((s, "0:0:0"));
    let d: Vec<i64> = date.split('/').filter_map(|x| x.parse().ok()).collect();
    let t: Vec<i64> = time.split(':').filter_map(|x| x.parse().ok()).collect();
    if d.len() != 3 {
        return 0;
    }
    let days = chrono::NaiveDate::from_ymd_opt(d[0] as i32, d[1] as u32, d[2] as u32)
        .map(|x| x.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days())
        .unwrap_or(0);
    days * 86_400 + t.first().unwrap_or(&0) * 3600 + t.get(1).unwrap_or(&0) * 60 + t.get(2).unwrap_or(&0)
}

fn read(dir: &Path) -> Result<Vec<Row>, String> {
    let path = dir.join("messages_hot.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let h = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| h.iter().position(|x| x == name).ok_or(format!("{}: no column {name}", path.display()));
    let (ti, de, tm, li) = (col("留言主题")?, col("留言详情")?, col("留言时间")?, col("点赞数")?);
    let mut rows = vec![];
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        rows.push(Row {
            title: rec[ti].trim().to_owned(),
            detail: rec[de].trim().to_owned(),
            at: parse_time(&rec[tm]),
            likes: rec[li].trim().parse().unwrap_or(0),
        });
    }
    Ok(rows)
}

/// For every message that has a near-duplicate or exact repeat elsewhere, asks the
/// duplicate finder — over all other messages, no time or place limit since the data
/// has no locations — and reports recall@1, recall@5 and MRR, and how often an
/// unrelated message scores above the threshold.
pub fn evaluate_duplicates(dir: &Path, threshold: f32) -> Result<String, String> {
    let rows = read(dir)?;
    let model = crate::similarity::TfIdf::fit(rows.iter().map(|r| r.detail.as_str()));
    let pool: Vec<Candidate> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| Candidate { id: i.to_string(), vector: model.vector(&r.detail), point: None, area: None, at: 0 })
        .collect();
    let mut by_title: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_detail: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_title.entry(&r.title).or_default().push(i);
        by_detail.entry(&r.detail).or_default().push(i);
    }
    let params = DuplicateParams { min_similarity: 0.0, window_days: i64::MAX / 86_400 / 2, ..Default::default() };
    let mut out = String::new();
    let kinds: [(&str, bool); 2] =
        [("near-duplicates (same title, different text)", true), ("exact repeats (same text)", false)];
    for (name, near) in kinds {
        let (mut n, mut hit1, mut hit5, mut rr, mut above) = (0usize, 0usize, 0usize, 0f64, 0usize);
        for (i, r) in rows.iter().enumerate() {
            let mates: Vec<usize> = if near {
                by_title[r.title.as_str()].iter().copied().filter(|&j| rows[j].detail != r.detail).collect()
            } else {
                by_detail[r.detail.as_str()].iter().copied().filter(|&j| j != i).collect()
            };
            if mates.is_empty() {
                continue;
            }
            n += 1;
            // For near-duplicates, exact copies of the query are left out so that they
            // cannot answer for it.
            let others: Vec<Candidate> = pool
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i && !(near && rows[*j].detail == r.detail))
                .map(|(_, c)| c.clone())
                .collect();
            let found = duplicate::find(&pool[i], &[], &others, params);
            if let Some(rank) = found.iter().position(|m| m.id.parse().is_ok_and(|j: usize| mates.contains(&j))) {
                hit1 += (rank == 0) as usize;
                hit5 += (rank < 5) as usize;
                rr += 1.0 / (rank + 1) as f64;
                above += (found[rank].similarity >= threshold) as usize;
            }
        }
        let pct = |x: usize| 100.0 * x as f64 / n.max(1) as f64;
        let _ = writeln!(
            out,
            "{name}: {n} queries, recall@1 {:.1}%, recall@5 {:.1}%, MRR {:.3}, found at similarity >= {threshold}: {:.1}%",
            pct(hit1),
            pct(hit5),
            rr / n.max(1) as f64,
            pct(above)
        );
    }
    // False alarms: messages with no repeat of any kind whose best match still passes
    // the threshold (a lower bound on precision: some are real duplicates with a
    // different title).
    let lonely: Vec<usize> = (0..rows.len())
        .filter(|&i| by_title[rows[i].title.as_str()].len() == 1 && by_detail[rows[i].detail.as_str()].len() == 1)
        .step_by(7)
        .collect();
    let flagged = lonely
        .iter()
        .filter(|&&i| {
            !duplicate::find(
                &pool[i],
                &[],
                &pool,
                DuplicateParams { window_days: params.window_days, min_similarity: threshold, ..Default::default() },
            )
            .is_empty()
        })
        .count();
    let _ = writeln!(
        out,
        "messages with no repeat (every 7th, {}): flagged as having a likely duplicate {:.1}%",
        lonely.len(),
        100.0 * flagged as f64 / lonely.len().max(1) as f64
    );
    Ok(out)
}

/// Clusters all messages into topics and reports how well the repeated-title groups
/// stay together (pairwise recall), how many topics there are, how much of the
/// citizens' support (点赞) the ten largest topics gather, and the top topics.
pub fn evaluate_topics(dir: &Path, params: TopicParams) -> Result<String, String> {
    let rows = read(dir)?;
    let docs: Vec<TopicDoc> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| TopicDoc { id: i.to_string(), text: r.detail.clone(), at: r.at })
        .collect();
    let start = std::time::Instant::now();
    let topics = topic::topics(&docs, params);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut topic_of = vec![usize::MAX; rows.len()];
    for (t, tp) in topics.iter().enumerate() {
        for &m in &tp.members {
            topic_of[m] = t;
        }
    }
    let mut by_title: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_title.entry(&r.title).or_default().push(i);
    }
    let (mut pairs, mut together) = (0usize, 0usize);
    for g in by_title.values().filter(|g| g.len() > 1) {
        for a in 0..g.len() {
            for b in a + 1..g.len() {
                pairs += 1;
                together += (topic_of[g[a]] != usize::MAX && topic_of[g[a]] == topic_of[g[b]]) as usize;
            }
        }
    }
    let total_likes: u64 = rows.iter().map(|r| r.likes).sum();
    let top_likes: u64 = topics.iter().take(10).flat_map(|t| t.members.iter()).map(|&m| rows[m].likes).sum();
    let top_size: usize = topics.iter().take(10).map(|t| t.members.len()).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} messages → {} topics of {} or more ({} messages) at similarity >= {}, clustered in {ms:.0} ms",
        rows.len(),
        topics.len(),
        params.min_size,
        topics.iter().map(|t| t.members.len()).sum::<usize>(),
        params.min_similarity
    );
    let _ = writeln!(
        out,
        "same-title pairs kept in one topic: {together}/{pairs} ({:.1}%)",
        100.0 * together as f64 / pairs.max(1) as f64
    );
    let _ = writeln!(
        out,
        "the 10 largest topics hold {:.1}% of messages and {:.1}% of all likes",
        100.0 * top_size as f64 / rows.len() as f64,
        100.0 * top_likes as f64 / total_likes.max(1) as f64
    );
    for (k, t) in topics.iter().take(8).enumerate() {
        let likes: u64 = t.members.iter().map(|&m| rows[m].likes).sum();
        let rep = &rows[t.representatives[0]].title;
        let _ = writeln!(
            out,
            "  #{} size {:>3} growth {:>+4} likes {:>5}  [{}]  e.g. {}",
            k + 1,
            t.members.len(),
            t.growth,
            likes,
            t.keywords.join(" / "),
            rep
        );
    }
    Ok(out)
}
