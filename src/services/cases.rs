//! Intake and crime recording, and the PIN control: each use case validates, writes, and reports
//! what it touched to the journal.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::cases::case::{Case, DECISION_HOURS};
use crate::cases::decision::{self, CrimeDecision};
use crate::cases::intake::{self, NewCase, NewOccurrence};
use crate::cases::store::{self as cases, UpdateRefused};
use crate::decode::check;
use crate::ids::{CaseId, PinId};
use crate::paging::Page;
use crate::pins::store as pin_store;
use crate::pins::{self, Pin, PinDecision, PinRequest, PinStatus};
use crate::problem::Problem;
use crate::sql::Sql;
use crate::values::Timestamp;
use serde::Serialize;

pub fn no_case() -> Problem {
    Problem::not_found().with_detail("There is no case with this id.")
}

/// A refused update as the problem the caller sees (412 carries the current version's ETag).
pub fn refused(refusal: UpdateRefused) -> Problem {
    match refusal {
        UpdateRefused::NotFound => no_case(),
        UpdateRefused::VersionMismatch(current) => Problem::version_mismatch(
            "The case has changed",
            "case",
            current,
            "read it again, then retry your change.",
        ),
        UpdateRefused::AlreadyDecided => Problem::new(
            409,
            "already-decided",
            "The crime decision is already recorded",
        )
        .with_detail("A recorded decision is not changed in place."),
    }
}

/// The next reference of a kind (`crime`, `incident`) in the force's format, numbered per year.
fn next_reference(env: &Env<impl Sql>, format: &str, kind: &str) -> Result<String, Problem> {
    let force = &env.settings.force;
    let year = env.now.year();
    let number = cases::next_reference_number(env.db, kind, force, year)?;
    Ok(decision::crime_reference(format, force, year, number))
}

/// Records a report as a new case, with its incident reference and the 24-hour decision clock.
pub fn create(
    env: &Env<impl Sql>,
    who: &Principal,
    new: &NewCase,
    journal: &mut impl Journal,
) -> Result<Case, Problem> {
    check(intake::validate_case(new, env.now))?;
    let id = CaseId::new((env.new_id)());
    let incident = next_reference(env, &env.settings.incident_reference_format, "incident")?;
    let due = crate::values::timestamp(env.now + time::Duration::hours(DECISION_HOURS));
    let (digest, case) = cases::create(
        env.db,
        &id,
        &incident,
        &env.now_text(),
        &due,
        &who.subject,
        new,
        env.new_id,
    )?;
    journal
        .logs(Operation::Collection, RecordRef::case(&id))
        .digest = Some(digest);
    // Linking a suspect to other cases combines personal data from them (DPA 2018 s.62).
    let mut linked: Vec<&str> = case
        .suspects
        .iter()
        .flat_map(|s| s.linked_cases.iter().map(|c| c.as_str()))
        .collect();
    linked.sort_unstable();
    linked.dedup();
    for other in linked {
        journal.logs(Operation::Combination, RecordRef::case(other));
    }
    Ok(case)
}

/// What a partner system gets back for a report: that it was received, and under which reference.
/// Never the case itself, which would tell it what the police hold on the people it named (a
/// suspect's other cases, for one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub id: CaseId,
    pub incident_reference: String,
    pub received_at: Timestamp,
}

impl Receipt {
    pub fn of(case: &Case) -> Receipt {
        Receipt {
            id: case.id.clone(),
            incident_reference: case.incident_reference.clone(),
            received_at: case.reported_at.clone(),
        }
    }
}

