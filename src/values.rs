//! Shared values and parsing helpers: field errors, text fields, timestamps and dates as the records
//! hold them.

use crate::problem::capitalise;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};

/// Field errors: (JSON Pointer, what is wrong, in a sentence).
pub type FieldErrors = Vec<(String, String)>;

pub fn text(errors: &mut FieldErrors, pointer: &str, value: &str, what: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push((pointer.into(), format!("Enter {what}.")));
    } else if value.chars().count() > max {
        errors.push((
            pointer.into(),
            format!("{} must be {max} characters or fewer.", capitalise(what)),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push((
            pointer.into(),
            format!("{} contains control characters.", capitalise(what)),
        ));
    }
}

/// The fixed-width RFC 3339 UTC text the records use (microseconds), so text order is time order.
pub fn timestamp(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("a fixed format always formats")
}

/// Parses an RFC 3339 timestamp.
pub fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

/// Parses a calendar date, `YYYY-MM-DD`.
pub fn parse_date(value: &str) -> Option<Date> {
    Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// `at` plus some hours, in the records' timestamp format; `None` if `at` is not a time or the result
/// is out of range (never a guess such as 1970).
pub fn plus_hours(at: &str, hours: i64) -> Option<String> {
    Timestamp::parse(at)?
        .plus_hours(hours)
        .map(Timestamp::into_string)
}

/// A time as the records hold it: RFC 3339 in UTC with microseconds, fixed width, so that text order
/// is time order. Built only by parsing or from a clock's reading; reads as its text (`&str`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// A clock's reading, in UTC, to the microsecond.
    pub fn from_time(t: OffsetDateTime) -> Timestamp {
        Timestamp(timestamp(t))
    }

    /// Any RFC 3339 time, normalised to the records' form.
    pub fn parse(text: &str) -> Option<Timestamp> {
        parse_time(text).map(Timestamp::from_time)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn time(&self) -> OffsetDateTime {
        parse_time(&self.0).expect("a Timestamp holds a valid time")
    }

    /// This time plus some hours; `None` out of range.
    pub fn plus_hours(&self, hours: i64) -> Option<Timestamp> {
        let later = self
            .time()
            .checked_add(Duration::seconds(hours.checked_mul(3600)?))?;
        (later.year() <= 9999).then(|| Timestamp::from_time(later))
    }

    /// This time minus some days; `None` out of range.
    pub fn minus_days(&self, days: i64) -> Option<Timestamp> {
        let earlier = self
            .time()
            .checked_sub(Duration::seconds(days.checked_mul(86_400)?))?;
        (earlier.year() >= 0).then(|| Timestamp::from_time(earlier))
    }
}

impl std::ops::Deref for Timestamp {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = ();

    fn from_str(text: &str) -> Result<Timestamp, ()> {
        Timestamp::parse(text).ok_or(())
    }
}

impl PartialEq<&str> for Timestamp {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A record's version as an ETag (`"v3"`): what `If-Match` must send back.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_utc_and_order_as_text() {
        let t = Timestamp::parse("2026-11-29T12:00:00+01:00").unwrap();
        assert_eq!(t.as_str(), "2026-11-29T11:00:00.000000Z");
        assert_eq!(Timestamp::parse(&t), Some(t.clone()));
        let later = t.plus_hours(25).unwrap();
        assert_eq!(&*later, "2026-11-30T12:00:00.000000Z");
        assert!(later > t && later.as_str() > t.as_str());
        assert_eq!(later.minus_days(1).unwrap().plus_hours(-1), Some(t));
    }

    #[test]
    fn an_invalid_time_is_refused_never_1970() {
        assert_eq!(Timestamp::parse("yesterday"), None);
        assert_eq!(plus_hours("yesterday", 4), None);
        assert_eq!(
            plus_hours("2026-11-29T10:00:00.000000Z", 4).as_deref(),
            Some("2026-11-29T14:00:00.000000Z")
        );
        let t = Timestamp::parse("9999-12-31T23:00:00Z").unwrap();
        assert_eq!(t.plus_hours(2), None);
        assert_eq!(t.plus_hours(i64::MAX), None);
    }
}
