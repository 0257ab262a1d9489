//! Structure: well-formed times in order, text within limits, stages that belong to the power. What
//! the law and Code B require is left to `compliance`.

use super::*;
use crate::values::{FieldErrors, parse_date, parse_time, text};
use time::{Date, Month, OffsetDateTime};

/// The longest grounds, reasons and accounts, in characters.
pub const MAX_TEXT: usize = 2000;
/// The longest names, numbers and references.
pub const MAX_SHORT: usize = 200;
/// The longest address.
pub const MAX_ADDRESS: usize = 500;
/// Phone clocks drift: a time a few minutes ahead is not refused.
const CLOCK_SKEW_MINUTES: i64 = 5;

/// Structure: well-formed times in order, text within limits, stages that belong to the power. What
/// the law and Code B require is left to [`compliance`].
pub fn validate(record: &SearchRecord, now: OffsetDateTime) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    text(e, "/case_id", &record.case_id, "the case id", MAX_SHORT);
    text(
        e,
        "/premises/address",
        &record.premises.address,
        "the address",
        MAX_ADDRESS,
    );
    let latest = now + time::Duration::minutes(CLOCK_SKEW_MINUTES);
    stages(e, record);
    let applied = record
        .application
        .as_ref()
        .and_then(|a| application(e, a, latest));
    if let Some(d) = &record.decision {
        decision(e, d, applied, latest);
    }
    if let Some(w) = &record.warrant {
        warrant(e, w);
    }
    if let Some(a) = &record.authority {
        text(
            e,
            "/authority/grounds",
            &a.grounds,
            "the grounds for using the power",
            MAX_TEXT,
        );
    }
    if let Some(c) = &record.consent {
        text(
            e,
            "/consent/given_by",
            &c.given_by,
            "who gave consent",
            MAX_SHORT,
        );
        time(e, latest, "/consent/given_at", &c.given_at);
    }
    if let Some(x) = &record.execution {
        execution(e, x, record.consent.as_ref(), latest);
    }
    after_the_search(e, record, latest);
    errors
}

/// A time given in the record: RFC 3339, and not in the future (beyond `latest`).
fn time(
    e: &mut FieldErrors,
    latest: OffsetDateTime,
    pointer: &str,
    value: &str,
) -> Option<OffsetDateTime> {
    match parse_time(value) {
        None => {
            e.push((
                pointer.into(),
                "Give a date and time in RFC 3339, e.g. 2026-11-29T10:00:00Z.".into(),
            ));
            None
        }
        Some(t) if t > latest => {
            e.push((pointer.into(), "This time is in the future.".into()));
            None
        }
        Some(t) => Some(t),
    }
}

/// The stages a record may have under its power: no warrant stages without a warrant, consent only
/// for a search by consent, grounds under `authority` only for ss.17, 18 and 32.
fn stages(e: &mut FieldErrors, record: &SearchRecord) {
    let warrant_stages = [
        ("/application", record.application.is_some()),
        ("/decision", record.decision.is_some()),
        ("/warrant", record.warrant.is_some()),
        ("/endorsement", record.endorsement.is_some()),
        ("/returned_to_court", record.returned_to_court.is_some()),
    ];
    if !record.power.is_warrant() {
        for (pointer, present) in warrant_stages {
            if present {
                e.push((
                    pointer.into(),
                    format!("A search under {} has no warrant.", record.power.as_str()),
                ));
            }
        }
    }
    if record.power != Power::Consent && record.consent.is_some() {
        e.push((
            "/consent".into(),
            "Consent is recorded only for a search by consent.".into(),
        ));
    }
    if (record.power.is_warrant() || record.power == Power::Consent) && record.authority.is_some() {
        e.push((
            "/authority".into(),
            "Grounds under `authority` are for searches under ss.17, 18 and 32.".into(),
        ));
    }
}

/// The application for a warrant; returns when it was made, if that is a valid time.
fn application(
    e: &mut FieldErrors,
    a: &Application,
    latest: OffsetDateTime,
) -> Option<OffsetDateTime> {
    officer(e, "/application/applicant", &a.applicant);
    if let Some(by) = &a.authorised_by {
        officer(e, "/application/authorised_by", by);
    }
    if let Some(at) = &a.authorised_at {
        time(e, latest, "/application/authorised_at", at);
    }
    text(
        e,
        "/application/grounds",
        &a.grounds,
        "the grounds",
        MAX_TEXT,
    );
    for (i, article) in a.articles_sought.iter().enumerate() {
        text(
            e,
            &format!("/application/articles_sought/{i}"),
            article,
            "the article",
            MAX_SHORT,
        );
    }
    text(e, "/application/court", &a.court, "the court", MAX_SHORT);
    if a.entries == Entries::Multiple && a.entries_sought.is_none_or(|n| n < 2) {
        e.push((
            "/application/entries_sought".into(),
            "A multiple-entry application gives the number of entries sought (2 or more).".into(),
        ));
    }
    time(e, latest, "/application/applied_at", &a.applied_at)
}

