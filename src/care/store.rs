//! Victim care, stored: the preferences (one JSON document per case, versioned), the contacts
//! (append-only) and the updates owed (made by triggers for the app's own decisions, by `add_decision`
//! for an officer's). Reading a case's care costs two statements.

use super::{
    Contact, ContactMethod, Entitlement, KeyDecision, PersonalStatement, Preferences, Source,
    Update, UpdatePolicy, VictimCare,
};
use crate::ids::CaseId;
use crate::sql::{Row, Sql, SqlError, Value};
use crate::values::Timestamp;
use time::OffsetDateTime;

/// The case's victim care, with each update's due time under `policy`.
pub fn get(
    db: &impl Sql,
    case_id: &CaseId,
    policy: UpdatePolicy,
    now: OffsetDateTime,
) -> Result<VictimCare, SqlError> {
    let rows = db.query(
        "SELECT c.version AS version, c.preferences AS preferences, c.updated_at AS updated_at,
                c.updated_by AS updated_by,
                (SELECT COUNT(*) FROM victim_contacts v WHERE v.case_id = ?1) AS contacts,
                (SELECT MAX(contacted_at) FROM victim_contacts v WHERE v.case_id = ?1) AS last_contact_at,
                (SELECT personal_statement FROM victim_contacts v WHERE v.case_id = ?1
                   AND personal_statement IS NOT NULL ORDER BY contacted_at DESC, id DESC LIMIT 1) AS personal_statement,
                (SELECT MAX(contacted_at) FROM victim_contacts v WHERE v.case_id = ?1
                   AND safety_plan_agreed = 1) AS safety_plan_agreed_at
         FROM (SELECT 1) LEFT JOIN victim_care c ON c.case_id = ?1",
        &[case_id.into()],
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("the victim care query gave no row".into()))?;
    let preferences: Option<Preferences> = row.optional_json("preferences")?;
    let entitlement = entitlement(preferences.as_ref());
    let days = policy.days(entitlement);
    let updates = db
        .query(
            &format!("SELECT {UPDATE_COLUMNS} FROM victim_updates WHERE case_id = ?1 ORDER BY decided_at, id"),
            &[case_id.into()],
        )?
        .iter()
        .map(|r| update(&r, days, now))
        .collect::<Result<_, _>>()?;
    Ok(VictimCare {
        case_id: case_id.clone(),
        version: row.optional_integer("version")?.unwrap_or(0),
        preferences,
        entitlement,
        update_days: days,
        updated_at: row.optional_parse("updated_at")?,
        updated_by: row.optional_text("updated_by")?,
        updates,
        contacts: row.integer("contacts")?,
        last_contact_at: row.optional_parse("last_contact_at")?,
        personal_statement: row.optional_parse("personal_statement")?,
        safety_plan_agreed_at: row.optional_parse("safety_plan_agreed_at")?,
    })
}

/// Stalking victims are persistently targeted: enhanced unless the preferences say otherwise.
fn entitlement(preferences: Option<&Preferences>) -> Entitlement {
    preferences.map_or(Entitlement::Enhanced, |p| p.entitlement)
}

const UPDATE_COLUMNS: &str =
    "id, case_id, decision, source_type, source_id, decided_at, recorded_by, given_at, contact_id";

fn update(r: &Row, days: i64, now: OffsetDateTime) -> Result<Update, SqlError> {
    Ok(Update::due(
        r.text("id")?,
        r.parse("case_id")?,
        r.parse::<KeyDecision>("decision")?,
        Source {
            kind: r.text("source_type")?,
            id: r.text("source_id")?,
        },
        r.parse("decided_at")?,
        r.text("recorded_by")?,
        r.optional_parse("given_at")?,
        r.optional_text("contact_id")?,
        days,
        now,
    ))
}

/// Records the preferences against `expected` (0: not yet recorded). `Err(current)` when the version
/// has moved on; `Ok(new version)` otherwise.
pub fn save_preferences(
    db: &impl Sql,
    case_id: &CaseId,
    expected: i64,
    preferences: &Preferences,
    now: &str,
    by: &str,
) -> Result<Result<i64, i64>, SqlError> {
    let json = Value::json(preferences);
    let written = if expected == 0 {
        db.query(
            "INSERT INTO victim_care (case_id, preferences, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (case_id) DO NOTHING RETURNING version",
            &[case_id.into(), json, now.into(), by.into()],
        )?
    } else {
        db.query(
            "UPDATE victim_care SET preferences = ?2, updated_at = ?3, updated_by = ?4, version = version + 1
             WHERE case_id = ?1 AND version = ?5 RETURNING version",
            &[case_id.into(), json, now.into(), by.into(), expected.into()],
        )?
    };
    if let Some(version) = written.first_integer("version") {
        return Ok(Ok(version));
    }
    let current = db
        .query(
            "SELECT version FROM victim_care WHERE case_id = ?1",
            &[case_id.into()],
        )?
        .first_integer("version");
    Ok(Err(current.unwrap_or(0)))
}

/// Why the updates a contact names cannot be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOpen(pub Vec<(usize, String)>);

