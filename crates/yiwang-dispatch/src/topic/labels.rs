//! Topic labels: the words and place names that set a topic's messages apart from the
//! rest of the period.
//!
//! Every message of the period is cut into words by jieba (its dictionary is compiled
//! into the binary). A word scores by the share of the topic's messages that use it times
//! its inverse document frequency over all the period's messages, weighted by its part of
//! speech: place names before nouns before verbs. Function words, numbers, single
//! characters and the boilerplate of petitions ([`STOP_WORDS`]) never label a topic.
//!
//! Names the dictionary does not know come out in pieces (丽发 新城, 伊 景园, 茶场 村). A
//! word that in the topic's messages is nearly always next to the same word is joined
//! with it, if the result looks like a name: it ends in a place suffix (…村, …路, …园,
//! …站), or one of its pieces is unknown to the dictionary, a proper noun, a single
//! character or a number. Joining stops after a place suffix, so an address gives its
//! names one by one (天顶街道, 青山新村, 青青家园) rather than one long run. Words the caller
//! supplies (the gazetteer's places, roads, compounds) are never cut and are preferred.

use super::{Topic, TopicDoc};
use jieba_rs::Jieba;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Words that say nothing about what a topic is: the courtesies and verbs of a petition,
/// the parties it names, and generic places that only mean something inside a name
/// (青山新村 yes, 新村 no).
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    // Courtesies and the petition's own vocabulary.
    "您好", "你好", "领导", "各位", "尊敬", "请问", "希望", "恳请", "恳求", "请求", "麻烦", "谢谢", "感谢", "问题",
    "反映", "投诉", "举报", "建议", "咨询", "询问", "留言", "回复", "答复", "来信", "信访", "诉求", "网友", "关注",
    "重视", "要求", "解决", "处理", "落实", "调查", "核实", "帮助", "支持", "情况", "事情", "事件", "现象", "原因",
    "结果", "方面", "部分", "时间", "时候", "目前", "现在", "今年", "去年", "每天", "天天", "地方", "东西", "工作",
    "作用", "意见", "办法", "措施", "规定", "政策", "文件", "手续", "资料", "材料", "标准", "程序", "答案", "说法",
    "理由", "行为", "严重", "影响", "进行", "存在", "导致", "造成", "发生", "出现", "需要", "应该", "知道", "觉得",
    "认为", "表示", "告知", "说明", "了解", "没有", "不能", "可以", "能够", "只能", "不是", "就是", "还是", "是否",
    "能否", "如何", "怎么", "为什么", "什么", "打电话", "电话", "联系", "一下", "一直", "已经", "多次", "多年",
    "长期", "得到", "给予", "告诉", "发现", "开始", "继续", "生活", "社会", "国家", "人民", "合法", "权益", "利益",
    "加快", "尽快", "力度", "大力", "倡导", "背景",
    // How a hotline operator writes a call down.
    "来电", "来电人", "诉求人", "市民反映",
    // The parties.
    "政府", "市政府", "市委市政府", "区政府", "县政府", "省政府", "政府部门", "相关部门", "有关部门", "职能部门",
    "主管部门", "部门", "相关", "有关", "单位", "工作人员", "人员", "市民", "居民", "村民", "群众", "百姓",
    "老百姓", "本人", "我们", "大家", "业主", "市长", "书记", "区长", "县长", "市委", "区委", "县委", "同志",
    "先生", "女士",
    // Generic places and positions.
    "小区", "社区", "街道", "新村", "村里", "城市", "地区", "附近", "周边", "周围", "旁边", "门口", "楼下", "家里",
];

/// Characters that end a place name: 区 县 镇 村 路 园 站 … A word ending in one closes a
/// name, so joining stops there.
const PLACE_SUFFIXES: &str = "省市区县镇乡村组街道路巷弄桥园苑城站湾府庭阁墅楼栋期厂场院局馆校港厦寓店坊";

/// Characters that make an unknown word a poor name piece: HMM word discovery glues
/// them to their neighbours (范围 内及).
const FUNCTION_CHARS: &str = "的了及与或为在是被把将对向从于之其也都就而着过吗呢吧啊";

/// Characters that HMM word discovery glues to the unknown name that follows them
/// (春华 镇金鼎村): split off again.
const ADMIN_PREFIXES: &str = "省市区县镇乡街";

