//! Deciding whether a quantity is a target the text commits the government to, following the
//! labelling rules of `data/targets/README.md` ("What is labelled as a target", "Not targets" and
//! the numbered borderline decisions), and reading its direction and a short "what" for the UI.
//!
//! Everything here looks at one sentence, plus whether the sentence's line is in the past tense
//! (a review section or a past marker earlier on the line), which the caller works out.

use super::Direction;
use super::quantity::{Quantity, Sentence, UnitKind, is_cjk_ideograph};

/// Why a quantity is not a target (kept for tests and error analysis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejection {
    /// Inside quotation marks: a name or slogan (“3个100”, “十件民生实事”).
    Quoted,
    /// A descriptor (30万吨级, 3人制).
    Descriptor,
    /// A criterion defining a class (投资10亿元以上项目, 50万千瓦以上省级大型风光基地).
    Criterion,
    /// An attribute of another counted thing (3座35万千瓦光热电站, 12个百亿元…项目).
    AttributeOfCount,
    /// An attribute of a named project (总投资7.58亿元的县医院, 60万吨赖氨酸等项目).
    AttributeOfProject,
    /// A count of the items of a list or a slogan (15件民生实事, 14个方面, 30项举措).
    ListItems,
    /// Existing sectors a soft verb is applied to (聚焦13个产业集群), README decision 6.
    ExistingSectors,
    /// The starting level of a raise (从380元提高至1000元: 380 is a baseline).
    Baseline,
    /// An achieved or past figure.
    Past,
    /// A fact about the present or a meeting (现有…, 应到代表…).
    Fact,
}

/// Characters that end a clause for the rules below.
pub(super) fn is_clause_break(c: char) -> bool {
    matches!(c, '，' | ',' | '；' | ';' | '。' | '！' | '？' | '!' | '?' | '：' | ':' | '|' | '\t')
}

/// Characters that end an item of an enumeration (a clause break, or 、).
fn is_item_break(c: char) -> bool {
    is_clause_break(c) || matches!(c, '、' | '（' | '(' | '）' | ')')
}

/// Nouns after a count that make it the number of items of a list, a slogan or a programme title
/// rather than a quantity to reach (README "Not targets": 三大攻坚战, 稳经济30项举措, 十件民生实事,
/// 今年再办好15件民生实事; the dev documents' 重点抓好以下14个方面的工作, 9条路径, 十条政策).
const LIST_NOUNS: &[&str] = &[
    "方面",
    "举措",
    "措施",
    "政策",
    "路径",
    "原则",
    "重点任务",
    "大任务",
    "确保",
    "坚持",
    "必须",
    "维护",
    "确立",
    "务必",
    "全面",
    "统筹",
    "自信",
    "意识",
    "结合",
    "字",
    "环节",
    "领域",
    "维度",
    "层面",
    "重点工作",
    "转变",
    "毫不动摇",
    "大局",
    "清单",
    "意见",
    "细则",
];

/// Words before a count in its clause that make it a fact about the present or a meeting, not a
/// commitment: the population a programme serves (全市共有…老年人20万人), a roll call (应到代表210名).
const FACT_WORDS: &[&str] =
    &["共有", "现有", "应到", "实到", "出席", "列席", "到会", "票决", "投票", "得票", "候选", "赞成", "反对", "弃权"];

/// Verbs after a count written in Chinese numerals that make it a slogan (三个转变, 两个毫不动摇,
/// 四个突破): concrete targets in Chinese numerals count things (十个街镇, 两家企业).
const SLOGAN_VERBS: &[&str] = &[
    "突破", "提升", "提高", "转变", "统筹", "结合", "确保", "坚持", "维护", "确立", "优先", "聚焦", "推动", "推进",
    "加快", "促进", "强化", "深化", "落实", "攻坚", "行动", "必须", "务必", "更加", "一流", "走在", "领先", "示范",
    "先行", "争当",
];

/// Soft verbs that only name existing sectors when applied to a count of 产业/集群/基地
/// (README decision 6: 做强…4大机器人产业基地, 聚焦13个产业集群, 壮大13条重点产业链, 做大做强…7个千亿级产业).
const SOFT_VERBS: &[&str] = &["做强", "做优", "做大", "壮大", "聚焦"];

/// Verbs that lean on what exists, whatever is counted (README decision 6: 发挥济青烟3个…消费试点作用;
/// likewise 依托5个国家级新区, 围绕12条产业链).
const RELYING_VERBS: &[&str] = &["发挥", "依托", "围绕", "立足", "用好", "借助"];

