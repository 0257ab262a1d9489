//! The minimum of a case that access control and the PIN control need: intake extends it.

use crate::sql::{Rows, Sql, SqlError, Value};
use serde::{Deserialize, Serialize};

pub const MAX_SUMMARY: usize = 2000;

/// A new case, as the API accepts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub summary: String,
    /// Flagged as stalking.
    pub stalking: bool,
    /// Occasions of unwanted conduct so far (two or more make a course of conduct).
    pub occasions: i64,
}

/// Field errors as (JSON pointer, detail); empty when valid.
pub fn validate(case: &NewCase) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let summary = case.summary.trim();
    if summary.is_empty() {
        errors.push((
            "/summary".into(),
            "Enter a summary of what happened.".into(),
        ));
    } else if summary.chars().count() > MAX_SUMMARY {
        errors.push((
            "/summary".into(),
            format!("The summary must be {MAX_SUMMARY} characters or fewer."),
        ));
    }
    if !(1..=10_000).contains(&case.occasions) {
        errors.push((
            "/occasions".into(),
            "Occasions must be a whole number from 1 to 10000.".into(),
        ));
    }
    errors
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    pub id: String,
    pub created_at: String,
    pub created_by: String,
    pub summary: String,
    pub stalking: bool,
    pub occasions: i64,
    /// Two or more occasions.
    pub course_of_conduct: bool,
}

pub fn insert(
    db: &impl Sql,
    id: &str,
    now: &str,
    by: &str,
    new: &NewCase,
) -> Result<Case, SqlError> {
    db.run(
        "INSERT INTO cases (id, created_at, created_by, summary, stalking, occasions) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            id.into(),
            now.into(),
            by.into(),
            new.summary.trim().into(),
            i64::from(new.stalking).into(),
            new.occasions.into(),
        ],
    )?;
    Ok(Case {
        id: id.to_string(),
        created_at: now.to_string(),
        created_by: by.to_string(),
        summary: new.summary.trim().to_string(),
        stalking: new.stalking,
        occasions: new.occasions,
        course_of_conduct: new.occasions >= 2,
    })
}

const COLUMNS: &str = "id, created_at, created_by, summary, stalking, occasions";

pub fn get(db: &impl Sql, id: &str) -> Result<Option<Case>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM cases WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(cases(&rows).into_iter().next())
}

/// A page of cases, newest first, after the cursor (the last id of the previous page).
pub fn list(db: &impl Sql, after: Option<&str>, limit: i64) -> Result<Vec<Case>, SqlError> {
    let rows = match after {
        Some(after) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM cases WHERE (created_at, id) < (SELECT created_at, id FROM cases WHERE id = ?1)
                 ORDER BY created_at DESC, id DESC LIMIT ?2"
            ),
            &[after.into(), limit.into()],
        )?,
        None => db.query(
            &format!("SELECT {COLUMNS} FROM cases ORDER BY created_at DESC, id DESC LIMIT ?1"),
            &[limit.into()],
        )?,
    };
    Ok(cases(&rows))
}

/// Counts only: what an analyst may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub cases: i64,
    pub stalking: i64,
    pub course_of_conduct: i64,
}

pub fn stats(db: &impl Sql) -> Result<Stats, SqlError> {
    let rows = db.query(
        "SELECT COUNT(*) AS cases, COALESCE(SUM(stalking), 0) AS stalking,
                COALESCE(SUM(occasions >= 2), 0) AS course FROM cases",
        &[],
    )?;
    Ok(Stats {
        cases: rows.first_integer("cases").unwrap_or(0),
        stalking: rows.first_integer("stalking").unwrap_or(0),
        course_of_conduct: rows.first_integer("course").unwrap_or(0),
    })
}

fn cases(rows: &Rows) -> Vec<Case> {
    rows.rows
        .iter()
        .filter_map(|r| match r.as_slice() {
            [
                Value::Text(id),
                Value::Text(at),
                Value::Text(by),
                Value::Text(summary),
                Value::Integer(stalking),
                Value::Integer(occasions),
            ] => Some(Case {
                id: id.clone(),
                created_at: at.clone(),
                created_by: by.clone(),
                summary: summary.clone(),
                stalking: *stalking == 1,
                occasions: *occasions,
                course_of_conduct: *occasions >= 2,
            }),
            _ => None,
        })
        .collect()
}
