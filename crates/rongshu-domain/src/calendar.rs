//! Working days (工作日) as the State Council's annual holiday notices define
//! them: Monday to Friday, minus public holidays, plus make-up workdays
//! (调休) that fall on weekends. The regulation's deadlines (Art. 12-14)
//! count these days.
//!
//! The calendar is data, parsed from the text format of
//! `data/china-working-days.txt`, so next year's notice needs no release.
//! A date in a year the data does not declare counts Monday to Friday, and
//! every deadline that crossed such a year says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The calendar shipped with this release.
pub const SHIPPED: &str = include_str!("../data/china-working-days.txt");

/// Holidays and make-up workdays for the years a notice covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeSet<i32>,
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeMap<NaiveDate, String>,
}

/// A calendar file line that cannot be used, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("calendar line {line}: {problem}")]
pub struct CalendarError {
    pub line: usize,
    pub problem: String,
}

/// The day a stage must be finished by, counted in working days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub due: NaiveDate,
    /// Years the count passed through that the calendar does not declare,
    /// where Monday to Friday were assumed.
    pub assumed_years: Vec<i32>,
}

/// Where a stage stands against its due date on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueState {
    /// Working days left after today, at least one.
    Ahead(u32),
    /// Today is the due date.
    DueToday,
    /// Working days past the due date, at least one.
    Overdue(u32),
}

impl WorkingCalendar {
    /// The calendar shipped with this release.
    pub fn shipped() -> WorkingCalendar {
        WorkingCalendar::parse(SHIPPED).expect("the shipped calendar parses")
    }

    /// Parses the line format described in the shipped file.
    pub fn parse(text: &str) -> Result<WorkingCalendar, CalendarError> {
        let mut calendar = WorkingCalendar {
            years: BTreeSet::new(),
            holidays: BTreeMap::new(),
            workdays: BTreeMap::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |problem: String| CalendarError { line, problem };
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let mut words = content.splitn(3, char::is_whitespace);
            let keyword = words.next().unwrap_or_default();
            let value = words.next().unwrap_or_default();
            let name = words.next().unwrap_or_default().trim().to_owned();
            match keyword {
                "year" => {
                    let year = value
                        .parse::<i32>()
                        .ok()
                        .filter(|y| (1949..=9999).contains(y))
                        .ok_or_else(|| fail(format!("{value:?} is not a year")))?;
                    if !calendar.years.insert(year) {
                        return Err(fail(format!("year {year} is declared twice")));
                    }
                }
                "holiday" => {
                    let (first, last) = parse_range(value).map_err(fail)?;
                    let mut day = first;
                    while day <= last {
                        calendar.add(day, &name, true).map_err(fail)?;
                        day = next_day(day);
                    }
                }
                "workday" => {
                    let day = parse_date(value).map_err(fail)?;
                    if !is_weekend(day) {
                        return Err(fail(format!(
                            "make-up workday {day} is a {}, not a weekend day",
                            day.weekday()
                        )));
                    }
                    calendar.add(day, &name, false).map_err(fail)?;
                }
                other => {
                    return Err(fail(format!(
                        "unknown keyword {other:?}; expected year, holiday or workday"
                    )));
                }
            }
        }
        if calendar.years.is_empty() {
            return Err(CalendarError {
                line: 0,
                problem: "no year is declared".into(),
            });
        }
        Ok(calendar)
    }

    fn add(&mut self, day: NaiveDate, name: &str, holiday: bool) -> Result<(), String> {
        if !self.years.contains(&day.year()) {
            return Err(format!(
                "{day} is in {}, which no `year` line above declares",
                day.year()
            ));
        }
        if self.holidays.contains_key(&day) || self.workdays.contains_key(&day) {
            return Err(format!("{day} is listed twice"));
        }
        let days = if holiday {
            &mut self.holidays
        } else {
            &mut self.workdays
        };
        days.insert(day, name.to_owned());
        Ok(())
    }

    /// The years the data declares.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `day` is a working day; outside the declared years, Monday
    /// to Friday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains_key(&day) {
            true
        } else if self.holidays.contains_key(&day) {
            false
        } else {
            !is_weekend(day)
        }
    }

    /// The holiday or make-up workday name of `day`, if it has one.
    pub fn name_of(&self, day: NaiveDate) -> Option<&str> {
        self.holidays
            .get(&day)
            .or_else(|| self.workdays.get(&day))
            .map(String::as_str)
    }

    /// The due date of a stage that must finish "within `n` working days"
    /// of `start`: the first day counted is the first working day after
    /// `start`, so the due date is the `n`th working day after it.
    pub fn deadline(&self, start: NaiveDate, n: u32) -> Deadline {
        let mut day = start;
        let mut assumed = BTreeSet::new();
        let mut counted = 0;
        while counted < n {
            day = next_day(day);
            if !self.covers(day.year()) {
                assumed.insert(day.year());
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        Deadline {
            due: day,
            assumed_years: assumed.into_iter().collect(),
        }
    }

    /// Where a stage due on `due` stands on `today`.
    pub fn due_state(&self, today: NaiveDate, due: NaiveDate) -> DueState {
        if today == due {
            DueState::DueToday
        } else if today < due {
            DueState::Ahead(self.working_days_after(today, due).max(1))
        } else {
            DueState::Overdue(self.working_days_after(due, today).max(1))
        }
    }

    /// Working days in `(from, to]`.
    fn working_days_after(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut day = from;
        let mut count = 0;
        while day < to {
            day = next_day(day);
            count += u32::from(self.is_working_day(day));
        }
        count
    }
}

impl DueState {
    /// Working days left: negative once overdue, zero on the due date.
    pub fn working_days_left(self) -> i64 {
        match self {
            DueState::Ahead(n) => i64::from(n),
            DueState::DueToday => 0,
            DueState::Overdue(n) => -i64::from(n),
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(self, DueState::Overdue(_))
    }
}

impl fmt::Display for DueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DueState::Ahead(n) => write!(f, "{n} working days left"),
            DueState::DueToday => f.write_str("due today"),
            DueState::Overdue(n) => write!(f, "overdue by {n} working days"),
        }
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1))
        .expect("calendar dates stay far from chrono's limits")
}

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("{value:?} is not a date (YYYY-MM-DD)"))
}

