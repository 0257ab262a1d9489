//! Records of searches of premises: under a PHA 1997 s.2B warrant (the stalking power of entry), a PACE
//! s.8 warrant, PACE ss.17, 18 or 32, or written consent. The record follows the search from the
//! application to the search register (PACE ss.15–16, Code B 8.1–8.3 and 9.1), and the compliance rules
//! say, each by name, what the record shows and what it breaks. Pure functions: storage is `store`.

pub mod store;

use crate::values::{FieldErrors, parse_date, parse_time, text};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use time::{Date, Month, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Power {
    /// Protection from Harassment Act 1997 s.2B: the stalking power of entry, by warrant.
    PhaS2bWarrant,
    /// PACE 1984 s.8: a search warrant for evidence of an indictable offence.
    PaceS8Warrant,
    /// PACE s.17: entry to arrest, save life or prevent damage.
    PaceS17,
    /// PACE s.18: entry and search after arrest.
    PaceS18,
    /// PACE s.32: search of premises where a person was arrested.
    PaceS32,
    /// With the occupier's written consent (Code B section 5).
    Consent,
}

impl Power {
    pub const ALL: [Power; 6] = [
        Power::PhaS2bWarrant,
        Power::PaceS8Warrant,
        Power::PaceS17,
        Power::PaceS18,
        Power::PaceS32,
        Power::Consent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Power::PhaS2bWarrant => "pha-s2b-warrant",
            Power::PaceS8Warrant => "pace-s8-warrant",
            Power::PaceS17 => "pace-s17",
            Power::PaceS18 => "pace-s18",
            Power::PaceS32 => "pace-s32",
            Power::Consent => "consent",
        }
    }

    pub fn parse(text: &str) -> Option<Power> {
        Power::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn is_warrant(self) -> bool {
        matches!(self, Power::PhaS2bWarrant | Power::PaceS8Warrant)
    }
}

/// A search record as the officer gives it. Every stage is optional here: what a power requires, and
/// when, is a compliance rule, so a record can be made as the search happens and completed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRecord {
    pub case_id: String,
    pub power: Power,
    pub premises: Premises,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<CourtDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warrant: Option<Warrant>,
    /// For searches without a warrant (ss.17, 18, 32): the grounds for using the power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<Authority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<Endorsement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_to_court: Option<Returned>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Premises {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uprn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Collar or warrant number (Code B allows numbers instead of names where naming would endanger).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub rank: Rank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rank {
    Constable,
    Sergeant,
    Inspector,
    ChiefInspector,
    Superintendent,
    ChiefSuperintendent,
    AssistantChiefConstable,
    DeputyChiefConstable,
    ChiefConstable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entries {
    Single,
    Multiple,
}

/// The application for a warrant (PACE s.15; Code B 3.4: authorised by an inspector or above).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub applicant: Officer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_by: Option<Officer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_at: Option<String>,
    pub grounds: String,
    pub articles_sought: Vec<String>,
    pub entries: Entries,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries_sought: Option<u32>,
    pub court: String,
    pub applied_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Granted,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourtDecision {
    pub outcome: Outcome,
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warrant {
    pub reference: String,
    /// The date of issue (`YYYY-MM-DD`); the warrant expires three months later (PACE s.16(3)).
    pub issued_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub grounds: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub given_by: String,
    pub given_at: String,
    pub in_writing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub officer_in_charge: Officer,
    #[serde(default)]
    pub officers: Vec<Officer>,
    /// People authorised by the warrant to accompany the officers (s.16(2)).
    #[serde(default)]
    pub authorised_persons: Vec<String>,
    #[serde(default)]
    pub people_on_premises: Vec<String>,
    pub occupier_present: bool,
    /// The occupier asked for someone to be present and the request was refused: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupier_request_refused: Option<String>,
    #[serde(default)]
    pub seized: Vec<Seizure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sought_found: Option<bool>,
    pub force_used: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage: Option<Damage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seizure {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhibit_reference: Option<String>,
    /// Covered by the warrant (or the power); if not, `grounds` says why it was seized.
    pub within_authority: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounds: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Damage {
    pub description: String,
    pub circumstances: String,
}

/// The Notice of Powers and Rights: given, or why not, or where it was left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_given_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    pub endorsed_at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returned {
    pub returned_at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterEntry {
    pub station: String,
    pub entry: String,
}

const MAX_TEXT: usize = 2000;
const MAX_SHORT: usize = 200;
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
        500,
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

/// What the case says, for the s.2B rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// A s.2A (or s.4A) stalking offence is indicated or recorded.
    pub stalking_suspected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleOutcome {
    Met,
    Breached,
    /// Not yet due: the stage it concerns has not happened and its time has not run out.
    Pending,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub rule: &'static str,
    pub title: &'static str,
    pub outcome: RuleOutcome,
    pub detail: String,
}

/// Where the search stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Applied,
    Refused,
    Granted,
    /// Granted, not executed, and past its three months.
    Expired,
    Executed,
    /// Returned to court (warrants) or entered in the register (other powers): nothing left to do.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Compliant,
    /// Nothing broken yet; something is still to be done in time.
    InProgress,
    NonCompliant,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::InProgress => "in-progress",
            Status::NonCompliant => "non-compliant",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Compliant, Status::InProgress, Status::NonCompliant]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub stage: Stage,
    pub status: Status,
    /// The last day the warrant may be executed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warrant_expires_on: Option<String>,
    /// When the warrant must be back at court.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_due_on: Option<String>,
    pub rules: Vec<RuleResult>,
}

impl Compliance {
    pub fn breaches(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Breached)
    }

    pub fn returned_late(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.rule == "returned-in-time" && r.outcome == RuleOutcome::Breached)
    }
}

