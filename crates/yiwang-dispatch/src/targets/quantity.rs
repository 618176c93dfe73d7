//! Reading quantities — a number and the unit written after it — out of one sentence, with the
//! value/unit conventions of `data/targets/README.md` (section "`value` and `unit`"):
//!
//! * the value is the number as written, as a plain decimal: `1,200` → `1200`, `8千` → `8000`,
//!   `二十` → `20`, `两` → `2`; 千, 百 and 十 fold into the value;
//! * the unit is copied as written, with any 万, 亿, 万亿 or 百万 directly before it: `1.1万个` →
//!   (`1.1`, `万个`), `3千万元` → (`3000`, `万元`), `百万吨` → (`1`, `百万吨`);
//! * a range keeps only its lower bound, with the unit of the range (`1—2个` → (`1`, `个`)).
//!
//! This module only reads; whether a quantity is a commitment is decided in `commitment`.
//! It never allocates per character: a sentence is scanned once over its `char`s.

/// One sentence prepared for scanning: its characters and their byte offsets in the document.
pub(super) struct Sentence<'a> {
    /// The trimmed sentence text.
    pub text: &'a str,
    /// Byte offset of `text` in the document.
    pub offset: usize,
    /// The characters of `text`.
    pub chars: Vec<char>,
    /// Byte offset (in `text`) of each character, plus `text.len()` at the end.
    pub bytes: Vec<usize>,
}

impl<'a> Sentence<'a> {
    pub fn new(text: &'a str, offset: usize) -> Self {
        let mut chars = Vec::with_capacity(text.len() / 3 + 1);
        let mut bytes = Vec::with_capacity(text.len() / 3 + 2);
        for (i, c) in text.char_indices() {
            chars.push(c);
            bytes.push(i);
        }
        bytes.push(text.len());
        Self { text, offset, chars, bytes }
    }

    /// The text of characters `from..to`.
    pub fn slice(&self, from: usize, to: usize) -> &'a str {
        &self.text[self.bytes[from]..self.bytes[to]]
    }

    /// Whether the characters at `at` spell `word`.
    pub fn has_at(&self, at: usize, word: &str) -> bool {
        (at..).zip(word.chars()).all(|(i, w)| self.chars.get(i) == Some(&w))
    }
}

/// What a unit counts, which decides some of the labelling rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitKind {
    /// A classifier of things counted (个, 家, 所, 人 …): `1000名以上高校毕业生` counts graduates.
    Count,
    /// A measure (元, 吨, 亩, 千瓦 …): `10亿元以上项目` is a criterion, not a count.
    Measure,
    /// A rate or a change of a rate (%, 个百分点).
    Rate,
}

/// A number with its unit, as found in a sentence (character indices into [`Sentence::chars`]).
#[derive(Debug, Clone)]
pub(super) struct Quantity {
    /// First character of the number (of the lower bound, for a range).
    pub start: usize,
    /// One past the last character of the unit (of the upper bound, for a range).
    pub end: usize,
    /// The value as a plain decimal string.
    pub value: String,
    /// The unit as written, with its 万/亿/万亿/百万 prefix.
    pub unit: String,
    /// The value as a number (without the prefix's multiplier).
    pub number: f64,
    /// The multiplier of the unit's prefix (1 when none).
    pub multiplier: f64,
    /// What the unit counts.
    pub kind: UnitKind,
    /// The number was written in Chinese numerals (十个, 两家).
    pub chinese: bool,
    /// The lower bound of a range (`5%—5.5%`).
    pub range: bool,
    /// Written with 余 or 多 (`3000余名`): more than the number.
    pub more_than: bool,
}

/// Base units, each with its kind. Matching takes the longest entry, so `个百分点` wins over `个`
/// and `人次` over `人`. Entries marked `digits_only` are not read after Chinese numerals, where
/// they mostly form words (三方, 三次, 两类, 三项改革).
struct BaseUnit {
    text: &'static str,
    kind: UnitKind,
    digits_only: bool,
}

