//! Working days: the calendar every deadline is counted on.
//!
//! The law counts in working days (the trusted-list checks of Arts. 19-20,
//! and the platform's own review deadlines in each pack's `[deadlines]`).
//! Which days are working days is configuration, not law: a weekend, public
//! holidays (with the day off moved when a holiday falls on a weekend), and
//! the government's yearly transfers, which make some weekend days working
//! days. The calendar is data; this module only counts on it.
//!
//! Conventions, the same everywhere:
//! - A deadline of `n` working days that starts on day `d` falls on the
//!   `n`-th working day after `d` (`d` itself is not counted).
//! - Dates are calendar days in Kazakhstan's time (UTC+5).
//! - A paused clock does not count the days of the pause: the day it pauses
//!   counts, the day it resumes does not.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, UtcOffset, Weekday};

use crate::clock::Timestamp;

/// Kazakhstan's single time zone since 1 March 2024.
const KZ_OFFSET_SECONDS: i32 = 5 * 3600;

/// A calendar day, sent and stored as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Day {
    /// The day it is in Kazakhstan at `at`.
    pub fn of(at: Timestamp) -> Day {
        let offset = UtcOffset::from_whole_seconds(KZ_OFFSET_SECONDS).unwrap_or(UtcOffset::UTC);
        let nanos = i128::from(at.unix_millis()) * 1_000_000;
        let utc = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Day(utc.to_offset(offset).date())
    }

    pub fn parse(text: &str) -> Result<Day, String> {
        let bad = || format!("`{text}` is not a date (YYYY-MM-DD)");
        let mut parts = text.splitn(3, '-');
        let (y, m, d) = (parts.next(), parts.next(), parts.next());
        let (Some(y), Some(m), Some(d)) = (y, m, d) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let month = Month::try_from(month).map_err(|_| bad())?;
        Date::from_calendar_date(year, month, day)
            .map(Day)
            .map_err(|_| bad())
    }

    pub fn next(self) -> Day {
        Day(self.0.next_day().unwrap_or(self.0))
    }

    pub fn plus_days(self, days: i64) -> Day {
        Day(self.0.checked_add(Duration::days(days)).unwrap_or(self.0))
    }

    /// The same day `months` months later, or the month's last day when it
    /// has no such day (31 January plus a month is 28 or 29 February).
    pub fn plus_months(self, months: u32) -> Day {
        let total = i64::from(self.0.year()) * 12 + i64::from(u8::from(self.0.month())) - 1
            + i64::from(months);
        let (year, month) = ((total / 12) as i32, (total % 12 + 1) as u8);
        let Ok(month) = Month::try_from(month) else {
            return self;
        };
        let last = month.length(year);
        Date::from_calendar_date(year, month, self.0.day().min(last))
            .map(Day)
            .unwrap_or(self)
    }

    /// The same day `months` months earlier, or the month's last day when
    /// it has no such day.
    pub fn minus_months(self, months: u32) -> Day {
        let total = i64::from(self.0.year()) * 12 + i64::from(u8::from(self.0.month()))
            - 1
            - i64::from(months);
        let (year, month) = (
            total.div_euclid(12) as i32,
            (total.rem_euclid(12) + 1) as u8,
        );
        let Ok(month) = Month::try_from(month) else {
            return self;
        };
        let last = month.length(year);
        Date::from_calendar_date(year, month, self.0.day().min(last))
            .map(Day)
            .unwrap_or(self)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// The day of its month, 1 to 31.
    pub fn day_of_month(self) -> u8 {
        self.0.day()
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Day::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Day {}

/// A calendar as configured (`calendars/kz.toml`, or the operator's file).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Days of the week that are not working days; Saturday and Sunday when absent.
    #[serde(default)]
    pub weekend: Option<Vec<String>>,
    /// Days off that would otherwise be working days (holidays, and the days
    /// off moved from a holiday that fell on a weekend).
    #[serde(default)]
    pub holidays: Vec<Day>,
    /// Weekend days made working days by a transfer.
    #[serde(default)]
    pub working_weekends: Vec<Day>,
}

/// Which days are working days.
#[derive(Debug, Clone)]
pub struct Calendar {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<Day>,
    working_weekends: BTreeSet<Day>,
}

/// The longest deadline counted, in calendar days scanned: a guard against a
/// calendar in which no day is a working day.
const MAX_SCAN_DAYS: i64 = 3660;

fn weekday(name: &str) -> Result<Weekday, String> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        other => return Err(format!("`{other}` is not a day of the week")),
    })
}

