//! Maintenance windows (spec, Milestone 2: `maintenance_window`): devices are told to start
//! only inside the window, in the fleet's own time zone (an IANA name, so daylight saving time
//! moves the window with the wall clock).
//!
//! `{"timezone", "days": ["mon", …], "start": "HH:MM", "end": "HH:MM"}`: on each listed day the
//! window opens at `start` local time and closes at `end`; an `end` before `start` closes the
//! next morning (an overnight window belongs to the day it opens). Wall-clock rules across DST:
//! a start that falls in the spring-forward gap opens at the first instant after the gap (and
//! a window lying entirely in the gap does not open that day); in the repeated autumn hour the
//! window is open for both occurrences of its times. Time zone data is jiff's bundled copy of
//! the IANA database, so every server answers the same.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// `maintenance_window` as the API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`: the days the window opens.
    pub days: Vec<String>,
    /// Local opening time, `HH:MM` (24 h).
    pub start: String,
    /// Local closing time, `HH:MM`; before `start`: the next day.
    pub end: String,
}

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

/// A window checked once, ready to answer "open now?" and "opens when?".
#[derive(Debug, Clone)]
pub struct Window {
    tz: TimeZone,
    days: Vec<Weekday>,
    start: (i8, i8),
    end: (i8, i8),
}

fn hhmm(field: &str, s: &str) -> Result<(i8, i8), ApiError> {
    let bad = || {
        ApiError::invalid_argument(format!(
            "maintenance_window.{field} must be a time HH:MM (00:00 to 23:59), got {s:?}"
        ))
    };
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok((h, m))
}

impl MaintenanceWindow {
    /// Checks every field (the error names it and says what is accepted).
    pub fn check(&self) -> Result<Window, ApiError> {
        let tz = TimeZone::get(&self.timezone).map_err(|_| {
            ApiError::invalid_argument(format!(
                "maintenance_window.timezone must be an IANA time zone name such as Europe/Berlin, got {:?}",
                self.timezone
            ))
        })?;
        if self.days.is_empty() {
            return Err(ApiError::invalid_argument(
                "maintenance_window.days must name at least one day (mon, tue, wed, thu, fri, sat, sun)",
            ));
        }
        let mut days = Vec::new();
        for d in &self.days {
            let day = DAY_NAMES
                .iter()
                .find(|(name, _)| name == d)
                .map(|(_, w)| *w)
                .ok_or_else(|| {
                    ApiError::invalid_argument(format!(
                        "maintenance_window.days: {d:?} is not one of mon, tue, wed, thu, fri, sat, sun"
                    ))
                })?;
            if days.contains(&day) {
                return Err(ApiError::invalid_argument(format!(
                    "maintenance_window.days lists {d:?} twice"
                )));
            }
            days.push(day);
        }
        let start = hhmm("start", &self.start)?;
        let end = hhmm("end", &self.end)?;
        if start == end {
            return Err(ApiError::invalid_argument(
                "maintenance_window.start and end are the same time: the window would be empty (leave the window out for always)",
            ));
        }
        Ok(Window {
            tz,
            days,
            start,
            end,
        })
    }
}

fn minutes((h, m): (i8, i8)) -> i32 {
    i32::from(h) * 60 + i32::from(m)
}

impl Window {
    fn opens_on(&self, day: Weekday) -> bool {
        self.days.contains(&day)
    }

    /// Whether devices may be told to start at `unix` (seconds).
    pub fn is_open(&self, unix: i64) -> bool {
        let Ok(ts) = Timestamp::from_second(unix) else {
            return false;
        };
        let local = ts.to_zoned_datetime(self.tz.clone());
        let t = i32::from(local.time().hour()) * 60 + i32::from(local.time().minute());
        let (start, end) = (minutes(self.start), minutes(self.end));
        let today = local.date().weekday();
        if start < end {
            return self.opens_on(today) && start <= t && t < end;
        }
        // Overnight: the evening part belongs to today, the morning part to yesterday.
        (self.opens_on(today) && t >= start) || (self.opens_on(today.previous()) && t < end)
    }

