//! Time as a parameter.
//!
//! Deadlines, token expiry and the order of events all depend on "now"; the
//! server receives a [`Clock`] instead of reading the system time, so tests
//! (and, later, the log's replay) are deterministic.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant in UTC with millisecond precision.
///
/// Stored and sent as RFC 3339 (`2026-11-27T04:00:00.000Z`); the fixed width
/// makes the text form sort in time order, which both databases rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_unix_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    pub fn unix_millis(self) -> i64 {
        self.0
    }

    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| format!("is not an RFC 3339 time: {e}"))?;
        Ok(Timestamp(
            (parsed.unix_timestamp_nanos() / 1_000_000) as i64,
        ))
    }

    /// The RFC 3339 form, always with milliseconds and `Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            ),
            Err(_) => "invalid-time".to_string(),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// The source of "now".
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp((OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn at(time: Timestamp) -> FixedClock {
        FixedClock(AtomicI64::new(time.0))
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_sorts() {
        let a = Timestamp::parse("2026-01-18T00:00:00Z").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-01-18T00:00:00.000Z");
        let b = a.plus_seconds(61);
        assert_eq!(b.to_rfc3339(), "2026-01-18T00:01:01.000Z");
        assert!(a.to_rfc3339() < b.to_rfc3339());
        assert_eq!(Timestamp::parse(&b.to_rfc3339()).unwrap(), b);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::at(Timestamp::from_unix_millis(1000));
        assert_eq!(clock.now().unix_millis(), 1000);
        clock.advance_seconds(2);
        assert_eq!(clock.now().unix_millis(), 3000);
    }
}