/// The date part of a timestamp.
fn day(value: &str) -> Option<Date> {
    parse_time(value).map(|t| t.date())
}

/// Every compliance rule, by name, with what it found. `return_days`: the force's limit for endorsing
/// and returning a warrant after execution (or expiry).
pub fn compliance(
    record: &SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    now: OffsetDateTime,
) -> Compliance {
    compliance_until(record, facts, return_days, now).0
}

/// [`compliance`], and the first day from which it may read differently as days pass (the record, the
/// case facts and the return limit staying the same); `None` if it never will. Every comparison with
/// today goes through `past`, which notes the day it would turn, so no rule can depend on the day
/// without saying so: that is what lets the status be stored for lists (`store`).
pub fn compliance_until(
    record: &SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    now: OffsetDateTime,
) -> (Compliance, Option<Date>) {
    use RuleOutcome::*;
    let today = now.date();
    let turns: Cell<Option<Date>> = Cell::new(None);
    // Whether `day` is past. Once past it stays past; until then, it will be from the next day.
    let past = |day: Date| {
        if today > day {
            return true;
        }
        if let Some(next) = day.next_day() {
            turns.set(Some(turns.get().map_or(next, |t| t.min(next))));
        }
        false
    };
    let granted = record.decision.as_ref().map(|d| d.outcome) == Some(Outcome::Granted);
    let issued = record
        .warrant
        .as_ref()
        .and_then(|w| parse_date(&w.issued_on));
    let expires = issued.map(expiry);
    let executed = record.execution.as_ref().and_then(|x| day(&x.started_at));
    let mut rules = Vec::new();
    let mut rule = |rule, title, outcome, detail: String| {
        rules.push(RuleResult {
            rule,
            title,
            outcome,
            detail,
        })
    };

    // 1. Every mandatory field for the power, as far as the search has gone.
    let missing = missing_fields(record);
    rule(
        "mandatory-fields",
        "Every field the power requires is recorded",
        if missing.is_empty() { Met } else { Breached },
        if missing.is_empty() {
            "All present.".into()
        } else {
            format!("Missing: {}.", missing.join(", "))
        },
    );

    // 2. The application authorised by an inspector or above (Code B 3.4).
    if record.power.is_warrant() {
        let rank = record
            .application
            .as_ref()
            .and_then(|a| a.authorised_by.as_ref())
            .map(|o| o.rank);
        rule(
            "authorised-by-inspector",
            "The warrant application was authorised by an inspector or above",
            match rank {
                Some(r) if r >= Rank::Inspector => Met,
                Some(_) => Breached,
                None if record.application.is_none() => Pending,
                None => Breached,
            },
            match rank {
                Some(r) if r >= Rank::Inspector => "Authorised at inspector rank or above.".into(),
                Some(_) => "Authorised below inspector rank.".into(),
                None => "No authorising officer is recorded.".into(),
            },
        );
    } else {
        rule(
            "authorised-by-inspector",
            "The warrant application was authorised by an inspector or above",
            NotApplicable,
            "No warrant.".into(),
        );
    }

    // 3. Executed within the warrant's life: not before issue, not after three months.
    if record.power.is_warrant() {
        let (outcome, detail) = match (executed, issued, granted) {
            (Some(_), _, false) => (Breached, "Executed without a granted warrant.".to_string()),
            (Some(_), None, true) => (
                Breached,
                "Executed, but the warrant's date of issue is not recorded.".into(),
            ),
            (Some(on), Some(issued), true) if on < issued => (
                Breached,
                format!("Executed on {on}, before the warrant was issued on {issued}."),
            ),
            (Some(on), Some(_), true) if Some(on) > expires => (
                Breached,
                format!(
                    "Executed on {on}, after the warrant expired on {}.",
                    expires.expect("issued")
                ),
            ),
            (Some(on), Some(_), true) => (
                Met,
                format!(
                    "Executed on {on}, within the warrant's life (to {}).",
                    expires.expect("issued")
                ),
            ),
            (None, Some(_), true) if past(expires.expect("issued")) => (
                Met,
                format!(
                    "Not executed; the warrant expired on {} and must be returned.",
                    expires.expect("issued")
                ),
            ),
            (None, _, true) => (Pending, "Granted, not yet executed.".into()),
            (None, _, false) => (NotApplicable, "No warrant granted.".into()),
        };
        rule(
            "executed-within-validity",
            "Executed after issue and within three months",
            outcome,
            detail,
        );
    } else {
        rule(
            "executed-within-validity",
            "Executed after issue and within three months",
            NotApplicable,
            "No warrant.".into(),
        );
    }

    // 4. A s.2B warrant only where a s.2A stalking offence is suspected.
    rule(
        "s2b-needs-stalking",
        "A s.2B warrant only where a s.2A stalking offence is suspected",
        match (record.power, facts.stalking_suspected) {
            (Power::PhaS2bWarrant, true) => Met,
            (Power::PhaS2bWarrant, false) => Breached,
            _ => NotApplicable,
        },
        match (record.power, facts.stalking_suspected) {
            (Power::PhaS2bWarrant, true) => "The case indicates or records stalking.".into(),
            (Power::PhaS2bWarrant, false) => {
                "The linked case neither indicates nor records stalking (s.2A or s.4A).".into()
            }
            _ => "Not a s.2B warrant.".into(),
        },
    );

    // 5. Endorsed and returned to court within the force's limit after execution (or expiry).
    let return_due = if record.power.is_warrant() && granted {
        match (executed, expires) {
            (Some(on), _) => Some(on + time::Duration::days(return_days)),
            (None, Some(expires)) if past(expires) => {
                Some(expires + time::Duration::days(return_days))
            }
            _ => None,
        }
    } else {
        None
    };
    match return_due {
        None => rule(
            "returned-in-time",
            "Endorsed and returned to court in time",
            if record.power.is_warrant() && granted {
                Pending
            } else {
                NotApplicable
            },
            if record.power.is_warrant() && granted {
                "Not yet due.".into()
            } else {
                "No warrant to return.".into()
            },
        ),
        Some(due) => {
            let endorsed = record
                .endorsement
                .as_ref()
                .and_then(|x| day(&x.endorsed_at));
            let returned = record
                .returned_to_court
                .as_ref()
                .and_then(|r| day(&r.returned_at));
            let (outcome, detail) = match returned {
                Some(on) if on > due => (
                    Breached,
                    format!("Returned on {on}, after {due} ({return_days} days)."),
                ),
                Some(on) if executed.is_some() && endorsed.is_none() => (
                    Breached,
                    format!("Returned on {on} without an endorsement."),
                ),
                Some(on) => (Met, format!("Returned on {on}, by {due}.")),
                None if past(due) => (
                    Breached,
                    format!("Not returned; it was due by {due} ({return_days} days)."),
                ),
                None => (Pending, format!("Due back at court by {due}.")),
            };
            rule(
                "returned-in-time",
                "Endorsed and returned to court in time",
                outcome,
                detail,
            );
        }
    }

    // 6. Seizures outside the warrant (or power) have grounds; 7. force used has a reason.
    let execution = record.execution.as_ref();
    let ungrounded: Vec<String> = execution
        .map(|x| {
            x.seized
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.within_authority && blank(&s.grounds))
                .map(|(i, s)| format!("item {} ({})", i + 1, s.description))
                .collect()
        })
        .unwrap_or_default();
    rule(
        "seizure-grounds",
        "Anything seized outside the warrant or power has grounds",
        match execution {
            None => NotApplicable,
            Some(_) if ungrounded.is_empty() => Met,
            Some(_) => Breached,
        },
        if ungrounded.is_empty() {
            "No seizure without grounds.".into()
        } else {
            format!("No grounds for {}.", ungrounded.join(", "))
        },
    );
    let force_unexplained = execution.is_some_and(|x| x.force_used && blank(&x.force_reason));
    rule(
        "force-reason",
        "Force used has a reason",
        match execution {
            None => NotApplicable,
            Some(_) if force_unexplained => Breached,
            Some(_) => Met,
        },
        if force_unexplained {
            "Force was used and no reason is recorded.".into()
        } else if execution.is_some_and(|x| x.force_used) {
            "Force was used; the reason is recorded.".into()
        } else {
            "No force was used.".into()
        },
    );

    // 8. The Notice of Powers and Rights: given, or why not, or where left.
    let notice = execution.map(|x| (x.occupier_present, x.notice.as_ref()));
    let (outcome, detail) = match notice {
        None => (NotApplicable, "Not executed.".to_string()),
        Some((_, None)) => (
            Breached,
            "Nothing is recorded about the Notice of Powers and Rights.".into(),
        ),
        Some((_, Some(n))) if n.given => (Met, "Given to the occupier.".into()),
        Some((false, Some(n))) if !blank(&n.left_at) => (
            Met,
            "The occupier was absent; the Notice was left on the premises.".into(),
        ),
        Some((_, Some(n))) if !blank(&n.not_given_reason) => {
            (Met, "Not given, with the reason recorded.".into())
        }
        Some(_) => (
            Breached,
            "Not given, and neither why nor where it was left is recorded.".into(),
        ),
    };
    rule(
        "notice-of-rights",
        "The Notice of Powers and Rights was given, or why not, or where left",
        outcome,
        detail,
    );

    // 9. Entered in the search register (Code B 9.1) once executed.
    rule(
        "search-register",
        "Entered in the search register",
        match (execution, &record.register) {
            (None, _) => NotApplicable,
            (Some(_), Some(_)) => Met,
            (Some(_), None) => Breached,
        },
        match &record.register {
            Some(r) => format!("Entry {} at {}.", r.entry, r.station),
            None => "No register entry is recorded.".into(),
        },
    );

    let stage = match (
        record.power.is_warrant(),
        &record.decision,
        executed,
        &record.returned_to_court,
    ) {
        (true, _, _, Some(_)) => Stage::Closed,
        (false, _, Some(_), _) if record.register.is_some() => Stage::Closed,
        (_, _, Some(_), _) => Stage::Executed,
        (true, Some(d), None, _) if d.outcome == Outcome::Refused => Stage::Refused,
        (true, Some(_), None, _) if expires.is_some_and(past) => Stage::Expired,
        (true, Some(_), None, _) => Stage::Granted,
        _ => Stage::Applied,
    };
    let status = if rules.iter().any(|r| r.outcome == Breached) {
        Status::NonCompliant
    } else if rules.iter().any(|r| r.outcome == Pending)
        || (stage != Stage::Closed && stage != Stage::Refused)
    {
        Status::InProgress
    } else {
        Status::Compliant
    };
    let compliance = Compliance {
        stage,
        status,
        warrant_expires_on: expires.map(|d| d.to_string()),
        return_due_on: return_due.map(|d| d.to_string()),
        rules,
    };
    (compliance, turns.get())
}