    /// The first instant at or after `unix` at which the window is open (seconds, on a
    /// minute boundary unless `unix` itself is open); `None` only if it never opens in the
    /// next five weeks.
    pub fn next_open(&self, unix: i64) -> Option<i64> {
        if self.is_open(unix) {
            return Some(unix);
        }
        let ts = Timestamp::from_second(unix).ok()?;
        let mut date: Date = ts.to_zoned_datetime(self.tz.clone()).date();
        for _ in 0..35 {
            if self.opens_on(date.weekday()) {
                // The wall-clock opening; in a spring-forward gap jiff moves it past the gap,
                // so look back (at most a few hours) for the first open minute before it.
                let candidate = date
                    .at(self.start.0, self.start.1, 0, 0)
                    .to_zoned_datetime(self.tz.clone())
                    .ok()?
                    .timestamp()
                    .as_second();
                let mut first = None;
                let mut t = candidate;
                for _ in 0..=180 {
                    if t > unix && self.is_open(t) {
                        first = Some(t);
                    } else if first.is_some() || t <= unix {
                        break;
                    }
                    t -= 60;
                }
                if first.is_some() {
                    return first;
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(tz: &str, days: &[&str], start: &str, end: &str) -> Window {
        MaintenanceWindow {
            timezone: tz.into(),
            days: days.iter().map(|d| d.to_string()).collect(),
            start: start.into(),
            end: end.into(),
        }
        .check()
        .unwrap()
    }

    /// Seconds of a UTC civil time.
    fn utc(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn a_window_is_checked_field_by_field() {
        let ok = MaintenanceWindow {
            timezone: "Europe/Berlin".into(),
            days: vec!["mon".into()],
            start: "02:00".into(),
            end: "04:00".into(),
        };
        assert!(ok.check().is_ok());
        for (bad, words) in [
            (
                MaintenanceWindow {
                    timezone: "Mars/Olympus".into(),
                    ..ok.clone()
                },
                "IANA",
            ),
            (
                MaintenanceWindow {
                    days: vec![],
                    ..ok.clone()
                },
                "at least one day",
            ),
            (
                MaintenanceWindow {
                    days: vec!["monday".into()],
                    ..ok.clone()
                },
                "mon, tue",
            ),
            (
                MaintenanceWindow {
                    days: vec!["mon".into(), "mon".into()],
                    ..ok.clone()
                },
                "twice",
            ),
            (
                MaintenanceWindow {
                    start: "2:00".into(),
                    ..ok.clone()
                },
                "maintenance_window.start",
            ),
            (
                MaintenanceWindow {
                    end: "24:00".into(),
                    ..ok.clone()
                },
                "maintenance_window.end",
            ),
            (
                MaintenanceWindow {
                    end: "02:00".into(),
                    ..ok.clone()
                },
                "same time",
            ),
        ] {
            let e = bad.check().unwrap_err();
            assert!(e.message.contains(words), "{words}: {}", e.message);
        }
    }

    #[test]
    fn open_inside_the_local_window_on_listed_days_only() {
        // Mondays 02:00-04:00 in Berlin; 2026-01-05 is a Monday (UTC+1 in winter).
        let w = window("Europe/Berlin", &["mon"], "02:00", "04:00");
        assert!(!w.is_open(utc("2026-01-05T00:59:59Z")));
        assert!(w.is_open(utc("2026-01-05T01:00:00Z")), "02:00 local");
        assert!(w.is_open(utc("2026-01-05T02:59:59Z")));
        assert!(
            !w.is_open(utc("2026-01-05T03:00:00Z")),
            "04:00 local closes"
        );
        assert!(!w.is_open(utc("2026-01-06T01:30:00Z")), "Tuesday");
        // Summer (UTC+2): the same wall clock, two hours before UTC.
        assert!(w.is_open(utc("2026-07-06T00:30:00Z")));
        assert!(!w.is_open(utc("2026-07-06T02:30:00Z")));
    }

    #[test]
    fn an_overnight_window_belongs_to_the_day_it_opens() {
        // Fridays 22:00 to 03:00 in New York.
        let w = window("America/New_York", &["fri"], "22:00", "03:00");
        // 2026-01-09 is a Friday; New York is UTC-5 in January.
        assert!(w.is_open(utc("2026-01-10T03:30:00Z")), "Fri 22:30");
        assert!(w.is_open(utc("2026-01-10T07:30:00Z")), "Sat 02:30");
        assert!(!w.is_open(utc("2026-01-10T08:30:00Z")), "Sat 03:30");
        assert!(
            !w.is_open(utc("2026-01-11T03:30:00Z")),
            "Sat 22:30 is not a Friday"
        );
    }

    #[test]
    fn daylight_saving_moves_the_window_with_the_wall_clock() {
        // Europe/Berlin springs forward on 2026-03-29 (a Sunday) at 02:00 → 03:00.
        let early = window("Europe/Berlin", &["sun"], "02:00", "02:30");
        let gap_day = utc("2026-03-29T00:00:00Z");
        assert!(
            !(0..6 * 3600)
                .step_by(60)
                .any(|s| early.is_open(gap_day + s)),
            "a window inside the gap does not open that day"
        );
        assert_eq!(
            early.next_open(gap_day),
            Some(utc("2026-04-05T00:00:00Z")),
            "the next Sunday 02:00 CEST"
        );
        // A window starting in the gap opens right after it.
        let w = window("Europe/Berlin", &["sun"], "02:30", "04:00");
        assert_eq!(
            w.next_open(gap_day),
            Some(utc("2026-03-29T01:00:00Z")),
            "03:00 CEST"
        );
        assert!(w.is_open(utc("2026-03-29T01:59:00Z")), "03:59 CEST");
        assert!(!w.is_open(utc("2026-03-29T02:00:00Z")), "04:00 CEST");
        // Falling back on 2026-10-25: 02:00-03:00 happens twice; both are inside.
        let fold = window("Europe/Berlin", &["sun"], "02:00", "03:00");
        assert!(fold.is_open(utc("2026-10-25T00:30:00Z")), "02:30 CEST");
        assert!(fold.is_open(utc("2026-10-25T01:30:00Z")), "02:30 CET");
        assert!(!fold.is_open(utc("2026-10-25T02:00:00Z")), "03:00 CET");
    }

    #[test]
    fn next_open_is_now_inside_and_the_next_opening_outside() {
        let w = window("UTC", &["tue", "thu"], "10:00", "11:00");
        let tue_1030 = utc("2026-01-06T10:30:00Z");
        assert_eq!(w.next_open(tue_1030), Some(tue_1030));
        assert_eq!(
            w.next_open(utc("2026-01-06T11:00:00Z")),
            Some(utc("2026-01-08T10:00:00Z"))
        );
        assert_eq!(
            w.next_open(utc("2026-01-09T12:00:00Z")),
            Some(utc("2026-01-13T10:00:00Z"))
        );
    }
}
