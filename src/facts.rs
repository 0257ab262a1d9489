//! The facts kept beside the records for the force's view: each case's compliance facts
//! (`case_compliance`), its retention group and clear period (`retention`), the profile's row for a
//! decided case (`profile_decisions`) and its rows per person and month (`profile_people`). Each is
//! worked out again from the records, in full.
//!
//! When: a write only marks the cases it touched, and the people moved off a case (`facts_pending`,
//! `facts_pending_people`; small triggers of migration 0021, whatever path writes), and the marks are
//! settled all at once before anything reads the facts: each reader calls [`settled`] first, or
//! [`settle`] inside its own transaction. So a write neither works them out inside its lock nor, like
//! every request before, parses the 36 triggers that kept them (README, "The facts kept beside the
//! records").

use crate::sql::{self, Rows, Sql, SqlError, Value};

/// Settles the facts of every marked case, in a transaction of its own when any is marked (one read
/// when none is): for a reader of the facts outside a transaction.
pub fn settled(db: &impl Sql) -> Result<(), SqlError> {
    let pending = db.query(
        "SELECT EXISTS (SELECT 1 FROM facts_pending) OR EXISTS (SELECT 1 FROM facts_pending_people)
             AS pending",
        &[],
    )?;
    if pending.first_integer("pending") == Some(1) {
        sql::transaction(db, || settle(db))?;
    }
    Ok(())
}

/// Works out again the facts of the marked cases and people and clears the marks, inside the caller's
/// transaction: two statements when nothing is marked, at most seven otherwise, whatever the number.
pub fn settle(db: &impl Sql) -> Result<(), SqlError> {
    let ids =
        |rows: Rows| -> Vec<String> { rows.rows.iter().filter_map(|row| row[0].text()).collect() };
    let cases = ids(db.query("DELETE FROM facts_pending RETURNING case_id", &[])?);
    let people = ids(db.query("DELETE FROM facts_pending_people RETURNING person_id", &[])?);
    if cases.is_empty() && people.is_empty() {
        return Ok(());
    }
    let marked = (Value::json(&cases), Value::json(&people));
    if !cases.is_empty() {
        let kept = db.query(COMPLIANCE, std::slice::from_ref(&marked.0))?;
        db.run(RETENTION, std::slice::from_ref(&marked.0))?;
        // Only a decided case has a row in the profile; a decision is final (`cases::store::decide`),
        // so no case ever loses its row.
        let decided: Vec<String> = kept
            .iter()
            .filter(|row| row.integer("decided").is_ok_and(|d| d == 1))
            .filter_map(|row| row.text("case_id").ok())
            .collect();
        if !decided.is_empty() {
            db.run(PROFILE_DECISIONS, &[Value::json(&decided)])?;
        }
    }
    for statement in [PROFILE_PEOPLE_CLEARED, PROFILE_PEOPLE] {
        db.run(statement, &[marked.0.clone(), marked.1.clone()])?;
    }
    Ok(())
}

/// The compliance facts (migrations 0016, 0018, 0020): times, counts and flags copied or aggregated from
/// the case and its records, never a check's status (the rules are applied in Rust at read time).
const COMPLIANCE: &str = "
INSERT INTO case_compliance (case_id, incident_reference, reported_at, decision_due_at, domestic_abuse,
    status, principal_classification, included_classifications, decision_reason_given, decided_at,
    last_occurrence_at, first_risk_at, first_screening_at, last_risk_activity_at, review_due_at,
    first_review_at, pins_pending, pin_authorised_at, s2b_applied_on, orders, order_with_views_at,
    s2b_declined_at, orders_declined_at, safety_plan_agreed_at, victim_entitlement, victim_updates)
SELECT c.id, c.incident_reference, c.reported_at, c.decision_due_at, c.domestic_abuse, c.status,
    c.principal_classification, c.included_classifications,
    COALESCE(length(trim(c.decision_reason)), 0) > 0, c.decided_at,
    (SELECT MAX(recorded_at) FROM occurrences o WHERE o.case_id = c.id),
    (SELECT MIN(assessed_at) FROM risk_assessments a WHERE a.case_id = c.id AND a.purpose = 'risk'),
    (SELECT MIN(assessed_at) FROM risk_assessments a WHERE a.case_id = c.id AND a.purpose = 'stalking-screening'),
    (SELECT MAX(at) FROM (SELECT assessed_at AS at FROM risk_assessments a WHERE a.case_id = c.id
                          UNION ALL
                          SELECT rv.reviewed_at FROM risk_reviews rv JOIN risk_assessments a ON a.id = rv.assessment_id
                          WHERE a.case_id = c.id)),
    (SELECT MIN(COALESCE(supervisor_review_due_at, review_by)) FROM risk_assessments a WHERE a.case_id = c.id),
    (SELECT MIN(rv.reviewed_at) FROM risk_reviews rv JOIN risk_assessments a ON a.id = rv.assessment_id
     WHERE a.case_id = c.id),
    (SELECT COUNT(*) FROM pins p WHERE p.case_id = c.id AND p.status = 'pending'),
    (SELECT MIN(decided_at) FROM pins p WHERE p.case_id = c.id AND p.status = 'authorised'),
    (SELECT MIN(searched_on) FROM searches s WHERE s.case_id = c.id AND s.power = 'pha-s2b-warrant'),
    (SELECT COUNT(*) FROM orders r WHERE r.case_id = c.id
     AND r.kind IN ('stalking-protection-order', 'restraining-order')),
    (SELECT MIN(recorded_at) FROM orders r WHERE r.case_id = c.id
     AND r.kind IN ('stalking-protection-order', 'restraining-order')
     AND length(trim(COALESCE(json_extract(r.terms, '$.victim_views'), ''))) > 0),
    (SELECT MIN(recorded_at) FROM case_considerations k WHERE k.case_id = c.id AND k.power = 's2b-warrant'),
    (SELECT MIN(recorded_at) FROM case_considerations k WHERE k.case_id = c.id AND k.power = 'protective-order'),
    (SELECT MAX(v.contacted_at) FROM victim_contacts v WHERE v.case_id = c.id AND v.safety_plan_agreed = 1),
    (SELECT json_extract(p.preferences, '$.entitlement') FROM victim_care p WHERE p.case_id = c.id),
    (SELECT json_group_array(json_array(decided_at, given_at)) FROM
        (SELECT decided_at, given_at FROM victim_updates u WHERE u.case_id = c.id ORDER BY decided_at, id))