const fn unit(text: &'static str, kind: UnitKind, digits_only: bool) -> BaseUnit {
    BaseUnit { text, kind, digits_only }
}

use UnitKind::{Count, Measure, Rate};

/// The units met in government work reports and plans (README "What is labelled as a target"
/// lists the families: counts of things, amounts of money, rates, percentage points, physical
/// levels). Time units (年, 月, 日, 天, 小时) are deliberately absent: durations and dates are never
/// targets. 岁 is read (人均预期寿命达到80岁 is a level to reach) and `commitment` drops it when it
/// defines a group (60岁以上老年人, 2—3岁幼儿).
const BASE_UNITS: &[BaseUnit] = &[
    unit("微克/立方米", Measure, false),
    unit("毫克/立方米", Measure, false),
    unit("克/千克", Measure, false),
    unit("个百分点", Rate, false),
    unit("百分点", Rate, false),
    unit("平方公里", Measure, false),
    unit("平方米", Measure, false),
    unit("立方米", Measure, false),
    unit("千瓦时", Measure, false),
    unit("吨/年", Measure, false),
    unit("标准箱", Measure, false),
    unit("千瓦", Measure, false),
    unit("兆瓦", Measure, false),
    unit("公里", Measure, false),
    unit("千米", Measure, false),
    unit("延米", Measure, false),
    unit("公顷", Measure, false),
    unit("亩次", Measure, false),
    unit("公斤", Measure, false),
    unit("千克", Measure, false),
    unit("美元", Measure, false),
    unit("标箱", Measure, false),
    unit("人次", Count, false),
    unit("人口", Count, false),
    unit("批次", Count, true),
    unit("课时", Count, true),
    unit("架次", Count, true),
    unit("%", Rate, true),
    unit("％", Rate, true),
    unit("‰", Rate, true),
    unit("个", Count, false),
    unit("家", Count, false),
    unit("所", Count, false),
    unit("座", Count, false),
    unit("名", Count, false),
    unit("人", Count, false),
    unit("户", Count, false),
    unit("套", Count, false),
    unit("间", Count, true),
    unit("辆", Count, false),
    unit("台", Count, false),
    unit("处", Count, false),
    unit("项", Count, true),
    unit("场", Count, true),
    unit("张", Count, false),
    unit("部", Count, true),
    unit("栋", Count, false),
    unit("幢", Count, false),
    unit("种", Count, true),
    unit("宗", Count, true),
    unit("只", Count, true),
    unit("头", Count, true),
    unit("羽", Count, true),
    unit("条", Count, false),
    unit("件", Count, true),
    unit("批", Count, true),
    unit("次", Count, true),
    unit("艘", Count, true),
    unit("架", Count, true),
    unit("列", Count, true),
    unit("株", Count, true),
    unit("棵", Count, true),
    unit("门", Count, true),
    unit("册", Count, true),
    unit("床", Count, true),
    unit("乡", Count, true),
    unit("镇", Count, true),
    unit("村", Count, true),
    unit("元", Measure, false),
    unit("吨", Measure, false),
    unit("斤", Measure, false),
    unit("方", Measure, true),
    unit("米", Measure, true),
    unit("亩", Measure, false),
    unit("度", Measure, true),
    unit("周岁", Measure, false),
    unit("岁", Measure, false),
];

/// Words that start with a unit's character but are not units (`迈上千亿台阶`, `3个人`).
const NOT_UNITS: &[&str] = &[
    "台阶", "个人", "名单", "名录", "名牌", "部门", "部分", "部署", "场所", "场景", "处理", "处置", "次数", "条件",
    "条例", "所得", "家庭", "人民", "方面", "方式", "方案", "度假",
];

/// Latin-script units accepted after digits. Anything else glued to a number in Latin letters is a
/// name or a model (5G, 3D, 5A级, T800), so only this short list counts.
const LATIN_UNITS: &[&str] = &["Eflops", "EFlops", "EFLOPS", "Pflops", "PFlops", "PFLOPS", "GW", "MW", "kW", "km"];

