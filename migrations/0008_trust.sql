-- Trust (issue #12): failed sign-ins counted atomically with an expiry, and an access log whose every
-- entry names the credential used and carries a MAC under the force's key.

-- Failed authentications per address and per token prefix (both stored only as SHA-256 hashes). One
-- upsert counts a failure atomically; a count lives one window (`expires_at`, Unix seconds) and expired
-- rows are purged as new failures arrive.
CREATE TABLE IF NOT EXISTS auth_failures (
    key         TEXT    PRIMARY KEY,
    failures    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_failures_by_expiry ON auth_failures (expires_at);

-- The credential (token id, `bootstrap`, or none for an anonymous refusal) behind each entry, so the log
-- tells an officer from someone holding another token in their name; and the entry's HMAC under
-- `audit_checkpoint_key`, so no entry can be forged or altered without the key (src/access/audit/).
ALTER TABLE access_log ADD COLUMN credential TEXT;
ALTER TABLE access_log ADD COLUMN mac TEXT;
-- Entries written before this migration have no MAC; checkpoints cover them. The boundary is copied
-- into the signed high-water mark when that is first written, so it cannot be moved afterwards.
CREATE TABLE IF NOT EXISTS access_log_legacy (until INTEGER NOT NULL);
INSERT INTO access_log_legacy (until) SELECT COALESCE(MAX(seq), 0) FROM access_log;

-- Stored idempotent responses hold the records they created: purged after a retention period.
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);

-- Tokens for the most powerful roles (admin, superintendent, partner) are issued only once a second
-- admin approves the request (src/access/tokens.rs).
CREATE TABLE IF NOT EXISTS token_requests (
    id               TEXT    PRIMARY KEY,
    subject          TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    force            TEXT    NOT NULL,
    expires_in_days  INTEGER NOT NULL,
    requested_by     TEXT    NOT NULL,
    requested_at     TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    decided_by       TEXT,
    decided_at       TEXT,
    token_id         TEXT
);
CREATE INDEX IF NOT EXISTS token_requests_by_status ON token_requests (status, requested_at, id);
CREATE INDEX IF NOT EXISTS api_tokens_by_subject ON api_tokens (subject, force);
