//! Target extraction from work reports: the labelling conventions of `data/targets/README.md` on
//! hand-written sentences (none copied from the labelled data), the sentence definition, the
//! scorer's matching rule, .docx reading, and a regression floor on the dev split.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use yiwang_dispatch::targets::{
    Direction, Label, TargetsError, docx_text, evaluate, extract, load_dataset, load_labels, sentences,
    synthetic_report,
};

/// (value, unit) of every target found, in order.
fn found(text: &str) -> Vec<(String, String)> {
    extract(text).into_iter().map(|t| (t.value, t.unit)).collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(v, u)| (v.to_string(), u.to_string())).collect()
}

#[test]
fn multipliers_before_the_unit_stay_in_the_unit_and_thousands_fold_into_the_value() {
    assert_eq!(
        found("新建停车泊位1.2万个，安排资金35亿元，受益群众4万人，投入3千万元，惠及2万人口，完成投资1.5万亿元。"),
        pairs(&[("1.2", "万个"), ("35", "亿元"), ("4", "万人"), ("3000", "万元"), ("2", "万人口"), ("1.5", "万亿元")])
    );
    assert_eq!(found("改造农户8千余户，铺设管网1,500米。"), pairs(&[("8000", "户"), ("1500", "米")]));
    assert_eq!(found("力争全区生产总值突破2600亿。"), pairs(&[("2600", "亿")]));
}

#[test]
fn amount_is_the_value_times_the_prefix_of_the_unit() {
    let t = extract("新建充电桩1.1万个，筹措资金2.5亿元。");
    assert_eq!(t[0].amount, 11_000.0);
    assert_eq!(t[1].amount, 250_000_000.0);
}

#[test]
fn chinese_numerals_are_read_like_digits() {
    assert_eq!(
        found("建成十个社区食堂，新建二十所幼儿园，培育两家龙头企业，新增千万吨储备能力，蔬菜产量稳定在百万吨以上。"),
        pairs(&[("10", "个"), ("20", "所"), ("2", "家"), ("1000", "万吨"), ("1", "百万吨")])
    );
}

#[test]
fn percentages_and_percentage_points_keep_their_sign_as_written() {
    assert_eq!(
        found("城镇化率提高1.5个百分点，绿化覆盖率达到42%，农村自来水普及率达到98.5％。"),
        pairs(&[("1.5", "个百分点"), ("42", "%"), ("98.5", "％")])
    );
}

#[test]
fn a_range_gives_only_its_lower_bound_with_the_unit_of_the_range() {
    assert_eq!(
        found("地区生产总值增长6%—6.5%，新建3-5所学校，培育20～30家企业，新增岗位1000至1200个。"),
        pairs(&[("6", "%"), ("3", "所"), ("20", "家"), ("1000", "个")])
    );
    let t = extract("新建3-5所学校。");
    assert_eq!(t[0].direction, Direction::AtLeast);
    assert_eq!(&"新建3-5所学校。"[t[0].span.clone()], "3-5所");
}

#[test]
fn several_targets_in_one_sentence_each_get_a_row_with_their_sentence() {
    let text = "第一段不算。新建口袋公园12个、绿道40公里，改造雨污管网60公里；其中新建泵站3座。";
    let t = extract(text);
    assert_eq!(
        t.iter().map(|t| (t.value.as_str(), t.unit.as_str())).collect::<Vec<_>>(),
        vec![("12", "个"), ("40", "公里"), ("60", "公里"), ("3", "座")]
    );
    assert!(t.iter().all(|t| t.sentence == "新建口袋公园12个、绿道40公里，改造雨污管网60公里；其中新建泵站3座。"));
    assert_eq!(&text[t[1].span.clone()], "40公里");
    assert_eq!(t[0].what, "新建口袋公园");
}

#[test]
fn the_direction_comes_from_the_words_around_the_number() {
    let t = extract(
        "城镇调查失业率控制在5%以内，居民消费价格涨幅3%左右，新增城镇就业6000人以上，一般公共预算收入增长4%，\
         碳排放强度不超过0.8吨，约500户完成改造，农村居民收入分别增长6%、7%左右，细颗粒物浓度35微克/立方米以内。",
    );
    let directions: Vec<Direction> = t.iter().map(|t| t.direction).collect();
    assert_eq!(
        directions,
        vec![
            Direction::AtMost,
            Direction::About,
            Direction::AtLeast,
            Direction::Exact,
            Direction::AtMost,
            Direction::About,
            Direction::About,
            Direction::About,
            Direction::AtMost,
        ]
    );
}

