-- Accesses logged but not yet chained (src/access/audit/queue.rs). A request writes its entries here in
-- one statement, inside the transaction that does the work (a read: alone, before the response), and
-- does not read the chain's head: so the write lock is held for one statement, not across the round trips
-- that reading the head, hashing and inserting took. A sealing pass (every so many entries, when the
-- high-water mark is due, and before the log is listed, exported or verified) chains the queued entries
-- into access_log, oldest first, and deletes them here, in one transaction.
CREATE TABLE IF NOT EXISTS access_log_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce        TEXT NOT NULL,           -- 128 random bits: the entry is chained once, never replayed
    at           TEXT NOT NULL,
    subject      TEXT NOT NULL,
    role         TEXT NOT NULL,
    operation    TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    reason_code  TEXT NOT NULL,
    reason_text  TEXT,
    recipient    TEXT,
    outcome      TEXT NOT NULL,
    digest       TEXT,
    case_id      TEXT,
    credential   TEXT,
    mac          TEXT,                    -- HMAC of the entry and its nonce under the key (none without one)
    rejected     TEXT                     -- why a sealing pass refused it (forged, replayed): kept as evidence
);
-- No index beyond the id: refused entries are rare, so the waiting ones are found in id order, and every
-- index is one more page written for each entry queued and each chained.

-- The queued entry an entry came from (inside its hash, so it cannot be changed to let a copy through).
ALTER TABLE access_log ADD COLUMN nonce TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS access_log_by_nonce ON access_log (nonce) WHERE nonce IS NOT NULL;

-- A sealing pass only deletes what it chained and marks what it refused; the trigger stops a bug from
-- changing a queued entry.
CREATE TRIGGER IF NOT EXISTS access_log_queue_unchanged
BEFORE UPDATE OF id, nonce, at, subject, role, operation, record_type, record_id, reason_code, reason_text,
    recipient, outcome, digest, case_id, credential, mac ON access_log_queue
BEGIN SELECT RAISE(ABORT, 'queued access-log entries are not changed'); END;