/// Characters that, after 千, make a unit rather than a multiplier: 千瓦, 千伏, 千克, 千米, 千卡.
const KILO_UNIT_TAILS: &[char] = &['瓦', '伏', '克', '米', '卡', '帕', '焦', '赫', '字'];

/// Unit prefixes kept in the unit (README: "万, 亿 and 百万 do not [fold] — they go into the unit").
const PREFIXES: &[(&str, f64)] = &[("万亿", 1e12), ("百万", 1e6), ("亿", 1e8), ("万", 1e4)];

/// Characters that separate the bounds of a range: `5%—5.5%`, `2-3家`, `25～30家`, `5至6个`.
const RANGE_SEPARATORS: &[char] = &['—', '–', '-', '－', '~', '～', '〜', '至', '到'];

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn is_decimal_point(c: char) -> bool {
    c == '.' || c == '．'
}

fn is_chinese_numeral(c: char) -> bool {
    matches!(c, '零' | '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千' | '两')
}

/// Value of a run of Chinese numerals (十 → 10, 二十 → 20, 一百二十 → 120, 两 → 2, 千 → 1000).
/// Runs that are not one number — 十五五, 三四, 一二三 — give `None`.
fn chinese_value(run: &[char]) -> Option<u64> {
    let mut total: u64 = 0;
    let mut digit: Option<u64> = None;
    let mut last_multiplier = u64::MAX;
    for &c in run {
        let d = match c {
            '零' | '〇' => {
                if digit.is_some() {
                    return None;
                }
                continue;
            }
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(d) = d {
            if digit.is_some() {
                return None;
            }
            digit = Some(d);
            continue;
        }
        let multiplier = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => return None,
        };
        if multiplier >= last_multiplier {
            return None;
        }
        total += digit.unwrap_or(1) * multiplier;
        digit = None;
        last_multiplier = multiplier;
    }
    if let Some(d) = digit {
        // 两 or 三 right after 百/千 is not "three hundred and three" in this register.
        if last_multiplier != u64::MAX && last_multiplier > 10 {
            return None;
        }
        total += d;
    }
    Some(total)
}

/// `digits` (a plain decimal) times 10^`zeros`, still a plain decimal: ("1.5", 3) → "1500".
fn shift_decimal(digits: &str, zeros: usize) -> String {
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(int.len() + zeros + 1);
    out.push_str(int);
    let moved: String = frac.chars().take(zeros).collect();
    out.push_str(&moved);
    for _ in moved.len()..zeros {
        out.push('0');
    }
    let rest = &frac[moved.len()..];
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    let trimmed = out.trim_start_matches('0');
    if trimmed.is_empty() || trimmed.starts_with('.') { format!("0{trimmed}") } else { trimmed.to_string() }
}

/// The number part read at a position: its value string and where it ends.
struct Number {
    value: String,
    end: usize,
    chinese: bool,
    bare: bool,
    /// 百 kept for a 百万 prefix (`百万吨`, `5百万吨`).
    hundred_prefix: bool,
}

