//! The access log (DPA 2018 s.62): every collection, alteration, consultation, disclosure, combination
//! and erasure of a personal record, with who (and with which credential), when, what and why.
//! Append-only and hash-chained: each entry's hash commits to the previous entry's hash and to the
//! entry's canonical encoding, and each entry carries an HMAC of its hash under the force's secret key,
//! so no entry can be forged, altered, removed or reordered without the key. Every `checkpoint_every`
//! entries a checkpoint seals the chain so far, after checking the stretch since the previous one; and
//! a signed high-water mark (the last entry's number and hash), kept in the key-value store, out of
//! reach of whoever can write the database, shows entries cut from the end.

use crate::access::authentication::KeyValue;
use crate::sql::{Rows, Sql, SqlError, Value};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const ENTRY_DOMAIN: &[u8] = b"stalking-response/access-log/v1\n";
const CHECKPOINT_DOMAIN: &[u8] = b"stalking-response/access-log-checkpoint/v1\n";
const ENTRY_MAC_DOMAIN: &[u8] = b"stalking-response/access-log-entry/v1\n";
const HIGH_WATER_DOMAIN: &[u8] = b"stalking-response/access-log-high-water/v1\n";
const EXPORT_DOMAIN: &[u8] = b"stalking-response/access-log-export/v1\n";

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
    TokenRequest,
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
    /// For writes of records the log vouches for (search records, cases, PINs, risk assessments,
    /// referrals: `src/digests.rs`): the SHA-256 of what was written,
    /// so that a record changed in the database no longer matches its entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The case the record belongs to, when it is not the case itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// The credential used (a token's id, or `bootstrap`); none for an attempt without valid
    /// credentials. Two entries with one subject but different credentials are two holders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Who made an access, for the log: a signed-in caller, or `anonymous` for a refused attempt without
/// valid credentials (the credentials themselves are never logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub credential: Option<String>,
}

impl Actor {
    pub fn anonymous() -> Actor {
        Actor {
            subject: "anonymous".into(),
            role: "none".into(),
            credential: None,
        }
    }

