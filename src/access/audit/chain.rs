//! The log's rules, apart from storage: the canonical encoding of an entry, its hash and MACs, and the
//! walk along the chain that checks one entry after another.

use super::{Access, Entry};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(super) const ENTRY_DOMAIN: &[u8] = b"stalking-response/access-log/v1\n";

pub(super) const CHECKPOINT_DOMAIN: &[u8] = b"stalking-response/access-log-checkpoint/v1\n";

pub(super) const ENTRY_MAC_DOMAIN: &[u8] = b"stalking-response/access-log-entry/v1\n";

pub(super) const QUEUED_MAC_DOMAIN: &[u8] = b"stalking-response/access-log-queued/v1\n";

pub(super) const HIGH_WATER_DOMAIN: &[u8] = b"stalking-response/access-log-high-water/v1\n";

pub(super) const EXPORT_DOMAIN: &[u8] = b"stalking-response/access-log-export/v1\n";

/// Netstring-style canonical encoding: every field length-prefixed, in a fixed order, so no two
/// different entries encode the same. The digest and the case id, added later, are encoded only when
/// present, so entries written before them keep their hashes: the digest (or, when a later field is
/// present, the absent marker) is the twelfth field, the case id (likewise) the thirteenth, the
/// credential the fourteenth and the nonce of the queued entry it was chained from the fifteenth.
pub(super) fn canonical(seq: i64, a: &Access) -> Vec<u8> {
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
    // Later fields, encoded up to the last one present (an absent one before it as the marker).
    let absent = "\u{0}";
    let later = [
        a.digest.as_deref(),
        a.case_id.as_deref(),
        a.credential.as_deref(),
        a.nonce.as_deref(),
    ];
    let present = later.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    for field in &later[..present] {
        let field = field.unwrap_or(absent);
        out.extend_from_slice(format!("{}:{field},", field.len()).as_bytes());
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

pub(super) fn hmac_hex(key: &[u8], domain: &[u8], message: &str) -> String {
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

/// A queued entry's MAC, over its canonical encoding (with its nonce, and no number yet): whoever
/// lacks the key cannot queue an entry that a sealing pass will chain.
pub fn queued_mac(key: &[u8], access: &Access) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(QUEUED_MAC_DOMAIN);
    mac.update(&canonical(0, access));
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of a stored MAC with the one expected.
pub(super) fn mac_matches(stored: &str, expected: &str) -> bool {
    crate::access::auth::secrets_equal(stored, expected)
}

/// Where a walk along the chain has reached: the next entry expected, and the hash it must follow.
pub(super) struct Link {
    pub(super) seq: i64,
    pub(super) hash: String,
}

impl Link {
    /// Checks that `entry` is the next one, follows the chain, matches its hash, and (with a key)
    /// carries a valid MAC — required after `legacy_until`. Moves on to it.
    pub(super) fn follow(
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