/// Frequency given to the caller's words (the default dictionary totals about 60 million):
/// high enough that they win over any cut across them.
const PREFERRED_FREQ: usize = 5_000;

/// At most this many labels per topic, and at least this many if its members have as
/// many words to offer: words of a single member fill up to the minimum.
const MAX_LABELS: usize = 5;
const MIN_LABELS: usize = 3;
/// A word joins its neighbour when this share of its occurrences (in fifths) have it.
const JOIN_FIFTHS: usize = 4;
const MAX_PHRASE_TOKENS: usize = 4;
const MAX_PHRASE_CHARS: usize = 8;

static STOP: LazyLock<HashSet<&str>> = LazyLock::new(|| STOP_WORDS.iter().copied().collect());

static SHARED: LazyLock<Labeller> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    // The anonymised appeals data names places A市, A3区, K7县 …: keep them whole.
    for letter in 'A'..='Z' {
        for n in 0..=20 {
            for suffix in ['市', '区', '县'] {
                let w = if n == 0 { format!("{letter}{suffix}") } else { format!("{letter}{n}{suffix}") };
                jieba.add_word(&w, Some(PREFERRED_FREQ), Some("ns"));
            }
        }
    }
    Labeller { jieba, preferred: HashSet::new() }
});

/// Finds the labels of topics. The shared one loads the dictionary on first use (about
/// 0.13 s and 30 MB in a release build); [`Labeller::new`] copies it (about 20 ms and
/// another 30 MB): build one once and keep it.
#[derive(Debug, Clone)]
pub struct Labeller {
    jieba: Jieba,
    /// The caller's words: kept whole and preferred as labels.
    preferred: HashSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Punctuation, particles, pronouns, adverbs, Chinese numerals: never in a label.
    Function,
    /// Digits or letters and digits (58, 805, G2): only at the start of a name (58车贷).
    Number,
    Place,
    Noun,
    VerbNoun,
    Verb,
    /// Adjectives and distinguishing words: at the start of a name (辉煌国际城) but not
    /// alone.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    start: u32,
    end: u32,
    kind: Kind,
    chars: u16,
    /// Ends a place name (a word ending in one of [`PLACE_SUFFIXES`]).
    suffix: bool,
    /// In the dictionary (or the caller's words).
    known: bool,
    /// Makes a run of words look like a name: unknown to the dictionary, a proper noun,
    /// a single noun character, a number or a caller's word.
    name_piece: bool,
    preferred: bool,
}

/// All documents cut into words, with each word's document frequency.
struct Segmented<'a> {
    texts: Vec<&'a str>,
    tokens: Vec<Vec<Token>>,
    df: HashMap<&'a str, u32>,
}

impl<'a> Segmented<'a> {
    fn word(&self, doc: u32, t: &Token) -> &'a str {
        &self.texts[doc as usize][t.start as usize..t.end as usize]
    }

    fn token(&self, doc: u32, i: u32) -> &Token {
        &self.tokens[doc as usize][i as usize]
    }

    fn run(&self, o: &Occurrence) -> &[Token] {
        &self.tokens[o.doc as usize][o.start as usize..o.end as usize]
    }

    /// The text of the words an occurrence spans.
    fn text(&self, o: &Occurrence) -> &'a str {
        let r = self.run(o);
        &self.texts[o.doc as usize][r[0].start as usize..r[r.len() - 1].end as usize]
    }

    fn chars(&self, o: &Occurrence) -> usize {
        self.run(o).iter().map(|t| t.chars as usize).sum()
    }
}

/// Where a candidate label occurs: document and token range.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    doc: u32,
    start: u32,
    end: u32,
}

