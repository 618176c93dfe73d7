//! Prints the largest hot topics of the appeals data with their keyword labels, and what
//! labelling costs:
//!
//! ```text
//! cargo run -p yiwang-dispatch --release --example topic_labels -- DATA_DIR [N] [--titles]
//! ```
//!
//! `DATA_DIR` holds `messages_hot.csv` (附件3). Topics are clustered from the detail texts,
//! as `yiwang eval topics` does; `--titles` puts each title in front of its detail, as the
//! app does. The timing run labels a month-sized batch of 5,000 messages: all of
//! `messages_hot.csv` filled up from `messages_replied.csv`.
//! Last, a labeller is built with the demo gazetteer's place names and timed.

use std::path::Path;
use std::time::Instant;

use yiwang_dispatch::gazetteer::{Gazetteer, Place};
use yiwang_dispatch::topic::{self, Labeller, TopicDoc, TopicParams};

fn read(path: &Path, titles: bool) -> Result<Vec<(String, TopicDoc)>, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let h = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| h.iter().position(|x| x == name).ok_or(format!("{}: no column {name}", path.display()));
    let (ti, de, tm) = (col("留言主题")?, col("留言详情")?, col("留言时间")?);
    let mut out = vec![];
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let title = rec[ti].trim().to_owned();
        let text = if titles { format!("{title}\n{}", rec[de].trim()) } else { rec[de].trim().to_owned() };
        out.push((title, TopicDoc { id: i.to_string(), text, at: seconds(&rec[tm]) }));
    }
    Ok(out)
}

/// `2019/2/28 11:25:05` as seconds since the epoch (roughly: only the order matters here).
fn seconds(s: &str) -> i64 {
    let n: Vec<i64> = s.split(|c: char| !c.is_ascii_digit()).filter_map(|x| x.parse().ok()).collect();
    let g = |k: usize| n.get(k).copied().unwrap_or(0);
    ((((g(0) * 12 + g(1)) * 31 + g(2)) * 24 + g(3)) * 60 + g(4)) * 60 + g(5)
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Resident memory of this process in MB (Linux), for the dictionary's footprint.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let titles = args.iter().any(|a| a == "--titles");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let dir = Path::new(rest.first().map(|s| s.as_str()).unwrap_or("../shared/data/appeals"));
    let n: usize = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);

    let rows = read(&dir.join("messages_hot.csv"), titles)?;
    let docs: Vec<TopicDoc> = rows.iter().map(|(_, d)| d.clone()).collect();
    let (rss, start) = (rss_mb(), Instant::now());
    Labeller::shared();
    println!("default dictionary loaded in {:.0} ms, +{:.0} MB resident", ms(start), rss_mb() - rss);
    let start = Instant::now();
    let topics = topic::topics(&docs, TopicParams::default());
    println!("{} messages → {} topics, clustered and labelled in {:.0} ms", docs.len(), topics.len(), ms(start));
    for (k, t) in topics.iter().take(n).enumerate() {
        println!(
            "  #{:<2} size {:>3}  [{}]  e.g. {}",
            k + 1,
            t.members.len(),
            t.keywords.join(" / "),
            rows[t.representatives[0]].0
        );
    }

    let mut month = docs;
    if let Ok(more) = read(&dir.join("messages_replied.csv"), titles) {
        month.extend(more.into_iter().map(|(_, d)| d).take(5_000usize.saturating_sub(month.len())));
    }
    let start = Instant::now();
    let mut topics = topic::topics(&month, TopicParams::default());
    let total = ms(start);
    // The best of three runs: the machine may be busy with other work.
    let label_ms = (0..3)
        .map(|_| {
            let start = Instant::now();
            Labeller::shared().label(&month, &mut topics);
            ms(start)
        })
        .fold(f64::MAX, f64::min);
    let members: usize = topics.iter().map(|t| t.members.len()).sum();
    println!(
        "{} messages → {} topics ({members} messages) in {total:.0} ms, of which labelling {label_ms:.0} ms",
        month.len(),
        topics.len(),
    );

    // A labeller that knows a district's places: the demo gazetteer's names.
    let places = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/places.json");
    if let Ok(text) = std::fs::read_to_string(&places) {
        let list: Vec<Place> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let gazetteer = Gazetteer::new(list);
        let names: Vec<&str> = gazetteer.names().collect();
        let start = Instant::now();
        let labeller = Labeller::new(&names);
        println!("a labeller with the demo gazetteer's {} names built in {:.0} ms", names.len(), ms(start));
        let label_ms = (0..3)
            .map(|_| {
                let start = Instant::now();
                labeller.label(&month, &mut topics);
                ms(start)
            })
            .fold(f64::MAX, f64::min);
        println!("  labels the same {} messages in {label_ms:.0} ms", month.len());
    }
    Ok(())
}
