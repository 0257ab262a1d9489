-- Victim care (issue #15 point 3; src/care/): the victim's contact preferences and safe contact
-- details, every contact with them (what was said, by whom, when), and the Victims' Code updates due
-- at key decisions. The updates the app can see for itself (the crime decision, an order's decisions)
-- are made due by triggers, in the transaction that records the decision, so no write path can forget
-- one; when each is due is worked out at read time from the force's policy (working days).
CREATE TABLE IF NOT EXISTS victim_care (
    case_id                TEXT PRIMARY KEY REFERENCES cases (id),
    version                INTEGER NOT NULL DEFAULT 1,   -- for If-Match: bumped by every change
    preferences            TEXT NOT NULL,                -- JSON: src/care/mod.rs `Preferences`
    updated_at             TEXT NOT NULL,
    updated_by             TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS victim_contacts (
    id                   TEXT PRIMARY KEY,
    case_id              TEXT NOT NULL REFERENCES cases (id),
    contacted_at         TEXT NOT NULL,       -- when the contact took place
    recorded_at          TEXT NOT NULL,
    recorded_by          TEXT NOT NULL,
    method               TEXT NOT NULL,
    summary              TEXT NOT NULL,       -- what was said
    personal_statement   TEXT,                -- offered, made, declined (the VPS)
    safety_plan_agreed   INTEGER NOT NULL CHECK (safety_plan_agreed IN (0, 1)),
    updates_given        TEXT NOT NULL        -- JSON array of victim_updates ids
);
CREATE INDEX IF NOT EXISTS victim_contacts_by_case ON victim_contacts (case_id, contacted_at, id);
CREATE TRIGGER IF NOT EXISTS victim_contacts_unchanged BEFORE UPDATE ON victim_contacts
BEGIN SELECT RAISE(ABORT, 'a contact with the victim is not changed: record another'); END;
CREATE TRIGGER IF NOT EXISTS victim_contacts_kept BEFORE DELETE ON victim_contacts
BEGIN SELECT RAISE(ABORT, 'contacts with the victim are kept'); END;

CREATE TABLE IF NOT EXISTS victim_updates (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    decision     TEXT NOT NULL,       -- src/care/mod.rs `KeyDecision`
    source_type  TEXT NOT NULL,       -- the record the decision is in: case, order, or key-decision (an officer's)
    source_id    TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    given_at     TEXT,                -- when the victim was told (the contact's time)
    contact_id   TEXT REFERENCES victim_contacts (id)
);
CREATE INDEX IF NOT EXISTS victim_updates_by_case ON victim_updates (case_id, decided_at, id);
-- Updates not yet given, oldest decision first: the force's overdue list reads a range of it.
CREATE INDEX IF NOT EXISTS victim_updates_open ON victim_updates (decided_at, id) WHERE given_at IS NULL;
-- Once given, an update stays given.
CREATE TRIGGER IF NOT EXISTS victim_updates_given_once BEFORE UPDATE ON victim_updates
WHEN OLD.given_at IS NOT NULL OR NEW.decision IS NOT OLD.decision OR NEW.decided_at IS NOT OLD.decided_at
  OR NEW.case_id IS NOT OLD.case_id
BEGIN SELECT RAISE(ABORT, 'a victim update, once given, is not changed'); END;

-- The crime decision (NCRS): recorded, or no crime, and any later change of it.
CREATE TRIGGER IF NOT EXISTS victim_update_on_crime_decision AFTER UPDATE OF status ON cases
WHEN NEW.status IS NOT OLD.status AND NEW.status IN ('recorded', 'no-crime')
BEGIN
    INSERT INTO victim_updates (id, case_id, decision, source_type, source_id, decided_at, recorded_by)
    VALUES (lower(hex(randomblob(16))), NEW.id,
            CASE NEW.status WHEN 'recorded' THEN 'crime-recorded' ELSE 'no-crime' END,
            'case', NEW.id, COALESCE(NEW.decided_at, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
            COALESCE(NEW.decided_by, 'app'));
END;

-- An order's decisions: the force's application, interim and full orders, refusal, variation, renewal,
-- discharge; a restraining order or bail conditions when recorded (they are recorded as made).
CREATE TRIGGER IF NOT EXISTS victim_update_on_order AFTER INSERT ON order_history
WHEN NEW.type IN ('recorded', 'interim-made', 'made', 'refused', 'varied', 'renewed', 'discharged')
BEGIN
    INSERT INTO victim_updates (id, case_id, decision, source_type, source_id, decided_at, recorded_by)
    SELECT lower(hex(randomblob(16))), o.case_id,
           CASE NEW.type
               WHEN 'recorded' THEN CASE o.kind
                   WHEN 'stalking-protection-order' THEN 'order-applied'
                   WHEN 'restraining-order' THEN 'restraining-order-made'
                   ELSE 'bail-conditions' END
               WHEN 'interim-made' THEN 'interim-order-made'
               WHEN 'made' THEN 'order-made'
               WHEN 'refused' THEN 'order-refused'
               WHEN 'varied' THEN 'order-varied'
               WHEN 'renewed' THEN 'order-renewed'
               ELSE 'order-discharged' END,
           'order', o.id, NEW.recorded_at, NEW.recorded_by
    FROM orders o WHERE o.id = NEW.order_id;
END;

-- Decisions already made before this migration are not made due now: the updates they needed were
-- given (or not) outside the app, and an overdue list of them would be noise.

-- An officer's own cases, for their list of actions.
CREATE INDEX IF NOT EXISTS cases_by_officer ON cases (reported_by, reported_at, id);