#[test]
fn years_dates_durations_and_ages_are_not_targets() {
    assert!(found("2026年6月底前完成，3年内见效，24小时开放，再延长30年，实施三年行动。").is_empty());
    assert_eq!(found("为65周岁以上老年人体检，招收2—3岁幼儿，人均预期寿命达到80岁。"), pairs(&[("80", "岁")]));
}

#[test]
fn ordinals_markers_and_names_with_numbers_are_not_targets() {
    let text = "第一，办好第12届运动会。（3）开通12345热线，建成5G网络，推进G60走廊，实施“3个100”工程。\n\
                一是落实稳经济“20条”。二是推动二期工程。［7］见附件。PM2.5浓度下降。";
    assert!(found(text).is_empty(), "{:?}", found(text));
}

#[test]
fn a_numbered_list_marker_is_not_read_as_a_decimal() {
    let text = "1.新建公厕10座。\n2.40个村完成改厕。\n3.新增绿地5公顷。";
    assert_eq!(found(text), pairs(&[("10", "座"), ("40", "个"), ("5", "公顷")]));
    // Without a list around it, the same shape is a decimal.
    assert_eq!(found("2.5万人次参加培训。"), pairs(&[("2.5", "万人次")]));
}

#[test]
fn counts_of_list_items_criteria_and_project_attributes_are_not_targets() {
    let text = "今年办好12件民生实事，确定10件覆盖面广、受益面大的实事项目，落实20项举措，抓好五个方面工作。\
                对投资5亿元以上项目给予奖励，布局一批30万千瓦以上光伏基地，建设5万吨级泊位。\
                加快总投资18亿元的体育中心建设，推进80万吨乙烯等项目。";
    assert!(found(text).is_empty(), "{:?}", found(text));
    // A count before its noun is still a count (1000名以上毕业生), and an attribute of a count is dropped.
    assert_eq!(found("引导500名以上毕业生到基层就业，建成4座20万千瓦光伏电站。"), pairs(&[("500", "名"), ("4", "座")]));
}

#[test]
fn existing_sectors_named_under_a_soft_verb_are_not_targets_but_new_ones_are() {
    assert_eq!(found("聚焦8个产业集群，壮大12条产业链，培育3个百亿级产业集群。"), pairs(&[("3", "个")]));
}

#[test]
fn a_baseline_is_dropped_and_the_level_to_reach_kept() {
    assert_eq!(found("将补助标准从每人每年600元提高至900元。"), pairs(&[("900", "元")]));
}

#[test]
fn past_figures_are_not_targets() {
    let text = "一、2025年工作回顾\n\
                全年新增就业5.1万人，改造老旧小区80个。\n\
                二、2026年重点工作\n\
                去年完成投资200亿元，今年完成投资230亿元。上半年已建成学校3所。\n\
                截至10月底，已完成改造60户。2025年，全市完成造林8万亩。\n\
                序号 | 项目 | 目标 | 进展情况\n\
                1 | 托育 | 新增托位300个。 | 新增托位280个。";
    assert_eq!(found(text), pairs(&[("230", "亿元"), ("300", "个")]));
}

#[test]
fn sentences_end_at_full_width_stops_and_line_breaks_but_not_at_semicolons() {
    let text = "  甲；乙,丙!丁。 “戊”？己！\n庚 \n\n辛。 ";
    let got: Vec<&str> = sentences(text).into_iter().map(|(_, s)| s).collect();
    assert_eq!(got, vec!["甲；乙,丙!丁。", "“戊”？", "己！", "庚", "辛。"]);
    for (range, s) in sentences(text) {
        assert_eq!(&text[range], s);
    }
    // A closing quote after 。 belongs to the next sentence.
    let got: Vec<&str> = sentences("他说：“好。”然后走了。").into_iter().map(|(_, s)| s).collect();
    assert_eq!(got, vec!["他说：“好。", "”然后走了。"]);
}

fn label(doc: &str, value: &str, unit: &str, sentence: &str) -> Label {
    Label {
        doc: doc.into(),
        value: value.into(),
        unit: unit.into(),
        what: "x".into(),
        direction: Direction::AtLeast,
        sentence: sentence.into(),
    }
}

