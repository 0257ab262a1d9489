//! The action plan's update trail: appended, never changed (triggers in migration 0014).

use super::{ActionStatus, Update};
use crate::sql::{Sql, SqlError};

/// Every update of every action (a plan has a few dozen actions and a few updates each a month).
pub fn updates(db: &impl Sql) -> Result<Vec<Update>, SqlError> {
    let rows = db.query(
        "SELECT action_id, seq, at, by, status, note FROM plan_updates ORDER BY action_id, seq",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Update {
                action_id: r.text("action_id")?,
                seq: r.integer("seq")?,
                at: r.text("at")?,
                by: r.text("by")?,
                status: r.parse::<ActionStatus>("status")?,
                note: r.text("note")?,
            })
        })
        .collect()
}

/// Appends an update made against the action's version `expected` (`If-Match`): the update is the
/// `expected`th, or, when another came first, `Err(current version)` and nothing is written.
pub fn add(
    db: &impl Sql,
    action_id: &str,
    expected: i64,
    at: &str,
    by: &str,
    status: ActionStatus,
    note: &str,
) -> Result<Result<Update, i64>, SqlError> {
    let current = db
        .query(
            "SELECT COUNT(*) + 1 AS version FROM plan_updates WHERE action_id = ?1",
            &[action_id.into()],
        )?
        .required_integer("version")?;
    if current != expected {
        return Ok(Err(current));
    }
    db.run(
        "INSERT INTO plan_updates (action_id, seq, at, by, status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[action_id.into(), expected.into(), at.into(), by.into(), status.as_str().into(), note.trim().into()],
    )?;
    Ok(Ok(Update {
        action_id: action_id.into(),
        seq: expected,
        at: at.into(),
        by: by.into(),
        status,
        note: note.trim().into(),
    }))
}