/// Verbs that create, build or reach something: after one of them a count is a target, even if a
/// soft verb came earlier in the clause (README decision 6: 打造…, 培育…, creating or growing).
const STRONG_VERBS: &[&str] = &[
    "新增", "新建", "建设", "建成", "打造", "培育", "创建", "创成", "完成", "实施", "推进", "支持", "改造", "开展",
    "引进", "达到", "突破", "争创", "布局", "细分",
];

/// Words before a number that make it a specification of a class (海拔1500米以上农村中小学).
const SPEC_WORDS: &[&str] = &["海拔", "热值", "单机", "电压", "时速"];

/// Words before a number that, with 的 after it, make it an attribute of a project
/// (README: 总投资7.58亿元的县医院迁建项目, 抓好总投资2万亿元的389个省重点项目).
const ATTRIBUTE_WORDS: &[&str] =
    &["总投资", "投资额", "年产", "年产能", "总装机", "库容", "总面积", "占地", "总长", "全长"];

/// The characters of `s` from the start of the clause holding character `at` up to `at`.
pub(super) fn clause_start(s: &Sentence, at: usize) -> usize {
    let mut i = at;
    while i > 0 && !is_clause_break(s.chars[i - 1]) {
        i -= 1;
    }
    i
}

/// One past the end of the clause holding character `at`.
pub(super) fn clause_end(s: &Sentence, at: usize) -> usize {
    let mut i = at;
    while i < s.chars.len() && !is_clause_break(s.chars[i]) {
        i += 1;
    }
    i
}

/// Whether an enumeration item ends before character `at`: at 、 or a clause break, or at 和
/// right before a number (`新建2—3家…中心和25—30家…`; not 及, which ends 惠及, 涉及).
fn item_break_before(s: &Sentence, at: usize) -> bool {
    let c = s.chars[at - 1];
    is_item_break(c) || (c == '和' && s.chars.get(at).is_some_and(|d| d.is_ascii_digit()))
}

fn item_end(s: &Sentence, at: usize) -> usize {
    let mut i = at;
    while i < s.chars.len() && !is_item_break(s.chars[i]) && !(i > at && item_break_before(s, i + 1)) {
        i += 1;
    }
    i
}

fn item_start(s: &Sentence, at: usize) -> usize {
    let mut i = at;
    while i > 0 && !item_break_before(s, i) {
        i -= 1;
    }
    i
}

/// Which characters of the sentence are inside short quotations (names and slogans). Long quoted
/// passages are text, not names, so a quotation longer than this is ignored.
const NAME_QUOTE_MAX: usize = 24;

pub(super) fn quoted(s: &Sentence) -> Vec<bool> {
    let mut inside = vec![false; s.chars.len()];
    let mut open: Vec<(char, usize)> = Vec::new();
    let mut ascii_open: Option<usize> = None;
    for (i, &c) in s.chars.iter().enumerate() {
        let closing = match c {
            '”' => Some('“'),
            '’' => Some('‘'),
            '」' => Some('「'),
            '』' => Some('『'),
            '》' => Some('《'),
            _ => None,
        };
        if matches!(c, '“' | '‘' | '「' | '『' | '《') {
            open.push((c, i));
        } else if let Some(opener) = closing {
            if let Some(pos) = open.iter().rposition(|&(o, _)| o == opener) {
                let (_, from) = open[pos];
                open.truncate(pos);
                if i - from <= NAME_QUOTE_MAX {
                    inside[from..=i].iter_mut().for_each(|b| *b = true);
                }
            }
        } else if c == '"' {
            match ascii_open.take() {
                Some(from) if i - from <= NAME_QUOTE_MAX => inside[from..=i].iter_mut().for_each(|b| *b = true),
                Some(_) => {}
                None => ascii_open = Some(i),
            }
        }
    }
    inside
}

fn text_of<'a>(s: &Sentence<'a>, from: usize, to: usize) -> &'a str {
    s.slice(from.min(to), to)
}

/// Skips 以上/以下/以内/左右/及以上/余/多 after a unit.
fn after_qualifier(s: &Sentence, at: usize) -> usize {
    let mut i = at;
    for word in ["及以上", "以上", "以下", "以内", "左右"] {
        if s.has_at(i, word) {
            i += word.chars().count();
            break;
        }
    }
    i
}