#[test]
fn a_label_is_matched_once_and_only_in_its_own_sentence() {
    let text = "新建公园5个。\n新增公园5个，再建5个。\n种树5个，栽花5个。";
    let docs = BTreeMap::from([("a".to_string(), text.to_string())]);
    let labels = vec![
        // Two identical labels of one sentence need the two targets found there (whitespace
        // around a label's sentence does not matter).
        label("a", "5", "个", "新增公园5个，再建5个。"),
        label("a", "5", "个", " 新增公园5个，再建5个。 "),
        // One label matches one of two identical targets of its sentence, not both.
        label("a", "5", "个", "种树5个，栽花5个。"),
        // Same value and unit in another sentence does not match.
        label("a", "5", "个", "别的句子。"),
    ];
    let score = evaluate(&docs, &labels);
    assert_eq!((score.true_positives, score.false_positives, score.false_negatives), (3, 2, 1));
    let spurious: Vec<&str> = score.spurious.iter().map(|m| m.sentence.as_str()).collect();
    assert_eq!(spurious, vec!["新建公园5个。", "种树5个，栽花5个。"]);
    assert_eq!(score.misses.len(), 1);
    assert_eq!(score.misses[0].sentence, "别的句子。");
    assert!((score.precision - 0.6).abs() < 1e-9);
    assert!((score.recall - 0.75).abs() < 1e-9);
    assert_eq!(score.to_string().lines().last(), Some("precision=0.600 recall=0.750 f1=0.667 tp=3 fp=2 fn=1"));
}

#[test]
fn units_are_compared_as_written_without_width_folding() {
    let docs = BTreeMap::from([("a".to_string(), "覆盖率达到95％。".to_string())]);
    let half = evaluate(&docs, &[label("a", "95", "%", "覆盖率达到95％。")]);
    assert_eq!(half.true_positives, 0);
    let full = evaluate(&docs, &[label("a", "95", "％", "覆盖率达到95％。")]);
    assert_eq!(full.true_positives, 1);
}

#[test]
fn the_labels_loader_reads_the_tsv_format_and_names_a_bad_line() {
    let tsv = "doc\tvalue\tunit\twhat\tdirection\tsentence\nd1\t1.5\t万人\t就业\tat_least\t新增就业1.5万人。\n";
    let labels = load_labels(tsv).expect("valid labels");
    assert_eq!(labels, vec![Label { what: "就业".into(), ..label("d1", "1.5", "万人", "新增就业1.5万人。") }]);
    let bad = "doc\tvalue\tunit\twhat\tdirection\tsentence\nd1\t1.5\t万人\t就业\tat_least\t句。\nd1\t1,5\t人\tx\tabout\t句。\n";
    assert!(matches!(load_labels(bad), Err(TargetsError::Labels { line: 3, .. })));
    let bad_direction = "doc\tvalue\tunit\twhat\tdirection\tsentence\nd1\t1\t人\tx\tmost\t句。\n";
    assert!(matches!(load_labels(bad_direction), Err(TargetsError::Labels { line: 2, .. })));
    assert!(matches!(load_labels("doc\tvalue\n"), Err(TargetsError::Labels { line: 1, .. })));
}

/// A minimal .docx (what Word writes, less styles): content types, package relationships and a
/// deflate-compressed `word/document.xml` with the given body.
fn docx(body: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_string(),
        ),
        (
            "word/document.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
            ),
        ),
    ];
    for (name, content) in parts {
        zip.start_file(name, deflated).expect("start part");
        zip.write_all(content.as_bytes()).expect("write part");
    }
    zip.finish().expect("finish zip").into_inner()
}

#[test]
fn a_docx_gives_its_paragraphs_as_lines_with_runs_joined_and_entities_decoded() {
    let body = r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:t>二、今年重点工作</w:t></w:r></w:p>
        <w:p><w:r><w:rPr><w:b/></w:rPr><w:t>新增城镇</w:t></w:r><w:r><w:t xml:space="preserve">就业8000人</w:t></w:r><w:r><w:t>，R&amp;D投入增长8%。</w:t></w:r></w:p>
        <w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r></w:p>"#;
    let bytes = docx(body);
    let text = docx_text(&bytes).expect("a valid docx");
    assert_eq!(text, "二、今年重点工作\n新增城镇就业8000人，R&D投入增长8%。\n甲 乙\n丙");
    assert_eq!(found(&text), pairs(&[("8000", "人"), ("8", "%")]));
}

