//! Cases as courses of conduct, stored: the victim, the suspects (linked across cases), the occurrences,
//! the crime decision and its 24-hour clock. Writes here; reads (a case assembled with its people and
//! linked cases, lists, counts) in `read`.

mod read;

pub use read::{
    Filter, LINKED_CASES_LISTED, LinkedCase, Stats, disposal, get, get_live, linked, list, named,
    stalking, stats,
};

use crate::cases::case::Case;
use crate::cases::decision::{CaseStatus, CrimeDecision};
use crate::cases::intake::{self, NewCase, NewOccurrence};
use crate::digests;
use crate::ids::CaseId;
use crate::people::Category;
use crate::people::store as people;
use crate::sql::{Rows, Sql, SqlError, Value};
use read::assemble_all;

/// Stores a new case with its first occurrence. `due_at` is `now` plus [`DECISION_HOURS`]. Returns the
/// case's digest (covering its suspects and occurrence), for the access-log entry, and the case as
/// stored.
// Each argument is one value of the new rows; grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn create(
    db: &impl Sql,
    id: &CaseId,
    incident_reference: &str,
    now: &str,
    due_at: &str,
    by: &str,
    new: &NewCase,
    new_id: &dyn Fn() -> String,
) -> Result<(String, Case), SqlError> {
    let flag = |b: bool| Value::Integer(i64::from(b));
    // In the order of `digests::CASE`.
    let case = vec![
        id.into(),
        incident_reference.into(),
        now.into(),
        by.into(),
        new.relationship.as_str().into(),
        flag(new.domestic_abuse),
        new.victim.name.trim().into(),
        optional(new.victim.date_of_birth.as_deref()),
        flag(new.four.fixated),
        flag(new.four.obsessive),
        flag(new.four.unwanted),
        flag(new.four.repeated),
        flag(new.serious_alarm_or_distress),
        due_at.into(),
        CaseStatus::AwaitingDecision.as_str().into(),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    let suspects: Vec<Vec<Value>> = new
        .suspects
        .iter()
        .enumerate()
        .map(|(position, suspect)| {
            vec![
                id.into(),
                (position as i64).into(),
                suspect.name.trim().into(),
                optional(suspect.date_of_birth.as_deref()),
                optional(suspect.police_id.as_deref().map(str::trim)),
                optional(intake::suspect_link_key(suspect).as_deref()),
            ]
        })
        .collect();
    let occurrence = occurrence_values(id, 1, now, by, &new.occurrence);
    let suspect_digests: Vec<String> = suspects
        .iter()
        .map(|s| digests::row_digest(&digests::SUSPECT, s))
        .collect();
    let occurrence_digest = digests::row_digest(&digests::OCCURRENCE, &occurrence);
    let digest = digests::case_digest(
        &case,
        &suspect_digests,
        std::slice::from_ref(&occurrence_digest),
    );
    digests::insert(db, &digests::CASE, &case, &digest)?;
    for (suspect, suspect_digest) in suspects.iter().zip(&suspect_digests) {
        digests::insert(db, &digests::SUSPECT, suspect, suspect_digest)?;
    }
    digests::insert(db, &digests::OCCURRENCE, &occurrence, &occurrence_digest)?;
    let victim = people::Party {
        category: Category::Victim,
        position: 0,
        name: &new.victim.name,
        date_of_birth: new.victim.date_of_birth.as_deref(),
        police_id: None,
    };
    let parties: Vec<people::Party> = std::iter::once(victim)
        .chain(new.suspects.iter().enumerate().map(|(i, s)| people::Party {
            category: Category::Suspect,
            position: i as i64,
            name: &s.name,
            date_of_birth: s.date_of_birth.as_deref(),
            police_id: s.police_id.as_deref(),
        }))
        .collect();
    people::link(db, id, now, &parties, new_id)?;
    // The case is built from the rows just written, not read back: this runs under the write lock,
    // where every statement counts. Only its people's links and the cases its suspects link to are read.
    let mut columns = digests::CASE.columns.to_vec();
    columns.push("version");
    let mut case = case;
    case.push(Value::Integer(1)); // the column's default (0003_cases_and_pins.sql)
    let rows = |columns: &[&str], rows: Vec<Vec<Value>>| Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
    };
    let stored = assemble_all(
        db,
        &rows(&columns, vec![case]),
        &rows(digests::SUSPECT.columns, suspects),
        &rows(digests::OCCURRENCE.columns, vec![occurrence]),
        &people::of_cases(db, &Value::json(&[id]))?,
    )?
    .pop()
    .ok_or_else(|| SqlError("the case just stored did not assemble".into()))?;
    Ok((digest, stored))
}

fn optional(text: Option<&str>) -> Value {
    text.map_or(Value::Null, Value::from)
}

/// An occurrence's row, in the order of `digests::OCCURRENCE`.
fn occurrence_values(
    case_id: &CaseId,
    number: i64,
    now: &str,
    by: &str,
    o: &NewOccurrence,
) -> Vec<Value> {
    vec![
        case_id.into(),
        number.into(),
        now.into(),
        by.into(),
        o.from.as_str().into(),
        optional(o.to.as_deref()),
        o.location.trim().into(),
        o.channel.as_str().into(),
        Value::json(&o.behaviours),
        o.description.trim().into(),
        i64::from(o.fear_of_violence).into(),
        i64::from(o.breach_of_order).into(),
    ]
}

