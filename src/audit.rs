//! The access log (DPA 2018 s.62): every collection, alteration, consultation, disclosure, combination
//! and erasure of a personal record, with who, when, what and why. Append-only and hash-chained: each
//! entry's hash commits to the previous entry's hash and to the entry's canonical encoding, and every
//! `checkpoint_every` entries an HMAC under a secret key seals the chain so far. Someone who can write to
//! the database can neither alter, remove nor reorder entries, nor rewrite the whole chain, unnoticed.

use crate::sql::{Rows, Sql, SqlError, Value};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const ENTRY_DOMAIN: &[u8] = b"stalking-response/access-log/v1\n";
const CHECKPOINT_DOMAIN: &[u8] = b"stalking-response/access-log-checkpoint/v1\n";

/// The kinds of processing s.62 names, plus refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Collection,
    Alteration,
    Consultation,
    Disclosure,
    Combination,
    Erasure,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Collection => "collection",
            Operation::Alteration => "alteration",
            Operation::Consultation => "consultation",
            Operation::Disclosure => "disclosure",
            Operation::Combination => "combination",
            Operation::Erasure => "erasure",
        }
    }
}

/// One access, as the handler describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    pub at: String,
    pub subject: String,
    pub role: String,
    pub operation: Operation,
    /// `case`, `pin`, `pin-register`, `access-log`, `token`, …
    pub record_type: String,
    /// The record's id, or the query for a list.
    pub record_id: String,
    pub reason_code: String,
    pub reason_text: Option<String>,
    /// For disclosures: who received the data.
    pub recipient: Option<String>,
    /// `allowed`, or `denied` for a refused attempt.
    pub outcome: String,
    /// For writes of records the log vouches for (search records): the SHA-256 of what was written,
    /// so that a record changed in the database no longer matches its entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    #[serde(flatten)]
    pub access: Access,
    pub prev_hash: String,
    pub hash: String,
}

/// Netstring-style canonical encoding: every field length-prefixed, in a fixed order, so no two
/// different entries encode the same. The digest, added later, is a twelfth field only when present,
/// so entries written before it keep their hashes.
fn canonical(seq: i64, a: &Access) -> Vec<u8> {
    let fields: [&str; 11] = [
        &seq.to_string(),
        &a.at,
        &a.subject,
        &a.role,
        a.operation.as_str(),
        &a.record_type,
        &a.record_id,
        &a.reason_code,
        a.reason_text.as_deref().unwrap_or("\u{0}"),
        a.recipient.as_deref().unwrap_or("\u{0}"),
        &a.outcome,
    ];
    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(format!("{}:", field.len()).as_bytes());
        out.extend_from_slice(field.as_bytes());
        out.push(b',');
    }
    if let Some(digest) = &a.digest {
        out.extend_from_slice(format!("{}:{digest},", digest.len()).as_bytes());
    }
    out
}

pub fn entry_hash(prev_hash: &str, seq: i64, access: &Access) -> String {
    let mut hasher = Sha256::new();
    hasher.update(ENTRY_DOMAIN);
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical(seq, access));
    hex::encode(hasher.finalize())
}