impl Labeller {
    /// The default dictionary, built on first use and shared.
    pub fn shared() -> &'static Labeller {
        &SHARED
    }

    /// The default dictionary plus the caller's words (place names, roads, compounds),
    /// which are kept whole and preferred as labels. Blanks around a word are ignored;
    /// words shorter than two characters or with blanks inside are skipped.
    pub fn new(extra_words: &[&str]) -> Labeller {
        let mut l = Labeller::shared().clone();
        for w in extra_words {
            let w = w.trim();
            if w.chars().count() < 2 || w.chars().any(char::is_whitespace) {
                continue;
            }
            let freq = l.jieba.suggest_freq(w).max(PREFERRED_FREQ);
            l.jieba.add_word(w, Some(freq), Some("ns"));
            l.preferred.insert(w.to_owned());
        }
        l
    }

    /// Sets the keywords of every topic: up to five words or names, most characteristic
    /// first, none contained in another. `docs` are the documents the topics' members
    /// index, the whole period: they give the words' document frequencies.
    pub fn label(&self, docs: &[TopicDoc], topics: &mut [Topic]) {
        if topics.is_empty() {
            return;
        }
        let mut member = vec![false; docs.len()];
        for &m in topics.iter().flat_map(|t| t.members.iter()) {
            member[m] = true;
        }
        let seg = self.segment_all(docs, &member);
        for t in topics {
            t.keywords = keywords(&t.members, &seg);
        }
    }

    /// Cuts the members into tagged words; of the other documents only their words'
    /// document frequencies are needed, and untagged cutting is twice as fast.
    fn segment_all<'a>(&self, docs: &'a [TopicDoc], member: &[bool]) -> Segmented<'a> {
        let mut seg = Segmented {
            texts: docs.iter().map(|d| d.text.as_str()).collect(),
            tokens: Vec::with_capacity(docs.len()),
            df: HashMap::new(),
        };
        let mut words: Vec<&str> = vec![];
        for (i, d) in docs.iter().enumerate() {
            let text = d.text.as_str();
            words.clear();
            if member[i] {
                let toks = self.segment(text);
                words.extend(
                    toks.iter().filter(|t| t.kind != Kind::Function).map(|t| &text[t.start as usize..t.end as usize]),
                );
                seg.tokens.push(toks);
            } else {
                for (k, t) in self.jieba.cut(text, true).into_iter().enumerate() {
                    let cut = self.admin_prefix(t.word, k > 0);
                    words.extend(
                        [&t.word[..cut], &t.word[cut..]].into_iter().filter(|w| w.chars().any(char::is_alphanumeric)),
                    );
                }
                seg.tokens.push(vec![]);
            }
            words.sort_unstable();
            words.dedup();
            for w in &words {
                *seg.df.entry(w).or_default() += 1;
            }
        }
        seg
    }

    fn segment(&self, text: &str) -> Vec<Token> {
        let mut out: Vec<Token> = vec![];
        for t in self.jieba.tag(text, true) {
            let cut = t.byte_start + self.admin_prefix(t.word, !out.is_empty());
            if cut > t.byte_start {
                out.push(self.token(text, t.byte_start, cut, "n"));
            }
            out.push(self.token(text, cut, t.byte_end, t.tag));
        }
        out
    }

    /// The length in bytes of an administrative character that HMM word discovery glued to
    /// the unknown name after it (春华 镇金鼎村), or 0.
    fn admin_prefix(&self, word: &str, after_another: bool) -> usize {
        match word.chars().next() {
            Some(first)
                if after_another
                    && ADMIN_PREFIXES.contains(first)
                    && word.chars().nth(2).is_some()
                    && !self.jieba.has_word(word) =>
            {
                first.len_utf8()
            }
            _ => 0,
        }
    }

    fn token(&self, text: &str, start: usize, end: usize, tag: &str) -> Token {
        let w = &text[start..end];
        let chars = w.chars().count();
        let preferred = !self.preferred.is_empty() && self.preferred.contains(w);
        let kind = if preferred { Kind::Place } else { kind_of(w, tag) };
        let last = w.chars().last().unwrap_or(' ');
        let content = !matches!(kind, Kind::Function | Kind::Number);
        let known = self.jieba.has_word(w);
        // The tags of unknown words are guesses: only the dictionary's proper nouns count.
        let proper = known && matches!(tag, "ns" | "nr" | "nz" | "nt" | "nrt" | "nrfg");
        let glued = !known && w.chars().any(|c| FUNCTION_CHARS.contains(c));
        let kind = if glued && kind != Kind::Function { Kind::Other } else { kind };
        let nounish = matches!(kind, Kind::Place | Kind::Noun);
        let unknown = nounish && !known;
        let name_piece = preferred || kind == Kind::Number || (content && proper) || unknown || (chars == 1 && nounish);
        Token {
            start: start as u32,
            end: end as u32,
            kind,
            chars: chars.min(u16::MAX as usize) as u16,
            suffix: content && PLACE_SUFFIXES.contains(last),
            known,
            name_piece,
            preferred,
        }
    }
}