impl Calendar {
    /// Checks a spec: known weekday names, no day both a holiday and a
    /// working weekend, every working weekend on a weekend, at least one
    /// working day a week.
    pub fn new(spec: &CalendarSpec) -> Result<Calendar, String> {
        let weekend = match &spec.weekend {
            Some(names) => names
                .iter()
                .map(|n| weekday(n))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![Weekday::Saturday, Weekday::Sunday],
        };
        if weekend.len() >= 7 {
            return Err("weekend: leaves no working day in the week".into());
        }
        let holidays: BTreeSet<Day> = spec.holidays.iter().copied().collect();
        let working_weekends: BTreeSet<Day> = spec.working_weekends.iter().copied().collect();
        if let Some(day) = holidays.intersection(&working_weekends).next() {
            return Err(format!(
                "{day} is listed both as a holiday and as a working weekend day"
            ));
        }
        if let Some(day) = working_weekends
            .iter()
            .find(|d| !weekend.contains(&d.0.weekday()))
        {
            return Err(format!(
                "working_weekends: {day} is a {} and so already a working day",
                d_name(day.0.weekday())
            ));
        }
        Ok(Calendar {
            weekend,
            holidays,
            working_weekends,
        })
    }

    /// Saturday and Sunday off, no holidays.
    pub fn weekends_only() -> Calendar {
        Calendar {
            weekend: vec![Weekday::Saturday, Weekday::Sunday],
            holidays: BTreeSet::new(),
            working_weekends: BTreeSet::new(),
        }
    }

    pub fn is_working_day(&self, day: Day) -> bool {
        if self.working_weekends.contains(&day) {
            return true;
        }
        !self.holidays.contains(&day) && !self.weekend.contains(&day.0.weekday())
    }

    /// The `n`-th working day after `from` (`from` itself when `n` is 0).
    /// `day` if it is a working day, else the last working day before it
    /// (a reminder due on a Sunday or a holiday goes out the working day
    /// before, not after).
    pub fn working_day_on_or_before(&self, day: Day) -> Day {
        let mut d = day;
        // A year of holidays in a row is not a calendar; stop there.
        for _ in 0..366 {
            if self.is_working_day(d) {
                return d;
            }
            d = d.plus_days(-1);
        }
        day
    }

    pub fn add_working_days(&self, from: Day, n: u32) -> Day {
        let mut day = from;
        let mut left = n;
        let mut scanned = 0;
        while left > 0 && scanned < MAX_SCAN_DAYS + i64::from(n) * 7 {
            day = day.next();
            scanned += 1;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The working days in `(from, to]`: 0 when `to` is not after `from`.
    pub fn working_days_between(&self, from: Day, to: Day) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.next();
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }
}

fn d_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// A running or paused deadline of a case, counted in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadline {
    /// What must be done by then: the name of the pack's deadline
    /// (`preliminary_expert_review`, `information_request_answer`, ...).
    pub what: String,
    /// The working days allowed.
    pub working_days: u32,
    /// Working days already used before the clock last started.
    pub used: u32,
    /// The day the clock last started; absent while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<Day>,
    /// The day the clock was paused; absent while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<Day>,
    /// The last day to act; absent while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Day>,
}

impl Deadline {
    /// A clock of `working_days` that starts on `today`.
    pub fn start(calendar: &Calendar, what: &str, working_days: u32, today: Day) -> Deadline {
        Deadline {
            what: what.to_string(),
            working_days,
            used: 0,
            running_since: Some(today),
            paused_since: None,
            due: Some(calendar.add_working_days(today, working_days)),
        }
    }

    /// Stops the clock on `today` (which counts); nothing if already paused.
    pub fn pause(&mut self, calendar: &Calendar, today: Day) {
        if let Some(since) = self.running_since.take() {
            self.used = self
                .used
                .saturating_add(calendar.working_days_between(since, today));
            self.paused_since = Some(today);
            self.due = None;
        }
    }

    /// Starts the clock again on `today` (which does not count).
    pub fn resume(&mut self, calendar: &Calendar, today: Day) {
        if self.running_since.is_none() {
            self.paused_since = None;
            self.running_since = Some(today);
            let left = self.working_days.saturating_sub(self.used);
            self.due = Some(calendar.add_working_days(today, left));
        }
    }