pub fn checkpoint_mac(key: &[u8], seq: i64, hash: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(CHECKPOINT_DOMAIN);
    mac.update(format!("{seq}:{hash}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// How checkpoints are made: a secret key (none configured: no checkpoints, and verify says so) and
/// the interval.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    pub key: Option<Vec<u8>>,
    pub every: i64,
}

/// Appends one entry. Call it inside the transaction that does the work it records (so both happen or
/// neither does); the transaction's write lock keeps concurrent appends in one chain.
pub fn append(
    db: &impl Sql,
    access: &Access,
    checkpoints: &Checkpoints,
) -> Result<Entry, SqlError> {
    let last = db.query(
        "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (seq, prev_hash) = match (last.first_integer("seq"), last.first("hash")) {
        (Some(seq), Some(Value::Text(hash))) => (seq + 1, hash.clone()),
        _ => (1, GENESIS.to_string()),
    };
    let hash = entry_hash(&prev_hash, seq, access);
    db.run(
        "INSERT INTO access_log (seq, at, subject, role, operation, record_type, record_id, reason_code,
             reason_text, recipient, outcome, prev_hash, hash, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[
            seq.into(),
            access.at.as_str().into(),
            access.subject.as_str().into(),
            access.role.as_str().into(),
            access.operation.as_str().into(),
            access.record_type.as_str().into(),
            access.record_id.as_str().into(),
            access.reason_code.as_str().into(),
            optional(&access.reason_text),
            optional(&access.recipient),
            access.outcome.as_str().into(),
            prev_hash.as_str().into(),
            hash.as_str().into(),
            optional(&access.digest),
        ],
    )?;
    if let Some(key) = &checkpoints.key
        && checkpoints.every > 0
        && seq % checkpoints.every == 0
    {
        db.run(
            "INSERT INTO access_log_checkpoints (seq, hash, mac, at) VALUES (?1, ?2, ?3, ?4)",
            &[
                seq.into(),
                hash.as_str().into(),
                checkpoint_mac(key, seq, &hash).into(),
                access.at.as_str().into(),
            ],
        )?;
    }
    Ok(Entry {
        seq,
        access: access.clone(),
        prev_hash,
        hash,
    })
}

fn optional(text: &Option<String>) -> Value {
    text.as_deref().map_or(Value::Null, Value::from)
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub valid: bool,
    pub entries: i64,
    pub checkpoints: i64,
    pub checkpoint_key_configured: bool,
    pub last_hash: String,
    /// The first entry that does not verify, and why.
    pub first_broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

const PAGE: i64 = 1000;

/// Recomputes the whole chain from the first entry, and checks every checkpoint.
pub fn verify(db: &impl Sql, checkpoints: &Checkpoints) -> Result<Verification, SqlError> {
    let sealed = load_checkpoints(db)?;
    let mut expected_seq = 1;
    let mut running = GENESIS.to_string();
    let mut broken: Option<Broken> = None;
    let mut chain_at: BTreeMap<i64, String> = BTreeMap::new();
    'pages: loop {
        let page = db.query(
            &format!("SELECT {COLUMNS} FROM access_log WHERE seq >= ?1 ORDER BY seq LIMIT {PAGE}"),
            &[expected_seq.into()],
        )?;
        if page.rows.is_empty() {
            break;
        }
        for entry in entries(&page) {
            let fail = |reason: String| Broken {
                seq: entry.seq,
                reason,
            };
            if entry.seq != expected_seq {
                broken = Some(Broken {
                    seq: expected_seq,
                    reason: format!(
                        "entry {expected_seq} is missing (the next one is {})",
                        entry.seq
                    ),
                });
            } else if entry.prev_hash != running {
                broken = Some(fail(
                    "it does not follow the entry before it (removed, reordered or altered)".into(),
                ));
            } else if entry_hash(&running, entry.seq, &entry.access) != entry.hash {
                broken = Some(fail("its content does not match its hash (altered)".into()));
            }
            if broken.is_some() {
                break 'pages;
            }
            running = entry.hash.clone();
            if sealed.contains_key(&entry.seq) {
                chain_at.insert(entry.seq, entry.hash.clone());
            }
            expected_seq += 1;
        }
    }
    let entries_ok = expected_seq - 1;

    // Checkpoints: each must carry a valid MAC and seal the chain as recomputed; none may be missing.
    if broken.is_none()
        && let Some(key) = &checkpoints.key
    {
        for (seq, (hash, mac)) in &sealed {
            let reason = if checkpoint_mac(key, *seq, hash) != *mac {
                Some("its checkpoint's seal does not verify (forged or altered)".to_string())
            } else if *seq > entries_ok {
                Some(format!(
                    "the log ends at entry {entries_ok}, but a checkpoint seals entry {seq} (entries removed from the end)"
                ))
            } else if chain_at.get(seq) != Some(hash) {
                Some("the chain was rewritten: it no longer matches its checkpoint".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                broken = Some(Broken { seq: *seq, reason });
                break;
            }
        }
        if broken.is_none() && checkpoints.every > 0 {
            let mut seq = checkpoints.every;
            while seq <= entries_ok {
                if !sealed.contains_key(&seq) {
                    broken = Some(Broken {
                        seq,
                        reason: "its checkpoint is missing (removed)".into(),
                    });
                    break;
                }
                seq += checkpoints.every;
            }
        }
    }

    Ok(Verification {
        valid: broken.is_none(),
        entries: entries_ok,
        checkpoints: sealed.len() as i64,
        checkpoint_key_configured: checkpoints.key.is_some(),
        last_hash: running,
        first_broken: broken,
    })
}

fn load_checkpoints(db: &impl Sql) -> Result<BTreeMap<i64, (String, String)>, SqlError> {
    let rows = db.query(
        "SELECT seq, hash, mac FROM access_log_checkpoints ORDER BY seq",
        &[],
    )?;
    Ok(rows
        .rows
        .iter()
        .filter_map(|row| match row.as_slice() {
            [Value::Integer(seq), Value::Text(hash), Value::Text(mac)] => {
                Some((*seq, (hash.clone(), mac.clone())))
            }
            _ => None,
        })
        .collect())
}

const COLUMNS: &str = "seq, at, subject, role, operation, record_type, record_id, reason_code, reason_text, recipient, outcome, prev_hash, hash, digest";

fn entries(rows: &Rows) -> Vec<Entry> {
    rows.rows
        .iter()
        .map(|r| Entry {
            seq: r[0].integer().unwrap_or(0),
            access: Access {
                at: r[1].text().unwrap_or_default(),
                subject: r[2].text().unwrap_or_default(),
                role: r[3].text().unwrap_or_default(),
                operation: match r[4].text().unwrap_or_default().as_str() {
                    "collection" => Operation::Collection,
                    "alteration" => Operation::Alteration,
                    "disclosure" => Operation::Disclosure,
                    "combination" => Operation::Combination,
                    "erasure" => Operation::Erasure,
                    // An unknown word cannot re-hash to the stored hash: verify reports it as altered.
                    _ => Operation::Consultation,
                },
                record_type: r[5].text().unwrap_or_default(),
                record_id: r[6].text().unwrap_or_default(),
                reason_code: r[7].text().unwrap_or_default(),
                reason_text: r[8].text(),
                recipient: r[9].text(),
                outcome: r[10].text().unwrap_or_default(),
                digest: r[13].text(),
            },
            prev_hash: r[11].text().unwrap_or_default(),
            hash: r[12].text().unwrap_or_default(),
        })
        .collect()
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
pub fn export(db: &impl Sql, from: &str, to: &str) -> Result<Option<Export>, SqlError> {
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
        &format!("SELECT {COLUMNS} FROM access_log WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"),
        &[first.into(), last.into()],
    )?;
    let entries = entries(&rows);
    let checkpoints = load_checkpoints(db)?
        .into_iter()
        .filter(|(seq, _)| (first..=last).contains(seq))
        .map(|(seq, (hash, mac))| SealedCheckpoint { seq, hash, mac })
        .collect();
    Ok(Some(Export {
        format: "stalking-response/access-log/v1",
        from: from.into(),
        to: to.into(),
        anchor_hash: entries
            .first()
            .map_or_else(|| GENESIS.to_string(), |e| e.prev_hash.clone()),
        entries,
        checkpoints,
    }))
}

/// Which entries to list.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Who accessed this record.
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
            "SELECT {COLUMNS} FROM access_log WHERE {condition} AND seq > ?{} ORDER BY seq LIMIT ?{}",
            n + 1,
            n + 2
        ),
        &params,
    )?;
    Ok(entries(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(record_id: &str) -> Access {
        Access {
            at: "2026-11-29T10:00:00Z".into(),
            subject: "1234".into(),
            role: "officer".into(),
            operation: Operation::Consultation,
            record_type: "case".into(),
            record_id: record_id.into(),
            reason_code: "investigation".into(),
            reason_text: None,
            recipient: None,
            outcome: "allowed".into(),
            digest: None,
        }
    }

    #[test]
    fn the_hash_commits_to_every_field_and_the_previous_hash() {
        let base = entry_hash(GENESIS, 1, &access("a"));
        assert_ne!(base, entry_hash(GENESIS, 1, &access("b")));
        assert_ne!(base, entry_hash(GENESIS, 2, &access("a")));
        assert_ne!(base, entry_hash(&"1".repeat(64), 1, &access("a")));
        let with_text = Access {
            reason_text: Some(String::new()),
            ..access("a")
        };
        assert_ne!(
            base,
            entry_hash(GENESIS, 1, &with_text),
            "absent and empty differ"
        );
        // Moving a character between fields changes the encoding.
        let shifted = Access {
            subject: "123".into(),
            role: "4officer".into(),
            ..access("a")
        };
        assert_ne!(base, entry_hash(GENESIS, 1, &shifted));
        let with_digest = Access {
            digest: Some("ab".into()),
            ..access("a")
        };
        assert_ne!(base, entry_hash(GENESIS, 1, &with_digest));
    }

    #[test]
    fn entries_without_a_digest_keep_the_encoding_they_were_hashed_with() {
        // Fixed before the digest existed: a change to the encoding must not re-hash old entries.
        assert_eq!(
            entry_hash(GENESIS, 1, &access("a")),
            "42472eb8de60e3a6aa2178f293f8e35a0140b9164f132e11006b9049381c4ea0"
        );
    }

    #[test]
    fn checkpoint_macs_depend_on_the_key() {
        let hash = entry_hash(GENESIS, 1, &access("a"));
        assert_ne!(
            checkpoint_mac(b"k1", 1, &hash),
            checkpoint_mac(b"k2", 1, &hash)
        );
        assert_eq!(
            checkpoint_mac(b"k1", 1, &hash),
            checkpoint_mac(b"k1", 1, &hash)
        );
    }
}