fn kind_of(w: &str, tag: &str) -> Kind {
    if !w.chars().any(char::is_alphanumeric) {
        return Kind::Function;
    }
    if w.is_ascii() {
        return if w.chars().any(|c| c.is_ascii_digit()) { Kind::Number } else { Kind::Noun };
    }
    let mut chars = w.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && PLACE_SUFFIXES.contains(c)
        && !tag.starts_with(['u', 'p', 'c', 'd', 'r', 'f', 'x', 'y', 'e', 'o'])
    {
        // 村/zg, 站/v, 栋/q: the end of a name whatever the tagger guessed.
        return Kind::Noun;
    }
    match tag {
        "ns" => Kind::Place,
        "n" | "nr" | "nz" | "nt" | "nrt" | "nrfg" | "ng" | "j" | "eng" => Kind::Noun,
        // Set phrases: 自来水 is a thing, 人口众多 is not.
        "l" if w.chars().count() <= 3 => Kind::Noun,
        "vn" => Kind::VerbNoun,
        "v" => Kind::Verb,
        "a" | "an" | "b" | "z" => Kind::Other,
        // Time and position words (目前, 附近), idioms, pronouns, particles …
        _ => Kind::Function,
    }
}

fn doc_count(occ: &[Occurrence]) -> usize {
    let mut d: Vec<u32> = occ.iter().map(|o| o.doc).collect();
    d.dedup(); // occurrences come in document order
    d.len()
}

/// The labels of one topic, best first.
fn keywords(members: &[usize], seg: &Segmented) -> Vec<String> {
    let n = members.len();
    let min_docs = n.min(2);
    // Every word that could start a label, with where it occurs.
    let mut seeds: HashMap<&str, Vec<Occurrence>> = HashMap::new();
    for &m in members {
        for (i, t) in seg.tokens[m].iter().enumerate() {
            if t.kind == Kind::Function || (t.chars < 2 && t.kind != Kind::Number) {
                continue;
            }
            let o = Occurrence { doc: m as u32, start: i as u32, end: i as u32 + 1 };
            seeds.entry(seg.word(m as u32, t)).or_default().push(o);
        }
    }
    let idf = |w: &str| {
        let df = seg.df.get(w).copied().unwrap_or(1).max(1) as f32;
        (seg.texts.len() as f32 / df).ln().max(0.0)
    };
    // Label → (shared by enough members, score).
    let mut best: HashMap<&str, (bool, f32)> = HashMap::new();
    for occ in seeds.into_values() {
        // Words of a single member only fill up the labels of a small topic (below).
        let shared = doc_count(&occ) >= min_docs;
        let occ = if shared { join_neighbours(occ, seg, min_docs) } else { occ };
        let run = seg.run(&occ[0]);
        let label = seg.text(&occ[0]);
        let weight = if run.len() > 1 {
            if run.iter().any(|t| t.preferred) {
                2.0
            } else if run.iter().any(|t| t.kind == Kind::Place) || run[run.len() - 1].suffix {
                1.5
            } else {
                1.0
            }
        } else if STOP.contains(label) {
            0.0
        } else if run[0].preferred {
            2.0
        } else {
            match run[0].kind {
                Kind::Place => 1.5,
                Kind::Noun => 1.0,
                Kind::VerbNoun => 0.8,
                Kind::Verb => 0.6,
                _ => 0.0,
            }
        };
        // Fillers are nouns and names only.
        if weight == 0.0 || (!shared && weight < 1.0) {
            continue;
        }
        let rarity = run.iter().map(|t| idf(seg.word(occ[0].doc, t))).fold(0.0, f32::max);
        let score = doc_count(&occ) as f32 / n as f32 * rarity * weight;
        let e = best.entry(label).or_insert((shared, score));
        if (shared, score) > *e {
            *e = (shared, score);
        }
    }
    let mut ranked: Vec<(&str, (bool, f32))> = best.into_iter().filter(|(_, (_, s))| *s > 0.0).collect();
    // Shared words first; ties: the longer (a name over its piece), then a fixed order.
    ranked.sort_by(|a, b| {
        (b.1.0.cmp(&a.1.0)).then(b.1.1.total_cmp(&a.1.1)).then(b.0.len().cmp(&a.0.len())).then(a.0.cmp(b.0))
    });
    let mut chosen: Vec<String> = vec![];
    for (w, (shared, _)) in ranked {
        if chosen.len() == MAX_LABELS || (!shared && chosen.len() >= MIN_LABELS) {
            break;
        }
        if !chosen.iter().any(|k| k.contains(w) || w.contains(k.as_str())) {
            chosen.push(w.to_owned());
        }
    }
    chosen
}

