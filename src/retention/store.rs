//! Retention, stored: each case's row in `retention` (kept by the triggers of
//! `migrations/0017_retention.sql` as records are written), the reviews due (one index range per
//! group), the review decisions (append-only) and disposal.

use super::{Policy, ReviewGroup, Stored, cutoff};
use crate::ids::{CaseId, PersonId};
use crate::sql::{Row, Sql, SqlError, Value};
use serde::Serialize;
use time::Date;

/// A review decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: String,
    pub decided_at: String,
    pub decided_by: String,
    pub decision: String,
    pub review_group: ReviewGroup,
    pub reason: Option<String>,
    pub next_review_on: Option<String>,
}

/// A case's retention, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRetention {
    pub case_id: String,
    /// The case's version (its ETag): a review needs it in `If-Match`.
    pub version: i64,
    pub incident_reference: String,
    pub crime_reference: Option<String>,
    pub status: String,
    /// The group in force: the force's override, or the derived group.
    pub review_group: ReviewGroup,
    pub derived_group: ReviewGroup,
    pub override_group: Option<ReviewGroup>,
    /// The last activity on the case: its clear period runs from here.
    pub clear_from: String,
    /// The next review a decision to retain set, if any.
    pub retained_until: Option<String>,
    pub next_review_on: String,
    /// The next review is today or past, and no order on the case is in effect.
    pub due: bool,
    /// An order on the case is in effect (interim or in force): not due while it is.
    pub order_in_effect: bool,
    pub disposed_at: Option<String>,
}

/// A case's retention with its review decisions, newest last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRetentionView {
    #[serde(flatten)]
    pub retention: CaseRetention,
    pub reviews: Vec<Review>,
}

const COLUMNS: &str = "r.case_id AS case_id, r.derived_group AS derived_group,
    r.override_group AS override_group, r.clear_from AS clear_from, r.retained_until AS retained_until,
    r.disposed_at AS disposed_at, c.version AS version, c.incident_reference AS incident_reference,
    c.crime_reference AS crime_reference, c.status AS status,
    EXISTS (SELECT 1 FROM orders o WHERE o.case_id = r.case_id AND ORDER_IN_EFFECT) AS order_in_effect";

/// An order `o` in effect: interim before it expires, or in force before it ends (as
/// `orders::Order::in_effect`).
const ORDER_IN_EFFECT: &str = "o.status IN ('interim', 'in-force')
    AND COALESCE(json_extract(o.terms, CASE o.status WHEN 'interim' THEN '$.interim_expires_at'
                                                    ELSE '$.ends_at' END), '9999')
        > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

fn columns() -> String {
    COLUMNS.replace("ORDER_IN_EFFECT", ORDER_IN_EFFECT)
}

fn group(row: &Row<'_>, column: &str) -> Result<Option<ReviewGroup>, SqlError> {
    row.optional_integer(column)?
        .map(|n| {
            ReviewGroup::from_number(n).ok_or_else(|| SqlError(format!("{column}: group {n}")))
        })
        .transpose()
}

fn date(text: &str) -> Result<Date, SqlError> {
    crate::values::parse_date(text).ok_or_else(|| SqlError(format!("not a date: {text}")))
}

fn stored(row: &Row<'_>) -> Result<Stored, SqlError> {
    Ok(Stored {
        derived: group(row, "derived_group")?.ok_or_else(|| SqlError("no group".into()))?,
        overridden: group(row, "override_group")?,
        clear_from: date(&row.text("clear_from")?)?,
        retained_until: row
            .optional_text("retained_until")?
            .map(|t| date(&t))
            .transpose()?,
    })
}

fn shown(row: &Row<'_>, policy: &Policy, today: Date) -> Result<CaseRetention, SqlError> {
    let s = stored(row)?;
    let next = s.next_review(policy);
    let order_in_effect = row.integer("order_in_effect")? != 0;
    let disposed_at = row.optional_text("disposed_at")?;
    Ok(CaseRetention {
        case_id: row.text("case_id")?,
        version: row.integer("version")?,
        incident_reference: row.text("incident_reference")?,
        crime_reference: row.optional_text("crime_reference")?,
        status: row.text("status")?,
        review_group: s.group(),
        derived_group: s.derived,
        override_group: s.overridden,
        clear_from: s.clear_from.to_string(),
        retained_until: s.retained_until.map(|d| d.to_string()),
        next_review_on: next.to_string(),
        due: disposed_at.is_none() && !order_in_effect && next <= today,
        order_in_effect,
        disposed_at,
    })
}

/// A case's retention and its stored form (`None`: no such case).
pub fn get(
    db: &impl Sql,
    id: &CaseId,
    policy: &Policy,
    today: Date,
) -> Result<Option<(CaseRetention, Stored)>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {columns} FROM retention r JOIN cases c ON c.id = r.case_id WHERE r.case_id = ?1",
            columns = columns()
        ),
        &[id.into()],
    )?;
    rows.first_row()
        .map(|row| Ok((shown(&row, policy, today)?, stored(&row)?)))
        .transpose()
}

/// A case's review decisions, oldest first.
pub fn reviews(db: &impl Sql, id: &CaseId) -> Result<Vec<Review>, SqlError> {
    db.query(
        "SELECT id, decided_at, decided_by, decision, review_group, reason, next_review_on
         FROM retention_reviews WHERE case_id = ?1 ORDER BY decided_at, id",
        &[id.into()],
    )?
    .iter()
    .map(|r| {
        Ok(Review {
            id: r.text("id")?,
            decided_at: r.text("decided_at")?,
            decided_by: r.text("decided_by")?,
            decision: r.text("decision")?,
            review_group: group(&r, "review_group")?.ok_or_else(|| SqlError("no group".into()))?,
            reason: r.optional_text("reason")?,
            next_review_on: r.optional_text("next_review_on")?,
        })
    })
    .collect()
}

