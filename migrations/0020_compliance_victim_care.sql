-- Victim care's facts on the compliance row (issue #16 point 5): the safety plan, the victim's Victims'
-- Code entitlement and the updates owed were looked up in victim care's tables for every case the force
-- list and the summary read (three lookups a case, 47% of a year's summary). The triggers below keep them
-- on `case_compliance` in the same transaction as each write to victim care, like the other facts
-- (0016). Still facts, never a status: when an update is due is worked out in Rust from the force's
-- policy at read time (src/compliance/store.rs).
ALTER TABLE case_compliance ADD COLUMN safety_plan_agreed_at TEXT;   -- the latest contact agreeing a plan
ALTER TABLE case_compliance ADD COLUMN victim_entitlement TEXT;      -- enhanced or standard; none: enhanced
ALTER TABLE case_compliance ADD COLUMN victim_updates TEXT NOT NULL DEFAULT '[]';  -- JSON [[decided_at, given_at]]

-- Contacts are only ever added (0015).
CREATE TRIGGER IF NOT EXISTS case_compliance_safety_plan AFTER INSERT ON victim_contacts
WHEN NEW.safety_plan_agreed = 1
BEGIN
    UPDATE case_compliance SET safety_plan_agreed_at = max(COALESCE(safety_plan_agreed_at, ''), NEW.contacted_at)
    WHERE case_id = NEW.case_id;
END;

-- The preferences: made, changed, or erased at a disposal.
CREATE TRIGGER IF NOT EXISTS case_compliance_entitlement AFTER INSERT ON victim_care
BEGIN
    UPDATE case_compliance SET victim_entitlement = json_extract(NEW.preferences, '$.entitlement')
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_entitlement_changed AFTER UPDATE OF preferences ON victim_care
BEGIN
    UPDATE case_compliance SET victim_entitlement = json_extract(NEW.preferences, '$.entitlement')
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_entitlement_erased AFTER DELETE ON victim_care
BEGIN
    UPDATE case_compliance SET victim_entitlement = NULL WHERE case_id = OLD.case_id;
END;

-- The updates owed: made due by a decision, then given once (0015), listed again from the case's updates.
CREATE TRIGGER IF NOT EXISTS case_compliance_victim_update AFTER INSERT ON victim_updates
BEGIN
    UPDATE case_compliance SET victim_updates =
        (SELECT json_group_array(json_array(decided_at, given_at)) FROM
            (SELECT decided_at, given_at FROM victim_updates WHERE case_id = NEW.case_id ORDER BY decided_at, id))
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_victim_update_given AFTER UPDATE OF given_at ON victim_updates
BEGIN
    UPDATE case_compliance SET victim_updates =
        (SELECT json_group_array(json_array(decided_at, given_at)) FROM
            (SELECT decided_at, given_at FROM victim_updates WHERE case_id = NEW.case_id ORDER BY decided_at, id))
    WHERE case_id = NEW.case_id;
END;

-- Cases with victim care before this migration get the facts from their records.
UPDATE case_compliance SET
    safety_plan_agreed_at = (SELECT MAX(v.contacted_at) FROM victim_contacts v
                             WHERE v.case_id = case_compliance.case_id AND v.safety_plan_agreed = 1),
    victim_entitlement = (SELECT json_extract(c.preferences, '$.entitlement') FROM victim_care c
                          WHERE c.case_id = case_compliance.case_id),
    victim_updates = COALESCE((SELECT json_group_array(json_array(decided_at, given_at)) FROM
            (SELECT decided_at, given_at FROM victim_updates u WHERE u.case_id = case_compliance.case_id
             ORDER BY decided_at, id)), '[]')
WHERE case_id IN (SELECT case_id FROM victim_contacts UNION SELECT case_id FROM victim_care
                  UNION SELECT case_id FROM victim_updates);
