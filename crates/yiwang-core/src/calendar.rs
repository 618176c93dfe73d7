//! The working-day calendar: China's public holidays and the weekend days worked in
//! exchange (调休), from the State Council's annual notices.
//!
//! The notices are data (`data/calendar/YYYY.toml` in the repository, compiled in),
//! and an administrator adds each new year's notice as a file of the same form. Time
//! limits in working days are counted on this calendar in China Standard Time.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;

use crate::Instant;

/// China Standard Time, UTC+8, without daylight saving.
pub fn china_tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The civil date of an instant in China.
pub fn civil_date(t: Instant) -> NaiveDate {
    t.with_timezone(&china_tz()).date_naive()
}

/// The instant a civil day starts in China.
pub fn day_start(d: NaiveDate) -> Instant {
    china_tz()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset is unambiguous")
        .to_utc()
}

const BUNDLED: [(&str, &str); 7] = [
    ("2020", include_str!("../../../data/calendar/2020.toml")),
    ("2021", include_str!("../../../data/calendar/2021.toml")),
    ("2022", include_str!("../../../data/calendar/2022.toml")),
    ("2023", include_str!("../../../data/calendar/2023.toml")),
    ("2024", include_str!("../../../data/calendar/2024.toml")),
    ("2025", include_str!("../../../data/calendar/2025.toml")),
    ("2026", include_str!("../../../data/calendar/2026.toml")),
];

/// One year's notice, as written in `data/calendar/YYYY.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub year: i32,
    pub notice: String,
    #[serde(rename = "holiday", default)]
    pub holidays: Vec<HolidaySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpec {
    pub name: String,
    /// One day, or the first and last day of the holiday (inclusive).
    pub days: Vec<NaiveDate>,
    /// Weekend days worked in exchange (调休上班).
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("节假日文件格式有误：{0}")]
    Syntax(String),
    #[error("节日“{name}”：days 应为一个日期，或按先后顺序的起止两个日期")]
    BadRange { name: String },
    #[error("节日“{name}”：{date} 是工作日（周一至周五），不能作为调休上班日")]
    WorkdayNotWeekend { name: String, date: NaiveDate },
    #[error("节日“{name}”：{date} 既是假日又是上班日")]
    Contradiction { name: String, date: NaiveDate },
}

