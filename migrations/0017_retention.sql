-- Retention under MoPI (issue #15 point 5; src/retention/): every case carries its review group and
-- the date its clear period runs from; a person's is worked out from their cases'. Reviews are recorded
-- (append-only), and a case disposed of keeps a tombstone: ids, references, dates and digests, no
-- personal data (src/retention/disposal.rs lists what is erased).

-- The rule that derives a case's group from its records, and the date of its last activity (the start
-- of its clear period). One place: the triggers below and the backfill read it. It is the same rule as
-- `retention::derive_group` in Rust (a storage test checks they agree):
--   group 1 (public protection): a Stalking Protection Order or interim SPO made, or a high risk level
--            (an assessment's, or raised to high by a supervisor's review);
--   group 2 (serious offences): a recorded crime of stalking (s.2A, s.4A, principal or included),
--            harassment with fear of violence (s.4), threats to kill, a sexual offence, assault or
--            controlling or coercive behaviour, or any recorded crime flagged domestic abuse;
--   group 3: everything else (harassment s.2 and other recorded crimes, no-crime, awaiting a decision).
-- Group 4 (undetected crime) is never derived: the app records no detection outcome, so a force sets
-- it by override at a review.
CREATE VIEW IF NOT EXISTS retention_rule AS
SELECT c.id AS case_id,
       CASE
         WHEN EXISTS (SELECT 1 FROM orders o WHERE o.case_id = c.id AND o.kind = 'stalking-protection-order'
                                              AND o.status IN ('interim', 'in-force', 'discharged'))
           OR EXISTS (SELECT 1 FROM risk_assessments a WHERE a.case_id = c.id AND a.level = 'high')
           OR EXISTS (SELECT 1 FROM risk_reviews v JOIN risk_assessments a ON a.id = v.assessment_id
                      WHERE a.case_id = c.id AND v.level = 'high')
         THEN 1
         WHEN c.status = 'recorded' AND (
                c.domestic_abuse = 1
             OR c.principal_classification IN ('stalking-s2a', 'stalking-s4a', 'harassment-s4', 'threats-to-kill',
                                               'sexual-offence', 'assault', 'controlling-or-coercive-behaviour')
             OR EXISTS (SELECT 1 FROM json_each(COALESCE(c.included_classifications, '[]'))
                        WHERE value IN ('stalking-s2a', 'stalking-s4a')))
         THEN 2
         ELSE 3
       END AS derived_group,
       substr(MAX(c.reported_at,
                  COALESCE(c.decided_at, ''),
                  COALESCE((SELECT MAX(recorded_at) FROM occurrences WHERE case_id = c.id), ''),
                  COALESCE((SELECT MAX(assessed_at) FROM risk_assessments WHERE case_id = c.id), ''),
                  COALESCE((SELECT MAX(v.reviewed_at) FROM risk_reviews v JOIN risk_assessments a ON a.id = v.assessment_id
                            WHERE a.case_id = c.id), ''),
                  COALESCE((SELECT MAX(h.recorded_at) FROM order_history h JOIN orders o ON o.id = h.order_id
                            WHERE o.case_id = c.id), ''),
                  COALESCE((SELECT MAX(MAX(requested_at, COALESCE(decided_at, ''))) FROM pins WHERE case_id = c.id), ''),
                  COALESCE((SELECT MAX(v.at) FROM search_versions v JOIN searches s ON s.id = v.search_id
                            WHERE s.case_id = c.id), '')), 1, 10) AS clear_from
FROM cases c;

-- Each case's retention: the group derived by the rule, a force's override (set at a review), the group
-- in force (`review_group`, the override when there is one), the clear period's start, the date a
-- decision to retain set for the next review, and the disposal.
CREATE TABLE IF NOT EXISTS retention (
    case_id          TEXT PRIMARY KEY REFERENCES cases (id),
    derived_group    INTEGER NOT NULL CHECK (derived_group BETWEEN 1 AND 4),
    override_group   INTEGER CHECK (override_group BETWEEN 1 AND 4),
    review_group     INTEGER NOT NULL CHECK (review_group BETWEEN 1 AND 4),
    clear_from       TEXT NOT NULL,      -- YYYY-MM-DD: the last activity on the case
    retained_until   TEXT,               -- YYYY-MM-DD: the next review a decision to retain set
    disposed_at      TEXT                -- when the case was disposed of (its tombstone remains)
);
-- The reviews due: per group, the cases whose clear period started before that group's cut-off (one
-- index range per group, src/retention/store.rs).
CREATE INDEX IF NOT EXISTS retention_due ON retention (review_group, clear_from, case_id)
    WHERE disposed_at IS NULL;

-- Every review decision: retain (with the reason and the next review), or dispose. Never changed.
CREATE TABLE IF NOT EXISTS retention_reviews (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    decided_at      TEXT NOT NULL,
    decided_by      TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('retain', 'dispose')),
    review_group    INTEGER NOT NULL CHECK (review_group BETWEEN 1 AND 4),
    reason          TEXT,               -- required to retain; optional to dispose
    next_review_on  TEXT                -- for a decision to retain
);
CREATE INDEX IF NOT EXISTS retention_reviews_by_case ON retention_reviews (case_id, decided_at);
CREATE TRIGGER IF NOT EXISTS retention_reviews_unchanged BEFORE UPDATE ON retention_reviews
BEGIN SELECT RAISE(ABORT, 'retention reviews are not changed'); END;
CREATE TRIGGER IF NOT EXISTS retention_reviews_kept BEFORE DELETE ON retention_reviews
BEGIN SELECT RAISE(ABORT, 'retention reviews are kept'); END;