/// Reads the digits at `at` (with decimals, thousands separators and a folded 千/百).
fn read_digits(s: &Sentence, at: usize) -> Number {
    let chars = &s.chars;
    let mut i = at;
    let mut value = String::new();
    while let Some(d) = chars.get(i).and_then(|&c| digit_value(c)) {
        value.push(char::from_digit(d, 10).unwrap_or('0'));
        i += 1;
    }
    // Thousands separators: `1,200`, `1,200,000` — only groups of exactly three digits after a
    // leading group of one to three (local pages also use `,` between clauses: `400台,完工200台`).
    if (1..=3).contains(&value.len()) {
        while chars.get(i) == Some(&',') {
            let group: Vec<u32> = (1..=3).filter_map(|k| chars.get(i + k).and_then(|&c| digit_value(c))).collect();
            let after = chars.get(i + 4).and_then(|&c| digit_value(c));
            if group.len() != 3 || after.is_some() {
                break;
            }
            for d in group {
                value.push(char::from_digit(d, 10).unwrap_or('0'));
            }
            i += 4;
        }
    }
    if chars.get(i).copied().is_some_and(is_decimal_point) && chars.get(i + 1).and_then(|&c| digit_value(c)).is_some() {
        value.push('.');
        i += 1;
        while let Some(d) = chars.get(i).and_then(|&c| digit_value(c)) {
            value.push(char::from_digit(d, 10).unwrap_or('0'));
            i += 1;
        }
    }
    let mut hundred_prefix = false;
    match chars.get(i) {
        Some('千') if !chars.get(i + 1).is_some_and(|c| KILO_UNIT_TAILS.contains(c)) => {
            value = shift_decimal(&value, 3);
            i += 1;
        }
        Some('百') if chars.get(i + 1) == Some(&'万') => hundred_prefix = true,
        Some('百') if !matches!(chars.get(i + 1), Some('分') | Some('强')) => {
            value = shift_decimal(&value, 2);
            i += 1;
        }
        _ => {}
    }
    Number { value, end: i, chinese: false, bare: false, hundred_prefix }
}

/// Reads a run of Chinese numerals at `at`, if it is one number.
fn read_chinese(s: &Sentence, at: usize) -> Option<Number> {
    let chars = &s.chars;
    let mut end = at;
    while end < chars.len() && is_chinese_numeral(chars[end]) {
        end += 1;
    }
    let mut run = &chars[at..end];
    let mut hundred_prefix = false;
    // 百万 stays in the unit: 百万吨 → (1, 百万吨), 两百万 → (2, 百万…).
    if run.last() == Some(&'百') && chars.get(end) == Some(&'万') {
        hundred_prefix = true;
        run = &run[..run.len() - 1];
    }
    let bare = matches!(run.first(), Some('千') | Some('百')) || (run.is_empty() && hundred_prefix);
    let value = if run.is_empty() { 1 } else { chinese_value(run)? };
    let number_end = if hundred_prefix { end - 1 } else { end };
    Some(Number { value: value.to_string(), end: number_end, chinese: true, bare, hundred_prefix })
}

/// The unit read after a number.
struct Unit {
    text: String,
    end: usize,
    multiplier: f64,
    kind: UnitKind,
    has_base: bool,
    more_than: bool,
}

fn skip_more_than(chars: &[char], at: usize) -> (usize, bool) {
    match chars.get(at) {
        Some('余') | Some('多') => (at + 1, true),
        _ => (at, false),
    }
}

/// Reads the unit at `at` (after a number), with its prefix and any 余/多 in between.
fn read_unit(s: &Sentence, at: usize, number: &Number) -> Option<Unit> {
    let chars = &s.chars;
    let (mut i, mut more_than) = skip_more_than(chars, at);
    let mut text = String::new();
    let mut multiplier = 1.0;
    let mut has_prefix = false;
    if number.hundred_prefix {
        text.push_str("百万");
        multiplier = 1e6;
        i += 2;
        has_prefix = true;
    } else {
        for &(prefix, m) in PREFIXES {
            if s.has_at(i, prefix) {
                text.push_str(prefix);
                multiplier = m;
                i += prefix.chars().count();
                has_prefix = true;
                break;
            }
        }
    }
    if has_prefix {
        let (j, more) = skip_more_than(chars, i);
        i = j;
        more_than |= more;
    }
    for base in BASE_UNITS {
        if base.digits_only && number.chinese && !has_prefix {
            continue;
        }
        if s.has_at(i, base.text) && !NOT_UNITS.iter().any(|w| s.has_at(i, w)) {
            text.push_str(base.text);
            let end = i + base.text.chars().count();
            return Some(Unit { text, end, multiplier, kind: base.kind, has_base: true, more_than });
        }
    }
    if !number.chinese && !has_prefix {
        for latin in LATIN_UNITS {
            let n = latin.chars().count();
            if s.has_at(i, latin) && !chars.get(i + n).is_some_and(|c| c.is_ascii_alphanumeric()) {
                text.push_str(latin);
                return Some(Unit { text, end: i + n, multiplier, kind: Measure, has_base: true, more_than });
            }
        }
    }
    // A bare 亿 or 万亿 (`力争GDP达2000亿`) is a unit of its own; so is 万 before punctuation.
    if has_prefix && (!number.chinese || number.bare) && !chars.get(i).copied().is_some_and(is_cjk_ideograph) {
        return Some(Unit { text, end: i, multiplier, kind: Measure, has_base: false, more_than });
    }
    None
}