/// The verdict on quantity `k` of the sentence: `Ok` if it is a target.
pub(super) fn judge(
    s: &Sentence,
    quantities: &[Quantity],
    k: usize,
    quotes: &[bool],
    past: bool,
) -> Result<(), Rejection> {
    let q = &quantities[k];
    if past {
        return Err(Rejection::Past);
    }
    if quotes[q.start] {
        return Err(Rejection::Quoted);
    }
    let next = s.chars.get(q.end).copied();
    if matches!(next, Some('级' | '制' | '型' | '式')) {
        return Err(Rejection::Descriptor);
    }
    let clause_from = clause_start(s, q.start);
    let clause_to = clause_end(s, q.end);
    let before = text_of(s, clause_from, q.start);
    let rest = text_of(s, q.end, clause_to);
    let past_qualifier = after_qualifier(s, q.end);

    // Criterion: a measure with 以上/以下 directly before a noun defines a class
    // (投资10亿元以上项目, 海拔1500米以上农村中小学); a count does not (1000名以上高校毕业生).
    if q.kind == UnitKind::Measure
        && past_qualifier > q.end
        && s.chars.get(past_qualifier).is_some_and(|&c| is_cjk_ideograph(c))
        && !rest.contains("达到")
        && !rest.contains("面积")
    {
        return Err(Rejection::Criterion);
    }
    // An age before a noun names a group (2—3岁幼儿, 60周岁老人); a life expectancy is a level.
    if q.unit.ends_with('岁') && s.chars.get(past_qualifier).is_some_and(|&c| is_cjk_ideograph(c)) {
        return Err(Rejection::Criterion);
    }
    if SPEC_WORDS.iter().any(|w| before.ends_with(w)) {
        return Err(Rejection::Criterion);
    }

    // Directly after another count: 3座35万千瓦光热电站, 12个百亿元…项目, 70个30亿元以上项目.
    if k > 0 {
        let prev = &quantities[k - 1];
        if prev.end == q.start && prev.kind == UnitKind::Count {
            return Err(Rejection::AttributeOfCount);
        }
    }

    // Attributes of a project: 总投资7.58亿元的…, 60万吨赖氨酸等项目, 千万吨炼化基地.
    if ATTRIBUTE_WORDS.iter().any(|w| before.ends_with(w)) && s.chars.get(past_qualifier) == Some(&'的') {
        return Err(Rejection::AttributeOfProject);
    }
    if q.kind == UnitKind::Measure {
        let item_rest = text_of(s, q.end, item_end(s, q.end));
        if rest.contains("等项目")
            || rest.contains("等重点项目")
            || rest.contains("等重大项目")
            || item_rest.contains("基地")
        {
            return Err(Rejection::AttributeOfProject);
        }
    }

    // Items of a list or a slogan: 15件民生实事, 十个方面, 30项举措, 三个转变.
    let noun = text_of(s, past_qualifier, clause_to);
    if q.chinese && SLOGAN_VERBS.iter().any(|w| noun.starts_with(w)) {
        return Err(Rejection::ListItems);
    }
    if q.kind == UnitKind::Count {
        if LIST_NOUNS.iter().any(|w| noun.starts_with(w)) {
            return Err(Rejection::ListItems);
        }
        // 件/项/类 count the items of a list wherever the list's name comes in the clause
        // (15件群众关注度高、…的实事项目); other units only when it follows at once.
        let list_name =
            if matches!(q.unit.as_str(), "件" | "项" | "类") { rest } else { text_of(s, q.end, item_end(s, q.end)) };
        if list_name.contains("实事") || list_name.contains("大事") {
            return Err(Rejection::ListItems);
        }
    }

    // README decision 6: counts naming existing sectors under a soft verb.
    let last = |words: &[&str]| words.iter().filter_map(|w| before.rfind(w)).max();
    // Whether a strong verb comes after position `at` of `before` (looked up only when needed).
    let strong_after = |at: usize| last(STRONG_VERBS).is_some_and(|st| st > at);
    if q.kind == UnitKind::Count
        && let Some(relying_at) = last(RELYING_VERBS)
        && !strong_after(relying_at)
    {
        return Err(Rejection::ExistingSectors);
    }
    if q.kind == UnitKind::Count && (noun.contains("产业") || noun.contains("集群") || noun.contains("试点")) {
        if let Some(soft_at) = last(SOFT_VERBS)
            && !strong_after(soft_at)
        {
            return Err(Rejection::ExistingSectors);
        }
        if before.contains("推动")
            && (rest.contains("提质升级") || rest.contains("优化提升"))
            && last(STRONG_VERBS).is_none()
        {
            return Err(Rejection::ExistingSectors);
        }
    }

    // Baselines: 从380元提高至1000元, 由每人每月150元提高到180元 (README decision 3: only 1000).
    let item_before = text_of(s, item_start(s, q.start), q.start);
    let from_word = item_before.rfind('从').or_else(|| {
        item_before
            .rfind('由')
            .filter(|&at| !item_before[at..].starts_with("由于") && !item_before[..at].ends_with('自'))
    });
    if from_word.is_some()
        && ["提高", "提升", "增加", "增长", "扩大", "降低", "下降", "减少", "调整"]
            .iter()
            .any(|w| rest.starts_with(w) || rest.contains(&format!("{w}至")) || rest.contains(&format!("{w}到")))
    {
        return Err(Rejection::Baseline);
    }
    if let Some(fact_at) = last(FACT_WORDS)
        && !strong_after(fact_at)
    {
        return Err(Rejection::Fact);
    }
    Ok(())
}

