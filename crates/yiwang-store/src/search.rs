//! Text for the full-text index, shared by every store: Chinese is indexed as
//! overlapping character bigrams, other scripts as lowercase words. A query term's
//! bigrams, searched as a phrase, match exactly the substring typed.

/// The search text of a case of any kind (`Kind::search_text`) as bigram tokens:
/// what both stores index.
pub(crate) fn case_tokens(c: &yiwang_core::case::Case) -> String {
    index_tokens(&c.search_text())
}

/// Index tokens of a text, space-separated: each run of CJK characters as its
/// overlapping bigrams (a run of one as itself), each run of other letters and digits,
/// lowercased, as one word. One pass, without building the runs first: this runs for
/// every case written.
pub fn index_tokens(text: &str) -> String {
    let mut t = Tokens { out: String::with_capacity(text.len() * 2), last_cjk: None, run: 0, word: false };
    for c in text.chars() {
        if c.is_ascii() {
            t.push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            t.push(c);
        } else {
            c.to_lowercase().for_each(|l| t.push(l));
        }
    }
    t.finish()
}

/// `index_tokens` as it goes.
struct Tokens {
    out: String,
    /// The last character of the CJK run going on, and how long the run is.
    last_cjk: Option<char>,
    run: usize,
    /// A run of other letters and digits is going on.
    word: bool,
}

impl Tokens {
    fn separate(&mut self) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
    }

    fn end_cjk_run(&mut self) {
        if let (1, Some(c)) = (self.run, self.last_cjk) {
            self.separate();
            self.out.push(c);
        }
        self.run = 0;
        self.last_cjk = None;
    }

    fn push(&mut self, c: char) {
        // The common ideographs first: `is_alphanumeric` looks every one of them up in
        // Unicode's tables (a twentieth of the writer's time at intake), and all of
        // them are letters (`common_ideographs_are_letters`).
        if is_common_ideograph(c) {
            self.cjk(c);
        } else if !c.is_alphanumeric() {
            self.end_cjk_run();
            self.word = false;
        } else if is_cjk(c) {
            self.cjk(c);
        } else {
            self.end_cjk_run();
            if !self.word {
                self.separate();
                self.word = true;
            }
            self.out.push(c);
        }
    }

    fn cjk(&mut self, c: char) {
        self.word = false;
        if let Some(prev) = self.last_cjk {
            self.separate();
            self.out.push(prev);
            self.out.push(c);
        }
        self.last_cjk = Some(c);
        self.run += 1;
    }

    fn finish(mut self) -> String {
        self.end_cjk_run();
        self.out
    }
}

