-- Lists and reports bounded by SQL: what they filter on is stored or indexed, so a page costs a LIMIT,
-- not a pass over every record.

-- A case's linked cases: the cases sharing a suspect's link key, counted and listed from the index alone.
CREATE INDEX IF NOT EXISTS suspects_by_link_case ON suspects (link_key, case_id);
DROP INDEX IF EXISTS suspects_by_link;

-- A search's compliance status, stored so the list can filter and page by it in SQL (src/search_records.rs).
-- The status is worked out by the rules in src/searches.rs, which depend on the record, its case, the
-- force's return limit and the day: so it is stored with the day from which it may read differently
-- (`compliance_stale_on`) and the return limit it was worked out with. '' means "to work out": the
-- default, so every existing row is filled in by the first list that filters by status (the rules are
-- Rust and the limit a runtime setting: SQL alone cannot fill them in here).
ALTER TABLE searches ADD COLUMN compliance_status TEXT
    CHECK (compliance_status IN ('compliant', 'in-progress', 'non-compliant'));
ALTER TABLE searches ADD COLUMN compliance_stale_on TEXT NOT NULL DEFAULT '';
ALTER TABLE searches ADD COLUMN compliance_return_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS searches_by_compliance ON searches (compliance_status, searched_on, id);
CREATE INDEX IF NOT EXISTS searches_compliance_stale ON searches (compliance_return_days, compliance_stale_on);

-- Whatever can change a search's compliance marks it to be worked out again: a new version of the record,
-- any change to its case (the crime decision), a new occurrence on its case (what the facts indicate).
CREATE TRIGGER IF NOT EXISTS searches_recheck_on_amendment AFTER INSERT ON search_versions
BEGIN UPDATE searches SET compliance_stale_on = '' WHERE id = NEW.search_id; END;
CREATE TRIGGER IF NOT EXISTS searches_recheck_on_case_change AFTER UPDATE ON cases
BEGIN UPDATE searches SET compliance_stale_on = '' WHERE case_id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS searches_recheck_on_occurrence AFTER INSERT ON occurrences
BEGIN UPDATE searches SET compliance_stale_on = '' WHERE case_id = NEW.case_id; END;

-- The overdue list walks current assessments in review-date order and stops at its LIMIT.
CREATE INDEX IF NOT EXISTS risk_assessments_by_review ON risk_assessments (review_by);
CREATE INDEX IF NOT EXISTS risk_assessments_current ON risk_assessments (case_id, purpose, assessed_at, id);
