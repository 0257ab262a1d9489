-- Risk assessments (DASH, the S-DASH screening, and any instrument added later), supervisors' reviews,
-- and the referrals to MASH and MARAC they make due.
CREATE TABLE IF NOT EXISTS risk_assessments (
    id                        TEXT PRIMARY KEY,
    case_id                   TEXT NOT NULL REFERENCES cases (id),
    instrument_id             TEXT NOT NULL,
    instrument_version        TEXT NOT NULL,
    purpose                   TEXT NOT NULL CHECK (purpose IN ('risk', 'stalking-screening')),
    assessed_at               TEXT NOT NULL,
    assessed_by               TEXT NOT NULL,
    answers                   TEXT NOT NULL,   -- JSON, as given
    judgement                 TEXT,            -- JSON {level, rationale}
    evaluation                TEXT NOT NULL,   -- JSON: the result and every rule that fired, as computed then
    level                     TEXT CHECK (level IN ('standard', 'medium', 'high')),  -- NULL for a screening
    review_by                 TEXT NOT NULL,
    supervisor_review_due_at  TEXT              -- when a supervisor's review is required
);
CREATE INDEX IF NOT EXISTS risk_assessments_by_case ON risk_assessments (case_id, assessed_at);

CREATE TABLE IF NOT EXISTS risk_reviews (
    id              TEXT PRIMARY KEY,
    assessment_id   TEXT NOT NULL REFERENCES risk_assessments (id),
    reviewed_at     TEXT NOT NULL,
    reviewed_by     TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('agreed', 'raised')),
    level           TEXT CHECK (level IN ('standard', 'medium', 'high')),
    rationale       TEXT NOT NULL,
    next_review_by  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS risk_reviews_by_assessment ON risk_reviews (assessment_id, reviewed_at);

-- An assessment and its reviews are records of what was judged then: never changed.
CREATE TRIGGER IF NOT EXISTS risk_assessments_unchanged BEFORE UPDATE ON risk_assessments
BEGIN SELECT RAISE(ABORT, 'risk assessments are not changed: record a review or a new assessment'); END;
CREATE TRIGGER IF NOT EXISTS risk_assessments_kept BEFORE DELETE ON risk_assessments
BEGIN SELECT RAISE(ABORT, 'risk assessments are kept'); END;
CREATE TRIGGER IF NOT EXISTS risk_reviews_unchanged BEFORE UPDATE ON risk_reviews
BEGIN SELECT RAISE(ABORT, 'reviews are not changed'); END;
CREATE TRIGGER IF NOT EXISTS risk_reviews_kept BEFORE DELETE ON risk_reviews
BEGIN SELECT RAISE(ABORT, 'reviews are kept'); END;

CREATE TABLE IF NOT EXISTS referrals (
    id               TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL REFERENCES cases (id),
    assessment_id    TEXT NOT NULL REFERENCES risk_assessments (id),
    agency           TEXT NOT NULL,       -- mash, marac, or what the force's policy names
    recipient        TEXT NOT NULL,       -- the partner system that receives it
    criteria         TEXT NOT NULL,       -- JSON array
    level            TEXT,
    status           TEXT NOT NULL CHECK (status IN ('due', 'sent', 'acknowledged')),
    created_at       TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    sent_at          TEXT,
    sent_by          TEXT,
    sharing          TEXT,                -- JSON: the information-sharing decision and its reasons
    package          TEXT,                -- JSON: exactly what was shared, fixed when sent
    acknowledged_at  TEXT,
    acknowledged_by  TEXT
);
CREATE INDEX IF NOT EXISTS referrals_by_case ON referrals (case_id, agency, created_at);
CREATE INDEX IF NOT EXISTS referrals_open ON referrals (status, due_at);
CREATE INDEX IF NOT EXISTS referrals_by_recipient ON referrals (recipient, status, sent_at);
