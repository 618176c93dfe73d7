//! Bad input: texts, units, categories and numbers a command may not carry. Each is
//! refused with the code the API returns, and nothing is recorded.

use crate::fixture::*;
use yiwang_core::appeal::{Action, AppealEvent, Intake, Location, Refusal, Satisfaction};
use yiwang_core::id::InvalidValue;

fn chars(n: usize) -> String {
    "字".repeat(n)
}

fn invalid(field: &'static str, rule: &'static str) -> Refusal {
    Refusal::Invalid(InvalidValue { field, rule })
}

#[test]
fn intakes_with_bad_fields_are_refused() {
    let area = |code: &str| Location { area: Some(code_of(code)), ..Location::default() };
    let table: Vec<(&str, Intake, Result<(), Refusal>)> = vec![
        ("plain", complaint(), Ok(())),
        ("empty text", Intake { text: String::new(), ..complaint() }, Err(invalid("text", "不能为空"))),
        ("blank text", Intake { text: " \n\t ".into(), ..complaint() }, Err(invalid("text", "不能为空"))),
        ("line breaks and tabs", Intake { text: "路灯不亮\r\n\t晚上很黑".into(), ..complaint() }, Ok(())),
        ("a NUL", Intake { text: "路灯不亮\u{0}".into(), ..complaint() }, Err(invalid("text", "含有不可见的控制字符"))),
        (
            "an escape in the title",
            Intake { title: Some("路灯\u{1b}[31m".into()), ..complaint() },
            Err(invalid("title", "含有不可见的控制字符")),
        ),
        ("5000 characters", Intake { text: chars(5000), ..complaint() }, Ok(())),
        ("5001 characters", Intake { text: chars(5001), ..complaint() }, Err(invalid("text", "太长"))),
        ("title of 100", Intake { title: Some(chars(100)), ..complaint() }, Ok(())),
        ("title of 101", Intake { title: Some(chars(101)), ..complaint() }, Err(invalid("title", "太长"))),
        (
            "11 attachments",
            Intake { attachments: vec!["a.jpg".into(); 11], ..complaint() },
            Err(invalid("attachments", "最多 10 个附件")),
        ),
        ("10 attachments", Intake { attachments: vec!["a.jpg".into(); 10], ..complaint() }, Ok(())),
        (
            "blank attachment",
            Intake { attachments: vec![" ".into()], ..complaint() },
            Err(invalid("attachments", "不能为空")),
        ),
        (
            "unknown category",
            Intake { category: Some(cat_of("nope")), ..complaint() },
            Err(Refusal::UnknownCategory(cat_of("nope"))),
        ),
        ("known area", Intake { location: area("wg"), ..complaint() }, Ok(())),
        (
            "unknown area",
            Intake { location: area("nowhere"), ..complaint() },
            Err(Refusal::UnknownUnit(code_of("nowhere"))),
        ),
        (
            "address of 201",
            Intake { location: Location { address: Some(chars(201)), ..Location::default() }, ..complaint() },
            Err(invalid("location.address", "太长")),
        ),
    ];
    for (what, intake, expected) in table {
        let got = try_intake(Operator, &intake, t("2026-11-16 09:00")).map(|es| {
            assert_eq!(es.len(), 1);
        });
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn texts_are_trimmed_before_they_are_recorded() {
    let intake = Intake { text: "  占道经营  ".into(), title: Some("   ".into()), ..complaint() };
    let case = Case::file(Operator, &intake, "2026-11-16 09:00");
    assert_eq!((case.state.text.as_str(), case.state.title.as_deref()), ("占道经营", None));
    let events = handling().decide(HandlerA, &cmd::reply("  已清理  "), t("2026-11-17 09:00")).unwrap();
    assert!(matches!(&events[..], [AppealEvent::Replied { text, .. }] if text == "已清理"), "{events:?}");
}

#[test]
fn commands_with_bad_fields_are_refused() {
    use cmd::*;
    let note_of = |n| Some(chars(n));
    #[rustfmt::skip]
    let table: Vec<(&str, Setup, Who, Action, &str)> = vec![
        // dispatch
        ("unknown category", accepted, Dispatcher, dispatch("nope"), "unknown_category"),
        ("unknown unit", accepted, Dispatcher, dispatch_to("csgl", "nowhere"), "unknown_unit"),
        ("to the centre", accepted, Dispatcher, dispatch_to("csgl", "zx"), "unit_cannot_handle"),
        ("to a grid", accepted, Dispatcher, dispatch_to("csgl", "wg"), "unit_cannot_handle"),
        ("long note", accepted, Dispatcher, Action::Dispatch { category: cat_of("csgl"), unit: None, note: note_of(1001) }, "invalid_field"),
        // return
        ("empty reason", handling, HandlerA, send_back(""), "invalid_field"),
        ("long reason", handling, HandlerA, send_back(&chars(1001)), "invalid_field"),
        // reassign
        ("to itself", handling, Dispatcher, reassign("cgw", "改派"), "same_unit"),
        ("unknown unit", handling, Dispatcher, reassign("nowhere", "改派"), "unknown_unit"),
        ("to the centre", handling, Dispatcher, reassign("zx", "改派"), "unit_cannot_handle"),
        ("to a grid", handling, Dispatcher, reassign("wg", "改派"), "unit_cannot_handle"),
        ("unknown category", handling, Dispatcher, Action::Reassign { unit: code_of("sw"), category: Some(cat_of("nope")), reason: "改派".into() }, "unknown_category"),
        ("empty reason", handling, Dispatcher, reassign("sw", " "), "invalid_field"),
        // summon
        ("nobody", handling, HandlerA, summon(&[]), "invalid_field"),
        ("eleven units", handling, HandlerA, summon(&["sw"; 11]), "invalid_field"),
        ("the holder itself", handling, HandlerA, summon(&["cgw"]), "invalid_field"),
        ("a unit twice", handling, HandlerA, summon(&["sw", "sw"]), "invalid_field"),
        ("a unit already summoned", summoned, HandlerA, summon(&["sw"]), "invalid_field"),
        ("the centre", handling, HandlerA, summon(&["zx"]), "unit_cannot_handle"),
        ("a grid", handling, HandlerA, summon(&["wg"]), "unit_cannot_handle"),
        ("an unknown unit", handling, HandlerA, summon(&["nowhere"]), "unknown_unit"),
        // co-unit, contact, extension
        ("empty part", reported_in, HandlerB, answer_part(""), "invalid_field"),
        ("long part", reported_in, HandlerB, answer_part(&chars(5001)), "invalid_field"),
        ("empty contact note", handling, HandlerA, contact("  "), "invalid_field"),
        ("long contact note", handling, HandlerA, contact(&chars(1001)), "invalid_field"),
        ("no days", handling, HandlerA, request_extension(0), "invalid_field"),
        ("31 days", handling, HandlerA, request_extension(31), "invalid_field"),
        ("no reason", handling, HandlerA, Action::RequestExtension { working_days: 5, reason: "".into() }, "invalid_field"),
        // centre
        ("empty reminder", handling, Supervisor, remind(""), "invalid_field"),
        ("empty supervision", handling, Supervisor, supervise(""), "invalid_field"),
        ("empty suspension", handling, HandlerA, suspend(""), "invalid_field"),
        ("empty reply", handling, HandlerA, reply(" "), "invalid_field"),
        ("long reply", handling, HandlerA, reply(&chars(5001)), "invalid_field"),
        ("long callback note", replied, Citizen, Action::Callback { solved: true, satisfaction: Satisfaction::Satisfied, note: note_of(1001) }, "invalid_field"),
        ("empty reopen reason", called_back, Supervisor, reopen(""), "invalid_field"),
        ("long close note", called_back, Supervisor, Action::Close { note: note_of(1001) }, "invalid_field"),
        ("empty answer", || accepted_with(consultation()), Operator, answer_directly(""), "invalid_field"),
    ];
    for (what, setup, who, action, code) in table {
        let case = setup();
        assert_eq!(case.try_(who, &action, case.soon()), Err(code), "{}: {what}", action.name());
    }
}

#[test]
fn limits_are_inclusive() {
    use cmd::*;
    #[rustfmt::skip]
    let table: Vec<(Setup, Who, Action, &str)> = vec![
        (accepted, Dispatcher, dispatch_to("csgl", "qu"), "dispatched"),
        (accepted, Dispatcher, dispatch_to("csgl", "sq"), "dispatched"),
        (accepted, Dispatcher, dispatch_to("csgl", "jd"), "dispatched"),
        (accepted, Dispatcher, Action::Dispatch { category: cat_of("csgl"), unit: None, note: Some(chars(1000)) }, "dispatched"),
        // A blank optional note is no note.
        (accepted, Dispatcher, Action::Dispatch { category: cat_of("csgl"), unit: None, note: Some("  ".into()) }, "dispatched"),
        (handling, HandlerA, send_back(&chars(1000)), "returned"),
        (handling, HandlerA, summon(&["sw", "scj", "jd", "sq", "qu"]), "summoned"),
        (handling, HandlerA, request_extension(1), "extension_requested"),
        (handling, HandlerA, request_extension(30), "extension_requested"),
        (handling, HandlerA, reply(&chars(5000)), "replied"),
    ];
    for (setup, who, action, event) in table {
        let case = setup();
        assert_eq!(case.try_(who, &action, case.soon()), Ok(vec![event]), "{action:?}");
    }
}

#[test]
fn a_dispatch_without_a_unit_goes_to_the_categorys_owner() {
    let table = [("csgl", "cgw"), ("csgl-zd", "cgw"), ("gs", "sw"), ("spaq", "scj"), ("xxhj", "jd")];
    for (category, unit) in table {
        let case = accepted().then(Dispatcher, cmd::dispatch(category), "2026-11-16 09:30");
        assert_eq!(case.state.unit, Some(code_of(unit)), "{category}");
        assert_eq!(case.state.category, Some(cat_of(category)));
    }
    // The dispatcher may override the owner.
    let case = accepted().then(Dispatcher, cmd::dispatch_to("csgl", "jd"), "2026-11-16 09:30");
    assert_eq!(case.state.unit, Some(code_of("jd")));
}

#[test]
fn summoning_names_the_refused_unit() {
    let case = handling();
    let table = [
        (&["sw", "zx"][..], Refusal::UnitCannotHandle(code_of("zx"))),
        (&["nowhere"][..], Refusal::UnknownUnit(code_of("nowhere"))),
        (&["cgw"][..], invalid("units", "不能重复召集本单位或已召集的单位")),
        (&[][..], invalid("units", "召集 1 至 10 个单位")),
    ];
    for (units, refusal) in table {
        assert_eq!(case.decide(HandlerA, &cmd::summon(units), case.soon()), Err(refusal), "{units:?}");
    }
}

#[test]
fn a_reply_carries_at_most_three_photos_and_keeps_them_with_the_case() {
    let photo = |i: usize| format!("uploads/{i:032x}.jpg");
    let reply = |photos: Vec<String>| Action::Reply {
        outcome: yiwang_core::appeal::ReplyOutcome::Resolved,
        text: "已清理".into(),
        photos,
    };
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<String>, Result<(), Refusal>)> = vec![
        ("none", vec![], Ok(())),
        ("three", (1..=3).map(photo).collect(), Ok(())),
        ("four", (1..=4).map(photo).collect(), Err(invalid("photos", "最多 3 张照片"))),
        ("one twice", vec![photo(1), photo(1)], Err(invalid("photos", "同一张照片只能附一次"))),
        ("blank", vec![" ".into()], Err(invalid("photos", "不能为空"))),
        ("too long a name", vec![chars(501)], Err(invalid("photos", "太长"))),
    ];
    for (what, photos, expected) in table {
        let got = handling().decide(HandlerA, &reply(photos), t("2026-11-17 10:00")).map(|_| ());
        assert_eq!(got, expected, "{what}");
    }
    // Kept on the reply and among the case's files; a reopen withdraws the reply but
    // not its photos, and the next reply adds its own.
    let intake = Intake { attachments: vec!["uploads/citizen.jpg".into()], ..complaint() };
    let mut case = handling_with(intake).then(HandlerA, reply(vec![photo(1), photo(2)]), "2026-11-17 10:00");
    assert_eq!(case.state.reply.as_ref().map(|r| r.photos.clone()), Some(vec![photo(1), photo(2)]));
    case.act(Supervisor, &cmd::reopen("摊点仍在"), t("2026-11-18 10:00"));
    case.act(HandlerA, &reply(vec![photo(3)]), t("2026-11-19 10:00"));
    assert_eq!(case.state.reply.as_ref().map(|r| r.photos.clone()), Some(vec![photo(3)]));
    use yiwang_core::case::Kind;
    assert_eq!(
        yiwang_core::appeal::AppealKind::attachments(&case.state),
        ["uploads/citizen.jpg".to_owned(), photo(1), photo(2), photo(3)]
    );
}