/// Whether `c` is a CJK ideograph (not punctuation, not a digit, not Latin).
pub(super) fn is_cjk_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Reads a number (digits or Chinese numerals) at `at`, if one starts there.
fn read_number(s: &Sentence, at: usize) -> Option<Number> {
    let c = *s.chars.get(at)?;
    if digit_value(c).is_some() {
        Some(read_digits(s, at))
    } else if is_chinese_numeral(c) {
        read_chinese(s, at)
    } else {
        None
    }
}

/// Whether a Chinese-numeral number at `at..number.end` may be read at all. Chinese numerals are
/// everywhere in names and set phrases (一批, 三大攻坚战, 十五五, 千方百计); only plain counts are
/// kept: not 一 alone (一个, 一项 mean "a"), not a bare 千/百 unless it is a magnitude before 万
/// (千万吨, 百万吨).
fn chinese_acceptable(s: &Sentence, at: usize, number: &Number, unit: &Unit) -> bool {
    // A bare magnitude with no unit after it only as a round figure at the end of a clause
    // (`力争GDP突破千亿`), never before a word (千万工程, 千亿级).
    if !(unit.has_base || number.bare && unit.multiplier >= 1e8) {
        return false;
    }
    let run = s.slice(at, number.end);
    if run == "一" && unit.multiplier == 1.0 {
        return false;
    }
    if number.bare && unit.multiplier == 1.0 {
        return false;
    }
    // Before a Chinese numeral: another numeral or a word that makes it an ordinal or a name.
    if at > 0 {
        let before = s.chars[at - 1];
        if is_chinese_numeral(before) || matches!(before, '第' | '初' | '周' | '星' | '期' | '之' | '万' | '亿')
        {
            return false;
        }
    }
    true
}

/// Every quantity in the sentence, in order. `skip_list_marker` is set when the sentence opens with
/// a list marker such as `2.` that must not be read as a decimal (`2.50个小区` is item 2, 50 个).
pub(super) fn scan(s: &Sentence, skip_list_marker: Option<usize>) -> Vec<Quantity> {
    let chars = &s.chars;
    let mut out = Vec::new();
    let mut i = skip_list_marker.unwrap_or(0);
    while i < chars.len() {
        let c = chars[i];
        let starts_number = digit_value(c).is_some() || is_chinese_numeral(c);
        if !starts_number {
            i += 1;
            continue;
        }
        let Some(number) = read_number(s, i) else {
            i += 1;
            continue;
        };
        let after_number = number.end.max(i + 1);
        // Glued to Latin letters (G219, PM2.5, T800, WA1304001) or an ordinal (第23届): a name.
        let before = if i > 0 { Some(chars[i - 1]) } else { None };
        if before.is_some_and(|b| b.is_ascii_alphabetic() || b == '第') {
            i = skip_number_tail(chars, after_number);
            continue;
        }
        let unit = read_unit(s, number.end, &number);
        if let Some(q) = read_range(s, i, &number, unit.as_ref()) {
            i = q.end;
            out.push(q);
            continue;
        }
        let Some(unit) = unit else {
            i = after_number;
            continue;
        };
        if number.chinese && !chinese_acceptable(s, i, &number, &unit) {
            i = after_number;
            continue;
        }
        let number_value: f64 = number.value.parse().unwrap_or(0.0);
        out.push(Quantity {
            start: i,
            end: unit.end,
            value: number.value,
            unit: unit.text,
            number: number_value,
            multiplier: unit.multiplier,
            kind: unit.kind,
            chinese: number.chinese,
            range: false,
            more_than: unit.more_than,
        });
        i = unit.end;
    }
    out
}

