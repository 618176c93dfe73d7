//! Targets: the measurable commitments of a government work report or plan (政府工作报告, 规划,
//! 实施方案, 工作要点) — `新增城镇就业8000人`, `改造老旧小区15个`, `失业率控制在3.8%以内` — read out
//! of its text so that a supervisor (督查室) can track them as tasks.
//!
//! This module owns:
//! * [`extract`]: the rule-based extractor. It follows the labelling conventions of
//!   `data/targets/README.md` exactly (value as a plain decimal, unit as written with its
//!   万/亿/百万, Chinese numerals, ranges → lower bound, what is and is not a target);
//! * [`sentences`]: the README's sentence definition, shared by the extractor and the scorer;
//! * [`docx_text`]: the text of a .docx upload;
//! * [`evaluate`], [`load_labels`], [`load_dataset`]: scoring against the hand labels.
//!
//! It does no IO except [`load_dataset`] (which the CLI's `eval targets` calls) and reads no
//! clock. There is no learned part: every rule is written out and cites the README rule it
//! implements. The rules were developed on the README, the `dev` split and hand-written
//! sentences only; the held-out split was not read while writing them.
//!
//! # How extraction works
//! 1. The document is read line by line (a line break always ends a sentence). Headings are
//!    recognised; a review section (`一、2025年工作回顾`) is in the past tense until the next
//!    heading of its level, so its achieved figures are skipped. Table rows (`… | …`) under a
//!    progress header (进展, 完成情况), and a cell repeating an earlier cell's target with another
//!    value, are progress, not targets.
//! 2. Each sentence is scanned once for quantities — a number (digits or Chinese numerals) and a
//!    unit from a fixed list, with ranges reduced to their lower bound (`quantity`).
//! 3. Each quantity is judged (`commitment`): names in quotes, ordinals, descriptors (`30万吨级`),
//!    criteria (`投资10亿元以上项目`), attributes of projects, counts of list items
//!    (`15件民生实事`), existing sectors under a soft verb (`聚焦13个产业集群`), baselines
//!    (`从380元提高至…`) and figures after a past marker (`去年`, `上半年`, `截至`) are dropped.
//! 4. The survivors get a direction (以上/以内/左右 …) and a short "what".
//!
//! Cost is linear in the text: a 60,000-character report takes a few milliseconds
//! (`yiwang bench targets`, on [`synthetic_report`]).

mod commitment;
mod docx;
mod quantity;
mod scoring;

use std::ops::Range;
use std::path::PathBuf;

pub use docx::docx_text;
pub use scoring::{Dataset, Label, Mention, Score, evaluate, load_dataset, load_labels};

use commitment::is_clause_break;
use quantity::{Quantity, Sentence};

/// Whether a target is a floor, a ceiling, an approximate level or an exact figure
/// (README "`what` and `direction`").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 以上, 不低于, 不少于, 超, 突破, 力争…达到, and plain counts of work (新增, 新建, 完成 …).
    AtLeast,
    /// 以内, 以下, 控制在…以内, 不超过.
    AtMost,
    /// 左右, 约.
    About,
    /// Anything else: a growth rate with no qualifier, an amount to raise or spend.
    Exact,
}

impl Direction {
    /// The label spelling: `at_least`, `at_most`, `about`, `exact`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => "at_least",
            Direction::AtMost => "at_most",
            Direction::About => "about",
            Direction::Exact => "exact",
        }
    }

    /// Parses the label spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "at_least" => Some(Direction::AtLeast),
            "at_most" => Some(Direction::AtMost),
            "about" => Some(Direction::About),
            "exact" => Some(Direction::Exact),
            _ => None,
        }
    }
}