/// What the due list is filtered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueFilter {
    /// Due on or before this date (today by default).
    pub due_by: Date,
    pub group: Option<ReviewGroup>,
}

/// A page of the cases due for review by `due_by`, in order of their clear period's start, after the
/// cursor `clear_from/case_id`. One statement: per group, a range of the `retention_due` index.
pub fn due(
    db: &impl Sql,
    filter: &DueFilter,
    policy: &Policy,
    today: Date,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<CaseRetention>, SqlError> {
    let cutoffs: Vec<Value> = ReviewGroup::ALL
        .iter()
        .map(|g| cutoff(filter.due_by, policy.years(*g)).to_string().into())
        .collect();
    let (after_date, after_id) = after.unwrap_or(("", ""));
    let mut params = cutoffs;
    params.extend([
        filter.due_by.to_string().into(),
        filter.group.map_or(Value::Null, |g| g.number().into()),
        after_date.into(),
        after_id.into(),
        limit.into(),
    ]);
    let rows = db.query(
        &format!(
            "SELECT {columns} FROM retention r JOIN cases c ON c.id = r.case_id
             WHERE r.disposed_at IS NULL
               AND ((r.review_group = 1 AND r.clear_from <= ?1) OR (r.review_group = 2 AND r.clear_from <= ?2)
                 OR (r.review_group = 3 AND r.clear_from <= ?3) OR (r.review_group = 4 AND r.clear_from <= ?4))
               AND (r.retained_until IS NULL OR r.retained_until <= ?5)
               AND (?6 IS NULL OR r.review_group = ?6)
               AND (r.clear_from, r.case_id) > (?7, ?8)
               AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.case_id = r.case_id AND {ORDER_IN_EFFECT})
             ORDER BY r.clear_from, r.case_id LIMIT ?9",
            columns = columns()
        ),
        &params,
    )?;
    rows.iter().map(|r| shown(&r, policy, today)).collect()
}

/// Records a review decision, and for a decision to retain, the override and the next review; the
/// case's version moves on (`None`: the case is no longer at `version`, the current one given).
#[allow(clippy::too_many_arguments)] // each is one column of the decision
pub fn record(
    db: &impl Sql,
    id: &str,
    case_id: &CaseId,
    version: i64,
    now: &str,
    by: &str,
    decision: &super::Checked,
    group: ReviewGroup,
) -> Result<Result<(), i64>, SqlError> {
    let bumped = db.query(
        "UPDATE cases SET version = version + 1 WHERE id = ?1 AND version = ?2 RETURNING version",
        &[case_id.into(), version.into()],
    )?;
    if bumped.first_row().is_none() {
        let current = db
            .query("SELECT version FROM cases WHERE id = ?1", &[case_id.into()])?
            .first_integer("version")
            .unwrap_or(0);
        return Ok(Err(current));
    }
    let (word, reason, next, group) = match decision {
        super::Checked::Retain(r) => (
            "retain",
            Some(r.reason.clone()),
            Some(r.next_review_on.to_string()),
            r.group,
        ),
        super::Checked::Dispose { reason } => ("dispose", reason.clone(), None, group),
    };
    db.run(
        "INSERT INTO retention_reviews (id, case_id, decided_at, decided_by, decision, review_group, reason, next_review_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            id.into(),
            case_id.into(),
            now.into(),
            by.into(),
            word.into(),
            group.number().into(),
            reason.map_or(Value::Null, Value::from),
            next.clone().map_or(Value::Null, Value::from),
        ],
    )?;
    match decision {
        super::Checked::Retain(r) => db.run(
            "UPDATE retention SET override_group = ?2, review_group = COALESCE(?2, derived_group),
                                  retained_until = ?3
             WHERE case_id = ?1",
            &[
                case_id.into(),
                r.overridden.map_or(Value::Null, |g| g.number().into()),
                next.map_or(Value::Null, Value::from),
            ],
        )?,
        super::Checked::Dispose { .. } => db.run(
            "UPDATE retention SET disposed_at = ?2 WHERE case_id = ?1",
            &[case_id.into(), now.into()],
        )?,
    }
    Ok(Ok(()))
}

/// A person's cases' retention: (case id, group, next review, disposed).
pub fn person_cases(
    db: &impl Sql,
    person: &PersonId,
    policy: &Policy,
    today: Date,
) -> Result<Vec<CaseRetention>, SqlError> {
    db.query(
        &format!(
            "SELECT {columns} FROM retention r JOIN cases c ON c.id = r.case_id
             WHERE r.case_id IN (SELECT case_id FROM appearances WHERE person_id = ?1)
             ORDER BY r.case_id",
            columns = columns()
        ),
        &[person.into()],
    )?
    .iter()
    .map(|r| shown(&r, policy, today))
    .collect()
}

/// Whether a person record exists.
pub fn person_exists(db: &impl Sql, person: &PersonId) -> Result<bool, SqlError> {
    Ok(db
        .query(
            "SELECT 1 AS found FROM people WHERE id = ?1",
            &[person.into()],
        )?
        .first_row()
        .is_some())
}