/// Skips the rest of a digit run so that `G219` is not read again from `19`.
fn skip_number_tail(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && (digit_value(chars[at]).is_some() || is_decimal_point(chars[at])) {
        at += 1;
    }
    at
}

/// A range starting with `lower` at `at`: `4.5%—5%`, `1—2个`, `25—30家`. The lower bound is kept
/// with the unit of the range (README borderline decision 8); the upper bound gets no quantity.
fn read_range(s: &Sentence, at: usize, lower: &Number, lower_unit: Option<&Unit>) -> Option<Quantity> {
    if lower.chinese {
        return None;
    }
    let sep_at = lower_unit.map_or(lower.end, |u| u.end);
    let sep = *s.chars.get(sep_at)?;
    if !RANGE_SEPARATORS.contains(&sep) {
        return None;
    }
    if s.chars.get(sep_at + 1).is_none_or(|&c| digit_value(c).is_none()) {
        return None;
    }
    let upper = read_digits(s, sep_at + 1);
    let upper_unit = read_unit(s, upper.end, &upper)?;
    if let Some(lu) = lower_unit
        && lu.text != upper_unit.text
    {
        return None;
    }
    let unit = lower_unit.unwrap_or(&upper_unit);
    let number: f64 = lower.value.parse().unwrap_or(0.0);
    Some(Quantity {
        start: at,
        end: upper_unit.end,
        value: lower.value.clone(),
        unit: unit.text.clone(),
        number,
        multiplier: unit.multiplier,
        kind: unit.kind,
        chinese: false,
        range: true,
        more_than: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, String)> {
        let s = Sentence::new(text, 0);
        scan(&s, None).into_iter().map(|q| (q.value, q.unit)).collect()
    }

    fn pair(v: &str, u: &str) -> (String, String) {
        (v.to_string(), u.to_string())
    }

    #[test]
    fn chinese_numerals_read_as_one_number_or_not_at_all() {
        let v = |s: &str| chinese_value(&s.chars().collect::<Vec<_>>());
        assert_eq!(v("十"), Some(10));
        assert_eq!(v("二十"), Some(20));
        assert_eq!(v("十五"), Some(15));
        assert_eq!(v("一百二十"), Some(120));
        assert_eq!(v("两"), Some(2));
        assert_eq!(v("三千"), Some(3000));
        assert_eq!(v("十五五"), None);
        assert_eq!(v("三四"), None);
        assert_eq!(v("一二三"), None);
    }

    #[test]
    fn decimals_shift_without_losing_digits() {
        assert_eq!(shift_decimal("8", 3), "8000");
        assert_eq!(shift_decimal("1.5", 3), "1500");
        assert_eq!(shift_decimal("1.2345", 3), "1234.5");
        assert_eq!(shift_decimal("0.5", 2), "50");
    }

    #[test]
    fn multipliers_fold_or_stay_in_the_unit_as_the_readme_says() {
        assert_eq!(read("新增8千余户"), vec![pair("8000", "户")]);
        assert_eq!(read("投入3千万元"), vec![pair("3000", "万元")]);
        assert_eq!(read("均稳定在百万吨以上"), vec![pair("1", "百万吨")]);
        assert_eq!(read("新增千万吨产能"), vec![pair("1000", "万吨")]);
        assert_eq!(read("装机3000万千瓦"), vec![pair("3000", "万千瓦")]);
        assert_eq!(read("建成20个500千伏输变电工程"), vec![pair("20", "个")]);
        assert_eq!(read("达到1,200家"), vec![pair("1200", "家")]);
    }
}