fn parse_range(value: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let (first, last) = match value.split_once("..") {
        Some((first, last)) => (parse_date(first)?, parse_date(last)?),
        None => (parse_date(value)?, parse_date(value)?),
    };
    if last < first {
        return Err(format!("{value:?} ends before it starts"));
    }
    if (last - first).num_days() > 31 {
        return Err(format!(
            "{value:?} is longer than a month; is a year wrong?"
        ));
    }
    Ok((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn the_shipped_calendar_matches_the_notices() {
        let c = WorkingCalendar::shipped();
        assert_eq!(c.years().collect::<Vec<_>>(), [2025, 2026]);
        // 2026: 7 holiday periods, 33 days off, 6 make-up workdays.
        let in_2026 =
            |days: &BTreeMap<NaiveDate, String>| days.keys().filter(|d| d.year() == 2026).count();
        assert_eq!(in_2026(&c.holidays), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(in_2026(&c.workdays), 6);
        let working_2026 = (0..365)
            .filter(|&i| c.is_working_day(d("2026-01-01") + Days::new(i)))
            .count();
        // 261 weekdays in 2026, minus weekday holidays, plus make-up days.
        let weekday_holidays = c
            .holidays
            .keys()
            .filter(|d| d.year() == 2026 && !is_weekend(**d))
            .count();
        assert_eq!(working_2026, 261 - weekday_holidays + 6);
        assert!(!c.is_working_day(d("2026-10-01")));
        assert!(c.is_working_day(d("2026-10-10")), "Saturday make-up day");
        assert!(c.is_working_day(d("2026-09-20")), "Sunday make-up day");
        assert_eq!(c.name_of(d("2026-10-03")), Some("国庆节"));
    }

    #[test]
    fn ten_working_days_across_the_2026_national_day_holiday() {
        let c = WorkingCalendar::shipped();
        // Filed Tuesday 29 September: Wed 30 Sep (1), holiday 1-7 Oct,
        // Thu 8 (2), Fri 9 (3), Sat 10 make-up (4), 12-16 Oct (5-9),
        // Mon 19 Oct (10).
        let deadline = c.deadline(d("2026-09-29"), 10);
        assert_eq!(deadline.due, d("2026-10-19"));
        assert!(deadline.assumed_years.is_empty());
        // Twenty working days from 24 September crosses both holidays.
        assert_eq!(c.deadline(d("2026-09-24"), 20).due, d("2026-10-29"));
        assert_eq!(
            c.due_state(d("2026-09-30"), d("2026-10-19")),
            DueState::Ahead(9)
        );
        assert_eq!(
            c.due_state(d("2026-10-19"), d("2026-10-19")),
            DueState::DueToday
        );
        assert_eq!(
            c.due_state(d("2026-10-21"), d("2026-10-19")),
            DueState::Overdue(2)
        );
        // A holiday does not add an overdue day.
        assert_eq!(
            c.due_state(d("2026-10-05"), d("2026-09-30")),
            DueState::Overdue(1)
        );
    }

    #[test]
    fn counting_into_an_undeclared_year_is_flagged() {
        let c = WorkingCalendar::shipped();
        let deadline = c.deadline(d("2026-12-24"), 10);
        // Fri 25, 28-31 Dec (5), then Mon-Fri in 2027 with no holidays known.
        assert_eq!(deadline.due, d("2027-01-07"));
        assert_eq!(deadline.assumed_years, [2027]);
    }

    #[test]
    fn deadlines_land_on_working_days_and_grow_with_n() {
        let c = WorkingCalendar::shipped();
        let mut start = d("2025-01-01");
        while start < d("2026-12-01") {
            let mut previous = start;
            for n in 1..=20 {
                let due = c.deadline(start, n).due;
                assert!(c.is_working_day(due), "{start} + {n} = {due}");
                assert!(due > previous);
                assert_eq!(c.due_state(start, due), DueState::Ahead(n));
                previous = due;
            }
            start = next_day(start);
        }
    }

    #[test]
    fn bad_files_name_the_line() {
        let cases = [
            ("holiday 2026-01-01 元旦", "line 1: 2026-01-01 is in 2026"),
            (
                "year 2026\nworkday 2026-01-05 x",
                "line 2: make-up workday 2026-01-05 is a Mon",
            ),
            (
                "year 2026\nholiday 2026-02-01..2026-01-01",
                "ends before it starts",
            ),
            (
                "year 2026\nholiday 2026-01-01\nholiday 2026-01-01",
                "line 3: 2026-01-01 is listed twice",
            ),
            ("year 2026\nyear 2026", "declared twice"),
            (
                "year 2026\nfestival 2026-01-01",
                "unknown keyword \"festival\"",
            ),
            ("year 2026\nholiday 2026-13-01", "is not a date"),
            ("# nothing", "no year is declared"),
        ];
        for (text, expected) in cases {
            let err = WorkingCalendar::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
