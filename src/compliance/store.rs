//! The facts the checks are worked out from: one row per case in `case_compliance`, worked out again from
//! the records it summarises before it is read (`crate::facts`; the services settle them first).
//! Nothing here decides a status: the rules are in `super`.

use super::{Check, Facts, Status, VictimCare, VictimUpdate};
use crate::care::{Entitlement, UpdatePolicy};
use crate::sql::{Row, Sql, SqlError};
use crate::values::Timestamp;

const COLUMNS: &str =
    "case_id, incident_reference, reported_at, decision_due_at, domestic_abuse, status,
    principal_classification, included_classifications, decision_reason_given, decided_at,
    last_occurrence_at, first_risk_at, first_screening_at, last_risk_activity_at, review_due_at,
    first_review_at, pins_pending, pin_authorised_at, s2b_applied_on, orders, order_with_views_at,
    s2b_declined_at, orders_declined_at, safety_plan_agreed_at, victim_updates, victim_entitlement";

/// A case's facts as stored, with what names the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub case_id: String,
    pub incident_reference: String,
    pub facts: Facts,
}

/// Victim care's facts: the safety plan, and each update with its due time under the force's policy
/// for the victim's entitlement (kept on the row by migration 0020's triggers).
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
                due_at: crate::care::due_at(&decided, days).into_string(),
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
        s2b_declined_at: row.optional_text("s2b_declined_at")?,
        orders_declined_at: row.optional_text("orders_declined_at")?,
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

/// A condition on the stored facts that every case in `status` on `check` meets — necessary, not
/// sufficient: the rule in `super` still decides each case the condition lets through, so it only
/// spares the list reading cases that cannot match. `None` where no such condition is written (victim
/// care's two checks have none yet, though their facts are on the row since 0020).
/// `tests/api/compliance.rs` (`prefilters_keep_every_case_the_rules_would`) holds each to the rules
/// over thousands of generated combinations of facts.
pub fn prefilter(check: Check, status: Status) -> Option<&'static str> {
    use Check::*;
    use Status::*;
    Some(match (check, status) {
        (NoPin, NotMet) => "pin_authorised_at IS NOT NULL",
        (NoPin, Pending) => "pin_authorised_at IS NULL AND pins_pending > 0",
        (NoPin, Met) => "pin_authorised_at IS NULL AND pins_pending = 0",
        (NoPin, NotApplicable) => "0",
        (S2bConsidered, Met) => "s2b_applied_on IS NOT NULL OR s2b_declined_at IS NOT NULL",
        (S2bConsidered, NotMet) => {
            "s2b_applied_on IS NULL AND s2b_declined_at IS NULL AND status = 'recorded'"
        }
        (OrdersConsidered, Met) => {
            "order_with_views_at IS NOT NULL OR orders_declined_at IS NOT NULL"
        }
        (OrdersConsidered, NotMet) => {
            "order_with_views_at IS NULL AND orders_declined_at IS NULL AND status = 'recorded'"
        }
        (SupervisorReview, Met) => "first_review_at IS NOT NULL",
        (SupervisorReview, NotMet) => "first_review_at IS NULL AND review_due_at IS NOT NULL",
        (SupervisorReview, NotApplicable) => "0",
        (StalkingConsidered, NotMet) => "status = 'recorded' AND decision_reason_given = 0",
        (DecisionOnTime, Met) => "decided_at IS NOT NULL AND decided_at <= decision_due_at",
        (DecisionOnTime, NotMet) => "decided_at IS NULL OR decided_at > decision_due_at",
        (DecisionOnTime, Pending) => "decided_at IS NULL",
        (DecisionOnTime, NotApplicable) => "0",
        (RiskAssessed, Met) => "first_screening_at IS NOT NULL",
        (RiskAssessed, NotMet | Pending) => {
            "first_screening_at IS NULL OR (domestic_abuse = 1 AND first_risk_at IS NULL)"
        }
        (RiskAssessed, NotApplicable) => "0",
        (RiskReviewed, Met | NotMet | Pending) => {
            "(first_risk_at IS NOT NULL OR first_screening_at IS NOT NULL) AND last_occurrence_at IS NOT NULL"
        }
        _ => return None,
    })
}

/// Up to `limit` cases reported in `[start, end)`, in report order, after `after` (report time and
/// case id), and meeting `condition` (a [`prefilter`]) when given: one statement on
/// `case_compliance_by_report`.
pub fn scan(
    db: &impl Sql,
    (start, end): (&str, &str),
    after: Option<&(String, String)>,
    limit: i64,
    policy: UpdatePolicy,
) -> Result<Vec<Stored>, SqlError> {
    scan_where(db, (start, end), after, limit, None, policy)
}

/// [`scan`], keeping only the cases that meet `condition`.
pub fn scan_where(
    db: &impl Sql,
    (start, end): (&str, &str),
    after: Option<&(String, String)>,
    limit: i64,
    condition: Option<&str>,
    policy: UpdatePolicy,
) -> Result<Vec<Stored>, SqlError> {
    let condition = condition.map_or_else(String::new, |c| format!("AND ({c})"));
    // Two statements, not one with `?3 IS NULL OR …`: SQLite seeks the index on the row value only
    // when the condition is plain, so each chunk starts where the last ended instead of at `start`.
    let rows = match after {
        Some((at, id)) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM case_compliance
                 WHERE (reported_at, case_id) > (?1, ?2) AND reported_at < ?3 {condition}
                 ORDER BY reported_at, case_id LIMIT ?4"
            ),
            &[
                at.as_str().into(),
                id.as_str().into(),
                end.into(),
                limit.into(),
            ],
        )?,
        None => db.query(
            &format!(
                "SELECT {COLUMNS} FROM case_compliance
                 WHERE reported_at >= ?1 AND reported_at < ?2 {condition}
                 ORDER BY reported_at, case_id LIMIT ?3"
            ),
            &[start.into(), end.into(), limit.into()],
        )?,
    };
    rows.iter().map(|r| stored(r, policy)).collect()
}

/// Records a decision not to apply for a power (its trigger updates the case's facts).
pub fn add_consideration(
    db: &impl Sql,
    c: &super::considerations::Consideration,
) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO case_considerations (id, case_id, power, reason, victim_views, recorded_at, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            c.id.as_str().into(),
            (&c.case_id).into(),
            c.power.as_str().into(),
            c.reason.as_str().into(),
            c.victim_views.as_deref().into(),
            (&c.recorded_at).into(),
            c.recorded_by.as_str().into(),
        ],
    )
}
