//! The access log (DPA 2018 s.62): every collection, alteration, consultation, disclosure, combination
//! and erasure of a personal record, with who (and with which credential), when, what and why.
//! Append-only and hash-chained: each entry's hash commits to the previous entry's hash and to the
//! entry's canonical encoding, and each entry carries an HMAC of its hash under the force's secret key,
//! so no entry can be forged, altered, removed or reordered without the key. Every `checkpoint_every`
//! entries a checkpoint seals the chain so far, after checking the stretch since the previous one; and
//! a signed high-water mark (the last entry's number and hash), kept in the key-value store, out of
//! reach of whoever can write the database, shows entries cut from the end.
//!
//! Requests queue their entries (`queue`) in one statement, and sealing passes chain them, so that no
//! request holds the write lock while reading the chain's head.
//!
//! By concern: `chain` holds the rules (the canonical encoding, hashes and MACs, and the walk along
//! the chain), `queue` queues entries and chains them, `store` appends, lists and exports entries in
//! SQLite, `high_water` keeps the signed high-water mark in the key-value store, and `verify` checks
//! the whole log against all of them.

mod chain;
mod high_water;
mod queue;
mod store;
mod verify;

pub use chain::{GENESIS, checkpoint_mac, entry_hash, entry_mac, export_mac, queued_mac};
pub use high_water::{HIGH_WATER_KEY, HighWater};
pub use queue::{QueueState, Queued, SEAL_EVERY, Sealed, enqueue, seal};
pub use store::{
    Export, ExportSeal, Filter, MAX_EXPORT, SealedCheckpoint, append, append_all, export, list,
};
pub use verify::{Broken, Verification, verify};

use serde::Serialize;

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

crate::vocabulary! {
    /// The kinds of record the log names. (Entries written before this type existed may name others,
    /// such as `case-list`: the stored form stays text.)
    pub enum RecordType {
        Case,
        /// A person record (a nominal), linked to cases.
        Person,
        /// An order against a suspect (SPO, restraining order, bail conditions).
        Order,
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
        /// The force's action plan (issue #16): its actions and their updates.
        ActionPlan,
        /// A case's victim care: the victim's contact preferences and safe contact details.
        VictimCare,
        /// A contact with the victim (what was said, by whom, when).
        VictimContact,
        /// A Victims' Code update owed to the victim about a key decision.
        VictimUpdate,
        /// A decision not to apply for a power (a s.2B warrant, an order), with its reason.
        Consideration,
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
    /// The random id of the queued entry it was chained from (`queue`): set when queued, so that
    /// a queued entry is chained once and a copy of it never (none for entries chained directly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
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
            nonce: None,
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
            nonce: None,
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

/// How the log is protected: a secret key (none configured: no MACs, no checkpoints, and verify says
/// so), the checkpoint interval, and how often the high-water mark is raised at most.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    pub key: Option<Vec<u8>>,
    pub every: i64,
    /// Seconds between writes of the high-water mark (0: after every request that logs).
    pub high_water_seconds: i64,
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
            nonce: None,
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
