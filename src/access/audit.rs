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

/// The kinds of record the log names. (Entries written before this type existed may name others, such
/// as `case-list`: the stored form stays text.)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::EnumString, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RecordType {
    Case,
    Pin,
    Token,
    Session,
    RiskAssessment,
    Referral,
    Instrument,
    Search,
    /// Aggregates with no personal data (case counts, the search compliance report's totals).
    Statistics,
    AccessLog,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A record, as the log names it: its kind, its id, and the case it belongs to (for records that
/// belong to one), so that "who accessed case X" finds reads of its assessments, referrals and searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    pub kind: RecordType,
    pub id: String,
    pub case_id: Option<String>,
}

impl RecordRef {
    pub fn new(kind: RecordType, id: impl Into<String>) -> RecordRef {
        RecordRef {
            kind,
            id: id.into(),
            case_id: None,
        }
    }

    pub fn case(id: impl Into<String>) -> RecordRef {
        RecordRef::new(RecordType::Case, id)
    }

    /// A record belonging to a case.
    pub fn of_case(
        kind: RecordType,
        id: impl Into<String>,
        case_id: impl Into<String>,
    ) -> RecordRef {
        RecordRef {
            kind,
            id: id.into(),
            case_id: Some(case_id.into()),
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
    /// The case the record belongs to, when it is not the case itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
}

/// Who made an access, for the log: a signed-in caller, or `anonymous` for a refused attempt without
/// valid credentials (the credentials themselves are never logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub role: String,
}

impl Actor {
    pub fn anonymous() -> Actor {
        Actor {
            subject: "anonymous".into(),
            role: "none".into(),
        }
    }
}

impl Access {
    /// An allowed access to `record`, for `reason`.
    pub fn allowed(
        at: &str,
        actor: &Actor,
        operation: Operation,
        record: &RecordRef,
        reason: &crate::access::auth::AccessReason,
    ) -> Access {
        Access {
            at: at.into(),
            subject: actor.subject.clone(),
            role: actor.role.clone(),
            operation,
            record_type: record.kind.as_str().into(),
            record_id: record.id.clone(),
            reason_code: reason.code.as_str().into(),
            reason_text: reason.text.clone(),
            recipient: None,
            outcome: "allowed".into(),
            digest: None,
            case_id: record.case_id.clone(),
        }
    }

    /// A refused attempt on `record`: `why` is `unauthenticated`, `throttled`, `denied` or
    /// `reason-missing`, and `detail` says what was attempted.
    pub fn refused(
        at: &str,
        actor: &Actor,
        record: &RecordRef,
        why: &str,
        detail: String,
    ) -> Access {
        Access {
            at: at.into(),
            subject: actor.subject.clone(),
            role: actor.role.clone(),
            operation: Operation::Consultation,
            record_type: record.kind.as_str().into(),
            record_id: record.id.clone(),
            reason_code: why.into(),
            reason_text: Some(detail),
            recipient: None,
            outcome: "denied".into(),
            digest: None,
            case_id: record.case_id.clone(),
        }
    }
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
/// different entries encode the same. The digest and the case id, added later, are encoded only when
/// present, so entries written before them keep their hashes: the digest (or, when there is a case id
/// but no digest, the absent marker) is the twelfth field, and the case id the thirteenth.
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
    let mut extension = |field: &str| {
        out.extend_from_slice(format!("{}:{field},", field.len()).as_bytes());
    };
    match (&a.digest, &a.case_id) {
        (None, None) => {}
        (Some(digest), None) => extension(digest),
        (digest, Some(case_id)) => {
            extension(digest.as_deref().unwrap_or("\u{0}"));
            extension(case_id);
        }
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

/// Appends entries, in order, in three statements at most however many there are (the entries, their
/// cases, any checkpoints). Call it inside the transaction that does the work it records (so both
/// happen or neither does); the transaction's write lock keeps concurrent appends in one chain.
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
            hash,
        });
    }

    const PER_ENTRY: usize = 14;
    let mut params = Vec::with_capacity(entries.len() * PER_ENTRY);
    for e in &entries {
        let a = &e.access;
        params.extend([
            e.seq.into(),
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
            e.prev_hash.as_str().into(),
            e.hash.as_str().into(),
            optional(&a.digest),
        ]);
    }
    db.run(
        &format!(
            "INSERT INTO access_log (seq, at, subject, role, operation, record_type, record_id, reason_code,
                 reason_text, recipient, outcome, prev_hash, hash, digest) VALUES {}",
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

    if let Some(key) = &checkpoints.key
        && checkpoints.every > 0
    {
        let sealed: Vec<Value> = entries
            .iter()
            .filter(|e| e.seq % checkpoints.every == 0)
            .flat_map(|e| {
                [
                    e.seq.into(),
                    e.hash.as_str().into(),
                    checkpoint_mac(key, e.seq, &e.hash).into(),
                    e.access.at.as_str().into(),
                ]
            })
            .collect();
        if !sealed.is_empty() {
            db.run(
                &format!(
                    "INSERT INTO access_log_checkpoints (seq, hash, mac, at) VALUES {}",
                    placeholders(sealed.len() / 4, 4)
                ),
                &sealed,
            )?;
        }
    }
    Ok(entries)
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
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq >= ?1 ORDER BY l.seq LIMIT {PAGE}"),
            &[expected_seq.into()],
        )?;
        if page.rows.is_empty() {
            break;
        }
        for entry in entries(&page)? {
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
    rows.iter()
        .map(|row| Ok((row.integer("seq")?, (row.text("hash")?, row.text("mac")?))))
        .collect()
}

const COLUMNS: &str = "l.seq AS seq, at, subject, role, operation, record_type, record_id, reason_code, reason_text, recipient, outcome, prev_hash, hash, digest, c.case_id AS case_id";
const FROM: &str = "access_log l LEFT JOIN access_log_cases c ON c.seq = l.seq";

/// Entries as stored. A value of the wrong type is an error; an unknown operation word is read as
/// a consultation, which cannot re-hash to the stored hash, so verify reports the entry as altered.
fn entries(rows: &Rows) -> Result<Vec<Entry>, SqlError> {
    rows.iter()
        .map(|r| {
            Ok(Entry {
                seq: r.integer("seq")?,
                access: Access {
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
                },
                prev_hash: r.text("prev_hash")?,
                hash: r.text("hash")?,
            })
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
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq BETWEEN ?1 AND ?2 ORDER BY l.seq"),
        &[first.into(), last.into()],
    )?;
    let entries = entries(&rows)?;
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
            case_id: None,
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
        let with_case = Access {
            case_id: Some("ab".into()),
            ..access("a")
        };
        let with_both = Access {
            digest: Some("ab".into()),
            case_id: Some("ab".into()),
            ..access("a")
        };
        let hashes = [
            base,
            entry_hash(GENESIS, 1, &with_digest),
            entry_hash(GENESIS, 1, &with_case),
            entry_hash(GENESIS, 1, &with_both),
        ];
        let distinct: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(distinct.len(), 4, "digest and case id are never confused");
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
