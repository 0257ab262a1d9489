-- Access control and the access log (DPA 2018 s.62).

-- Bearer tokens, stored only as SHA-256 hashes.
CREATE TABLE IF NOT EXISTS api_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    subject     TEXT NOT NULL,            -- collar or staff number, or a partner system's name
    role        TEXT NOT NULL,
    force       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_by  TEXT NOT NULL
);

-- Append-only and hash-chained: see src/access/audit/.
CREATE TABLE IF NOT EXISTS access_log (
    seq          INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    subject      TEXT NOT NULL,
    role         TEXT NOT NULL,
    operation    TEXT NOT NULL,           -- collection, alteration, consultation, disclosure, combination, erasure
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    reason_code  TEXT NOT NULL,
    reason_text  TEXT,
    recipient    TEXT,
    outcome      TEXT NOT NULL,           -- allowed, denied
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_by_record ON access_log (record_type, record_id, seq);
CREATE INDEX IF NOT EXISTS access_log_by_subject ON access_log (subject, seq);

-- HMAC seals over the chain, keyed by a secret variable.
CREATE TABLE IF NOT EXISTS access_log_checkpoints (
    seq   INTEGER PRIMARY KEY,
    hash  TEXT NOT NULL,
    mac   TEXT NOT NULL,
    at    TEXT NOT NULL
);

-- The app never updates or deletes these rows; the triggers stop a bug from doing it. (They do not stop
-- someone with write access to the file: the hash chain and checkpoints catch that.)
CREATE TRIGGER IF NOT EXISTS access_log_append_only_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_append_only_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_update BEFORE UPDATE ON access_log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_delete BEFORE DELETE ON access_log_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
