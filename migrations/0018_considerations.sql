-- Why a power was not used (issue #16 point 1): the national protocol asks that the s.2B power of entry
-- be considered — applied for, or why not — and that orders be considered with the victim's views. A
-- decision not to apply is recorded here, with its reason (and, for an order, the victim's views), kept
-- as recorded; the case's compliance facts take the first of each by trigger, in the same transaction.
CREATE TABLE IF NOT EXISTS case_considerations (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    power         TEXT NOT NULL CHECK (power IN ('s2b-warrant', 'protective-order')),
    reason        TEXT NOT NULL,
    victim_views  TEXT,                 -- for an order: what the victim said
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_considerations_by_case ON case_considerations (case_id, recorded_at, id);
-- Kept as recorded, but for the erasure of a case disposed of under the retention policy.
CREATE TRIGGER IF NOT EXISTS case_considerations_unchanged BEFORE UPDATE ON case_considerations
WHEN NOT EXISTS (SELECT 1 FROM retention WHERE case_id = OLD.case_id AND disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'a consideration is not changed: record another'); END;
CREATE TRIGGER IF NOT EXISTS case_considerations_kept BEFORE DELETE ON case_considerations
BEGIN SELECT RAISE(ABORT, 'considerations are kept'); END;

ALTER TABLE case_compliance ADD COLUMN s2b_declined_at TEXT;     -- the first reason recorded for not applying
ALTER TABLE case_compliance ADD COLUMN orders_declined_at TEXT;  -- the first, with the victim's views

CREATE TRIGGER IF NOT EXISTS case_compliance_consideration AFTER INSERT ON case_considerations
BEGIN
    UPDATE case_compliance SET
        s2b_declined_at = CASE WHEN NEW.power = 's2b-warrant'
                               THEN COALESCE(s2b_declined_at, NEW.recorded_at) ELSE s2b_declined_at END,
        orders_declined_at = CASE WHEN NEW.power = 'protective-order'
                                  THEN COALESCE(orders_declined_at, NEW.recorded_at) ELSE orders_declined_at END
    WHERE case_id = NEW.case_id;
END;