/// A measurable target found in a text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Target {
    /// The number as written, as a plain decimal (`8千` → `8000`, `二十` → `20`, `1,200` → `1200`,
    /// `26.70` stays `26.70`); for a range, the lower bound.
    pub value: String,
    /// The unit as written, with any 万, 亿, 万亿 or 百万 directly before it (`万个`, `亿元`, `%`,
    /// `个百分点`, `％` when the text writes the full-width sign).
    pub unit: String,
    /// The value times the unit's prefix (`1.1万个` → 11000.0), for progress tracking.
    pub amount: f64,
    /// The sentence the target stands in, by [`sentences`].
    pub sentence: String,
    /// A short phrase of what is counted (`新增城镇就业`), best effort, for the UI.
    pub what: String,
    /// Floor, ceiling, approximate or exact.
    pub direction: Direction,
    /// Byte range of the number and unit in the text given to [`extract`] (for a range, from the
    /// lower bound to the unit), for highlighting.
    pub span: Range<usize>,
}

/// Everything that can go wrong reading an upload or a labelled dataset.
///
/// Kept apart from [`crate::DispatchError`], which is about the classifier's files: these errors
/// are shown to a supervisor who uploaded a file, or to whoever runs `eval targets`.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    /// The upload is not a .docx at all (not a zip, or a zip without `word/document.xml`).
    #[error("not a .docx file: {0}")]
    NotDocx(String),
    /// The upload looks like a .docx but its body cannot be read.
    #[error("damaged .docx file: {0}")]
    DamagedDocx(String),
    /// A row of a labels TSV breaks the format.
    #[error("labels line {line}: {reason}")]
    Labels {
        /// 1-based line number (the header is line 1).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A labelled dataset directory is incomplete or malformed.
    #[error("{path}: {reason}")]
    Dataset {
        /// The file or directory concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Characters that end a sentence (README "The sentence": only the full-width 。！？; `；`, `，`,
/// ASCII `!` and `?` do not).
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// The sentences of one line starting at byte `offset` of the document, trimmed, empty ones dropped.
fn line_sentences(line: &str, offset: usize, out: &mut Vec<Range<usize>>) {
    let mut start = 0;
    let push = |from: usize, to: usize, out: &mut Vec<Range<usize>>| {
        let piece = &line[from..to];
        let trimmed = piece.trim_start();
        let lead = piece.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if !trimmed.is_empty() {
            out.push(offset + from + lead..offset + from + lead + trimmed.len());
        }
    };
    for (i, c) in line.char_indices() {
        if ends_sentence(c) {
            let end = i + c.len_utf8();
            push(start, end, out);
            start = end;
        }
    }
    push(start, line.len(), out);
}

/// The lines of `text` with their byte offsets (split at `\n`, the README's line break).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split('\n').map(move |line| {
        let at = offset;
        offset += line.len() + 1;
        (at, line)
    })
}

/// Splits `text` into sentences as `data/targets/README.md` defines them: a sentence runs from
/// just after the previous `。`, `！`, `？` or line break up to and including the next `。`, `！` or
/// `？`, or to the end of the line; leading and trailing whitespace is trimmed and empty pieces are
/// dropped. Semicolons, commas, colons and ASCII `!`/`?` do not end a sentence; a closing quote
/// after `。` belongs to the next sentence. Returns each sentence's byte range in `text` with its
/// text.
pub fn sentences(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut ranges = Vec::new();
    for (offset, line) in lines(text) {
        line_sentences(line, offset, &mut ranges);
    }
    ranges.into_iter().map(|r| (r.clone(), &text[r])).collect()
}

/// What the layout of a line says about the quantities in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heading {
    /// Not a heading.
    None,
    /// A heading of this level: 1 for `一、`, 2 for `（一）`; 0 when unnumbered.
    Level(u8),
}

/// Words of a heading that opens a review of past work (README: 上年工作回顾 paragraphs are not
/// labelled).
const REVIEW_WORDS: &[&str] = &["回顾", "过去一年", "过去五年", "过去5年", "工作总结"];

/// Words of a heading that opens the plan (ends a review at any level).
const PLAN_WORDS: &[&str] =
    &["今年", "明年", "工作安排", "重点工作", "主要工作", "目标任务", "预期目标", "工作要点", "计划"];

