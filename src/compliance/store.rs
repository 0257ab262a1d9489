//! The facts the checks are worked out from: one row per case in `case_compliance`, kept by the
//! triggers of migration 0016 in the same transaction as every write of the records it summarises.
//! Nothing here decides a status: the rules are in `super`.

use super::{Facts, VictimCare, VictimUpdate};
use crate::care::{Entitlement, UpdatePolicy, plus_working_days};
use crate::sql::{Row, Sql, SqlError, Value};
use crate::values::Timestamp;

const COLUMNS: &str =
    "case_id, incident_reference, reported_at, decision_due_at, domestic_abuse, status,
    principal_classification, included_classifications, decision_reason_given, decided_at,
    last_occurrence_at, first_risk_at, first_screening_at, last_risk_activity_at, review_due_at,
    first_review_at, pins_pending, pin_authorised_at, s2b_applied_on, orders, order_with_views_at,
    (SELECT MAX(v.contacted_at) FROM victim_contacts v
      WHERE v.case_id = case_compliance.case_id AND v.safety_plan_agreed = 1) AS safety_plan_agreed_at,
    (SELECT json_group_array(json_array(u.decided_at, u.given_at)) FROM victim_updates u
      WHERE u.case_id = case_compliance.case_id) AS victim_updates,
    (SELECT json_extract(c.preferences, '$.entitlement') FROM victim_care c
      WHERE c.case_id = case_compliance.case_id) AS victim_entitlement";

/// A case's facts as stored, with what names the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub case_id: String,
    pub incident_reference: String,
    pub facts: Facts,
}

/// Victim care's facts: the safety plan, and each update with its due time under the force's policy
/// for the victim's entitlement (read from victim care's own tables, by their case indexes).
fn victim_care(row: &Row<'_>, policy: UpdatePolicy) -> Result<VictimCare, SqlError> {
    let entitlement = row
        .optional_parse::<Entitlement>("victim_entitlement")?
        .unwrap_or(Entitlement::Enhanced);
    let days = policy.days(entitlement);
    let updates: Vec<(String, Option<String>)> = row.json("victim_updates")?;
    let updates = updates
        .into_iter()
        .map(|(decided_at, given_at)| {
            let decided = Timestamp::parse(&decided_at)
                .ok_or_else(|| SqlError(format!("victim_updates.decided_at: {decided_at}")))?;
            Ok(VictimUpdate {
                due_at: Timestamp::from_time(plus_working_days(decided.time(), days)).into_string(),
                given_at,
            })
        })
        .collect::<Result<_, SqlError>>()?;
    Ok(VictimCare {
        safety_plan_agreed_at: row.optional_text("safety_plan_agreed_at")?,
        updates,
    })
}

fn stored(row: Row<'_>, policy: UpdatePolicy) -> Result<Stored, SqlError> {
    let facts = Facts {
        reported_at: row.text("reported_at")?,
        decision_due_at: row.text("decision_due_at")?,
        domestic_abuse: row.flag("domestic_abuse")?,
        status: row.optional_parse("status")?,
        principal: row.optional_parse("principal_classification")?,
        included: row
            .optional_json("included_classifications")?
            .unwrap_or_default(),
        decision_reason_given: row.flag("decision_reason_given")?,
        decided_at: row.optional_text("decided_at")?,
        last_occurrence_at: row.optional_text("last_occurrence_at")?,
        first_risk_at: row.optional_text("first_risk_at")?,
        first_screening_at: row.optional_text("first_screening_at")?,
        last_risk_activity_at: row.optional_text("last_risk_activity_at")?,
        review_due_at: row.optional_text("review_due_at")?,
        first_review_at: row.optional_text("first_review_at")?,
        pins_pending: row.integer("pins_pending")?,
        pin_authorised_at: row.optional_text("pin_authorised_at")?,
        s2b_applied_on: row.optional_text("s2b_applied_on")?,
        orders: row.integer("orders")?,
        order_with_views_at: row.optional_text("order_with_views_at")?,
        victim_care: victim_care(&row, policy)?,
    };
    Ok(Stored {
        case_id: row.text("case_id")?,
        incident_reference: row.text("incident_reference")?,
        facts,
    })
}

/// One case's facts; `None` when there is no such case.
pub fn facts(
    db: &impl Sql,
    case_id: &str,
    policy: UpdatePolicy,
) -> Result<Option<Stored>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM case_compliance WHERE case_id = ?1"),
        &[case_id.into()],
    )?;
    rows.first_row().map(|r| stored(r, policy)).transpose()
}

/// Where a case stands in report order (its report time), for a list's cursor; `None` for no case.
pub fn position(db: &impl Sql, case_id: &str) -> Result<Option<(String, String)>, SqlError> {
    let rows = db.query(
        "SELECT reported_at FROM case_compliance WHERE case_id = ?1",
        &[case_id.into()],
    )?;
    Ok(rows
        .first_row()
        .map(|r| r.text("reported_at"))
        .transpose()?
        .map(|at| (at, case_id.to_string())))
}

/// Up to `limit` cases reported in `[start, end)`, in report order, after `after` (report time and
/// case id): one statement on `case_compliance_by_report`.
pub fn scan(
    db: &impl Sql,
    (start, end): (&str, &str),
    after: Option<&(String, String)>,
    limit: i64,
    policy: UpdatePolicy,
) -> Result<Vec<Stored>, SqlError> {
    let (after_at, after_id) = match after {
        Some((at, id)) => (Value::from(at.as_str()), Value::from(id.as_str())),
        None => (Value::Null, Value::Null),
    };
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM case_compliance
             WHERE reported_at >= ?1 AND reported_at < ?2
               AND (?3 IS NULL OR (reported_at, case_id) > (?3, ?4))
             ORDER BY reported_at, case_id LIMIT ?5"
        ),
        &[start.into(), end.into(), after_at, after_id, limit.into()],
    )?;
    rows.iter().map(|r| stored(r, policy)).collect()
}
