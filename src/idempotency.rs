//! Retry-safe creation: a phone on a bad signal may send the same POST twice. The first request's
//! response is stored under its `Idempotency-Key`, in the same transaction as the record it created; a
//! retry gets that response back and writes nothing.

use crate::sql::{Sql, SqlError, Value};
use sha2::{Digest, Sha256};

/// Keys are the client's: printable ASCII, 1 to 255 characters.
pub fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What identifies "the same request": method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// A new key: do the work.
    New,
    /// Seen before with the same request: send this response again.
    Same { status: u16, body: Vec<u8> },
    /// Seen before with a different request: refuse.
    Mismatch,
}

/// Forgets responses stored before `oldest`: they hold the records created (victims' details), so they
/// are kept only as long as a retry is plausible (`idempotency_retention_hours`).
pub fn purge(db: &impl Sql, oldest: &str) -> Result<(), SqlError> {
    db.run(
        "DELETE FROM idempotency_keys WHERE created_at < ?1",
        &[oldest.into()],
    )
}

/// The response stored for `key` in `scope` (the credential that sent it).
pub fn lookup(db: &impl Sql, scope: &str, key: &str, hash: &str) -> Result<Replay, SqlError> {
    let rows = db.query(
        "SELECT request_hash, status, response FROM idempotency_keys WHERE principal = ?1 AND key = ?2",
        &[scope.into(), key.into()],
    )?;
    let Some(row) = rows.first_row() else {
        return Ok(Replay::New);
    };
    if row.text("request_hash")? != hash {
        return Ok(Replay::Mismatch);
    }
    let status = row.integer("status")?;
    Ok(Replay::Same {
        status: u16::try_from(status)
            .map_err(|_| SqlError(format!("column status: {status} is not an HTTP status")))?,
        body: row.blob("response")?,
    })
}

pub fn store(
    db: &impl Sql,
    scope: &str,
    key: &str,
    hash: &str,
    status: u16,
    body: &[u8],
    now: &str,
) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO idempotency_keys (principal, key, request_hash, status, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[
            scope.into(),
            key.into(),
            hash.into(),
            i64::from(status).into(),
            Value::Blob(body.to_vec()),
            now.into(),
        ],
    )
}
