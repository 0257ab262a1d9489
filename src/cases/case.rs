//! A case as recorded: the victim, the suspects (with the other cases they are linked to), the
//! occurrences, what the facts suggest and the crime decision; and the decision's 24-hour clock.

use crate::cases::classification::{Classification, Suggestion};
use crate::cases::decision::CaseStatus;
use crate::cases::intake::{Behaviour, Channel, Four, Relationship};
use crate::ids::{CaseId, PersonId};
use crate::people::Link;
use crate::values::Timestamp;
use serde::Serialize;

/// NCRS: a crime decision within 24 hours of the report.
pub const DECISION_HOURS: i64 = 24;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: CaseId,
    /// Sent as the ETag; an update must carry it in If-Match.
    pub version: i64,
    pub incident_reference: String,
    pub reported_at: Timestamp,
    pub reported_by: String,
    pub relationship: Relationship,
    pub domestic_abuse: bool,
    pub victim: VictimView,
    pub suspects: Vec<SuspectView>,
    /// Witnesses and other people added to the case, in the order they were added.
    pub others: Vec<crate::people::OtherPerson>,
    /// A suspect here is also a suspect in another case.
    pub linked_suspect: bool,
    /// A suspect here has two or more victims across their cases.
    pub serial_perpetrator: bool,
    pub four: Four,
    pub serious_alarm_or_distress: bool,
    pub occurrences: Vec<Occurrence>,
    /// Stalking indicated by the facts, or recorded.
    pub stalking: bool,
    pub course_of_conduct: bool,
    pub suggestion: Suggestion,
    pub status: CaseStatus,
    pub decision_due_at: Timestamp,
    pub crime_reference: Option<String>,
    pub principal_classification: Option<Classification>,
    pub included_classifications: Vec<Classification>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictimView {
    pub name: String,
    pub date_of_birth: Option<String>,
    /// The victim's person record, and how this case was linked to it.
    pub person_id: Option<PersonId>,
    pub link: Option<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspectView {
    pub name: String,
    pub date_of_birth: Option<String>,
    pub police_id: Option<String>,
    /// Other cases with the same suspect: the first [`LINKED_CASES_LISTED`](crate::cases::store::LINKED_CASES_LISTED) by id.
    pub linked_cases: Vec<CaseId>,
    /// How many other cases have the same suspect.
    pub linked_case_count: i64,
    /// The suspect's person record, and how this case was linked to it.
    pub person_id: Option<PersonId>,
    pub link: Option<Link>,
    /// Distinct victims across the cases naming this person as a suspect.
    pub victim_count: i64,
    /// Two or more victims ([`SERIAL_VICTIMS`](crate::people::SERIAL_VICTIMS)).
    pub serial_perpetrator: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    pub number: i64,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    pub from: String,
    pub to: Option<String>,
    pub location: String,
    pub channel: Channel,
    pub behaviours: Vec<Behaviour>,
    pub description: String,
    pub fear_of_violence: bool,
    pub breach_of_order: bool,
}

/// Time left for the crime decision, while one is awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub decision_due_at: Timestamp,
    /// Negative once overdue.
    pub minutes_left: i64,
    pub overdue: bool,
}

pub fn clock(case: &Case, now: time::OffsetDateTime) -> Option<Clock> {
    if case.status != CaseStatus::AwaitingDecision {
        return None;
    }
    let due = case.decision_due_at.time();
    let minutes_left = (due - now).whole_minutes();
    Some(Clock {
        decision_due_at: case.decision_due_at.clone(),
        minutes_left,
        overdue: now >= due,
    })
}

/// A case as the API shows it: the stored case and, while a decision is awaited, its clock.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView<'a> {
    #[serde(flatten)]
    pub case: &'a Case,
    pub clock: Option<Clock>,
}