-- The cases recorded before this migration get their group and clear period from the rule.
INSERT OR IGNORE INTO retention (case_id, derived_group, review_group, clear_from)
SELECT case_id, derived_group, derived_group, clear_from FROM retention_rule;

-- Kept as the records are written, in the same transaction: a new case gets its row, and any activity
-- on a case works its group and clear period out again (a handful of indexed lookups).
CREATE TRIGGER IF NOT EXISTS retention_new_case AFTER INSERT ON cases
BEGIN
    INSERT OR IGNORE INTO retention (case_id, derived_group, review_group, clear_from)
    SELECT case_id, derived_group, derived_group, clear_from FROM retention_rule WHERE case_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS retention_case_changed AFTER UPDATE ON cases
BEGIN
    UPDATE retention SET
        derived_group = (SELECT derived_group FROM retention_rule WHERE case_id = NEW.id),
        review_group = COALESCE(override_group, (SELECT derived_group FROM retention_rule WHERE case_id = NEW.id)),
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.id)
    WHERE case_id = NEW.id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_occurrence AFTER INSERT ON occurrences
BEGIN
    UPDATE retention SET
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_assessment AFTER INSERT ON risk_assessments
BEGIN
    UPDATE retention SET
        derived_group = (SELECT derived_group FROM retention_rule WHERE case_id = NEW.case_id),
        review_group = COALESCE(override_group, (SELECT derived_group FROM retention_rule WHERE case_id = NEW.case_id)),
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_assessment_review AFTER INSERT ON risk_reviews
BEGIN
    UPDATE retention SET
        derived_group = (SELECT r.derived_group FROM retention_rule r JOIN risk_assessments a ON a.case_id = r.case_id
                         WHERE a.id = NEW.assessment_id),
        review_group = COALESCE(override_group,
                        (SELECT r.derived_group FROM retention_rule r JOIN risk_assessments a ON a.case_id = r.case_id
                         WHERE a.id = NEW.assessment_id)),
        clear_from = (SELECT r.clear_from FROM retention_rule r JOIN risk_assessments a ON a.case_id = r.case_id
                      WHERE a.id = NEW.assessment_id)
    WHERE case_id = (SELECT case_id FROM risk_assessments WHERE id = NEW.assessment_id) AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_order_changed AFTER UPDATE ON orders
BEGIN
    UPDATE retention SET
        derived_group = (SELECT derived_group FROM retention_rule WHERE case_id = NEW.case_id),
        review_group = COALESCE(override_group, (SELECT derived_group FROM retention_rule WHERE case_id = NEW.case_id)),
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_order_history AFTER INSERT ON order_history
BEGIN
    UPDATE retention SET
        clear_from = (SELECT r.clear_from FROM retention_rule r JOIN orders o ON o.case_id = r.case_id
                      WHERE o.id = NEW.order_id)
    WHERE case_id = (SELECT case_id FROM orders WHERE id = NEW.order_id) AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_pin AFTER INSERT ON pins
BEGIN
    UPDATE retention SET
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_pin_decided AFTER UPDATE OF decided_at ON pins
BEGIN
    UPDATE retention SET
        clear_from = (SELECT clear_from FROM retention_rule WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id AND disposed_at IS NULL;
END;
CREATE TRIGGER IF NOT EXISTS retention_search AFTER INSERT ON search_versions
BEGIN
    UPDATE retention SET
        clear_from = (SELECT r.clear_from FROM retention_rule r JOIN searches s ON s.case_id = r.case_id
                      WHERE s.id = NEW.search_id)
    WHERE case_id = (SELECT case_id FROM searches WHERE id = NEW.search_id) AND disposed_at IS NULL;
END;

-- Assessments, their reviews, orders' histories, contacts with the victim and search records are never changed — except to erase
-- the personal data of a case disposed of, which is marked disposed (`retention.disposed_at`) first, in
-- the same transaction.
DROP TRIGGER IF EXISTS risk_assessments_unchanged;
CREATE TRIGGER IF NOT EXISTS risk_assessments_unchanged BEFORE UPDATE ON risk_assessments
WHEN NOT EXISTS (SELECT 1 FROM retention WHERE case_id = OLD.case_id AND disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'risk assessments are not changed: record a review or a new assessment'); END;
DROP TRIGGER IF EXISTS risk_reviews_unchanged;
CREATE TRIGGER IF NOT EXISTS risk_reviews_unchanged BEFORE UPDATE ON risk_reviews
WHEN NOT EXISTS (SELECT 1 FROM retention r JOIN risk_assessments a ON a.case_id = r.case_id
                 WHERE a.id = OLD.assessment_id AND r.disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'reviews are not changed'); END;
DROP TRIGGER IF EXISTS order_history_unchanged;
CREATE TRIGGER IF NOT EXISTS order_history_unchanged BEFORE UPDATE ON order_history
WHEN NOT EXISTS (SELECT 1 FROM retention r JOIN orders o ON o.case_id = r.case_id
                 WHERE o.id = OLD.order_id AND r.disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'an order''s history is not changed'); END;
DROP TRIGGER IF EXISTS victim_contacts_unchanged;
CREATE TRIGGER IF NOT EXISTS victim_contacts_unchanged BEFORE UPDATE ON victim_contacts
WHEN NOT EXISTS (SELECT 1 FROM retention WHERE case_id = OLD.case_id AND disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'a contact with the victim is not changed: record another'); END;
DROP TRIGGER IF EXISTS search_versions_unchanged;
CREATE TRIGGER IF NOT EXISTS search_versions_unchanged BEFORE UPDATE ON search_versions
WHEN NOT EXISTS (SELECT 1 FROM retention r JOIN searches s ON s.case_id = r.case_id
                 WHERE s.id = OLD.search_id AND r.disposed_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'search records are amended, never changed'); END;
