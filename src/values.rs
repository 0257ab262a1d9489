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

/// `at` plus some hours, in the records' timestamp format.
pub fn plus_hours(at: &str, hours: i64) -> String {
    let start = parse_time(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    timestamp(start + Duration::hours(hours))
}