fn blank(text: &Option<String>) -> bool {
    text.as_deref().is_none_or(|t| t.trim().is_empty())
}

/// The fields a power requires that the record lacks, as far as the search has gone.
fn missing_fields(r: &SearchRecord) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, name: &'static str| {
        if !present {
            missing.push(name);
        }
    };
    if r.power.is_warrant() {
        need(r.application.is_some(), "the application");
        if let Some(a) = &r.application {
            need(a.authorised_by.is_some(), "the authorising officer");
            need(
                a.authorised_at.is_some(),
                "when the application was authorised",
            );
            need(!a.articles_sought.is_empty(), "the articles sought");
        }
        let granted = r.decision.as_ref().map(|d| d.outcome) == Some(Outcome::Granted);
        if r.execution.is_some() || granted {
            need(r.decision.is_some(), "the court's decision");
            need(
                r.warrant.is_some(),
                "the warrant (reference and date of issue)",
            );
        }
        if r.execution.is_some() {
            need(r.endorsement.is_some(), "the endorsement of the warrant");
        }
    }
    match r.power {
        Power::PaceS17 | Power::PaceS18 | Power::PaceS32 => {
            need(r.authority.is_some(), "the grounds for using the power")
        }
        Power::Consent => {
            need(r.consent.is_some(), "the consent (who, when)");
            need(
                r.consent.as_ref().is_some_and(|c| c.in_writing),
                "consent in writing",
            );
        }
        _ => {}
    }
    if let Some(x) = &r.execution {
        need(x.ended_at.is_some(), "when the search ended (its duration)");
        if r.power.is_warrant() {
            need(
                x.sought_found.is_some(),
                "whether the articles sought were found",
            );
        }
        need(
            x.seized.iter().all(|s| !blank(&s.exhibit_reference)),
            "an exhibit reference for every item seized",
        );
        if x.occupier_present {
            need(
                !x.people_on_premises.is_empty(),
                "the people on the premises",
            );
        }
    } else if !r.power.is_warrant() {
        need(false, "the execution record");
    }
    missing
}

/// Applies a JSON Merge Patch (RFC 7396): what an amendment's `changes` are.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    json_patch::merge(target, patch);
}

#[cfg(test)]
mod tests;