/// Grows a word into the name it is part of: while the same word follows (or precedes)
/// nearly all of its occurrences, joins it. Returns the occurrences unchanged if the
/// run does not look like a name (see the module's documentation).
fn join_neighbours(occ: Vec<Occurrence>, seg: &Segmented, min_docs: usize) -> Vec<Occurrence> {
    let mut run = occ.clone();
    let len = |o: &Occurrence| (o.end - o.start) as usize;
    let nounish = |t: &Token| matches!(t.kind, Kind::Place | Kind::Noun);
    // Rightwards: nouns. After the end of a place name only a one-character suffix (茶场村),
    // after a verb or adjective only a short suffix (搅拌厂, 解放西路), and that ends the run.
    while len(&run[0]) < MAX_PHRASE_TOKENS {
        let after_name = seg.token(run[0].doc, run[0].end - 1).suffix;
        let after_verb = !nounish(seg.token(run[0].doc, run[0].start));
        let last_only = after_name || after_verb;
        let next = |o: &Occurrence| {
            seg.tokens[o.doc as usize]
                .get(o.end as usize)
                .filter(|t| nounish(t) && (!last_only || (t.suffix && t.chars <= if after_name { 1 } else { 2 })))
        };
        match grow(&run, seg, min_docs, next, |o| o.end += 1) {
            Some(grown) => run = grown,
            None => break,
        }
        if last_only {
            break;
        }
    }
    // Leftwards: not over the end of a preceding name. Only nouns go on the left of a
    // number (58车贷), an adjective (辉煌国际城) or an unknown verb (丽发新城).
    while len(&run[0]) < MAX_PHRASE_TOKENS && nounish(seg.token(run[0].doc, run[0].start)) {
        let prev = |o: &Occurrence| {
            (o.start as usize).checked_sub(1).map(|i| &seg.tokens[o.doc as usize][i]).filter(|t| {
                !t.suffix
                    && match t.kind {
                        Kind::Function => false,
                        Kind::Verb => !t.known,
                        _ => true,
                    }
            })
        };
        match grow(&run, seg, min_docs, prev, |o| o.start -= 1) {
            Some(grown) => run = grown,
            None => break,
        }
    }
    let toks = seg.run(&run[0]);
    if toks.len() > 1 && (toks[toks.len() - 1].suffix || toks.iter().any(|t| t.name_piece)) { run } else { occ }
}

/// The occurrences extended by one word, if the same word is the neighbour of nearly all
/// of them and the result is not too long.
fn grow<'s>(
    run: &[Occurrence],
    seg: &'s Segmented,
    min_docs: usize,
    neighbour: impl Fn(&Occurrence) -> Option<&'s Token>,
    extend: impl Fn(&mut Occurrence),
) -> Option<Vec<Occurrence>> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for o in run {
        if let Some(t) = neighbour(o) {
            *counts.entry(seg.word(o.doc, t)).or_default() += 1;
        }
    }
    let (w, c) = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
    if c * 5 < run.len() * JOIN_FIFTHS {
        return None;
    }
    let grown: Vec<Occurrence> = run
        .iter()
        .filter(|o| neighbour(o).is_some_and(|t| seg.word(o.doc, t) == w))
        .map(|o| {
            let mut o = *o;
            extend(&mut o);
            o
        })
        .collect();
    (doc_count(&grown) >= min_docs && seg.chars(&grown[0]) <= MAX_PHRASE_CHARS).then_some(grown)
}