    /// A signed-in caller, with the credential they used.
    pub fn of(principal: &crate::access::auth::Principal) -> Actor {
        Actor {
            subject: principal.subject.clone(),
            role: principal.role.as_str().into(),
            credential: Some(principal.token_id.clone()),
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
            credential: actor.credential.clone(),
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
            credential: actor.credential.clone(),
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
    /// HMAC-SHA256 of the entry's number and hash under the key (none for entries written before
    /// entries were MACed, which checkpoints cover instead, or without a key in development).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// Netstring-style canonical encoding: every field length-prefixed, in a fixed order, so no two
/// different entries encode the same. The digest and the case id, added later, are encoded only when
/// present, so entries written before them keep their hashes: the digest (or, when a later field is
/// present, the absent marker) is the twelfth field, the case id (likewise) the thirteenth, and the
/// credential the fourteenth.
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
    let absent = "\u{0}";
    match (&a.digest, &a.case_id, &a.credential) {
        (None, None, None) => {}
        (Some(digest), None, None) => extension(digest),
        (digest, Some(case_id), None) => {
            extension(digest.as_deref().unwrap_or(absent));
            extension(case_id);
        }
        (digest, case_id, Some(credential)) => {
            extension(digest.as_deref().unwrap_or(absent));
            extension(case_id.as_deref().unwrap_or(absent));
            extension(credential);
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

fn hmac_hex(key: &[u8], domain: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(domain);
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn checkpoint_mac(key: &[u8], seq: i64, hash: &str) -> String {
    hmac_hex(key, CHECKPOINT_DOMAIN, &format!("{seq}:{hash}"))
}

/// An entry's MAC: whoever lacks the key cannot make an entry that verifies.
pub fn entry_mac(key: &[u8], seq: i64, hash: &str) -> String {
    hmac_hex(key, ENTRY_MAC_DOMAIN, &format!("{seq}:{hash}"))
}

/// Constant-time comparison of a stored MAC with the one expected.
fn mac_matches(stored: &str, expected: &str) -> bool {
    crate::access::auth::secrets_equal(stored, expected)
}

/// How the log is protected: a secret key (none configured: no MACs, no checkpoints, and verify says
/// so), the checkpoint interval, and how often the high-water mark is raised at most.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    pub key: Option<Vec<u8>>,
    pub every: i64,
    /// Seconds between writes of the high-water mark (0: after every request that logs).
    pub high_water_seconds: i64,
}

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

    const PER_ENTRY: usize = 16;
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
            optional(&a.credential),
            optional(&e.mac),
        ]);
    }
    db.run(
        &format!(
            "INSERT INTO access_log (seq, at, subject, role, operation, record_type, record_id, reason_code,
                 reason_text, recipient, outcome, prev_hash, hash, digest, credential, mac) VALUES {}",
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
        for sealing in entries.iter().filter(|e| e.seq % checkpoints.every == 0) {
            seal(db, key, sealing)?;
        }
    }
    Ok(entries)
}

/// Seals the chain up to `entry` with a checkpoint, but only once the stretch since the previous
/// checkpoint checks out (each entry follows the one before and carries a valid MAC): a checkpoint
/// must never vouch for entries slipped in without the key. When the stretch does not check out, no
/// checkpoint is made and the alarm goes to the log (without personal data); verify reports where.
fn seal(db: &impl Sql, key: &[u8], entry: &Entry) -> Result<(), SqlError> {
    let previous = db.query(
        "SELECT seq, hash FROM access_log_checkpoints WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
        &[entry.seq.into()],
    )?;
    let (from, anchor) = match previous.first_row() {
        Some(row) => (row.integer("seq")? + 1, row.text("hash")?),
        None => (1, GENESIS.to_string()),
    };
    let legacy_until = legacy_until(db)?;
    let stretch = db.query(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq BETWEEN ?1 AND ?2 ORDER BY l.seq"),
        &[from.into(), entry.seq.into()],
    )?;
    let mut expected = Link {
        seq: from,
        hash: anchor,
    };
    for stored in entries(&stretch)? {
        if let Err(reason) = expected.follow(&stored, Some(key), legacy_until) {
            eprintln!(
                "access log: checkpoint {} not made: entry {}: {reason}",
                entry.seq, stored.seq
            );
            return Ok(());
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
fn legacy_until(db: &impl Sql) -> Result<i64, SqlError> {
    Ok(db
        .query("SELECT until FROM access_log_legacy", &[])?
        .first_integer("until")
        .unwrap_or(0))
}

/// Where a walk along the chain has reached: the next entry expected, and the hash it must follow.
struct Link {
    seq: i64,
    hash: String,
}

impl Link {
    /// Checks that `entry` is the next one, follows the chain, matches its hash, and (with a key)
    /// carries a valid MAC — required after `legacy_until`. Moves on to it.
    fn follow(
        &mut self,
        entry: &Entry,
        key: Option<&[u8]>,
        legacy_until: i64,
    ) -> Result<(), String> {
        if entry.seq != self.seq {
            return Err(format!(
                "entry {} is missing (the next one is {})",
                self.seq, entry.seq
            ));
        }
        if entry.prev_hash != self.hash {
            return Err(
                "it does not follow the entry before it (removed, reordered or altered)".into(),
            );
        }
        if entry_hash(&self.hash, entry.seq, &entry.access) != entry.hash {
            return Err("its content does not match its hash (altered)".into());
        }
        if let Some(key) = key {
            match &entry.mac {
                Some(mac) if mac_matches(mac, &entry_mac(key, entry.seq, &entry.hash)) => {}
                Some(_) => return Err("its MAC does not verify (forged or altered)".into()),
                None if entry.seq <= legacy_until => {}
                None => return Err("it has no MAC (written without the key: forged)".into()),
            }
        }
        self.seq += 1;
        self.hash = entry.hash.clone();
        Ok(())
    }
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

/// The log's signed high-water mark: its last entry when last written, kept in the key-value store
/// (out of reach of whoever can write the database), so entries cut from the end are noticed. It is
/// raised after a commit that appends entries — at most once every `high_water_seconds` (reading the
/// mark is cheap; writing it, on Spin's local key-value store, is a fully synced transaction behind
/// one shared connection, so once per request would halve a read's throughput). It may therefore lag
/// the log by up to that long, and concurrent requests may leave it a few entries behind; it is never
/// ahead. It also carries `legacy_until` (see [`Link::follow`]), signed, so that nobody can move the
/// boundary of the entries allowed to lack a MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HighWater {
    pub seq: i64,
    pub hash: String,
    pub legacy_until: i64,
    /// When it was written, Unix seconds.
    pub at: i64,
    pub mac: String,
}

/// The key-value key of the high-water mark.
pub const HIGH_WATER_KEY: &str = "access-log:high-water";

impl HighWater {
    fn signed(key: &[u8], seq: i64, hash: &str, legacy_until: i64, at: i64) -> HighWater {
        HighWater {
            seq,
            hash: hash.into(),
            legacy_until,
            at,
            mac: hmac_hex(
                key,
                HIGH_WATER_DOMAIN,
                &format!("{seq}:{hash}:{legacy_until}:{at}"),
            ),
        }
    }

    fn is_valid(&self, key: &[u8]) -> bool {
        let expected = HighWater::signed(key, self.seq, &self.hash, self.legacy_until, self.at);
        mac_matches(&self.mac, &expected.mac)
    }

    /// The mark as stored; `Err` when the stored value is not a mark at all.
    pub fn read(kv: &dyn KeyValue) -> Result<Option<HighWater>, String> {
        match kv.get(HIGH_WATER_KEY).map_err(|e| e.0)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| "the high-water mark is not readable".into()),
        }
    }

    /// Raises the mark to the entry (`seq`, `hash`) just committed at `now` (Unix seconds), unless
    /// it is already there or beyond, or was written less than `checkpoints.high_water_seconds` ago.
    /// A mark that does not verify is left as it is, as evidence. Returns whether it was written.
    pub fn raise(
        db: &impl Sql,
        kv: &dyn KeyValue,
        checkpoints: &Checkpoints,
        seq: i64,
        hash: &str,
        now: i64,
    ) -> Result<bool, String> {
        let Some(key) = checkpoints.key.as_deref() else {
            return Ok(false);
        };
        let current = HighWater::read(kv)?;
        let legacy_until = match &current {
            Some(mark)
                if !mark.is_valid(key)
                    || mark.seq >= seq
                    || now - mark.at < checkpoints.high_water_seconds =>
            {
                return Ok(false);
            }
            Some(mark) => mark.legacy_until,
            None => legacy_until(db).map_err(|e| e.0)?,
        };
        let mark = HighWater::signed(key, seq, hash, legacy_until, now);
        kv.set(
            HIGH_WATER_KEY,
            &serde_json::to_vec(&mark).expect("serialises"),
        )
        .map_err(|e| e.0)?;
        Ok(true)
    }
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub valid: bool,
    pub entries: i64,
    pub checkpoints: i64,
    pub checkpoint_key_configured: bool,
    pub last_hash: String,
    /// The signed high-water mark's entry number, when there is one.
    pub high_water_mark: Option<i64>,
    /// The first entry that does not verify, and why.
    pub first_broken: Option<Broken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

const PAGE: i64 = 1000;

/// Recomputes the whole chain from the first entry, checks every entry's MAC, every checkpoint, and
/// that the log reaches its signed high-water mark.
pub fn verify(
    db: &impl Sql,
    kv: &dyn KeyValue,
    checkpoints: &Checkpoints,
) -> Result<Verification, SqlError> {
    let key = checkpoints.key.as_deref();
    let sealed = load_checkpoints(db)?;
    let mut broken: Option<Broken> = None;
    let mut fail = |seq: i64, reason: String| {
        if broken.is_none() {
            broken = Some(Broken { seq, reason });
        }
    };

    // The high-water mark: signed, and (below) reached by the chain.
    let mark = match (key, HighWater::read(kv)) {
        (_, Err(reason)) => {
            fail(0, reason);
            None
        }
        (Some(key), Ok(Some(mark))) if !mark.is_valid(key) => {
            fail(
                mark.seq,
                "the high-water mark's signature does not verify (forged)".into(),
            );
            None
        }
        (_, Ok(mark)) => mark,
    };
    let legacy_until = mark.as_ref().map_or(0, |m| m.legacy_until);

    let mut link = Link {
        seq: 1,
        hash: GENESIS.to_string(),
    };
    let mut chain_at: BTreeMap<i64, String> = BTreeMap::new();
    'pages: loop {
        let page = db.query(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE l.seq >= ?1 ORDER BY l.seq LIMIT {PAGE}"),
            &[link.seq.into()],
        )?;
        if page.rows.is_empty() {
            break;
        }
        for entry in entries(&page)? {
            let at = link.seq;
            if let Err(reason) = link.follow(&entry, key, legacy_until) {
                fail(at, reason);
                break 'pages;
            }
            if sealed.contains_key(&entry.seq) || mark.as_ref().is_some_and(|m| m.seq == entry.seq)
            {
                chain_at.insert(entry.seq, entry.hash.clone());
            }
        }
    }
    let entries_ok = link.seq - 1;

    if let Some(key) = key {
        // Checkpoints: each must carry a valid MAC and seal the chain as recomputed; none missing.
        for (seq, (hash, mac)) in &sealed {
            if !mac_matches(mac, &checkpoint_mac(key, *seq, hash)) {
                fail(
                    *seq,
                    "its checkpoint's seal does not verify (forged or altered)".into(),
                );
            } else if *seq > entries_ok {
                fail(
                    *seq,
                    format!(
                        "the log ends at entry {entries_ok}, but a checkpoint seals entry {seq} (entries removed from the end)"
                    ),
                );
            } else if chain_at.get(seq) != Some(hash) {
                fail(
                    *seq,
                    "the chain was rewritten: it no longer matches its checkpoint".into(),
                );
            }
        }
        if checkpoints.every > 0 {
            let mut seq = checkpoints.every;
            while seq <= entries_ok {
                if !sealed.contains_key(&seq) {
                    fail(seq, "its checkpoint is missing (removed, or never made because the entries before it did not verify)".into());
                    break;
                }
                seq += checkpoints.every;
            }
        }
        match &mark {
            Some(mark) if mark.seq > entries_ok => fail(
                entries_ok + 1,
                format!(
                    "the log ends at entry {entries_ok}, but its high-water mark is entry {} (entries removed from the end)",
                    mark.seq
                ),
            ),
            Some(mark) if chain_at.get(&mark.seq) != Some(&mark.hash) => fail(
                mark.seq,
                "the chain no longer matches its high-water mark (rewritten)".into(),
            ),
            None if entries_ok > 0 => fail(
                entries_ok,
                "the high-water mark is missing from the key-value store: entries cut from the end could not be noticed".into(),
            ),
            _ => {}
        }
    }

    Ok(Verification {
        valid: broken.is_none(),
        entries: entries_ok,
        checkpoints: sealed.len() as i64,
        checkpoint_key_configured: key.is_some(),
        last_hash: link.hash,
        high_water_mark: mark.map(|m| m.seq),
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

const COLUMNS: &str = "l.seq AS seq, at, subject, role, operation, record_type, record_id, reason_code, reason_text, recipient, outcome, prev_hash, hash, digest, c.case_id AS case_id, credential, mac";
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
                    credential: r.optional_text("credential")?,
                },
                prev_hash: r.text("prev_hash")?,
                hash: r.text("hash")?,
                mac: r.optional_text("mac")?,
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

/// The MAC over an export's extent.
pub fn export_mac(
    key: &[u8],
    from: &str,
    to: &str,
    first: i64,
    last: i64,
    last_hash: &str,
) -> String {
    hmac_hex(
        key,
        EXPORT_DOMAIN,
        &format!("{from}:{to}:{first}:{last}:{last_hash}"),
    )
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
            credential: None,
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
        let credentials = [
            Access {
                credential: Some("ab".into()),
                ..access("a")
            },
            Access {
                credential: Some("ab".into()),
                case_id: Some("ab".into()),
                ..access("a")
            },
            Access {
                credential: Some("cd".into()),
                ..access("a")
            },
        ];
        let mut all: std::collections::HashSet<String> = hashes.into_iter().collect();
        for a in &credentials {
            assert!(all.insert(entry_hash(GENESIS, 1, a)), "{a:?}");
        }
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
    fn the_high_water_mark_is_raised_at_most_once_a_second_and_never_lowered() {
        use crate::access::authentication::MemoryKeyValue;
        let db = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrations::migrate(&db).unwrap();
        let kv = MemoryKeyValue::default();
        let checkpoints = Checkpoints {
            key: Some(b"k".to_vec()),
            every: 100,
            high_water_seconds: 1,
        };
        let raise = |seq, now| HighWater::raise(&db, &kv, &checkpoints, seq, "h", now).unwrap();
        assert!(raise(1, 1000), "the first mark");
        assert!(!raise(2, 1000), "within the second");
        assert!(raise(3, 1001), "a second later");
        assert!(!raise(2, 1005), "never lowered");
        let mark = HighWater::read(&kv).unwrap().unwrap();
        assert_eq!((mark.seq, mark.at), (3, 1001));
        assert!(mark.is_valid(b"k") && !mark.is_valid(b"other"));
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
