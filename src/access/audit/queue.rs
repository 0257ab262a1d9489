//! Accesses logged but not yet chained (migration 0011).
//!
//! Chaining an entry needs the chain's head, and reading it inside the write transaction held the lock
//! across three trips to the host (the head, the insert, the commit) on every request, reads included:
//! under load that lock was where requests queued. So a request only *queues* its entries — one
//! statement, inside the transaction that does the work (or alone, before a read's response), each
//! with a fresh nonce and, with the key, a MAC over the entry and its nonce. A sealing pass then chains
//! queued entries into the log in the order they were queued, in one transaction, checking each MAC
//! first: an entry queued without the key is refused, and so is a copy of one already chained (its
//! nonce is in the log, inside the entry's hash). Refused entries stay queued, marked, as evidence.
//!
//! What this gives up: an entry is in the chain (and under the high-water mark) only once sealed, so
//! someone who can write the database could delete a queued entry unnoticed before the next pass — as
//! they could already cut entries from the end between two raises of the high-water mark. Passes run
//! every [`SEAL_EVERY`] queued entries, once the oldest waiting entry has waited
//! `audit_high_water_seconds`, and before the log is listed, exported or verified.

use super::chain::{mac_matches, queued_mac};
use super::store::{access, append_all, described, optional, placeholders};
use super::{Access, Checkpoints, HighWater};
use crate::access::authentication::KeyValue;
use crate::sql::{Sql, SqlError, Value, transaction};
use std::collections::BTreeSet;

/// A request whose entries reach a queue id that is a multiple of this seals the queue once it has
/// committed: a pass chains about this many entries, so its time inside the write lock stays short.
pub const SEAL_EVERY: i64 = 256;

/// The most entries one pass chains (a backlog takes several passes).
const SEAL_BATCH: i64 = 1_000;

/// Queued entries (15 parameters each) per statement: under SQLite's 32,766 parameters.
const ROWS_PER_STATEMENT: usize = 2_000;

/// What [`enqueue`] queued: the entries' queue ids, and when the oldest entry still waiting was
/// logged (read in the same statement).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    pub ids: Vec<i64>,
    pub oldest_waiting: Option<String>,
}

impl Queued {
    /// Whether a pass is due once these entries are committed: they reach a multiple of
    /// [`SEAL_EVERY`], or the oldest entry waiting has waited `checkpoints.high_water_seconds` (so
    /// under any traffic nothing waits much longer). Always without a key: development, where
    /// there is no mark and nothing to measure.
    pub fn seal_due(&self, checkpoints: &Checkpoints, now: time::OffsetDateTime) -> bool {
        if self.ids.is_empty() {
            return false;
        }
        if checkpoints.key.is_none() || self.ids.iter().any(|id| id % SEAL_EVERY == 0) {
            return true;
        }
        let waited = |at: &String| {
            crate::values::parse_time(at)
                .is_none_or(|at| (now - at).whole_seconds() >= checkpoints.high_water_seconds)
        };
        self.oldest_waiting.as_ref().is_some_and(waited)
    }
}

/// Queues accesses in order, each with a nonce from `nonce` (128 random bits, as hex) and, with a
/// key, its MAC: one statement (for up to 2,000).
pub fn enqueue(
    db: &impl Sql,
    accesses: &[Access],
    key: Option<&[u8]>,
    nonce: &dyn Fn() -> String,
) -> Result<Queued, SqlError> {
    const PER_ENTRY: usize = 15;
    let mut queued = Queued::default();
    for chunk in accesses.chunks(ROWS_PER_STATEMENT) {
        let mut params = Vec::with_capacity(chunk.len() * PER_ENTRY);
        for access in chunk {
            let a = Access {
                nonce: Some(nonce()),
                ..access.clone()
            };
            let mac = key.map(|key| queued_mac(key, &a));
            params.push(optional(&a.nonce));
            params.extend(described(&a));
            params.extend([
                optional(&a.digest),
                optional(&a.case_id),
                optional(&a.credential),
                optional(&mac),
            ]);
        }
        let rows = db.query(
            &format!(
                "INSERT INTO access_log_queue (nonce, at, subject, role, operation, record_type, record_id,
                     reason_code, reason_text, recipient, outcome, digest, case_id, credential, mac)
                 VALUES {}
                 RETURNING id, (SELECT at FROM access_log_queue WHERE rejected IS NULL ORDER BY id LIMIT 1)
                     AS oldest_waiting",
                placeholders(chunk.len(), PER_ENTRY)
            ),
            &params,
        )?;
        for row in rows.iter() {
            queued.ids.push(row.integer("id")?);
            if queued.oldest_waiting.is_none() {
                queued.oldest_waiting = row.optional_text("oldest_waiting")?;
            }
        }
    }
    Ok(queued)
}

/// What a sealing pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sealed {
    /// The last entry chained (number and hash), if any.
    pub last: Option<(i64, String)>,
    pub chained: usize,
    pub refused: usize,
}

