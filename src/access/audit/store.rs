//! The log in SQLite: appending entries (with their cases and checkpoints) in a constant number of
//! statements, listing them for an auditor, and exporting a period.

use super::chain::{GENESIS, Link, checkpoint_mac, entry_hash, entry_mac, export_mac};
use super::{Access, Checkpoints, Entry, HighWater, Operation, RecordType};
use crate::access::authentication::KeyValue;
use crate::sql::{Row, Rows, Sql, SqlError, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// Appends entries, in order, each MACed under the key, in a constant number of statements however
/// many there are (the last entry, the entries, their cases, and at a checkpoint the stretch it seals
/// and the checkpoint). Call it inside the transaction that does the work it records (so both happen
/// or neither does); the transaction's write lock keeps concurrent appends in one chain.
pub fn append_all(
    db: &impl Sql,
    accesses: &[Access],
    checkpoints: &Checkpoints,
) -> Result<Vec<Entry>, SqlError> {
    if accesses.is_empty() {
        return Ok(Vec::new());
    }
    let last = db.query(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (mut seq, mut prev_hash) = match last.iter().next() {
        Some(row) => (row.integer("seq")?, row.text("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let mut entries = Vec::with_capacity(accesses.len());
    for access in accesses {
        seq += 1;
        let hash = entry_hash(&prev_hash, seq, access);
        entries.push(Entry {
            seq,
            access: access.clone(),
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            mac: checkpoints.key.as_deref().map(|k| entry_mac(k, seq, &hash)),
            hash,
        });
    }

    // SQLite binds at most 32,766 parameters a statement: a longer batch takes more statements (a
    // page of records is far below it).
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        insert(db, chunk)?;
    }

    if let Some(key) = &checkpoints.key
        && checkpoints.every > 0
    {
        for sealing in entries.iter().filter(|e| e.seq % checkpoints.every == 0) {
            seal(db, key, sealing, &entries)?;
        }
    }
    Ok(entries)
}

/// Entries (17 parameters each) and their case links (2 each) per statement.
const ROWS_PER_STATEMENT: usize = 1_900;

/// Inserts entries and their case links: two statements.
fn insert(db: &impl Sql, entries: &[Entry]) -> Result<(), SqlError> {
    const PER_ENTRY: usize = 17;
    let mut params = Vec::with_capacity(entries.len() * PER_ENTRY);
    for e in entries {
        let a = &e.access;
        params.push(e.seq.into());
        params.extend(described(a));
        params.extend([
            e.prev_hash.as_str().into(),
            e.hash.as_str().into(),
            optional(&a.digest),
            optional(&a.credential),
            optional(&e.mac),
            optional(&a.nonce),
        ]);
    }
    db.run(
        &format!(
            "INSERT INTO access_log (seq, at, subject, role, operation, record_type, record_id, reason_code,
                 reason_text, recipient, outcome, prev_hash, hash, digest, credential, mac, nonce) VALUES {}",
            placeholders(entries.len(), PER_ENTRY)
        ),
        &params,
    )?;

    let cases: Vec<Value> = entries
        .iter()
        .filter_map(|e| Some([e.seq.into(), e.access.case_id.as_deref()?.into()]))
        .flatten()
        .collect();
    if !cases.is_empty() {
        db.run(
            &format!(
                "INSERT INTO access_log_cases (seq, case_id) VALUES {}",
                placeholders(cases.len() / 2, 2)
            ),
            &cases,
        )?;
    }
    Ok(())
}

/// Seals the chain up to `entry` with a checkpoint, but only once the stretch since the previous
/// checkpoint checks out (each entry follows the one before and carries a valid MAC): a checkpoint
/// must never vouch for entries slipped in without the key. Entries before `fresh` (those just
/// appended, in order, made here from the head they follow) are read back and checked; `fresh` need
/// not be. When the stretch does not check out, no checkpoint is made and the alarm goes to the log
/// (without personal data); verify reports where.
pub(super) fn seal(
    db: &impl Sql,
    key: &[u8],
    entry: &Entry,
    fresh: &[Entry],
) -> Result<(), SqlError> {
    let previous = db.query(
        "SELECT seq, hash FROM access_log_checkpoints WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
        &[entry.seq.into()],
    )?;
    let (from, anchor) = match previous.first_row() {
        Some(row) => (row.integer("seq")? + 1, row.text("hash")?),
        None => (1, GENESIS.to_string()),
    };
    let first_fresh = fresh.first().map_or(entry.seq + 1, |e| e.seq);
    let mut expected = Link {
        seq: from,
        hash: anchor,
    };
    if from < first_fresh {
        let legacy_until = legacy_until(db)?;
        let stretch = db.query(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq BETWEEN ?1 AND ?2 ORDER BY l.seq"),
            &[from.into(), (first_fresh - 1).min(entry.seq).into()],
        )?;
        for stored in entries(&stretch)? {
            if let Err(reason) = expected.follow(&stored, Some(key), legacy_until) {
                eprintln!(
                    "access log: checkpoint {} not made: entry {}: {reason}",
                    entry.seq, stored.seq
                );
                return Ok(());
            }
        }
    }
    // The rest of the stretch is fresh: made here from the head it follows, which must be where the
    // stored part ends (unless the previous checkpoint, made in this call, is among them too).
    if let Some(first) = fresh.first().filter(|first| first.seq <= entry.seq) {
        let follows =
            from > first.seq || (expected.seq == first.seq && expected.hash == first.prev_hash);
        if follows {
            expected = Link {
                seq: entry.seq + 1,
                hash: entry.hash.clone(),
            };
        }
    }
    if expected.seq != entry.seq + 1 {
        eprintln!(
            "access log: checkpoint {} not made: entries are missing",
            entry.seq
        );
        return Ok(());
    }
    db.run(
        "INSERT INTO access_log_checkpoints (seq, hash, mac, at) VALUES (?1, ?2, ?3, ?4)",
        &[
            entry.seq.into(),
            entry.hash.as_str().into(),
            checkpoint_mac(key, entry.seq, &entry.hash).into(),
            entry.access.at.as_str().into(),
        ],
    )
}

/// The last entry written before entries carried MACs (recorded when the log was upgraded; 0 for a
/// log that has always had them). Those entries are covered by checkpoints instead.
pub(super) fn legacy_until(db: &impl Sql) -> Result<i64, SqlError> {
    Ok(db
        .query("SELECT until FROM access_log_legacy", &[])?
        .first_integer("until")
        .unwrap_or(0))
}

/// Appends one entry (see [`append_all`]).
pub fn append(
    db: &impl Sql,
    access: &Access,
    checkpoints: &Checkpoints,
) -> Result<Entry, SqlError> {
    let mut entries = append_all(db, std::slice::from_ref(access), checkpoints)?;
    Ok(entries.remove(0))
}

/// `(?1, ?2, …), (…)` for `rows` rows of `width` values.
pub(super) fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the handler described of an access (`at` to `outcome`, in the tables' column order), as
/// values to bind: the log and its queue store the same.
pub(super) fn described(a: &Access) -> [Value; 10] {
    [
        a.at.as_str().into(),
        a.subject.as_str().into(),
        a.role.as_str().into(),
        a.operation.as_str().into(),
        a.record_type.as_str().into(),
        a.record_id.as_str().into(),
        a.reason_code.as_str().into(),
        optional(&a.reason_text),
        optional(&a.recipient),
        a.outcome.as_str().into(),
    ]
}

pub(super) fn optional(text: &Option<String>) -> Value {
    text.as_deref().map_or(Value::Null, Value::from)
}

pub(super) fn load_checkpoints(db: &impl Sql) -> Result<BTreeMap<i64, (String, String)>, SqlError> {
    let rows = db.query(
        "SELECT seq, hash, mac FROM access_log_checkpoints ORDER BY seq",
        &[],
    )?;
    rows.iter()
        .map(|row| Ok((row.integer("seq")?, (row.text("hash")?, row.text("mac")?))))
        .collect()
}

pub(super) const COLUMNS: &str = "l.seq AS seq, at, subject, role, operation, record_type, record_id, reason_code, reason_text, recipient, outcome, prev_hash, hash, digest, c.case_id AS case_id, credential, mac, nonce";

pub(super) const FROM: &str = "access_log l LEFT JOIN access_log_cases c ON c.seq = l.seq";

/// Entries as stored. A value of the wrong type is an error; an unknown operation word is read as
/// a consultation, which cannot re-hash to the stored hash, so verify reports the entry as altered.
pub(super) fn entries(rows: &Rows) -> Result<Vec<Entry>, SqlError> {
    rows.iter()
        .map(|r| {
            Ok(Entry {
                seq: r.integer("seq")?,
                access: access(&r)?,
                prev_hash: r.text("prev_hash")?,
                hash: r.text("hash")?,
                mac: r.optional_text("mac")?,
            })
        })
        .collect()
}

/// An access as stored, in the log or its queue (the same column names).
pub(super) fn access(r: &Row) -> Result<Access, SqlError> {
    Ok(Access {
        at: r.text("at")?,
        subject: r.text("subject")?,
        role: r.text("role")?,
        operation: match r.text("operation")?.as_str() {
            "collection" => Operation::Collection,
            "alteration" => Operation::Alteration,
            "disclosure" => Operation::Disclosure,
            "combination" => Operation::Combination,
            "erasure" => Operation::Erasure,
            _ => Operation::Consultation,
        },
        record_type: r.text("record_type")?,
        record_id: r.text("record_id")?,
        reason_code: r.text("reason_code")?,
        reason_text: r.optional_text("reason_text")?,
        recipient: r.optional_text("recipient")?,
        outcome: r.text("outcome")?,
        digest: r.optional_text("digest")?,
        case_id: r.optional_text("case_id")?,
        credential: r.optional_text("credential")?,
        nonce: r.optional_text("nonce")?,
    })
}

/// A contiguous stretch of the log, for an auditor to verify outside the app: the entries, the hash
/// the first one follows, and the checkpoints among them (README, "Verifying an export").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Export {
    pub format: &'static str,
    pub from: String,
    pub to: String,
    /// The hash the first entry follows (the genesis hash for entry 1).
    pub anchor_hash: String,
    pub entries: Vec<Entry>,
    pub checkpoints: Vec<SealedCheckpoint>,
    /// The app's signature over what it exported, so an export cut short or extended is noticed.
    pub seal: Option<ExportSeal>,
    /// The log's high-water mark when exported.
    pub high_water_mark: Option<HighWater>,
}

/// What an export holds: its period, its first and last entries, and the hash of the last (a MAC
/// under the key over all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSeal {
    pub first_seq: i64,
    pub last_seq: i64,
    pub last_hash: String,
    pub mac: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealedCheckpoint {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

/// The most entries one export holds.
pub const MAX_EXPORT: i64 = 100_000;

/// The entries written from the start of `from` to the end of `to` (dates, `YYYY-MM-DD`): every entry
/// between the first and the last in the period, so the stretch has no gaps. `None` if more than
/// [`MAX_EXPORT`].
pub fn export(
    db: &impl Sql,
    kv: &dyn KeyValue,
    checkpoints: &Checkpoints,
    from: &str,
    to: &str,
) -> Result<Option<Export>, SqlError> {
    let bounds = db.query(
        "SELECT MIN(seq) AS first, MAX(seq) AS last FROM access_log WHERE at >= ?1 AND at < ?2 || 'T24'",
        &[from.into(), to.into()],
    )?;
    let (first, last) = match (bounds.first_integer("first"), bounds.first_integer("last")) {
        (Some(first), Some(last)) => (first, last),
        _ => (1, 0),
    };
    if last - first + 1 > MAX_EXPORT {
        return Ok(None);
    }
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq BETWEEN ?1 AND ?2 ORDER BY l.seq"),
        &[first.into(), last.into()],
    )?;
    let entries = entries(&rows)?;
    let sealed = load_checkpoints(db)?
        .into_iter()
        .filter(|(seq, _)| (first..=last).contains(seq))
        .map(|(seq, (hash, mac))| SealedCheckpoint { seq, hash, mac })
        .collect();
    let anchor_hash = entries
        .first()
        .map_or_else(|| GENESIS.to_string(), |e| e.prev_hash.clone());
    let last_hash = entries
        .last()
        .map_or_else(|| anchor_hash.clone(), |e| e.hash.clone());
    let seal = checkpoints.key.as_deref().map(|key| ExportSeal {
        first_seq: first,
        last_seq: last,
        mac: export_mac(key, from, to, first, last, &last_hash),
        last_hash,
    });
    Ok(Some(Export {
        format: "stalking-response/access-log/v2",
        from: from.into(),
        to: to.into(),
        anchor_hash,
        entries,
        checkpoints: sealed,
        seal,
        // An unreadable mark is exported as none; verify reports it.
        high_water_mark: HighWater::read(kv).ok().flatten(),
    }))
}

/// Which entries to list.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Who accessed this record; for a case, also every record of the case (its assessments,
    /// referrals, searches), however it was reached.
    Record {
        record_type: String,
        record_id: String,
    },
    /// What this person accessed.
    Subject(String),
}

/// A page of entries after `after` (a sequence number; 0 for the start), oldest first.
pub fn list(
    db: &impl Sql,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, SqlError> {
    let (condition, mut params): (&str, Vec<Value>) = match filter {
        Filter::Record {
            record_type,
            record_id,
        } if record_type == RecordType::Case.as_str() => (
            "((record_type = ?1 AND record_id = ?2) OR l.seq IN (SELECT seq FROM access_log_cases WHERE case_id = ?2))",
            vec![record_type.as_str().into(), record_id.as_str().into()],
        ),
        Filter::Record {
            record_type,
            record_id,
        } => (
            "record_type = ?1 AND record_id = ?2",
            vec![record_type.as_str().into(), record_id.as_str().into()],
        ),
        Filter::Subject(subject) => ("subject = ?1", vec![subject.as_str().into()]),
    };
    let n = params.len();
    params.push(after.into());
    params.push(limit.into());
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {condition} AND l.seq > ?{} ORDER BY l.seq LIMIT ?{}",
            n + 1,
            n + 2
        ),
        &params,
    )?;
    entries(&rows)
}