/// Records a contact and marks the updates it gave, after checking each is this case's, not yet
/// given, and decided before the contact.
#[allow(clippy::too_many_arguments)] // each is one column of the new row
pub fn add_contact(
    db: &impl Sql,
    id: &str,
    case_id: &CaseId,
    contacted_at: &str,
    recorded_at: &str,
    recorded_by: &str,
    method: ContactMethod,
    summary: &str,
    personal_statement: Option<PersonalStatement>,
    safety_plan_agreed: bool,
    updates_given: &[String],
) -> Result<Result<(), NotOpen>, SqlError> {
    if !updates_given.is_empty() {
        let found = db.query(
            "SELECT g.key AS key, u.case_id AS case_id, u.given_at AS given_at, u.decided_at AS decided_at
             FROM json_each(?1) g LEFT JOIN victim_updates u ON u.id = g.value ORDER BY g.key",
            &[Value::json(&updates_given)],
        )?;
        let mut refused = Vec::new();
        for row in found.iter() {
            let key = usize::try_from(row.integer("key")?).unwrap_or_default();
            let reason = match row.optional_text("case_id")? {
                Some(case) if case == case_id.as_str() => {
                    if let Some(given) = row.optional_text("given_at")? {
                        Some(format!("This update was already given, at {given}."))
                    } else if row.text("decided_at")?.as_str() > contacted_at {
                        Some(
                            "This decision was made after the contact: record a later contact."
                                .into(),
                        )
                    } else {
                        None
                    }
                }
                _ => Some("There is no update with this id on this case.".into()),
            };
            refused.extend(reason.map(|r| (key, r)));
        }
        if !refused.is_empty() {
            return Ok(Err(NotOpen(refused)));
        }
    }
    db.run(
        "INSERT INTO victim_contacts (id, case_id, contacted_at, recorded_at, recorded_by, method, summary,
                                      personal_statement, safety_plan_agreed, updates_given)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            id.into(),
            case_id.into(),
            contacted_at.into(),
            recorded_at.into(),
            recorded_by.into(),
            method.as_str().into(),
            summary.into(),
            personal_statement.map(PersonalStatement::as_str).into(),
            i64::from(safety_plan_agreed).into(),
            Value::json(&updates_given),
        ],
    )?;
    if !updates_given.is_empty() {
        db.run(
            "UPDATE victim_updates SET given_at = ?2, contact_id = ?3
             WHERE id IN (SELECT value FROM json_each(?1)) AND given_at IS NULL",
            &[Value::json(&updates_given), contacted_at.into(), id.into()],
        )?;
    }
    Ok(Ok(()))
}

/// A page of the case's contacts, the latest first.
pub fn contacts(
    db: &impl Sql,
    case_id: &CaseId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Contact>, SqlError> {
    db.query(
        "SELECT id, contacted_at, recorded_at, recorded_by, method, summary, personal_statement,
                safety_plan_agreed, updates_given
         FROM victim_contacts WHERE case_id = ?1
           AND (?2 IS NULL OR (contacted_at, id) < (SELECT contacted_at, id FROM victim_contacts WHERE id = ?2))
         ORDER BY contacted_at DESC, id DESC LIMIT ?3",
        &[case_id.into(), after.into(), limit.into()],
    )?
    .iter()
    .map(|r| {
        Ok(Contact {
            id: r.text("id")?,
            contacted_at: r.parse("contacted_at")?,
            recorded_at: r.parse("recorded_at")?,
            recorded_by: r.text("recorded_by")?,
            method: r.parse("method")?,
            summary: r.text("summary")?,
            personal_statement: r.optional_parse("personal_statement")?,
            safety_plan_agreed: r.flag("safety_plan_agreed")?,
            updates_given: r.json("updates_given")?,
        })
    })
    .collect()
}

/// Records an officer's key decision: the update about it is due from now.
pub fn add_decision(
    db: &impl Sql,
    id: &str,
    case_id: &CaseId,
    decision: KeyDecision,
    decided_at: &str,
    by: &str,
) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO victim_updates (id, case_id, decision, source_type, source_id, decided_at, recorded_by)
         VALUES (?1, ?2, ?3, 'key-decision', ?1, ?4, ?5)",
        &[
            id.into(),
            case_id.into(),
            decision.as_str().into(),
            decided_at.into(),
            by.into(),
        ],
    )
}

/// Updates not given and past due across the force, the oldest decision first (at most `limit`).
/// The index gives the open updates decided at least the policy's shorter period ago, a batch at a
/// time; each is then checked against its own victim's entitlement.
pub fn overdue(
    db: &impl Sql,
    policy: UpdatePolicy,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Update>, SqlError> {
    const BATCHES: usize = 10;
    let shortest = policy.enhanced_days.min(policy.standard_days);
    let cutoff = Timestamp::from_time(now - time::Duration::days(shortest));
    let mut found = Vec::new();
    let mut after: Option<(String, String)> = None;
    for _ in 0..BATCHES {
        let rows = db.query(
            "SELECT u.id AS id, u.case_id AS case_id, u.decision AS decision, u.source_type AS source_type,
                    u.source_id AS source_id, u.decided_at AS decided_at, u.recorded_by AS recorded_by,
                    u.given_at AS given_at, u.contact_id AS contact_id,
                    (SELECT json_extract(c.preferences, '$.entitlement') FROM victim_care c
                     WHERE c.case_id = u.case_id) AS entitlement
             FROM victim_updates u WHERE u.given_at IS NULL AND u.decided_at < ?1
               AND (?2 IS NULL OR (u.decided_at, u.id) > (?2, ?3))
             ORDER BY u.decided_at, u.id LIMIT ?4",
            &[
                cutoff.as_str().into(),
                after.as_ref().map(|a| a.0.as_str()).into(),
                after.as_ref().map(|a| a.1.as_str()).into(),
                limit.into(),
            ],
        )?;
        for r in rows.iter() {
            let entitlement = r
                .optional_parse::<Entitlement>("entitlement")?
                .unwrap_or(Entitlement::Enhanced);
            let update = update(&r, policy.days(entitlement), now)?;
            after = Some((update.decided_at.to_string(), update.id.clone()));
            if update.overdue {
                found.push(update);
            }
        }
        if found.len() as i64 >= limit || (rows.iter().count() as i64) < limit {
            break;
        }
    }
    found.truncate(usize::try_from(limit).unwrap_or_default());
    Ok(found)
}