/// The court's decision, which cannot precede the application.
fn decision(
    e: &mut FieldErrors,
    d: &CourtDecision,
    applied: Option<OffsetDateTime>,
    latest: OffsetDateTime,
) {
    if let (Some(decided), Some(applied)) = (
        time(e, latest, "/decision/decided_at", &d.decided_at),
        applied,
    ) && decided < applied
    {
        e.push((
            "/decision/decided_at".into(),
            "The decision cannot precede the application.".into(),
        ));
    }
    if d.outcome == Outcome::Refused {
        text(
            e,
            "/decision/reasons",
            d.reasons.as_deref().unwrap_or(""),
            "the court's reasons for refusing",
            MAX_TEXT,
        );
    }
}

fn warrant(e: &mut FieldErrors, w: &Warrant) {
    text(
        e,
        "/warrant/reference",
        &w.reference,
        "the warrant's reference",
        MAX_SHORT,
    );
    if parse_date(&w.issued_on).is_none() {
        e.push((
            "/warrant/issued_on".into(),
            "Give the date of issue as YYYY-MM-DD.".into(),
        ));
    }
}

/// The search itself: its times (after consent, if by consent), the officers and people present,
/// what was seized and any damage.
fn execution(
    e: &mut FieldErrors,
    x: &Execution,
    consent: Option<&Consent>,
    latest: OffsetDateTime,
) {
    let started = time(e, latest, "/execution/started_at", &x.started_at);
    if let Some(ended) = &x.ended_at
        && let (Some(ended), Some(started)) =
            (time(e, latest, "/execution/ended_at", ended), started)
        && ended < started
    {
        e.push((
            "/execution/ended_at".into(),
            "The search cannot end before it starts.".into(),
        ));
    }
    officer(e, "/execution/officer_in_charge", &x.officer_in_charge);
    for (i, o) in x.officers.iter().enumerate() {
        officer(e, &format!("/execution/officers/{i}"), o);
    }
    for (list, name) in [
        (&x.authorised_persons, "authorised_persons"),
        (&x.people_on_premises, "people_on_premises"),
    ] {
        for (i, person) in list.iter().enumerate() {
            text(
                e,
                &format!("/execution/{name}/{i}"),
                person,
                "the name",
                MAX_SHORT,
            );
        }
    }
    if let Some(why) = &x.occupier_request_refused {
        text(
            e,
            "/execution/occupier_request_refused",
            why,
            "why the occupier's request was refused",
            MAX_TEXT,
        );
    }
    for (i, s) in x.seized.iter().enumerate() {
        text(
            e,
            &format!("/execution/seized/{i}/description"),
            &s.description,
            "what was seized",
            MAX_SHORT,
        );
    }
    if let Some(d) = &x.damage {
        text(
            e,
            "/execution/damage/description",
            &d.description,
            "the damage",
            MAX_TEXT,
        );
        text(
            e,
            "/execution/damage/circumstances",
            &d.circumstances,
            "how the damage happened",
            MAX_TEXT,
        );
    }
    if let (Some(started), Some(consent)) = (started, consent.and_then(|c| parse_time(&c.given_at)))
        && started < consent
    {
        e.push((
            "/execution/started_at".into(),
            "The search cannot start before consent was given.".into(),
        ));
    }
}

/// After the search: the warrant endorsed and returned to court, and the search register.
fn after_the_search(e: &mut FieldErrors, record: &SearchRecord, latest: OffsetDateTime) {
    if let Some(x) = &record.endorsement {
        time(e, latest, "/endorsement/endorsed_at", &x.endorsed_at);
        text(
            e,
            "/endorsement/by",
            &x.by,
            "who endorsed the warrant",
            MAX_SHORT,
        );
    }
    if let Some(r) = &record.returned_to_court {
        time(e, latest, "/returned_to_court/returned_at", &r.returned_at);
        text(
            e,
            "/returned_to_court/by",
            &r.by,
            "who returned the warrant",
            MAX_SHORT,
        );
    }
    if let Some(r) = &record.register {
        text(e, "/register/station", &r.station, "the station", MAX_SHORT);
        text(
            e,
            "/register/entry",
            &r.entry,
            "the register entry",
            MAX_SHORT,
        );
    }
}

fn officer(errors: &mut FieldErrors, pointer: &str, officer: &Officer) {
    text(
        errors,
        &format!("{pointer}/id"),
        &officer.id,
        "the officer's number",
        MAX_SHORT,
    );
}

/// The last day a warrant may be executed: three months from issue (PACE s.16(3)), the same day of the
/// month, or the month's last day where there is no such day.
pub fn expiry(issued_on: Date) -> Date {
    let (mut year, mut month) = (issued_on.year(), issued_on.month() as u8 + 3);
    if month > 12 {
        month -= 12;
        year += 1;
    }
    let month = Month::try_from(month).expect("1 to 12");
    let last = month.length(year);
    Date::from_calendar_date(year, month, issued_on.day().min(last)).expect("a valid day")
}
