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

/// The fixed-width RFC 3339 UTC text the records use (microseconds), so text order is time order:
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`. (Written out here rather than with `time`'s format descriptions,
/// whose interpreter, with its parser, was the largest part of `time` in every component.)
pub fn timestamp(t: OffsetDateTime) -> String {
    use std::fmt::Write;
    let t = t.to_offset(time::UtcOffset::UTC);
    let (year, month, day) = t.to_calendar_date();
    let mut text = String::with_capacity(27);
    if year < 0 {
        text.push('-');
    }
    write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        year.unsigned_abs(),
        u8::from(month),
        day,
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
    .expect("writing to a String");
    text
}

/// Parses an RFC 3339 timestamp.
pub fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

/// Parses a calendar date, `YYYY-MM-DD`, as `time`'s `[year]-[month]-[day]` does: a year of four
/// digits, signed or not; a month and a day of two digits; a date that exists.
pub fn parse_date(value: &str) -> Option<Date> {
    // Exactly `n` ASCII digits at the start of `text`, as a number.
    let digits = |text: &[u8], n: usize| -> Option<u32> {
        let digits = text.get(..n)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0, |number, b| number * 10 + u32::from(b - b'0'))
        })
    };
    let text = value.as_bytes();
    let (sign, text) = match text.first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    if text.len() != 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(text, 4)?).ok()? * sign;
    let month = time::Month::try_from(u8::try_from(digits(&text[5..], 2)?).ok()?).ok()?;
    let day = u8::try_from(digits(&text[8..], 2)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
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

    /// What `timestamp` and `parse_date` replace: `time`'s format descriptions (a dev-dependency
    /// feature now), which they must agree with.
    #[test]
    fn timestamps_and_dates_as_time_formats_and_parses_them() {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        let mut t = time::macros::datetime!(-9999-01-01 00:00:00.123456789 UTC);
        let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        while t < end {
            for offset in [time::UtcOffset::UTC, time::macros::offset!(+05:30)] {
                let at = t.to_offset(offset);
                let expected = at.to_offset(time::UtcOffset::UTC).format(&format).unwrap();
                assert_eq!(timestamp(at), expected);
            }
            match t.checked_add(Duration::seconds(86_413 * 97) + Duration::nanoseconds(1_234_567)) {
                Some(next) => t = next,
                None => break,
            }
        }

        let date = time::macros::format_description!("[year]-[month]-[day]");
        let mut texts: Vec<String> = [
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "2024-1-01",
            "2024-01-1",
            "02024-01-01",
            "+2024-01-01",
            "-2024-01-01",
            "+002024-01-01",
            "+0020240-01-01",
            "-0000-01-01",
            "+12345-01-01",
            "2024-01-01 ",
            " 2024-01-01",
            "2024-01-01T00:00",
            "2024/01/01",
            "",
            "-",
            "+",
            "2024",
            "2024-",
            "2024-01",
            "2024-01-",
            "２０２４-01-01",
            "2024-01-01Z",
            "9999-12-31",
            "0000-01-01",
            "-9999-01-01",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut day = time::macros::date!(1899 - 12 - 25);
        for _ in 0..3_000 {
            texts.push(day.to_string());
            day = day.next_day().unwrap();
        }
        for text in texts {
            assert_eq!(parse_date(&text), Date::parse(&text, date).ok(), "{text:?}");
        }
    }
}