    /// True once the due day has passed.
    pub fn overdue(&self, today: Day) -> bool {
        self.due.is_some_and(|due| today > due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_keep_the_day_or_take_the_month_s_last() {
        assert_eq!(day("2027-03-01").minus_months(24), day("2025-03-01"));
        assert_eq!(day("2027-03-31").minus_months(1), day("2027-02-28"));
        assert_eq!(day("2027-01-15").minus_months(13), day("2025-12-15"));
        assert_eq!(day("2028-02-29").minus_months(12), day("2027-02-28"));
    }

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn kz() -> Calendar {
        // Nauryz 2026 (21-23 March, the weekend days moved to 24-25 March),
        // and a transfer that makes Saturday 3 January a working day.
        Calendar::new(&CalendarSpec {
            weekend: None,
            holidays: [
                "2026-01-01",
                "2026-01-02",
                "2026-03-23",
                "2026-03-24",
                "2026-03-25",
            ]
            .iter()
            .map(|d| day(d))
            .collect(),
            working_weekends: vec![day("2026-01-03")],
        })
        .unwrap()
    }

    #[test]
    fn parses_and_prints_dates() {
        assert_eq!(day("2026-02-28").to_string(), "2026-02-28");
        assert!(Day::parse("2026-02-30").is_err());
        assert!(Day::parse("2026-2-3").is_err());
        assert!(Day::parse("yesterday").is_err());
    }

    #[test]
    fn the_day_is_kazakhstan_time() {
        // 20:00 UTC is already the next day in Astana (UTC+5).
        let t = Timestamp::parse("2026-03-02T20:00:00Z").unwrap();
        assert_eq!(Day::of(t), day("2026-03-03"));
    }

    #[test]
    fn weekends_do_not_count() {
        let c = Calendar::weekends_only();
        // Friday + 1 working day = Monday.
        assert_eq!(c.add_working_days(day("2026-03-06"), 1), day("2026-03-09"));
        // Saturday + 1 = Monday; + 5 = Friday.
        assert_eq!(c.add_working_days(day("2026-03-07"), 1), day("2026-03-09"));
        assert_eq!(c.add_working_days(day("2026-03-07"), 5), day("2026-03-13"));
        assert_eq!(c.add_working_days(day("2026-03-07"), 0), day("2026-03-07"));
    }

    #[test]
    fn holidays_and_transfers_count_as_configured() {
        let c = kz();
        // 31 Dec 2025 (Wednesday) + 1: 1 and 2 January are holidays, the
        // transferred Saturday 3 January is a working day.
        assert_eq!(c.add_working_days(day("2025-12-31"), 1), day("2026-01-03"));
        assert_eq!(c.add_working_days(day("2025-12-31"), 2), day("2026-01-05"));
        // Friday 20 March + 1: the weekend, then Nauryz 23-25 March.
        assert_eq!(c.add_working_days(day("2026-03-20"), 1), day("2026-03-26"));
        // Ten working days from Thursday 19 March across Nauryz.
        assert_eq!(c.add_working_days(day("2026-03-19"), 10), day("2026-04-07"));
        assert_eq!(
            c.working_days_between(day("2026-03-19"), day("2026-04-07")),
            10
        );
    }

    #[test]
    fn pauses_stop_the_clock() {
        let c = Calendar::weekends_only();
        // 10 working days from Monday 2 March: due Monday 16 March.
        let mut d = Deadline::start(&c, "review", 10, day("2026-03-02"));
        assert_eq!(d.due, Some(day("2026-03-16")));
        // Paused on Wednesday 4 March: 2 days used (3rd and 4th).
        d.pause(&c, day("2026-03-04"));
        assert_eq!((d.used, d.due), (2, None));
        assert!(
            !d.overdue(day("2027-01-01")),
            "a paused clock is never overdue"
        );
        // Resumed on Monday 16 March: 8 days left, due Thursday 26 March.
        d.resume(&c, day("2026-03-16"));
        assert_eq!(d.due, Some(day("2026-03-26")));
        assert!(!d.overdue(day("2026-03-26")));
        assert!(d.overdue(day("2026-03-27")));
        // Pausing twice or resuming a running clock changes nothing.
        let before = d.clone();
        d.resume(&c, day("2026-03-20"));
        assert_eq!(d, before);
    }

    #[test]
    fn bad_calendars_are_refused() {
        let both = CalendarSpec {
            weekend: None,
            holidays: vec![day("2026-01-03")],
            working_weekends: vec![day("2026-01-03")],
        };
        assert!(Calendar::new(&both).unwrap_err().contains("2026-01-03"));
        let weekday_transfer = CalendarSpec {
            working_weekends: vec![day("2026-01-05")],
            ..Default::default()
        };
        assert!(Calendar::new(&weekday_transfer)
            .unwrap_err()
            .contains("Monday"));
        let no_days = CalendarSpec {
            weekend: Some(
                [
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ),
            ..Default::default()
        };
        assert!(Calendar::new(&no_days).is_err());
    }
}