impl Notice {
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let n: Notice = toml::from_str(text).map_err(|e| CalendarError::Syntax(e.to_string()))?;
        for h in &n.holidays {
            let ok = match h.days.as_slice() {
                [_] => true,
                [a, b] => a <= b && (*b - *a).num_days() < 31,
                _ => false,
            };
            if !ok {
                return Err(CalendarError::BadRange { name: h.name.clone() });
            }
            for w in &h.workdays {
                if !matches!(w.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(CalendarError::WorkdayNotWeekend { name: h.name.clone(), date: *w });
                }
            }
        }
        Ok(n)
    }
    fn holiday_dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().flat_map(|h| {
            let first = h.days[0];
            let last = *h.days.last().expect("validated non-empty");
            first.iter_days().take_while(move |d| *d <= last)
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// The notices shipped with yiwang (2020–2026).
    pub fn bundled() -> Self {
        let mut cal = Self::default();
        for (year, text) in BUNDLED {
            let notice = Notice::parse(text).unwrap_or_else(|e| panic!("bundled calendar {year}: {e}"));
            cal.add(&notice).unwrap_or_else(|e| panic!("bundled calendar {year}: {e}"));
        }
        cal
    }

    /// Adds a year's notice. A later notice for the same year replaces nothing: the
    /// administrator edits the year's file instead.
    pub fn add(&mut self, n: &Notice) -> Result<(), CalendarError> {
        for h in &n.holidays {
            for w in &h.workdays {
                if self.holidays.contains(w) || n.holiday_dates().any(|d| d == *w) {
                    return Err(CalendarError::Contradiction { name: h.name.clone(), date: *w });
                }
            }
        }
        self.holidays.extend(n.holiday_dates());
        for h in &n.holidays {
            self.workdays.extend(h.workdays.iter().copied());
        }
        self.years.insert(n.year);
        Ok(())
    }

    /// Years for which a notice is loaded. Outside them only weekends are rest days.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        if self.workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The instant at which `working` of working time has passed since `start`.
    /// Every hour of a working day counts and no hour of a rest day does, so "3
    /// working days" from Friday 10:00 before a normal weekend ends on Wednesday 10:00,
    /// and a clock started on a rest day starts at the next working day's midnight.
    pub fn add_working(&self, start: Instant, working: Duration) -> Instant {
        let mut left = working;
        let mut t = start;
        // Ten years of rest days is far beyond any limit; the bound keeps a corrupt
        // calendar from looping.
        for _ in 0..3660 {
            let d = civil_date(t);
            let next_midnight = day_start(d + Duration::days(1));
            if self.is_working_day(d) {
                let avail = next_midnight - t;
                if left <= avail {
                    return t + left;
                }
                left -= avail;
            }
            t = next_midnight;
        }
        t + left
    }

    /// Working time between two instants (zero if `to` is not after `from`).
    pub fn working_between(&self, from: Instant, to: Instant) -> Duration {
        let mut total = Duration::zero();
        let mut t = from;
        while t < to {
            let d = civil_date(t);
            let next_midnight = day_start(d + Duration::days(1)).min(to);
            if self.is_working_day(d) {
                total += next_midnight - t;
            }
            t = next_midnight;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Instant {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }
    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn official_holidays_and_exchanged_workdays_are_known() {
        let cal = Calendar::bundled();
        let table = [
            ("2020-02-01", false), // Saturday, exchanged workday cancelled by the extension
            ("2020-01-19", true),  // Sunday worked in exchange
            ("2023-10-07", true),  // Saturday worked in exchange
            ("2024-02-12", false), // Spring Festival, a Monday
            ("2025-01-26", true),  // Sunday worked in exchange
            ("2025-10-08", false),
            ("2026-01-04", true), // Sunday worked in exchange
            ("2026-02-23", false),
            ("2026-02-28", true),
            ("2026-10-09", true),  // an ordinary Friday
            ("2026-11-21", false), // an ordinary Saturday
        ];
        for (d, working) in table {
            assert_eq!(cal.is_working_day(date(d)), working, "{d}");
        }
        assert!((2020..=2026).all(|y| cal.covers(y)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = Calendar::bundled();
        let day = Duration::days(1);
        let table = [
            // Friday 10:00 + 3 working days → Wednesday 10:00.
            ("2026-11-20T10:00:00+08:00", 3, "2026-11-25T10:00:00+08:00"),
            // Saturday start: the clock starts on Monday.
            ("2026-11-21T15:00:00+08:00", 1, "2026-11-24T00:00:00+08:00"),
            // Across the National Day holiday (1–7 Oct): 30 Sep + 2 → 9 Oct.
            ("2026-09-30T09:00:00+08:00", 2, "2026-10-09T09:00:00+08:00"),
            // 15 working days from Friday 18 Sep counts the Sundays 20 Sep and the
            // Saturday 10 Oct worked in exchange and skips 中秋 and 国庆.
            ("2026-09-18T09:00:00+08:00", 15, "2026-10-15T09:00:00+08:00"),
        ];
        for (start, n, due) in table {
            assert_eq!(cal.add_working(at(start), day * n), at(due), "{start} + {n}");
            assert_eq!(cal.working_between(at(start), at(due)), day * n, "{start} .. {due}");
        }
    }

    #[test]
    fn bad_notices_are_refused() {
        let cases = [
            ("year = 2027\nnotice='x'\n[[holiday]]\nname='a'\ndays=['2027-01-03','2027-01-01']", "先后顺序"),
            (
                "year = 2027\nnotice='x'\n[[holiday]]\nname='a'\ndays=['2027-01-01']\nworkdays=['2027-01-04']",
                "不能作为调休上班日",
            ),
            ("year = 2027\nnotice='x'\nfoo=1", "格式有误"),
        ];
        for (text, msg) in cases {
            let err = Notice::parse(text).unwrap_err().to_string();
            assert!(err.contains(msg), "{err}");
        }
    }
}
