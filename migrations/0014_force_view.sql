-- The force's view (issue #16): the problem profile's aggregates and the action plan's update trail.

-- The problem profile counts recorded offences by the month of their crime decision, by classification
-- and domestic abuse, and times each decision from the report: one covering index answers all of that
-- over a period without reading the cases' rows (src/profile/store.rs). It is kept by SQLite in the same
-- transaction as the crime decision that writes the row, so the profile is never behind the records.
CREATE INDEX IF NOT EXISTS cases_by_decision
    ON cases (status, decided_at, principal_classification, domestic_abuse, reported_at);
-- PINs requested in a period.
CREATE INDEX IF NOT EXISTS pins_by_request ON pins (requested_at, status);

-- The action plan: its workstreams and actions are a data file the force edits (plan/workstreams.json);
-- what happens to each action is this trail of dated updates, never changed or removed. An action's
-- status is its latest update's (or the file's, before any).
CREATE TABLE IF NOT EXISTS plan_updates (
    action_id  TEXT NOT NULL,            -- the action's id in the data file
    seq        INTEGER NOT NULL,         -- 1, 2, …: the action's version after this update is seq + 1
    at         TEXT NOT NULL,
    by         TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('red', 'amber', 'green', 'complete')),
    note       TEXT NOT NULL,
    PRIMARY KEY (action_id, seq)
);
CREATE TRIGGER IF NOT EXISTS plan_updates_unchanged BEFORE UPDATE ON plan_updates
BEGIN SELECT RAISE(ABORT, 'plan updates are never changed'); END;
CREATE TRIGGER IF NOT EXISTS plan_updates_kept BEFORE DELETE ON plan_updates
BEGIN SELECT RAISE(ABORT, 'plan updates are never removed'); END;
