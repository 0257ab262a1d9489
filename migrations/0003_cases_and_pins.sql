-- The minimum of a case that the Police Information Notice control needs; intake extends it.
CREATE TABLE IF NOT EXISTS cases (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    summary     TEXT NOT NULL,
    stalking    INTEGER NOT NULL CHECK (stalking IN (0, 1)),  -- flagged as stalking
    occasions   INTEGER NOT NULL CHECK (occasions >= 1)       -- occasions of unwanted conduct so far
);

-- The PIN register: every request, whether refused at once or decided by a superintendent.
CREATE TABLE IF NOT EXISTS pins (
    id                 TEXT PRIMARY KEY,
    case_id            TEXT NOT NULL REFERENCES cases (id),
    requested_at       TEXT NOT NULL,
    requested_by       TEXT NOT NULL,
    grounds            TEXT NOT NULL,
    recipient_account  TEXT NOT NULL,     -- the recipient's account, which the notice process must hear
    status             TEXT NOT NULL CHECK (status IN ('refused', 'pending', 'authorised', 'declined')),
    refusal_reason     TEXT,
    decided_at         TEXT,
    decided_by         TEXT,
    rationale          TEXT
);
CREATE INDEX IF NOT EXISTS pins_by_case ON pins (case_id);
CREATE INDEX IF NOT EXISTS pins_by_status ON pins (status, requested_at);