/// Words before a quantity meaning "at least" (README "`what` and `direction`").
const AT_LEAST_WORDS: &[&str] = &[
    "不低于",
    "不少于",
    "超过",
    "超",
    "突破",
    "力争",
    "确保",
    "达到",
    "提高到",
    "提高至",
    "提升到",
    "提升至",
    "新增",
    "新建",
    "完成",
    "建成",
    "培育",
    "增加",
    "新培育",
    "新认证",
    "引进",
    "改造",
    "开展",
    "建设",
    "打造",
    "创建",
];

/// The direction of quantity `k`: qualifiers after it (以上, 以内, 左右 — also those shared by an
/// enumeration, `分别增长7%、8%左右`) win over words before it (控制在, 不超过, 新增 …).
pub(super) fn direction(s: &Sentence, quantities: &[Quantity], k: usize) -> Direction {
    let q = &quantities[k];
    if q.range || q.more_than {
        return Direction::AtLeast;
    }
    let mut j = k;
    let qualifier = loop {
        let end = quantities[j].end;
        let tail = text_of(s, end, (end + 4).min(s.chars.len()));
        if tail.starts_with("左右") {
            break Some(Direction::About);
        }
        if tail.starts_with("以上") || tail.starts_with("及以上") {
            break Some(Direction::AtLeast);
        }
        if tail.starts_with("以内") || tail.starts_with("以下") {
            break Some(Direction::AtMost);
        }
        // Shared by an enumeration: the next quantity follows after 、 or 和 and a short noun.
        match quantities.get(j + 1) {
            Some(n) if n.start > end && n.start - end <= 8 && matches!(s.chars[end], '、' | '和' | '及') => j += 1,
            _ => break None,
        }
    };
    if let Some(d) = qualifier {
        return d;
    }
    let from = clause_start(s, q.start);
    let before = text_of(s, from, q.start);
    if before.ends_with('约') || before.contains("大约") {
        return Direction::About;
    }
    if before.contains("不超过") || before.contains("控制在") {
        return Direction::AtMost;
    }
    if AT_LEAST_WORDS.iter().any(|w| before.contains(w)) {
        return Direction::AtLeast;
    }
    if q.kind == UnitKind::Count && !before.contains("推进") && !before.contains("抓好") {
        return Direction::AtLeast;
    }
    Direction::Exact
}

/// Leading words that say how or when rather than what (dropped from "what").
const WHAT_FILLERS: &[&str] = &[
    "其中",
    "力争",
    "确保",
    "全年",
    "今年",
    "全省",
    "全市",
    "全区",
    "全县",
    "努力",
    "争取",
    "实现",
    "累计",
    "年底前",
    "月底前",
    "再",
    "并",
    "要",
    "将",
    "计划",
    "年",
];

/// Trailing words before the number that link rather than name (dropped from "what").
const WHAT_LINKS: &[&str] = &[
    "稳定在",
    "控制在",
    "保持在",
    "提高到",
    "提高至",
    "提升到",
    "提升至",
    "达到",
    "突破",
    "超过",
    "不少于",
    "不低于",
    "不超过",
    "分别达",
    "分别为",
    "均达",
    "每人每月",
    "每人每年",
    "每年",
    "年均",
    "达",
    "为",
    "超",
    "约",
    "在",
    "各",
    "分别",
    "合计",
];

