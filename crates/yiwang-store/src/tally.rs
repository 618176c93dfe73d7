//! How a write moves the month's counts (`measure_tally` on both stores) and the
//! dashboards' volumes (`volume_tally`): the case's facts or values after the write,
//! less those before, by key. They are kept as counts so the month's rates and the
//! dashboard read a few thousand rows whatever the volume. Both come from the
//! projection a kind gives (`Projection::facts`, `Projection::volume`), so the store
//! counts every kind alike.

use yiwang_core::case::{Fact, Projection};

/// A tally key: month, case kind, unit, fact, flag, value ('' if none; a key column
/// cannot be NULL).
pub(crate) type TallyKey = (String, &'static str, String, &'static str, bool, String);

fn tally_key(kind: &'static str, f: &Fact) -> TallyKey {
    (f.month.clone(), kind, f.unit.to_string(), f.name, f.flag, f.value.clone())
}

/// The facts of `after` less those of `before`, the projection whose rows are stored
/// now (none for a case without projection rows yet), with the keys whose count does
/// not move left out.
pub(crate) fn delta(kind: &'static str, before: Option<&Projection>, after: &Projection) -> Vec<(TallyKey, i64)> {
    let mut tally: Vec<(TallyKey, i64)> = vec![];
    let mut count = |f: &Fact, n: i64| {
        let key = tally_key(kind, f);
        match tally.iter_mut().find(|(k, _)| *k == key) {
            Some((_, m)) => *m += n,
            None => tally.push((key, n)),
        }
    };
    before.iter().flat_map(|b| b.facts.iter()).for_each(|f| count(f, -1));
    after.facts.iter().for_each(|f| count(f, 1));
    tally.retain(|(_, n)| *n != 0);
    tally
}

/// A volume key: the case's kind, the day it was opened (`YYYY-MM-DD`, China time), a
/// dimension (`status`, `category` …) and the case's value in it ('' for none). Each
/// case counts once in each dimension, on the day it was opened.
pub(crate) type VolumeKey = (&'static str, String, &'static str, String);

fn volume_keys(kind: &'static str, p: &Projection) -> Vec<VolumeKey> {
    let day = yiwang_core::calendar::civil_date(p.header.opened_at).format("%Y-%m-%d").to_string();
    p.volume.iter().map(|(dimension, value)| (kind, day.clone(), *dimension, value.clone())).collect()
}

/// How a write moves the dashboards' volumes: the keys of `after` less those of
/// `before` (the projection whose rows are stored now, `None` for a case without
/// projection rows), with the keys that do not move left out.
pub(crate) fn volume_delta(
    kind: &'static str,
    before: Option<&Projection>,
    after: &Projection,
) -> Vec<(VolumeKey, i64)> {
    let new = volume_keys(kind, after);
    let Some(before) = before else {
        return new.into_iter().map(|k| (k, 1)).collect();
    };
    let old = volume_keys(kind, before);
    let gone = old.iter().filter(|k| !new.contains(k)).map(|k| (k.clone(), -1));
    let came = new.iter().filter(|k| !old.contains(k)).map(|k| (k.clone(), 1));
    gone.chain(came).collect()
}