/// Splits text into runs of CJK characters and runs of other letters/digits.
fn runs(text: &str) -> Vec<Vec<char>> {
    let mut runs: Vec<Vec<char>> = vec![];
    let mut cur: Vec<char> = vec![];
    let mut cur_cjk = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let cjk = is_cjk(c);
        if !cur.is_empty() && cjk != cur_cjk {
            runs.push(std::mem::take(&mut cur));
        }
        cur_cjk = cjk;
        cur.push(c);
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// CJK Unified Ideographs and Extension A, every code point of which is assigned
/// and a letter.
fn is_common_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The token that marks a case of `kind` in SQLite's full-text index, so that a
/// search within a kind is answered, and counted, by the index alone. `§` is neither a
/// letter nor a digit, so no text yields it (`index_tokens`); FTS5's `ascii`
/// tokenizer keeps it inside the token.
pub(crate) fn kind_marker(kind: &str) -> String {
    format!("§{kind}")
}

/// `query` restricted to cases of `kind`. Cases of the unmarked kind (indexed before
/// markers existed: every row of a database upgraded from schema 8 is an appeal)
/// carry no marker: they are the matches that carry none of the other kinds'.
pub(crate) fn fts_of_kind(query: &str, kind: &str, unmarked: &str, kinds: &[&str]) -> String {
    if kind != unmarked {
        return format!("({query}) AND \"{}\"", kind_marker(kind));
    }
    let others: Vec<String> =
        kinds.iter().filter(|k| **k != unmarked).map(|k| format!("\"{}\"", kind_marker(k))).collect();
    if others.is_empty() { query.to_owned() } else { format!("({query}) NOT ({})", others.join(" OR ")) }
}

/// An FTS5 query: every whitespace-separated term must occur; each term is a phrase
/// of its tokens. `None` when nothing searchable remains (a single CJK character
/// cannot be searched: bigrams need two).
pub fn fts_query(q: &str) -> Option<String> {
    let mut terms = vec![];
    for term in q.split_whitespace() {
        let tokens = index_tokens(term);
        let usable = runs(term).iter().all(|r| !(r.len() == 1 && is_cjk(r[0])));
        if tokens.is_empty() || !usable {
            continue;
        }
        terms.push(format!("\"{}\"", tokens.replace('"', "")));
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// An FTS5 query matching any of a text's tokens (at most `max`, the rarer-looking
/// longer ones first is not attempted: bm25 ranks the matches).
pub fn fts_any_query(text: &str, max: usize) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    let tokens: Vec<String> = index_tokens(text)
        .split(' ')
        .filter(|t| !t.is_empty() && seen.insert(t.to_string()))
        .take(max)
        .map(|t| format!("\"{}\"", t.replace('"', "")))
        .collect();
    (!tokens.is_empty()).then(|| tokens.join(" OR "))
}

/// Translates a query built by `fts_query` or `fts_any_query` into a PostgreSQL
/// `tsquery` literal, for stores that index the same tokens as `tsvector_literal`s.
/// Callers build one query string whatever store they have; each store reads it.
///
/// A quoted FTS5 phrase becomes its tokens joined by `<->` (adjacent, in order), and
/// `AND`/`OR` become `&`/`|`; phrases side by side are ANDed, as in FTS5, whose
/// precedence (AND before OR) tsquery shares. Anything else is read as plain words
/// and tokenized like indexed text, so no input can inject tsquery syntax. `None`
/// when nothing searchable remains.
pub fn fts_to_tsquery(fts: &str) -> Option<String> {
    let mut out = String::new();
    let mut op = "&";
    let mut rest = fts.trim_start();
    while !rest.is_empty() {
        let (part, tail) = match rest.strip_prefix('"') {
            // FTS5 writes a quote inside a phrase as two; the builders never do, and a
            // quote is no token, so the phrase simply ends at the next quote.
            Some(inner) => inner.split_once('"').unwrap_or((inner, "")),
            None => rest.split_at(rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len())),
        };
        let quoted = rest.starts_with('"');
        rest = tail.trim_start();
        match part {
            "AND" if !quoted => op = "&",
            "OR" if !quoted => op = "|",
            _ => {
                let tokens = index_tokens(part);
                if tokens.is_empty() {
                    continue;
                }
                if !out.is_empty() {
                    out.push_str(&format!(" {op} "));
                }
                let lexemes: Vec<String> =
                    tokens.split(' ').map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))).collect();
                if lexemes.len() == 1 {
                    out.push_str(&lexemes[0]);
                } else {
                    out.push_str(&format!("({})", lexemes.join(" <-> ")));
                }
                op = "&";
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Index tokens (`index_tokens`) as a PostgreSQL `tsvector` in its input syntax:
/// each distinct token, quoted, with its positions (the first 256, each at most
/// 16,383, as `to_tsvector` keeps them). For these tokens it is the vector that
/// `to_tsvector('simple', tokens)` gives, without running PostgreSQL's text parser on
/// them, which cost an eighth of the server's time in a bulk load; and with queries
/// given as `tsquery` literals (`fts_to_tsquery`), index and query read every token
/// alike, whatever PostgreSQL's parser would have made of it.
pub fn tsvector_literal(tokens: &str) -> String {
    const MAX_LEXEME_BYTES: usize = 2046;
    const MAX_POSITIONS: usize = 256;
    const MAX_POSITION: usize = 16_383;
    let mut positions: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, t) in tokens.split(' ').filter(|t| !t.is_empty()).enumerate() {
        let p = positions.entry(t).or_default();
        let pos = (i + 1).min(MAX_POSITION);
        if p.len() < MAX_POSITIONS && p.last() != Some(&pos) {
            p.push(pos);
        }
    }
    let mut out = String::with_capacity(tokens.len() * 2);
    for (t, p) in positions.into_iter().filter(|(t, _)| t.len() <= MAX_LEXEME_BYTES) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('\'');
        for c in t.chars() {
            if c == '\'' || c == '\\' {
                out.push(c);
            }
            out.push(c);
        }
        out.push_str("':");
        for (i, pos) in p.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&pos.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsvector_literals_list_each_token_with_its_positions() {
        assert_eq!(tsvector_literal(""), "");
        assert_eq!(tsvector_literal("路灯 灯不 不亮 路灯 3"), "'3':5 '不亮':3 '灯不':2 '路灯':1,4");
        assert_eq!(tsvector_literal("it's a\\b"), "'a\\\\b':2 'it''s':1");
        let many = vec!["灯"; 20_000].join(" ");
        assert_eq!(tsvector_literal(&many).matches(',').count(), 255);
        assert_eq!(tsvector_literal(&"x".repeat(2047)), "");
    }

    #[test]
    fn chinese_is_indexed_as_bigrams_and_queried_as_phrases() {
        assert_eq!(index_tokens("路灯不亮，3号楼"), "路灯 灯不 不亮 3 号楼");
        assert_eq!(index_tokens("WiFi坏了"), "wifi 坏了");
        assert_eq!(fts_query("路灯 不亮").as_deref(), Some("\"路灯\" AND \"不亮\""));
        assert_eq!(fts_query("油烟扰民").as_deref(), Some("\"油烟 烟扰 扰民\""));
        assert_eq!(fts_query("灯"), None);
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_any_query("路灯路灯", 10).as_deref(), Some("\"路灯\" OR \"灯路\""));
    }

    /// Tokens as runs, the way they are defined: the oracle for `index_tokens`.
    fn tokens_by_runs(text: &str) -> String {
        let mut out: Vec<String> = vec![];
        for run in runs(text) {
            if !is_cjk(run[0]) || run.len() == 1 {
                out.push(run.iter().collect());
            } else {
                out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
            }
        }
        out.join(" ")
    }

    #[test]
    fn tokens_are_the_bigrams_of_cjk_runs_and_the_words_between() {
        for text in [
            "",
            "路灯不亮，3号楼",
            "湖畔路望湖公园北门以西路灯一周不亮，晚上很黑。",
            "灯",
            "A灯B",
            "小区WiFi坏了ＡＢＣ１２３",
            "Äpfel und Öl: straße 12-3 İstanbul ǅ",
            "  多个  空格\n换行\t制表 ",
            "𠀀𠀁 㐀 豈",
            "上海市浦东新区XX路123弄4号601室（近YY路）电话：021-12345678",
        ] {
            assert_eq!(index_tokens(text), tokens_by_runs(text), "{text:?}");
        }
    }

    /// The fast path of `Tokens::push` holds: every common ideograph is a letter in
    /// the Unicode tables this build has, so it takes the branch the tables would.
    #[test]
    fn common_ideographs_are_letters() {
        let all: Vec<char> = (0x3400..=0x4DBF).chain(0x4E00..=0x9FFF).filter_map(char::from_u32).collect();
        assert_eq!(all.len(), 6592 + 20992);
        assert!(all.iter().all(|c| is_common_ideograph(*c) && c.is_alphanumeric() && is_cjk(*c)));
        let text: String = all.iter().copied().step_by(97).chain(['a', '，', 'B', '1', '　']).collect();
        assert_eq!(index_tokens(&text), tokens_by_runs(&text));
    }

    #[test]
    fn fts5_queries_translate_to_tsquery_phrases() {
        let ts = |q: Option<String>| q.as_deref().and_then(fts_to_tsquery);
        assert_eq!(ts(fts_query("路灯 不亮")).as_deref(), Some("'路灯' & '不亮'"));
        assert_eq!(ts(fts_query("油烟扰民 WiFi")).as_deref(), Some("('油烟' <-> '烟扰' <-> '扰民') & 'wifi'"));
        assert_eq!(ts(fts_any_query("路灯路灯", 10)).as_deref(), Some("'路灯' | '灯路'"));
        assert_eq!(fts_to_tsquery("路灯 OR 不亮 AND 井盖").as_deref(), Some("'路灯' | '不亮' & '井盖'"));
        // tsquery syntax typed by hand is read as words, never as operators.
        assert_eq!(fts_to_tsquery("a:* & !b | (c)").as_deref(), Some("'a' & 'b' & 'c'"));
        assert_eq!(fts_to_tsquery("\"it's\"").as_deref(), Some("('it' <-> 's')"));
        assert_eq!(fts_to_tsquery(" \"\" AND "), None);
    }
}
