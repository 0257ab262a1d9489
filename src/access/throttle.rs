//! Counting failed authentications. Spin's key-value interface has no atomic increment, so the counts
//! live in SQLite, where one upsert counts a failure atomically under the database's write lock (a
//! read-then-set let 98 of 250 concurrent bad tokens through against a limit of 10). A count lasts
//! one window from its first failure; expired counts are purged as new failures arrive.

use crate::sql::{Sql, SqlError, Value};

/// Counts one failure against each key (hashed counters, see `authentication`) and purges expired
/// counts. Returns the highest count among the keys and when its window ends (Unix seconds).
pub fn record_failure(
    db: &impl Sql,
    keys: &[String],
    now: i64,
    window_seconds: i64,
) -> Result<Option<(i64, i64)>, SqlError> {
    if keys.is_empty() {
        return Ok(None);
    }
    let rows: Vec<String> = (0..keys.len())
        .map(|i| format!("(?{}, 1, ?1)", i + 3))
        .collect();
    let mut params: Vec<Value> = vec![(now + window_seconds).into(), now.into()];
    params.extend(keys.iter().map(|k| Value::from(k.as_str())));
    let counted = db.query(
        &format!(
            "INSERT INTO auth_failures (key, failures, expires_at) VALUES {}
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN auth_failures.expires_at <= ?2 THEN 1 ELSE auth_failures.failures + 1 END,
                 expires_at = CASE WHEN auth_failures.expires_at <= ?2 THEN excluded.expires_at ELSE auth_failures.expires_at END
             RETURNING failures, expires_at",
            rows.join(", ")
        ),
        &params,
    )?;
    let mut worst: Option<(i64, i64)> = None;
    for row in counted.iter() {
        let count = (row.integer("failures")?, row.integer("expires_at")?);
        if worst.is_none_or(|w| count.0 > w.0) {
            worst = Some(count);
        }
    }
    db.run(
        "DELETE FROM auth_failures WHERE expires_at <= ?1",
        &[now.into()],
    )?;
    Ok(worst)
}

/// When `key` has reached `max` failures in a window still running: when that window ends.
pub fn locked(db: &impl Sql, key: &str, max: i64, now: i64) -> Result<Option<i64>, SqlError> {
    let rows = db.query(
        &format!("SELECT {} AS expires_at", locked_until(1)),
        &[key.into(), max.into(), now.into()],
    )?;
    rows.first_row()
        .map_or(Ok(None), |r| r.optional_integer("expires_at"))
}

/// [`locked`] as a scalar subquery, to join another statement (authenticating a token reads the
/// token and its lock at once): its key, `max` and `now` are the parameters `?p`, `?p+1`, `?p+2`.
pub fn locked_until(p: usize) -> String {
    format!(
        "(SELECT auth_failures.expires_at FROM auth_failures
          WHERE key = ?{p} AND failures >= ?{} AND auth_failures.expires_at > ?{})",
        p + 1,
        p + 2
    )
}