/// Chains what is queued into the log, oldest first, until the queue is empty (each pass one
/// transaction of at most [`SEAL_BATCH`] entries), then raises the high-water mark to the last entry
/// chained (at `now`, Unix seconds; see [`HighWater::raise`]). The mark failing to rise is reported,
/// not an error: what was chained is committed, and the mark only lags.
pub fn seal(
    db: &impl Sql,
    kv: &dyn KeyValue,
    checkpoints: &Checkpoints,
    now: i64,
) -> Result<Sealed, SqlError> {
    let sealed = chain_queued(db, checkpoints)?;
    if let Some((seq, hash)) = &sealed.last
        && let Err(e) = HighWater::raise(db, kv, checkpoints, *seq, hash, now)
    {
        eprintln!("access log: high-water mark not raised: {e}");
    }
    Ok(sealed)
}

fn chain_queued(db: &impl Sql, checkpoints: &Checkpoints) -> Result<Sealed, SqlError> {
    let mut total = Sealed::default();
    loop {
        let pass = seal_pass(db, checkpoints)?;
        let done = pass.chained + pass.refused < SEAL_BATCH as usize;
        total.chained += pass.chained;
        total.refused += pass.refused;
        total.last = pass.last.or(total.last);
        if done {
            return Ok(total);
        }
    }
}

/// One pass: what is queued is read and its MACs checked outside the write lock; then, in one
/// transaction, the refused are marked, the rest taken off the queue (only those still there: a
/// concurrent pass may have chained some meanwhile) and chained.
fn seal_pass(db: &impl Sql, checkpoints: &Checkpoints) -> Result<Sealed, SqlError> {
    let rows = db.query(
        "SELECT q.id AS id, q.nonce AS nonce, q.at AS at, q.subject AS subject, q.role AS role,
                q.operation AS operation, q.record_type AS record_type, q.record_id AS record_id,
                q.reason_code AS reason_code, q.reason_text AS reason_text, q.recipient AS recipient,
                q.outcome AS outcome, q.digest AS digest, q.case_id AS case_id,
                q.credential AS credential, q.mac AS mac, l.seq IS NOT NULL AS chained_before
         FROM access_log_queue q LEFT JOIN access_log l ON l.nonce = q.nonce
         WHERE q.rejected IS NULL ORDER BY q.id LIMIT ?1",
        &[SEAL_BATCH.into()],
    )?;
    let mut accepted = Vec::with_capacity(rows.rows.len());
    let mut refused = Vec::new();
    for row in rows.iter() {
        let id = row.integer("id")?;
        let entry = access(&row)?;
        let why = if row.flag("chained_before")? {
            Some("a copy of an entry already in the log (replayed)")
        } else {
            match (checkpoints.key.as_deref(), row.optional_text("mac")?) {
                (None, _) => None,
                (Some(key), Some(mac)) if mac_matches(&mac, &queued_mac(key, &entry)) => None,
                (Some(_), Some(_)) => Some("its MAC does not verify (forged or altered)"),
                (Some(_), None) => Some("it has no MAC (queued without the key: forged)"),
            }
        };
        match why {
            None => accepted.push((id, entry)),
            Some(why) => refused.push((id, why)),
        }
    }
    if accepted.is_empty() && refused.is_empty() {
        return Ok(Sealed::default());
    }
    transaction(db, || {
        for (id, why) in &refused {
            // The alarm, without personal data: verify reports it too.
            eprintln!("access log: queued entry {id} not chained: {why}");
            db.run(
                "UPDATE access_log_queue SET rejected = ?2 WHERE id = ?1",
                &[(*id).into(), (*why).into()],
            )?;
        }
        let ids: Vec<i64> = accepted.iter().map(|(id, _)| *id).collect();
        let taken = db.query(
            "DELETE FROM access_log_queue
             WHERE id IN (SELECT value FROM json_each(?1)) AND rejected IS NULL RETURNING id",
            &[Value::json(&ids)],
        )?;
        let taken = taken
            .iter()
            .map(|row| row.integer("id"))
            .collect::<Result<BTreeSet<i64>, _>>()?;
        let ours: Vec<Access> = accepted
            .into_iter()
            .filter(|(id, _)| taken.contains(id))
            .map(|(_, entry)| entry)
            .collect();
        let entries = append_all(db, &ours, checkpoints)?;
        Ok(Sealed {
            last: entries.last().map(|e| (e.seq, e.hash.clone())),
            chained: entries.len(),
            refused: refused.len(),
        })
    })
}

/// The queue as verify reports it: entries waiting to be chained, and those refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueState {
    pub waiting: i64,
    pub refused: i64,
    /// The first refused entry's queue id and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_refused: Option<String>,
}

pub fn state(db: &impl Sql) -> Result<QueueState, SqlError> {
    let counts = db.query(
        "SELECT COUNT(*) FILTER (WHERE rejected IS NULL) AS waiting,
                COUNT(*) FILTER (WHERE rejected IS NOT NULL) AS refused,
                (SELECT id || ': ' || rejected FROM access_log_queue
                 WHERE rejected IS NOT NULL ORDER BY id LIMIT 1) AS first_refused
         FROM access_log_queue",
        &[],
    )?;
    let row = counts.first_row();
    Ok(match row {
        Some(row) => QueueState {
            waiting: row.integer("waiting")?,
            refused: row.integer("refused")?,
            first_refused: row
                .optional_text("first_refused")?
                .map(|first| format!("queued entry {first}")),
        },
        None => QueueState::default(),
    })
}