/// A page of cases, newest first, each logged as a consultation.
pub fn list(
    env: &Env<impl Sql>,
    filter: &cases::Filter,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Case>, Problem> {
    let found = cases::list(
        env.db,
        filter,
        env.now_text().as_str(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    journal.consulted(found.iter().map(|c| RecordRef::case(&c.id)));
    Ok(Listed::of(found, page, |c| c.id.to_string()))
}

/// A page of the other cases that name one of a case's suspects (a serial perpetrator may be in
/// hundreds: the case itself lists the first few and counts them all). Each case shown is logged as a
/// consultation; 404 when the case does not exist.
pub fn linked_cases(
    env: &Env<impl Sql>,
    id: &CaseId,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<cases::LinkedCase>, Problem> {
    let found =
        cases::linked(env.db, id, page.after.as_deref(), page.limit.0)?.ok_or_else(no_case)?;
    journal.consulted(found.iter().map(|c| RecordRef::case(&c.id)));
    Ok(Listed::of(found, page, |c| c.id.to_string()))
}

/// A page of the PIN register (optionally of one status), each PIN logged as a consultation.
pub fn pin_register(
    env: &Env<impl Sql>,
    status: Option<PinStatus>,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Pin>, Problem> {
    let pins = pin_store::register(
        env.db,
        status.map(PinStatus::as_str),
        page.after.as_deref(),
        page.limit.0,
    )?;
    journal.consulted(pins.iter().map(pin_record));
    Ok(Listed::of(pins, page, |p| p.id.to_string()))
}

/// The case exists and has not been disposed of (410: its personal data was erased); one statement.
/// For the records added to a case after it was reported (victim care, considerations).
pub fn live(env: &Env<impl Sql>, case_id: &CaseId) -> Result<(), Problem> {
    match cases::disposal(env.db, case_id)?.ok_or_else(no_case)? {
        Some(at) => Err(super::retention::disposed(&at)),
        None => Ok(()),
    }
}

/// Reads a case, logging the consultation.
pub fn consult(
    env: &Env<impl Sql>,
    id: &CaseId,
    journal: &mut impl Journal,
) -> Result<Case, Problem> {
    // A case disposed of under the retention policy is gone, though its tombstone stays.
    let case = cases::get_live(env.db, id)?
        .ok_or_else(no_case)?
        .map_err(|at| super::retention::disposed(&at))?;
    journal.logs(Operation::Consultation, RecordRef::case(&case.id));
    Ok(case)
}

/// Logs an alteration of the case, with the digest of what it now holds, and reads it as it now is.
fn altered(
    env: &Env<impl Sql>,
    id: &CaseId,
    digest: String,
    journal: &mut impl Journal,
) -> Result<Case, Problem> {
    journal
        .logs(Operation::Alteration, RecordRef::case(id))
        .digest = Some(digest);
    cases::get(env.db, id)?.ok_or_else(Problem::internal)
}

/// Adds an occasion of conduct to a case at `version`.
pub fn add_occurrence(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &CaseId,
    version: i64,
    occurrence: &NewOccurrence,
    journal: &mut impl Journal,
) -> Result<Case, Problem> {
    let mut errors = Vec::new();
    intake::validate_occurrence(&mut errors, "", occurrence, env.now);
    check(errors)?;
    let digest = cases::add_occurrence(
        env.db,
        id,
        version,
        &env.now_text(),
        &who.subject,
        occurrence,
    )?
    .map_err(refused)?;
    altered(env, id, digest, journal)
}

/// Records the crime decision on a case at `version`: a recorded crime gets its crime reference.
pub fn decide(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &CaseId,
    version: i64,
    decision: &CrimeDecision,
    journal: &mut impl Journal,
) -> Result<Case, Problem> {
    let case = cases::get(env.db, id)?.ok_or_else(no_case)?;
    check(decision::validate_decision(decision, &case.suggestion))?;
    let reference = match decision {
        CrimeDecision::Recorded { .. } => Some(next_reference(
            env,
            &env.settings.crime_reference_format,
            "crime",
        )?),
        CrimeDecision::NoCrime { .. } => None,
    };
    let digest = cases::record_decision(
        env.db,
        id,
        version,
        decision,
        reference.as_deref(),
        &env.now_text(),
        &who.subject,
    )?
    .map_err(refused)?;
    altered(env, id, digest, journal)
}

pub fn no_pin() -> Problem {
    Problem::not_found().with_detail("There is no PIN request with this id.")
}

/// A PIN request as the log names it: a record of its case.
pub fn pin_record(pin: &Pin) -> RecordRef {
    RecordRef::of_case(RecordType::Pin, &pin.id, &pin.case_id)
}

/// Records a PIN request on a case: refused at once where the rules block it (and on the register as
/// refused), else pending a superintendent's decision.
pub fn request_pin(
    env: &Env<impl Sql>,
    who: &Principal,
    case_id: &CaseId,
    request: &PinRequest,
    journal: &mut impl Journal,
) -> Result<Pin, Problem> {
    check(pins::validate_request(request))?;
    let case = cases::get(env.db, case_id)?.ok_or_else(no_case)?;
    let id = PinId::new((env.new_id)());
    let (pin, digest) =
        pin_store::record_request(env.db, &id, &case, request, &who.subject, &env.now_text())?;
    journal.logs(Operation::Collection, pin_record(&pin)).digest = Some(digest);
    Ok(pin)
}

/// A superintendent's decision on a pending PIN request.
pub fn decide_pin(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &PinId,
    decision: &PinDecision,
    journal: &mut impl Journal,
) -> Result<Pin, Problem> {
    check(pins::validate_decision(decision))?;
    if let Some(pin) = pin_store::get(env.db, id)? {
        super::refuse_own(&pin.requested_by, who, "decide a PIN they asked for")?;
    }
    if let Some((pin, digest)) =
        pin_store::decide(env.db, id, decision, &who.subject, &env.now_text())?
    {
        journal.logs(Operation::Alteration, pin_record(&pin)).digest = Some(digest);
        return Ok(pin);
    }
    match pin_store::get(env.db, id)? {
        None => Err(no_pin()),
        Some(pin) => Err(Problem::new(
            409,
            "pin-not-pending",
            "This request is not awaiting a decision",
        )
        .with_detail(format!(
            "The request is {}; only a pending request can be decided.",
            pin.status
        ))),
    }
}
