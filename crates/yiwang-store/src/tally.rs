//! How a write moves the month's counts (`measure_tally` on both stores): the
//! case's facts after the write, less its facts before, by key. The counts are kept
//! as counts so the month's rates read a few thousand rows whatever the volume.

use yiwang_core::appeal::Appeal;
use yiwang_core::measure::{Fact, FactKind, facts};

/// A tally key: month, unit, kind, flag, satisfaction ('' if none; a key column
/// cannot be NULL).
pub(crate) type TallyKey = (String, String, &'static str, bool, String);

fn tally_key(f: Fact) -> TallyKey {
    let (kind, flag, sat) = match f.kind {
        FactKind::Dispatch { responded } => ("dispatch", responded, String::new()),
        FactKind::Reply { on_time } => ("reply", on_time, String::new()),
        FactKind::Callback { solved, satisfaction } => ("callback", solved, crate::sqlite::enum_str(&satisfaction)),
    };
    (f.month, f.unit.to_string(), kind, flag, sat)
}

/// The facts of `a` less `before`, the facts of the state whose rows are stored now
/// (none for a case without projection rows yet), with the keys whose count does not
/// move left out.
pub(crate) fn delta(before: Vec<Fact>, a: &Appeal) -> Vec<(TallyKey, i64)> {
    let mut tally: Vec<(TallyKey, i64)> = vec![];
    let mut count = |f: Fact, n: i64| {
        let key = tally_key(f);
        match tally.iter_mut().find(|(k, _)| *k == key) {
            Some((_, m)) => *m += n,
            None => tally.push((key, n)),
        }
    };
    before.into_iter().for_each(|f| count(f, -1));
    facts(a).into_iter().for_each(|f| count(f, 1));
    tally.retain(|(_, n)| *n != 0);
    tally
}