/// Works out a case's digest again from what is stored (its row, its suspects, its occurrences) after
/// a write, and stores it: four statements. Returns it, for the access-log entry of the write.
pub fn restamp(db: &impl Sql, id: &CaseId) -> Result<String, SqlError> {
    let row = db.query(
        &format!(
            "SELECT {} FROM cases WHERE id = ?1",
            digests::column_list(&digests::CASE)
        ),
        &[id.into()],
    )?;
    let case = digests::values(
        &digests::CASE,
        row.first_row()
            .ok_or_else(|| SqlError(format!("no case {id}")))?,
    )?;
    let children = |kind: &digests::Kind, order: &str| -> Result<Vec<String>, SqlError> {
        db.query(
            &format!(
                "SELECT {} FROM {} WHERE case_id = ?1 ORDER BY {order}",
                digests::column_list(kind),
                kind.table
            ),
            &[id.into()],
        )?
        .iter()
        .map(|r| Ok(digests::row_digest(kind, &digests::values(kind, r)?)))
        .collect()
    };
    let suspects = children(&digests::SUSPECT, "position")?;
    let occurrences = children(&digests::OCCURRENCE, "number")?;
    let digest = digests::case_digest(&case, &suspects, &occurrences);
    db.run(
        "UPDATE cases SET digest = ?1 WHERE id = ?2",
        &[digest.as_str().into(), id.into()],
    )?;
    Ok(digest)
}

/// Why a conditional update did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRefused {
    NotFound,
    /// The case changed since the caller read it: the current version.
    VersionMismatch(i64),
    /// The crime decision is already made.
    AlreadyDecided,
}

/// Claims the next version of a case if the caller holds the current one.
fn bump_version(
    db: &impl Sql,
    id: &CaseId,
    expected: i64,
) -> Result<Result<i64, UpdateRefused>, SqlError> {
    let bumped = db.query(
        "UPDATE cases SET version = version + 1 WHERE id = ?1 AND version = ?2 RETURNING version",
        &[id.into(), expected.into()],
    )?;
    if let Some(version) = bumped.first_integer("version") {
        return Ok(Ok(version));
    }
    let current = db.query("SELECT version FROM cases WHERE id = ?1", &[id.into()])?;
    Ok(Err(match current.first_integer("version") {
        Some(version) => UpdateRefused::VersionMismatch(version),
        None => UpdateRefused::NotFound,
    }))
}

/// Adds an occurrence (including a breach of an order) to a case. Returns the case's new digest.
pub fn add_occurrence(
    db: &impl Sql,
    id: &CaseId,
    expected_version: i64,
    now: &str,
    by: &str,
    occurrence: &NewOccurrence,
) -> Result<Result<String, UpdateRefused>, SqlError> {
    if let Err(refused) = bump_version(db, id, expected_version)? {
        return Ok(Err(refused));
    }
    let next = db
        .query(
            "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM occurrences WHERE case_id = ?1",
            &[id.into()],
        )?
        .required_integer("next")?;
    let values = occurrence_values(id, next, now, by, occurrence);
    let digest = digests::row_digest(&digests::OCCURRENCE, &values);
    digests::insert(db, &digests::OCCURRENCE, &values, &digest)?;
    restamp(db, id).map(Ok)
}

/// The next number in a force's `kind` sequence (`incident`, `crime`) for a year: never the same twice.
pub fn next_reference_number(
    db: &impl Sql,
    kind: &str,
    force: &str,
    year: i32,
) -> Result<i64, SqlError> {
    let rows = db.query(
        "INSERT INTO reference_counters (kind, force, year, last) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (kind, force, year) DO UPDATE SET last = last + 1 RETURNING last",
        &[kind.into(), force.into(), i64::from(year).into()],
    )?;
    rows.required_integer("last")
}

/// Records the crime decision (once). `crime_reference` is for a recorded crime. Returns the case's
/// new digest.
pub fn record_decision(
    db: &impl Sql,
    id: &CaseId,
    expected_version: i64,
    decision: &CrimeDecision,
    crime_reference: Option<&str>,
    now: &str,
    by: &str,
) -> Result<Result<String, UpdateRefused>, SqlError> {
    let status = db.query("SELECT status FROM cases WHERE id = ?1", &[id.into()])?;
    if let Some(row) = status.first_row()
        && row.parse::<CaseStatus>("status")? != CaseStatus::AwaitingDecision
    {
        return Ok(Err(UpdateRefused::AlreadyDecided));
    }
    if let Err(refused) = bump_version(db, id, expected_version)? {
        return Ok(Err(refused));
    }
    let (status, principal, included, reason) = match decision {
        CrimeDecision::Recorded {
            principal,
            included,
            stalking_ruled_out_reason,
        } => (
            CaseStatus::Recorded,
            Value::from(principal.as_str()),
            Value::json(&included.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            optional(
                stalking_ruled_out_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty()),
            ),
        ),
        CrimeDecision::NoCrime { reasons } => (
            CaseStatus::NoCrime,
            Value::Null,
            Value::Null,
            reasons.trim().into(),
        ),
    };
    db.run(
        "UPDATE cases SET status = ?1, crime_reference = ?2, principal_classification = ?3, included_classifications = ?4,
             decision_reason = ?5, decided_at = ?6, decided_by = ?7 WHERE id = ?8",
        &[status.as_str().into(), optional(crime_reference), principal, included, reason, now.into(), by.into(), id.into()],
    )?;
    restamp(db, id).map(Ok)
}
