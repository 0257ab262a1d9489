-- Cases as courses of conduct: one victim, one or more suspects, the occurrences, and the crime decision
-- due within 24 hours of the report (NCRS).
CREATE TABLE IF NOT EXISTS cases (
    id                         TEXT PRIMARY KEY,
    version                    INTEGER NOT NULL DEFAULT 1,   -- for If-Match: bumped by every change
    incident_reference         TEXT NOT NULL UNIQUE,         -- the auditable incident, from the moment of report
    reported_at                TEXT NOT NULL,                -- the server's time of report
    reported_by                TEXT NOT NULL,
    relationship               TEXT NOT NULL,
    domestic_abuse             INTEGER NOT NULL CHECK (domestic_abuse IN (0, 1)),
    victim_name                TEXT NOT NULL,
    victim_date_of_birth       TEXT,
    four_fixated               INTEGER NOT NULL,
    four_obsessive             INTEGER NOT NULL,
    four_unwanted              INTEGER NOT NULL,
    four_repeated              INTEGER NOT NULL,
    serious_alarm_or_distress  INTEGER NOT NULL,
    decision_due_at            TEXT NOT NULL,
    status                     TEXT NOT NULL CHECK (status IN ('awaiting-decision', 'recorded', 'no-crime')),
    crime_reference            TEXT UNIQUE,
    principal_classification   TEXT,
    included_classifications   TEXT,                         -- JSON array
    decision_reason            TEXT,                         -- no-crime reasons, or why stalking was ruled out
    decided_at                 TEXT,
    decided_by                 TEXT
);
CREATE INDEX IF NOT EXISTS cases_by_report ON cases (reported_at, id);
CREATE INDEX IF NOT EXISTS cases_awaiting ON cases (status, decision_due_at);

CREATE TABLE IF NOT EXISTS suspects (
    case_id        TEXT NOT NULL REFERENCES cases (id),
    position       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    date_of_birth  TEXT,
    police_id      TEXT,
    link_key       TEXT,                  -- the same suspect across cases (src/intake.rs)
    PRIMARY KEY (case_id, position)
);
CREATE INDEX IF NOT EXISTS suspects_by_link ON suspects (link_key);

CREATE TABLE IF NOT EXISTS occurrences (
    case_id           TEXT NOT NULL REFERENCES cases (id),
    number            INTEGER NOT NULL,
    recorded_at       TEXT NOT NULL,
    recorded_by       TEXT NOT NULL,
    occurred_from     TEXT NOT NULL,
    occurred_to       TEXT,
    location          TEXT NOT NULL,
    channel           TEXT NOT NULL,
    behaviours        TEXT NOT NULL,      -- JSON array
    description       TEXT NOT NULL,
    fear_of_violence  INTEGER NOT NULL,
    breach_of_order   INTEGER NOT NULL,
    PRIMARY KEY (case_id, number)
);

-- Incident and crime reference numbers: one counter per kind, force and year, only ever incremented,
-- so no number is reused.
CREATE TABLE IF NOT EXISTS reference_counters (
    kind   TEXT NOT NULL,                 -- incident, crime
    force  TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (kind, force, year)
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