fn is_chinese_digit(c: char) -> bool {
    matches!(c, '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
}

/// Recognises a heading: a short line numbered `一、`, `（一）` or `(一)`, or a short line that
/// names a review or the plan and does not end a sentence.
fn heading(line: &str) -> Heading {
    let t = line.trim();
    let n = t.chars().count();
    if n == 0 || n > 50 {
        return Heading::None;
    }
    let chars: Vec<char> = t.chars().collect();
    let numeral_run = chars.iter().take_while(|&&c| is_chinese_digit(c)).count();
    if numeral_run > 0 && chars.get(numeral_run) == Some(&'、') {
        return Heading::Level(1);
    }
    if matches!(chars.first(), Some('（') | Some('(')) {
        let run = chars[1..].iter().take_while(|&&c| is_chinese_digit(c)).count();
        if run > 0 && matches!(chars.get(1 + run), Some('）') | Some(')')) && n <= 40 && !t.contains('。') {
            return Heading::Level(2);
        }
    }
    let short_plain = n <= 30 && !t.ends_with('。');
    if short_plain && (REVIEW_WORDS.iter().any(|w| t.contains(w)) || PLAN_WORDS.iter().any(|w| t.contains(w))) {
        return Heading::Level(0);
    }
    Heading::None
}

/// The year a line names as the plan's: `三、2026年重点工作`, `2026年主要预期目标`,
/// `咸阳市2023年国民经济和社会发展计划`. A review heading names no plan year.
fn plan_year(line: &str) -> Option<u32> {
    let t = line.trim();
    if REVIEW_WORDS.iter().any(|w| t.contains(w)) {
        return None;
    }
    let mut best = None;
    for (at, _) in t.match_indices('年') {
        let digits: String = t[..at].chars().rev().take_while(|c| c.is_ascii_digit()).collect();
        let Ok(year) = digits.chars().rev().collect::<String>().parse::<u32>() else { continue };
        if !(1990..2100).contains(&year) || digits.len() != 4 {
            continue;
        }
        let after: String = t[at + '年'.len_utf8()..].chars().take(16).collect();
        let in_heading = heading(t) != Heading::None && PLAN_WORDS.iter().any(|w| after.contains(w));
        if in_heading || PLAN_TITLE_WORDS.iter().any(|w| after.contains(w)) {
            best = best.max(Some(year));
        }
    }
    best
}

/// Words after a year that make it the plan's year outside headings (`…2023年国民经济和社会发展计划`).
const PLAN_TITLE_WORDS: &[&str] = &["预期目标", "发展计划", "工作计划", "工作要点", "实事", "重点工作", "工作安排"];

/// Clause openers that put the rest of the line in the past (README "Not targets": achieved or
/// past figures — 过去五年…, half-year results such as d003 `上半年,引进…` whose next sentence goes
/// on listing results, progress to a month such as d012's progress to October and November).
const PAST_LINE_MARKERS: &[&str] =
    &["过去一年", "过去五年", "过去5年", "一年来", "五年来", "上半年", "前三季度", "今年以来", "截至", "截止"];

/// Clause openers that put the rest of their sentence in the past: an aside about last year in a
/// plan paragraph (`去年新增就业1.2万人`) rarely reaches beyond its sentence.
const PAST_SENTENCE_MARKERS: &[&str] = &["去年", "上年", "近年来", "近三年", "近五年", "近两年", "此前"];

/// Clause openers that put a 2026-or-later report in the past: the 十四五 period is its review.
const PAST_PERIOD_MARKERS: &[&str] = &["“十四五”时期", "“十四五”期间", "“十四五”以来", "十四五时期", "十四五期间"];

/// Clause openers that bring the line back to the plan.
const PRESENT_MARKERS: &[&str] = &["今年", "明年", "下一步", "下半年", "全年目标", "力争", "计划"];

/// 已 before a verb: done already (`已完成`, `已建成`).
const DONE_MARKERS: &[&str] =
    &["已完成", "已建成", "已开工", "已累计", "已实现", "已达", "已新增", "已引进", "已有", "已经", "已投入", "已确定"];

/// Words in a table header cell that make its column (and those after it) progress, not targets
/// (README: d007 progress columns, d012 progress to October and November).
const PROGRESS_HEADER_WORDS: &[&str] = &["进展", "进度", "完成情况", "推进情况", "截至", "截止", "完成数"];

/// What separates the cells of a table row in pasted text (`| 新增托位500个。 | 新增托位600个。`).
const CELL_SEPARATORS: [char; 2] = ['|', '\t'];

/// Document-level reading of the lines: which are in a review, which table cells are progress.
struct LineState {
    /// Inside a review section, and the level of the heading that opened it.
    review: Option<u8>,
    /// The plan year named by a heading, once seen.
    plan_year: Option<u32>,
    /// Column index (by `|`) from which table cells are progress, and the header's cell count.
    progress_column: Option<(usize, usize)>,
}

impl LineState {
    /// Reads the plan year first: a review comes before the plan it precedes.
    fn new(text: &str) -> Self {
        let plan_year = lines(text).filter_map(|(_, l)| plan_year(l)).max();
        Self { review: None, plan_year, progress_column: None }
    }

    /// A heading that opens a review: it says so (回顾), or names an earlier year than the plan's
    /// and nothing of a plan (`一、2025年工作` in a 2026 report).
    fn opens_review(&self, t: &str) -> bool {
        if REVIEW_WORDS.iter().any(|w| t.contains(w)) {
            return true;
        }
        if PLAN_WORDS.iter().any(|w| t.contains(w)) {
            return false;
        }
        let Some(plan) = self.plan_year else { return false };
        (1990..plan).any(|y| t.contains(&format!("{y}年")))
    }

    /// Updates the state with `line` and says whether the whole line is in the past.
    fn read(&mut self, line: &str) -> bool {
        let t = line.trim();
        if let Heading::Level(level) = heading(t) {
            if self.opens_review(t) {
                self.review = Some(level);
                return true;
            }
            if let Some(open) = self.review {
                let plan = PLAN_WORDS.iter().any(|w| t.contains(w)) || plan_year(t).is_some();
                if plan || level <= open || open == 0 {
                    self.review = None;
                }
            }
        }
        if t.contains(CELL_SEPARATORS) {
            let cells: Vec<&str> = t.split(CELL_SEPARATORS).collect();
            if let Some(col) = cells.iter().position(|c| PROGRESS_HEADER_WORDS.iter().any(|w| c.contains(w)))
                && !t.contains('。')
            {
                self.progress_column = Some((col, cells.len()));
            }
        }
        self.review.is_some()
    }

    /// Byte offsets (in the line) from which table cells are progress, if any.
    fn progress_from(&self, line: &str) -> Option<usize> {
        let (col, count) = self.progress_column?;
        let t = line.trim_end();
        let lead = line.len() - line.trim_start().len();
        let cells: Vec<&str> = t.trim_start().split(CELL_SEPARATORS).collect();
        if cells.len() != count || col == 0 {
            return None;
        }
        let before: usize = cells[..col].iter().map(|c| c.len() + 1).sum();
        Some(lead + before)
    }
}

/// Where the words of the clause starting at character `at` begin, after spaces, dashes and a list
/// marker (`(3)`, `（三）`, `3.`, `3、`, `01 `).
fn clause_words_start(s: &Sentence, at: usize) -> usize {
    let c = &s.chars;
    let mut i = at;
    while i < c.len() && (c[i].is_whitespace() || c[i] == '—') {
        i += 1;
    }
    if i < c.len() && matches!(c[i], '(' | '（') {
        let mut j = i + 1;
        while j < c.len() && (c[j].is_ascii_digit() || is_chinese_digit(c[j])) {
            j += 1;
        }
        if j > i + 1 && j < c.len() && matches!(c[j], ')' | '）') {
            i = j + 1;
        }
    }
    let digits = c[i..].iter().take_while(|d| d.is_ascii_digit()).count();
    if digits > 0
        && digits <= 2
        && c.get(i + digits).is_some_and(|&d| matches!(d, '.' | '．' | '、' | ' '))
        && !c.get(i + digits + 1).is_some_and(|d| d.is_ascii_digit())
    {
        i += digits + 1;
    }
    while i < c.len() && c[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Whether the clause starting at character `at` opens with one of `words`.
fn clause_opens_with(s: &Sentence, at: usize, words: &[&str]) -> bool {
    let i = clause_words_start(s, at);
    words.iter().any(|w| s.has_at(i, w))
}

/// Whether the clause opens with a month that reports progress: `1-10月`, `1—11月`, `10月底,`,
/// `9月份` — but not a deadline (`6月底前`).
fn clause_opens_with_month(s: &Sentence, at: usize, to: usize) -> bool {
    let c = &s.chars;
    let mut i = clause_words_start(s, at);
    let mut numbers = 0;
    loop {
        let digits = c[i.min(c.len())..].iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 || digits > 2 {
            return false;
        }
        i += digits;
        numbers += 1;
        match c.get(i) {
            Some('-' | '—' | '－' | '~' | '至') if numbers == 1 => i += 1,
            Some('月') => break,
            _ => return false,
        }
    }
    let rest = s.slice(i.min(to), to);
    if rest.contains("前") {
        return false;
    }
    // A single month reports progress only as 月底/月末/月份 (`5月10日` is a date).
    numbers == 2 || ["月底", "月末", "月份"].iter().any(|m| rest.starts_with(m))
}

/// The year-dependent clause openers of a document with a known plan year.
struct YearMarkers {
    /// `2025年` in a 2026 plan: what follows is last year's result.
    previous: Vec<String>,
    /// `2026年`, `2027年` …: what follows is the plan again.
    plan: Vec<String>,
    /// The 十四五 period is the past from 2026 on.
    period: &'static [&'static str],
}

impl YearMarkers {
    fn new(plan_year: Option<u32>) -> Self {
        match plan_year {
            Some(y) => Self {
                previous: vec![format!("{}年", y - 1)],
                plan: (y..y + 10).map(|y| format!("{y}年")).collect(),
                period: if y >= 2026 { PAST_PERIOD_MARKERS } else { &[] },
            },
            None => Self { previous: Vec::new(), plan: Vec::new(), period: &[] },
        }
    }
}

fn opens_with_any(s: &Sentence, at: usize, words: &[String]) -> bool {
    let i = clause_words_start(s, at);
    words.iter().any(|w| s.has_at(i, w))
}

/// How far a past marker reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tense {
    Present,
    /// Past to the end of the sentence.
    PastSentence,
    /// Past to the end of the line (unless a clause brings it back to the plan).
    PastLine,
}

/// For each character of the sentence, whether it is in the past, carrying `state` in from the
/// previous sentence of the line and out to the next.
fn past_marks(s: &Sentence, state: &mut Tense, years: &YearMarkers) -> Vec<bool> {
    let mut marks = vec![false; s.chars.len()];
    let mut i = 0;
    while i < s.chars.len() {
        let from = i;
        let mut to = i;
        while to < s.chars.len() && !is_clause_break(s.chars[to]) {
            to += 1;
        }
        let clause = s.slice(from, to);
        if clause_opens_with(s, from, PAST_LINE_MARKERS) || clause_opens_with_month(s, from, to) {
            *state = Tense::PastLine;
        } else if clause_opens_with(s, from, PAST_SENTENCE_MARKERS) || clause_opens_with(s, from, years.period) {
            *state = Tense::PastSentence;
        } else if clause_opens_with(s, from, PRESENT_MARKERS) || opens_with_any(s, from, &years.plan) {
            *state = Tense::Present;
        } else if opens_with_any(s, from, &years.previous)
            && !clause.contains("底前")
            && !clause.contains("年前")
            && !clause.contains("年底")
        {
            *state = Tense::PastSentence;
        }
        // `contains('已')` first: a char search is far cheaper than a dozen substring searches.
        let done = clause.contains('已') && DONE_MARKERS.iter().any(|m| clause.contains(m));
        for mark in &mut marks[from..to.min(s.chars.len())] {
            *mark = *state != Tense::Present || done;
        }
        i = to + 1;
    }
    if *state == Tense::PastSentence {
        *state = Tense::Present;
    }
    marks
}

/// The index after a list marker such as `2.` that opens the sentence and would otherwise be read
/// as a decimal (`2.50个小区` in a list numbered 1., 2., 3. is item 2 and 50 个). `markers` holds
/// the numbers of unambiguous markers of the document (`3.开设…`).
fn list_marker_end(s: &Sentence, markers: &[u32]) -> Option<usize> {
    let digits = s.chars.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 2 || !matches!(s.chars.get(digits), Some('.') | Some('．')) {
        return None;
    }
    if !s.chars.get(digits + 1).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.slice(0, digits).parse().ok()?;
    (markers.contains(&(n + 1)) || (n > 1 && markers.contains(&(n - 1)))).then_some(digits + 1)
}

/// Numbers of the unambiguous list markers `N.` that open lines (`3.开设…`, not `1.5万人`).
fn list_markers(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for (_, line) in lines(text) {
        let t = line.trim_start();
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        let mut after = t[digits.len()..].chars();
        if (1..=2).contains(&digits.len())
            && matches!(after.next(), Some('.') | Some('．'))
            && after.next().is_some_and(|c| !c.is_ascii_digit())
            && let Ok(n) = digits.parse()
        {
            out.push(n);
        }
    }
    out
}

/// Extracts the targets of `text` (a report, plan or list of projects), in text order.
///
/// Pure and linear in the length of the text. Follows the labelling conventions of
/// `data/targets/README.md`; see the module documentation for the steps.
pub fn extract(text: &str) -> Vec<Target> {
    let markers = list_markers(text);
    let mut state = LineState::new(text);
    let years = YearMarkers::new(state.plan_year);
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    for (line_at, line) in lines(text) {
        let line_past = state.read(line);
        let progress_from = state.progress_from(line).map(|b| line_at + b);
        let first_of_line = out.len();
        ranges.clear();
        line_sentences(line, line_at, &mut ranges);
        let mut carried_past = Tense::Present;
        for range in &ranges {
            let s = Sentence::new(&text[range.clone()], range.start);
            let marks = past_marks(&s, &mut carried_past, &years);
            let quantities = quantity::scan(&s, list_marker_end(&s, &markers));
            if quantities.is_empty() {
                continue;
            }
            let quotes = commitment::quoted(&s);
            for (k, q) in quantities.iter().enumerate() {
                let at = s.offset + s.bytes[q.start];
                let past = line_past || marks[q.start] || progress_from.is_some_and(|p| at >= p);
                if commitment::judge(&s, &quantities, k, &quotes, past).is_err() {
                    continue;
                }
                out.push(target(&s, &quantities, k));
            }
        }
        if line.contains(CELL_SEPARATORS) {
            drop_repeated_cells(line, line_at, &mut out, first_of_line);
        }
    }
    out
}

fn target(s: &Sentence, quantities: &[Quantity], k: usize) -> Target {
    let q = &quantities[k];
    Target {
        value: q.value.clone(),
        unit: q.unit.clone(),
        amount: q.number * q.multiplier,
        sentence: s.text.to_string(),
        what: commitment::what(s, q),
        direction: commitment::direction(s, quantities, k),
        span: s.offset + s.bytes[q.start]..s.offset + s.bytes[q.end],
    }
}

/// In a table row, a later cell that repeats an earlier cell's target (same "what" and unit) with
/// another value is its progress (README: d007 `| 新增婴幼儿照护服务托位600个。` next to the target
/// `新增婴幼儿照护服务托位500个。`).
fn drop_repeated_cells(line: &str, line_at: usize, out: &mut Vec<Target>, first: usize) {
    let cell_of = |byte: usize| line[..byte.saturating_sub(line_at).min(line.len())].matches(CELL_SEPARATORS).count();
    let mut keep = vec![true; out.len() - first];
    for b in first..out.len() {
        for a in first..b {
            let (ta, tb) = (&out[a], &out[b]);
            if keep[a - first]
                && cell_of(ta.span.start) < cell_of(tb.span.start)
                && ta.unit == tb.unit
                && ta.value != tb.value
                && !ta.what.is_empty()
                && ta.what == tb.what
            {
                keep[b - first] = false;
            }
        }
    }
    let mut k = 0;
    out.retain(|_| {
        let i = k;
        k += 1;
        i < first || keep[i - first]
    });
}

/// Hand-written report sentences for [`synthetic_report`]: targets of every kind, review
/// sentences, names and dates, in the register of a district report. Not taken from the
/// labelled data.
const SYNTHETIC_PARAGRAPHS: &[&str] = &[
    "一、{y0}年工作回顾",
    "过去一年，全区地区生产总值增长{a}.2%，新增城镇就业{n}人，完成老旧小区改造{b}个。",
    "二、{y1}年重点工作",
    "今年经济社会发展的主要预期目标是：地区生产总值增长{a}%左右，城镇调查失业率控制在5.5%以内，居民消费价格涨幅2%左右，城镇新增就业{n}人以上。",
    "（一）扩大有效投资。抓好总投资{b}亿元的{c}个区重点项目，完成固定资产投资{b}0亿元，新建充电桩{n}个、改造老旧管网{c}公里。",
    "（二）办好民生实事。今年再办好{c}件民生实事：新增养老床位{b}张，改造提升{a}所学校，为{n}名老年人免费体检，新增停车泊位1,{b}0个。",
    "（三）推动产业升级。聚焦{a}个产业集群，培育{c}家专精特新企业，新增规模以上工业企业{b}家左右，研发投入强度提高{a}个百分点。",
    "（四）保护生态环境。完成造林{b}万亩，细颗粒物浓度控制在{c}微克/立方米以内，建设“{a}个100”示范工程，开通12345热线分中心{a}个。",
];

/// A synthetic report of at least `min_chars` characters, made of hand-written sentences with
/// varying numbers: the input of the speed example and of the large-input test (and of a bench).
pub fn synthetic_report(min_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut round: usize = 0;
    while chars < min_chars {
        for p in SYNTHETIC_PARAGRAPHS {
            let para = p
                .replace("{y0}", &(2020 + round % 6).to_string())
                .replace("{y1}", &(2021 + round % 6).to_string())
                .replace("{a}", &(3 + round % 5).to_string())
                .replace("{b}", &(12 + round * 7 % 90).to_string())
                .replace("{c}", &(5 + round * 3 % 40).to_string())
                .replace("{n}", &(1000 + round * 137 % 9000).to_string());
            chars += para.chars().count() + 1;
            out.push_str(&para);
            out.push('\n');
        }
        round += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_told_from_paragraphs() {
        assert_eq!(heading("一、2025年工作回顾"), Heading::Level(1));
        assert_eq!(heading("（二）全面增强科技创新策源功能"), Heading::Level(2));
        assert_eq!(heading("三、2026年重点工作"), Heading::Level(1));
        assert_eq!(
            heading("今年经济社会发展的主要预期目标是：地区生产总值增长5%左右，在实际工作中努力争取更好结果。"),
            Heading::None
        );
        assert_eq!(plan_year("三、2026年重点工作"), Some(2026));
        assert_eq!(plan_year("一、2025年工作回顾"), None);
    }
}
