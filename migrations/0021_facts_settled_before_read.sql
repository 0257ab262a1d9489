-- The facts kept beside the records — compliance's (0016, 0018, 0020), retention's group and clear
-- period (0017), the profile's rows per decided case and per person and month (0019) — were kept by 36
-- triggers. On Spin every
-- request opens the database afresh and SQLite parses the whole schema at its first statement, so every
-- request, reads included, paid to parse them (README, "What the schema costs every request"); and
-- running that SQL inside each write, prepared afresh each time, holds the write lock longer.
--
-- Now a write only marks the cases it touched, by one small trigger per kind of write, whatever path
-- writes. The facts of every marked case are worked out again from its records, in one transaction,
-- before anything reads them (src/facts.rs): by each reader of the facts, and by a seeding batch.
DROP TRIGGER IF EXISTS case_compliance_case;
DROP TRIGGER IF EXISTS case_compliance_decision;
DROP TRIGGER IF EXISTS case_compliance_occurrence;
DROP TRIGGER IF EXISTS case_compliance_assessment;
DROP TRIGGER IF EXISTS case_compliance_review;
DROP TRIGGER IF EXISTS case_compliance_pin;
DROP TRIGGER IF EXISTS case_compliance_pin_decision;
DROP TRIGGER IF EXISTS case_compliance_search;
DROP TRIGGER IF EXISTS case_compliance_search_amended;
DROP TRIGGER IF EXISTS case_compliance_order;
DROP TRIGGER IF EXISTS case_compliance_order_changed;
DROP TRIGGER IF EXISTS case_compliance_consideration;
DROP TRIGGER IF EXISTS case_compliance_safety_plan;
DROP TRIGGER IF EXISTS case_compliance_entitlement;
DROP TRIGGER IF EXISTS case_compliance_entitlement_changed;
DROP TRIGGER IF EXISTS case_compliance_entitlement_erased;
DROP TRIGGER IF EXISTS case_compliance_victim_update;
DROP TRIGGER IF EXISTS case_compliance_victim_update_given;
DROP TRIGGER IF EXISTS retention_new_case;
DROP TRIGGER IF EXISTS retention_case_changed;
DROP TRIGGER IF EXISTS retention_occurrence;
DROP TRIGGER IF EXISTS retention_assessment;
DROP TRIGGER IF EXISTS retention_assessment_review;
DROP TRIGGER IF EXISTS retention_order_changed;
DROP TRIGGER IF EXISTS retention_order_history;
DROP TRIGGER IF EXISTS retention_pin;
DROP TRIGGER IF EXISTS retention_pin_decided;
DROP TRIGGER IF EXISTS retention_search;
DROP TRIGGER IF EXISTS profile_decision;
DROP TRIGGER IF EXISTS profile_assessment;
DROP TRIGGER IF EXISTS profile_review;
DROP TRIGGER IF EXISTS profile_decision_people;
DROP TRIGGER IF EXISTS profile_appearance;
DROP TRIGGER IF EXISTS profile_appearance_moved;
DROP TRIGGER IF EXISTS profile_serial;
DROP TRIGGER IF EXISTS profile_people_change;
DROP VIEW IF EXISTS profile_people_changes;
DROP VIEW IF EXISTS profile_repeats;

-- The cases whose facts are to be worked out again before they are next read.
CREATE TABLE IF NOT EXISTS facts_pending (case_id TEXT PRIMARY KEY) WITHOUT ROWID;
-- And the people whose rows in the profile are to be worked out again besides those of the cases above:
-- one moved off a case by a supervisor's split, and a suspect whose count of victims changed.
CREATE TABLE IF NOT EXISTS facts_pending_people (person_id TEXT PRIMARY KEY) WITHOUT ROWID;

-- The writes that change a case's facts, each marking its case. (`ON CONFLICT DO NOTHING`, not
-- `INSERT OR IGNORE`: an upsert's conflict policy overrides a trigger's `OR IGNORE`.)
CREATE TRIGGER IF NOT EXISTS facts_case_reported AFTER INSERT ON cases
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_case_changed AFTER UPDATE ON cases
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_occurrence AFTER INSERT ON occurrences
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_assessment AFTER INSERT ON risk_assessments
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_review AFTER INSERT ON risk_reviews
BEGIN INSERT INTO facts_pending (case_id)
    SELECT case_id FROM risk_assessments WHERE id = NEW.assessment_id ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_pin AFTER INSERT ON pins
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_pin_decided AFTER UPDATE OF status, decided_at ON pins
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_search AFTER INSERT ON searches
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
-- An amendment may move a search record to another case: both cases.
CREATE TRIGGER IF NOT EXISTS facts_search_amended AFTER UPDATE OF case_id, power, searched_on ON searches
BEGIN INSERT INTO facts_pending (case_id) VALUES (OLD.case_id), (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_search_version AFTER INSERT ON search_versions
BEGIN INSERT INTO facts_pending (case_id)
    SELECT case_id FROM searches WHERE id = NEW.search_id ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_order AFTER INSERT ON orders
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_order_changed AFTER UPDATE ON orders
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_order_history AFTER INSERT ON order_history
BEGIN INSERT INTO facts_pending (case_id)
    SELECT case_id FROM orders WHERE id = NEW.order_id ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_consideration AFTER INSERT ON case_considerations
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_contact AFTER INSERT ON victim_contacts
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_care AFTER INSERT ON victim_care
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_care_changed AFTER UPDATE OF preferences ON victim_care
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_care_erased AFTER DELETE ON victim_care
BEGIN INSERT INTO facts_pending (case_id) VALUES (OLD.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_victim_update AFTER INSERT ON victim_updates
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_victim_update_given AFTER UPDATE OF given_at ON victim_updates
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_appearance AFTER INSERT ON appearances
BEGIN INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER IF NOT EXISTS facts_appearance_moved AFTER UPDATE OF person_id, category ON appearances
BEGIN
    INSERT INTO facts_pending (case_id) VALUES (NEW.case_id) ON CONFLICT DO NOTHING;
    INSERT INTO facts_pending_people (person_id) VALUES (OLD.person_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER IF NOT EXISTS facts_serial AFTER UPDATE OF victims ON people
BEGIN INSERT INTO facts_pending_people (person_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