/// A short phrase naming what quantity `k` counts: the words of its enumeration item before the
/// number (`城镇新增就业8000人` → 城镇新增就业), completed by the words after the unit when those
/// before are only a verb (`建立10个未成年人保护工作站` → 建立未成年人保护工作站). Best effort, for the UI.
pub(super) fn what(s: &Sentence, q: &Quantity) -> String {
    let from = item_start(s, q.start);
    let mut head = text_of(s, from, q.start).trim();
    // A baseline is not what is counted: 由每人每月150元提高到180元.
    if let Some(at) = head.rfind('从').or_else(|| head.rfind('由')) {
        head = &head[..at];
    }
    // An attribute before the count is not what is counted: 抓好总投资12亿元的389个省重点项目.
    if head.contains(|c: char| c.is_ascii_digit())
        && let Some(at) = head.rfind('的')
    {
        head = &head[at + '的'.len_utf8()..];
    }
    head = strip_marker(head);
    loop {
        let before = head;
        head = head.trim_start_matches(|c: char| c.is_ascii_digit());
        for f in WHAT_FILLERS {
            head = head.strip_prefix(f).unwrap_or(head);
        }
        for l in WHAT_LINKS {
            head = head.strip_suffix(l).unwrap_or(head);
        }
        if head == before {
            break;
        }
    }
    let head = head.trim_matches(|c: char| !is_cjk_ideograph(c) && !c.is_alphanumeric());
    let tail_from = after_qualifier(s, q.end);
    let tail = text_of(s, tail_from, item_end(s, tail_from));
    let phrase = if head.chars().count() > 4 || tail.is_empty() { head.to_string() } else { format!("{head}{tail}") };
    if phrase.is_empty() && from > 0 {
        // The second number of `分别增长5.5%和7%`: what the clause's first number counts.
        let clause_from = clause_start(s, from);
        if let Some(first) = (clause_from..from).find(|&i| s.chars[i].is_ascii_digit())
            && first > clause_from
        {
            let lead = Quantity { start: first, end: first + 1, ..q.clone() };
            return what(s, &lead);
        }
    }
    phrase.chars().take(30).collect()
}

/// Drops list markers at the start of a phrase: 一是, 十一是, (3), 01, 1.
fn strip_marker(text: &str) -> &str {
    let t = text.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '(' | ')' | '（' | '）' | '.' | ' '));
    let numeral = t.chars().take_while(|&c| "一二三四五六七八九十".contains(c)).map(char::len_utf8).sum::<usize>();
    if numeral > 0 && t[numeral..].starts_with(['是', '要', '、']) {
        return &t[numeral + '是'.len_utf8()..];
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::quantity::scan;

    /// The verdict on each quantity of `text`, with its value.
    fn verdicts(text: &str) -> Vec<(String, Result<(), Rejection>)> {
        let s = Sentence::new(text, 0);
        let qs = scan(&s, None);
        let quotes = quoted(&s);
        (0..qs.len()).map(|k| (qs[k].value.clone(), judge(&s, &qs, k, &quotes, false))).collect()
    }

    fn rejected(text: &str) -> Vec<Rejection> {
        verdicts(text).into_iter().filter_map(|(_, v)| v.err()).collect()
    }

    #[test]
    fn each_rule_names_why_a_quantity_is_dropped() {
        assert_eq!(rejected("实施“3个100”工程。"), vec![Rejection::Quoted]);
        assert_eq!(rejected("建设5万吨级泊位，推行3人制篮球。"), vec![Rejection::Descriptor, Rejection::Descriptor]);
        assert_eq!(rejected("对投资5亿元以上项目给予奖励。"), vec![Rejection::Criterion]);
        assert_eq!(rejected("建成4座20万千瓦电站。"), vec![Rejection::AttributeOfCount]);
        assert_eq!(
            rejected("加快总投资18亿元的医院建设，推进80万吨乙烯等项目。"),
            vec![Rejection::AttributeOfProject; 2]
        );
        assert_eq!(rejected("办好12件民生实事，落实20项举措。"), vec![Rejection::ListItems; 2]);
        assert_eq!(rejected("聚焦8个产业集群。"), vec![Rejection::ExistingSectors]);
        assert_eq!(rejected("标准从600元提高至900元。"), vec![Rejection::Baseline]);
        assert_eq!(rejected("全市现有养老机构120家，在现有基础上新增床位50张。"), vec![Rejection::Fact]);
    }

    #[test]
    fn a_count_before_its_noun_with_a_floor_is_a_target_but_a_measure_is_a_criterion() {
        let v = verdicts("引导500名以上毕业生就业，扶持100万元以上项目。");
        assert_eq!(v, vec![("500".to_string(), Ok(())), ("100".to_string(), Err(Rejection::Criterion))]);
    }
}