#[test]
fn anything_but_a_docx_is_refused_without_panicking() {
    assert!(matches!(docx_text(b""), Err(TargetsError::NotDocx(_))));
    assert!(matches!(docx_text("新增就业8000人".as_bytes()), Err(TargetsError::NotDocx(_))));
    assert!(matches!(docx_text(b"PK\x03\x04 truncated"), Err(TargetsError::NotDocx(_))));

    // A zip that is not a Word document.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("hello.txt", zip::write::SimpleFileOptions::default()).expect("start");
    zip.write_all(b"hi").expect("write");
    let not_word = zip.finish().expect("finish").into_inner();
    assert!(matches!(docx_text(&not_word), Err(TargetsError::NotDocx(_))));

    // A real docx cut short, or with bytes of its compressed body overwritten.
    let good = docx("<w:p><w:r><w:t>新增就业8000人。</w:t></w:r></w:p>");
    for cut in [good.len() / 2, good.len() - 10] {
        assert!(docx_text(&good[..cut]).is_err());
    }
    let mut flipped = good.clone();
    if let Some(at) = find(&flipped, b"word/document.xml") {
        for b in flipped.iter_mut().skip(at + 40).take(30) {
            *b ^= 0x5a;
        }
    }
    assert!(docx_text(&flipped).is_err());
    // Every prefix of a valid file is refused or read, never a panic.
    for cut in 0..good.len() {
        let _ = docx_text(&good[..cut]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_sixty_thousand_character_report_is_extracted_in_full() {
    let report = synthetic_report(60_000);
    assert!(report.chars().count() >= 60_000);
    let targets = extract(&report);
    // Each round of the synthetic report commits to 18 targets: 4 main targets, 4 investment,
    // 4 livelihood, 3 industry and 3 environment ones; its review line, the total investment of the
    // projects, the count of 民生实事, the sectors under 聚焦 and the names add none.
    let rounds = report.matches("重点工作").count();
    assert_eq!(targets.len(), 18 * rounds);
    for t in &targets {
        assert!(report[t.span.clone()].contains(t.unit.as_str()), "{t:?}");
        assert!(report.contains(&t.sentence));
    }
}

/// Figures on the dev split when this test was written: precision 1.000, recall 1.000 (623 labels).
/// The floors sit a little below, so a change that loses more than a handful of targets fails.
const DEV_PRECISION_FLOOR: f64 = 0.97;
const DEV_RECALL_FLOOR: f64 = 0.97;

#[test]
fn the_dev_split_stays_above_its_precision_and_recall_floors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/targets");
    let data =
        load_dataset(&dir, "dev").unwrap_or_else(|e| panic!("the dev split must be present at {}: {e}", dir.display()));
    assert_eq!(data.labels.len(), 623, "dev.tsv changed");
    let score = evaluate(&data.docs, &data.labels);
    assert!(
        score.precision >= DEV_PRECISION_FLOOR && score.recall >= DEV_RECALL_FLOOR,
        "dev fell below its floors:\n{score}"
    );
}

#[test]
fn arbitrary_text_never_makes_the_extractor_panic() {
    // Pieces that exercise every branch of the reader: digits in both widths, separators, Chinese
    // numerals, prefixes, units, qualifiers, quotes, markers, table cells and line breaks.
    const PIECES: &[&str] = &[
        "1",
        "2.",
        ".5",
        "０",
        "９",
        ",",
        ",000",
        "、",
        "，",
        "。",
        "；",
        "：",
        "\n",
        " ",
        "|",
        "\t",
        "—",
        "-",
        "～",
        "至",
        "到",
        "十",
        "百",
        "千",
        "两",
        "一",
        "零",
        "万",
        "亿",
        "万亿",
        "百万",
        "余",
        "多",
        "个",
        "个百分点",
        "%",
        "％",
        "元",
        "吨/年",
        "微克/立方米",
        "岁",
        "级",
        "以上",
        "以下",
        "左右",
        "约",
        "从",
        "由",
        "提高至",
        "“",
        "”",
        "\"",
        "（",
        "）",
        "(1)",
        "第",
        "年",
        "月",
        "底前",
        "上半年",
        "去年",
        "截至",
        "已完成",
        "回顾",
        "一、",
        "（二）",
        "2025年",
        "2026年重点工作",
        "进展情况",
        "等项目",
        "基地",
        "实事",
        "聚焦",
        "产业集群",
        "新增",
        "G",
        "PM",
        "Eflops",
        "𠀀",
        "é",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut text = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        for _ in 0..(seed % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
        }
        for t in extract(&text) {
            assert!(text.get(t.span.clone()).is_some(), "{text:?} {t:?}");
            assert!(t.value.parse::<f64>().is_ok(), "{text:?} {t:?}");
        }
        let _ = sentences(&text);
    }
}
