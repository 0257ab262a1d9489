//! The signed high-water mark, in the key-value store: entries cut from the end of the log no longer
//! reach it.

use super::Checkpoints;
use super::chain::{HIGH_WATER_DOMAIN, hmac_hex, mac_matches};
use super::store::legacy_until;
use crate::access::authentication::KeyValue;
use crate::sql::Sql;
use serde::Serialize;

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

    pub(super) fn is_valid(&self, key: &[u8]) -> bool {
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
