//! Verification of the whole log: the chain from the first entry, every MAC, every checkpoint, and the
//! signed high-water mark.

use super::chain::{GENESIS, Link, checkpoint_mac, mac_matches};
use super::queue::{QueueState, state};
use super::store::{COLUMNS, FROM, entries, load_checkpoints};
use super::{Checkpoints, HighWater};
use crate::access::authentication::KeyValue;
use crate::sql::{Sql, SqlError};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// Entries queued and not yet chained, and queued entries refused (forged or replayed: the log
    /// is not valid while there are any).
    pub queue: QueueState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

pub(super) const PAGE: i64 = 1000;

/// Recomputes the whole chain from the first entry, checks every entry's MAC, every checkpoint, and
/// that the log reaches its signed high-water mark; and reports the queue (seal it first: see
/// [`super::seal`]).
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

    let queue = state(db)?;
    Ok(Verification {
        valid: broken.is_none() && queue.refused == 0,
        entries: entries_ok,
        checkpoints: sealed.len() as i64,
        checkpoint_key_configured: key.is_some(),
        last_hash: link.hash,
        high_water_mark: mark.map(|m| m.seq),
        first_broken: broken,
        queue,
    })
}
