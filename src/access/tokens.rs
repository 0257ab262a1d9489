//! Stored bearer tokens: issued and revoked by an admin, looked up by hash.

use crate::access::auth::{Role, TokenRecord};
use crate::sql::{Rows, Sql, SqlError};
use serde::Deserialize;

/// A token request, as the API accepts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Collar or staff number, or a partner system's name.
    pub subject: String,
    pub role: Role,
    /// Days until it expires (1 to 365; default 90).
    #[serde(default = "default_days")]
    pub expires_in_days: i64,
}

fn default_days() -> i64 {
    90
}

pub fn validate(token: &NewToken) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let subject = token.subject.trim();
    if subject.is_empty() || subject.chars().count() > 64 || subject.chars().any(char::is_control) {
        errors.push(("/subject".into(), "Enter the holder's collar or staff number, or the partner system's name (up to 64 characters).".into()));
    }
    if !(1..=365).contains(&token.expires_in_days) {
        errors.push((
            "/expires_in_days".into(),
            "Expiry must be from 1 to 365 days.".into(),
        ));
    }
    errors
}

pub fn insert(db: &impl Sql, record: &TokenRecord, hash: &str) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO api_tokens (id, token_hash, subject, role, force, created_at, expires_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            record.id.as_str().into(),
            hash.into(),
            record.subject.as_str().into(),
            record.role.as_str().into(),
            record.force.as_str().into(),
            record.created_at.as_str().into(),
            record.expires_at.as_str().into(),
            record.created_by.as_str().into(),
        ],
    )
}

const COLUMNS: &str = "id, subject, role, force, created_at, expires_at, revoked_at, created_by";

pub fn find_by_hash(db: &impl Sql, hash: &str) -> Result<Option<TokenRecord>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1"),
        &[hash.into()],
    )?;
    Ok(records(&rows)?.into_iter().next())
}

pub fn find(db: &impl Sql, id: &str) -> Result<Option<TokenRecord>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(records(&rows)?.into_iter().next())
}

pub fn list(db: &impl Sql) -> Result<Vec<TokenRecord>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, id"),
        &[],
    )?;
    records(&rows)
}

/// Revokes a token; false if there is no such token or it was already revoked.
pub fn revoke(db: &impl Sql, id: &str, now: &str) -> Result<bool, SqlError> {
    let rows = db.query(
        "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL RETURNING id",
        &[now.into(), id.into()],
    )?;
    Ok(!rows.rows.is_empty())
}

fn records(rows: &Rows) -> Result<Vec<TokenRecord>, SqlError> {
    rows.iter()
        .map(|r| {
            let role = r.text("role")?;
            Ok(TokenRecord {
                id: r.text("id")?,
                subject: r.text("subject")?,
                role: Role::parse(&role).ok_or_else(|| {
                    SqlError(format!("column role: {role:?} is not a known value"))
                })?,
                force: r.text("force")?,
                created_at: r.text("created_at")?,
                expires_at: r.text("expires_at")?,
                revoked_at: r.optional_text("revoked_at")?,
                created_by: r.text("created_by")?,
            })
        })
        .collect()
}