FROM cases c WHERE c.id IN (SELECT value FROM json_each(?1))
ON CONFLICT (case_id) DO UPDATE SET incident_reference = excluded.incident_reference,
    reported_at = excluded.reported_at, decision_due_at = excluded.decision_due_at,
    domestic_abuse = excluded.domestic_abuse, status = excluded.status,
    principal_classification = excluded.principal_classification,
    included_classifications = excluded.included_classifications,
    decision_reason_given = excluded.decision_reason_given, decided_at = excluded.decided_at,
    last_occurrence_at = excluded.last_occurrence_at, first_risk_at = excluded.first_risk_at,
    first_screening_at = excluded.first_screening_at, last_risk_activity_at = excluded.last_risk_activity_at,
    review_due_at = excluded.review_due_at, first_review_at = excluded.first_review_at,
    pins_pending = excluded.pins_pending, pin_authorised_at = excluded.pin_authorised_at,
    s2b_applied_on = excluded.s2b_applied_on, orders = excluded.orders,
    order_with_views_at = excluded.order_with_views_at, s2b_declined_at = excluded.s2b_declined_at,
    orders_declined_at = excluded.orders_declined_at, safety_plan_agreed_at = excluded.safety_plan_agreed_at,
    victim_entitlement = excluded.victim_entitlement, victim_updates = excluded.victim_updates
RETURNING case_id, status IN ('recorded', 'no-crime') AND decided_at IS NOT NULL AS decided";

/// Retention's group and clear period, by the rule in one place (the `retention_rule` view, 0017); a
/// force's override stays in force, and a case disposed of keeps its tombstone as it is.
const RETENTION: &str = "
INSERT INTO retention (case_id, derived_group, review_group, clear_from)
SELECT case_id, derived_group, derived_group, clear_from FROM retention_rule
WHERE case_id IN (SELECT value FROM json_each(?1))
ON CONFLICT (case_id) DO UPDATE SET derived_group = excluded.derived_group,
    review_group = COALESCE(override_group, excluded.derived_group), clear_from = excluded.clear_from
WHERE disposed_at IS NULL";

/// The profile's row for each decided case (0019), with its risk level by the rule in one place (the
/// `case_risk_levels` view).
const PROFILE_DECISIONS: &str = "
INSERT OR REPLACE INTO profile_decisions (case_id, month, recorded, classification, domestic_abuse, hours,
    risk_level)
SELECT c.id, substr(c.decided_at, 1, 7), c.status = 'recorded', c.principal_classification,
    c.domestic_abuse, (julianday(c.decided_at) - julianday(c.reported_at)) * 24.0, r.level
FROM cases c JOIN case_risk_levels r ON r.case_id = c.id
WHERE c.id IN (SELECT value FROM json_each(?1))";

/// The people whose rows in the profile are worked out again: the victims and suspects of the marked
/// cases (?1), and the people marked (?2).
macro_rules! people {
    () => {
        "WITH marked (id) AS (
            SELECT person_id FROM appearances
            WHERE case_id IN (SELECT value FROM json_each(?1)) AND category IN ('victim', 'suspect')
            UNION SELECT value FROM json_each(?2))"
    };
}

/// Their rows, cleared ...
const PROFILE_PEOPLE_CLEARED: &str = concat!(
    people!(),
    " DELETE FROM profile_people WHERE person_id IN (SELECT id FROM marked)"
);

/// ... and written again (0019): per category and month with a recorded offence naming them, how many
/// cases, their previous such month (`since`), and whether they repeat (a victim named in two cases or
/// more; a suspect with two victims or more: `people.victims`).
const PROFILE_PEOPLE: &str = concat!(
    people!(),
    "
INSERT INTO profile_people (category, person_id, month, offences, since, repeat)
SELECT category, person_id, month, offences,
    LAG(month) OVER (PARTITION BY category, person_id ORDER BY month), repeat
FROM (SELECT a.category, a.person_id, substr(c.decided_at, 1, 7) AS month, COUNT(DISTINCT c.id) AS offences,
          iif(a.category = 'victim',
              (SELECT COUNT(*) FROM appearances v WHERE v.person_id = a.person_id AND v.category = 'victim') >= 2,
              (SELECT p.victims FROM people p WHERE p.id = a.person_id) >= 2) AS repeat
      FROM appearances a JOIN cases c ON c.id = a.case_id
      WHERE a.person_id IN (SELECT id FROM marked) AND a.category IN ('victim', 'suspect')
          AND c.status = 'recorded' AND c.decided_at IS NOT NULL
      GROUP BY a.category, a.person_id, month)"
);
