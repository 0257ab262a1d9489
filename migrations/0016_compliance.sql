-- Protocol compliance per case (issue #16 point 1): one row per case holding the facts the checks are
-- worked out from (src/compliance/). The rows hold facts copied or aggregated from the records — times,
-- counts, flags —, never a check's status: the rules, and what is pending until when, are decided in
-- Rust at read time. The triggers below keep each row in the same transaction as the write that
-- changes its facts, whichever path writes it, so the force list and the summary read one narrow table.
CREATE TABLE IF NOT EXISTS case_compliance (
    case_id                   TEXT PRIMARY KEY REFERENCES cases (id),
    incident_reference        TEXT NOT NULL,
    reported_at               TEXT NOT NULL,
    decision_due_at           TEXT NOT NULL,
    domestic_abuse            INTEGER NOT NULL,
    status                    TEXT NOT NULL,
    principal_classification  TEXT,
    included_classifications  TEXT,                 -- JSON array, as on the case
    decision_reason_given     INTEGER NOT NULL DEFAULT 0,
    decided_at                TEXT,
    last_occurrence_at        TEXT,                 -- the latest occurrence's recorded_at
    first_risk_at             TEXT,                 -- the first assessment with purpose `risk` (DASH)
    first_screening_at        TEXT,                 -- the first stalking screening (S-DASH)
    last_risk_activity_at     TEXT,                 -- the latest assessment or supervisor's review
    review_due_at             TEXT,                 -- MIN over assessments of (supervisor review due, or review date)
    first_review_at           TEXT,                 -- the first supervisor's review
    pins_pending              INTEGER NOT NULL DEFAULT 0,
    pin_authorised_at         TEXT,                 -- the first PIN authorised
    s2b_applied_on            TEXT,                 -- the first search record under PHA s.2B (its date)
    orders                    INTEGER NOT NULL DEFAULT 0,   -- SPOs and restraining orders
    order_with_views_at       TEXT                  -- the first of them recorded with the victim's views
);
-- The force list and the summary walk the cases reported in a period, in report order.
CREATE INDEX IF NOT EXISTS case_compliance_by_report ON case_compliance (reported_at, case_id);

-- Cases: the row is made with the case and follows its decision.
CREATE TRIGGER IF NOT EXISTS case_compliance_case AFTER INSERT ON cases
BEGIN
    INSERT OR IGNORE INTO case_compliance (case_id, incident_reference, reported_at, decision_due_at,
        domestic_abuse, status, principal_classification, included_classifications, decision_reason_given,
        decided_at)
    VALUES (NEW.id, NEW.incident_reference, NEW.reported_at, NEW.decision_due_at, NEW.domestic_abuse,
        NEW.status, NEW.principal_classification, NEW.included_classifications,
        COALESCE(length(trim(NEW.decision_reason)), 0) > 0, NEW.decided_at);
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_decision
AFTER UPDATE OF status, principal_classification, included_classifications, decision_reason, decided_at,
    decision_due_at, domestic_abuse ON cases
BEGIN
    UPDATE case_compliance SET status = NEW.status, principal_classification = NEW.principal_classification,
        included_classifications = NEW.included_classifications,
        decision_reason_given = COALESCE(length(trim(NEW.decision_reason)), 0) > 0,
        decided_at = NEW.decided_at, decision_due_at = NEW.decision_due_at, domestic_abuse = NEW.domestic_abuse
    WHERE case_id = NEW.id;
END;

-- Occurrences are only ever added.
CREATE TRIGGER IF NOT EXISTS case_compliance_occurrence AFTER INSERT ON occurrences
BEGIN
    UPDATE case_compliance SET last_occurrence_at = max(COALESCE(last_occurrence_at, ''), NEW.recorded_at)
    WHERE case_id = NEW.case_id;
END;

-- Assessments and reviews are never changed or removed (0004's triggers), so inserts keep these.
CREATE TRIGGER IF NOT EXISTS case_compliance_assessment AFTER INSERT ON risk_assessments
BEGIN
    UPDATE case_compliance SET
        -- iif, not CASE: the migration runner splits a trigger's body at its END (src/migrations.rs).
        first_risk_at = iif(NEW.purpose = 'risk',
            min(COALESCE(first_risk_at, NEW.assessed_at), NEW.assessed_at), first_risk_at),
        first_screening_at = iif(NEW.purpose = 'stalking-screening',
            min(COALESCE(first_screening_at, NEW.assessed_at), NEW.assessed_at), first_screening_at),
        last_risk_activity_at = max(COALESCE(last_risk_activity_at, ''), NEW.assessed_at),
        review_due_at = min(COALESCE(review_due_at, COALESCE(NEW.supervisor_review_due_at, NEW.review_by)),
                            COALESCE(NEW.supervisor_review_due_at, NEW.review_by))
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_review AFTER INSERT ON risk_reviews
BEGIN
    UPDATE case_compliance SET
        first_review_at = min(COALESCE(first_review_at, NEW.reviewed_at), NEW.reviewed_at),
        last_risk_activity_at = max(COALESCE(last_risk_activity_at, ''), NEW.reviewed_at)
    WHERE case_id = (SELECT case_id FROM risk_assessments WHERE id = NEW.assessment_id);
END;

-- PINs: requested, then decided in place; counted again from the case's PINs (pins_by_case).
CREATE TRIGGER IF NOT EXISTS case_compliance_pin AFTER INSERT ON pins
BEGIN
    UPDATE case_compliance SET
        pins_pending = (SELECT COUNT(*) FROM pins WHERE case_id = NEW.case_id AND status = 'pending'),
        pin_authorised_at = (SELECT MIN(decided_at) FROM pins WHERE case_id = NEW.case_id AND status = 'authorised')
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_pin_decision AFTER UPDATE OF status, decided_at ON pins
BEGIN
    UPDATE case_compliance SET
        pins_pending = (SELECT COUNT(*) FROM pins WHERE case_id = NEW.case_id AND status = 'pending'),
        pin_authorised_at = (SELECT MIN(decided_at) FROM pins WHERE case_id = NEW.case_id AND status = 'authorised')
    WHERE case_id = NEW.case_id;
END;

-- Search records: an amendment may change the power, the date, even the case; both cases are counted again.
CREATE TRIGGER IF NOT EXISTS case_compliance_search AFTER INSERT ON searches
BEGIN
    UPDATE case_compliance SET s2b_applied_on =
        (SELECT MIN(searched_on) FROM searches WHERE case_id = NEW.case_id AND power = 'pha-s2b-warrant')
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_search_amended AFTER UPDATE OF case_id, power, searched_on ON searches
BEGIN
    UPDATE case_compliance SET s2b_applied_on =
        (SELECT MIN(searched_on) FROM searches WHERE case_id = case_compliance.case_id AND power = 'pha-s2b-warrant')
    WHERE case_id IN (OLD.case_id, NEW.case_id);
END;

-- Orders: an SPO or restraining order, and whether it holds the victim's views (its terms may change
-- with a variation, so counted again from the case's orders, orders_by_case).
CREATE TRIGGER IF NOT EXISTS case_compliance_order AFTER INSERT ON orders
BEGIN
    UPDATE case_compliance SET
        orders = (SELECT COUNT(*) FROM orders WHERE case_id = NEW.case_id
                  AND kind IN ('stalking-protection-order', 'restraining-order')),
        order_with_views_at = (SELECT MIN(recorded_at) FROM orders WHERE case_id = NEW.case_id
                  AND kind IN ('stalking-protection-order', 'restraining-order')
                  AND length(trim(COALESCE(json_extract(terms, '$.victim_views'), ''))) > 0)
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS case_compliance_order_changed AFTER UPDATE OF terms, kind ON orders
BEGIN
    UPDATE case_compliance SET
        orders = (SELECT COUNT(*) FROM orders WHERE case_id = NEW.case_id
                  AND kind IN ('stalking-protection-order', 'restraining-order')),
        order_with_views_at = (SELECT MIN(recorded_at) FROM orders WHERE case_id = NEW.case_id
                  AND kind IN ('stalking-protection-order', 'restraining-order')
                  AND length(trim(COALESCE(json_extract(terms, '$.victim_views'), ''))) > 0)
    WHERE case_id = NEW.case_id;
END;

-- Cases recorded before this migration get their rows from their records, as the triggers would have
-- kept them.
INSERT OR IGNORE INTO case_compliance (case_id, incident_reference, reported_at, decision_due_at,
    domestic_abuse, status, principal_classification, included_classifications, decision_reason_given,
    decided_at, last_occurrence_at, first_risk_at, first_screening_at, last_risk_activity_at, review_due_at,
    first_review_at, pins_pending, pin_authorised_at, s2b_applied_on, orders, order_with_views_at)
SELECT c.id, c.incident_reference, c.reported_at, c.decision_due_at, c.domestic_abuse, c.status,
    c.principal_classification, c.included_classifications,
    COALESCE(length(trim(c.decision_reason)), 0) > 0, c.decided_at,
    (SELECT MAX(recorded_at) FROM occurrences o WHERE o.case_id = c.id),
    (SELECT MIN(assessed_at) FROM risk_assessments a WHERE a.case_id = c.id AND a.purpose = 'risk'),
    (SELECT MIN(assessed_at) FROM risk_assessments a WHERE a.case_id = c.id AND a.purpose = 'stalking-screening'),
    (SELECT MAX(at) FROM (SELECT assessed_at AS at FROM risk_assessments a WHERE a.case_id = c.id
                          UNION ALL
                          SELECT rv.reviewed_at FROM risk_reviews rv JOIN risk_assessments a ON a.id = rv.assessment_id
                          WHERE a.case_id = c.id)),
    (SELECT MIN(COALESCE(supervisor_review_due_at, review_by)) FROM risk_assessments a WHERE a.case_id = c.id),
    (SELECT MIN(rv.reviewed_at) FROM risk_reviews rv JOIN risk_assessments a ON a.id = rv.assessment_id
     WHERE a.case_id = c.id),
    (SELECT COUNT(*) FROM pins p WHERE p.case_id = c.id AND p.status = 'pending'),
    (SELECT MIN(decided_at) FROM pins p WHERE p.case_id = c.id AND p.status = 'authorised'),
    (SELECT MIN(searched_on) FROM searches s WHERE s.case_id = c.id AND s.power = 'pha-s2b-warrant'),
    (SELECT COUNT(*) FROM orders r WHERE r.case_id = c.id
     AND r.kind IN ('stalking-protection-order', 'restraining-order')),
    (SELECT MIN(recorded_at) FROM orders r WHERE r.case_id = c.id
     AND r.kind IN ('stalking-protection-order', 'restraining-order')
     AND length(trim(COALESCE(json_extract(r.terms, '$.victim_views'), ''))) > 0)
FROM cases c;
