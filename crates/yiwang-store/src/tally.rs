//! How a write moves the month's counts (`measure_tally` on both stores) and the
//! dashboards' volumes (`volume_tally`): the case's facts or values after the write,
//! less those before, by key. They are kept as counts so the month's rates and the
//! dashboard read a few thousand rows whatever the volume.

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

/// What a case counts for, taken from its state before a write: its facts and its
/// volume keys. A writer takes it before the state is folded forward, instead of
/// keeping a copy of the whole state.
pub(crate) struct Counted {
    facts: Vec<Fact>,
    volume: [VolumeKey; 4],
}

impl Counted {
    pub(crate) fn of(a: &Appeal) -> Counted {
        Counted { facts: facts(a), volume: volume_keys(a) }
    }
}

/// The facts of `a` less those of `before`, the state whose rows are stored now (none
/// for a case without projection rows yet), with the keys whose count does not move
/// left out.
pub(crate) fn delta(before: Option<&Counted>, a: &Appeal) -> Vec<(TallyKey, i64)> {
    let mut tally: Vec<(TallyKey, i64)> = vec![];
    let mut count = |f: Fact, n: i64| {
        let key = tally_key(f);
        match tally.iter_mut().find(|(k, _)| *k == key) {
            Some((_, m)) => *m += n,
            None => tally.push((key, n)),
        }
    };
    before.iter().flat_map(|b| b.facts.iter().cloned()).for_each(|f| count(f, -1));
    facts(a).into_iter().for_each(|f| count(f, 1));
    tally.retain(|(_, n)| *n != 0);
    tally
}

/// A volume key: the day the case was accepted (`YYYY-MM-DD`, China time), a
/// dimension (`status`, `category`, `area`, `channel`) and the case's value in it
/// ('' for none). Each case counts once in each dimension, on its accepted day.
pub(crate) type VolumeKey = (String, &'static str, String);

fn volume_keys(a: &Appeal) -> [VolumeKey; 4] {
    let day = yiwang_core::calendar::civil_date(a.accepted_at).format("%Y-%m-%d").to_string();
    let category = a.category.as_ref().map(|c| c.to_string()).unwrap_or_default();
    let area = a.location.area.as_ref().map(|u| u.to_string()).unwrap_or_default();
    [
        (day.clone(), "status", a.status.as_str().to_owned()),
        (day.clone(), "category", category),
        (day.clone(), "area", area),
        (day, "channel", crate::sqlite::enum_str(&a.channel)),
    ]
}

/// How a write moves the dashboards' volumes: the keys of `a` less those of
/// `before` (the state whose rows are stored now, `None` for a case without
/// projection rows), with the keys that do not move left out.
pub(crate) fn volume_delta(before: Option<&Counted>, a: &Appeal) -> Vec<(VolumeKey, i64)> {
    let after = volume_keys(a);
    let Some(before) = before else {
        return after.into_iter().map(|k| (k, 1)).collect();
    };
    before.volume.iter().zip(after).filter(|(b, a)| *b != a).flat_map(|(b, a)| [(b.clone(), -1), (a, 1)]).collect()
}
