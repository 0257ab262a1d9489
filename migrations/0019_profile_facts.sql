-- The problem profile at force scale (issue #16 point 5): what it counts, kept per decided case and per
-- person of a recorded offence by the triggers below, in the same transaction as each write that changes
-- it, so a year's profile reads two narrow tables instead of joining cases, risk and people per offence
-- (src/profile/store.rs). The figures are the same as before; the profile's tests compare them with
-- counts taken from the records themselves.

-- A case's risk level as the profile counts it: its latest risk assessment's (purpose `risk`, DASH),
-- raised by a supervisor's review where one raised it; none: `not-assessed`. One place for the rule,
-- read by the triggers and the backfill below.
CREATE VIEW IF NOT EXISTS case_risk_levels AS
SELECT c.id AS case_id,
    COALESCE((SELECT COALESCE((SELECT rv.level FROM risk_reviews rv
                               WHERE rv.assessment_id = ra.id AND rv.outcome = 'raised'
                               ORDER BY rv.reviewed_at DESC LIMIT 1), ra.level)
              FROM risk_assessments ra WHERE ra.case_id = c.id AND ra.purpose = 'risk'
              ORDER BY ra.assessed_at DESC, ra.id DESC LIMIT 1), 'not-assessed') AS level
FROM cases c;

-- One row per decided case (recorded or no crime): the month of its decision (UTC, `YYYY-MM`), its
-- classification and domestic flag, the hours from report to decision, and its risk level now.
CREATE TABLE IF NOT EXISTS profile_decisions (
    case_id         TEXT PRIMARY KEY REFERENCES cases (id),
    month           TEXT NOT NULL,
    recorded        INTEGER NOT NULL CHECK (recorded IN (0, 1)),
    classification  TEXT,
    domestic_abuse  INTEGER NOT NULL,
    hours           REAL NOT NULL,
    risk_level      TEXT NOT NULL
) WITHOUT ROWID;
-- Everything the profile groups by over a run of months, read from the index alone.
CREATE INDEX IF NOT EXISTS profile_decisions_by_month
    ON profile_decisions (month, recorded, classification, domestic_abuse, risk_level, hours);
-- It replaces 0014's covering index on `cases`, which nothing else reads: one index fewer to write with
-- every case and to parse with every connection.
DROP INDEX IF EXISTS cases_by_decision;

-- The victims and suspects (person records) of recorded offences, one row per person and month with
-- such an offence: how many (a case names a person once, however often it names them), the person's
-- previous such month (`since`; none for their first), and whether they repeat (a victim in two or more
-- cases, or a suspect with two or more victims: `people.victims`). With `since`, the distinct people
-- of a run of months are the rows in it whose previous month is before it: counted from one index,
-- without sorting the people (src/profile/store.rs).
CREATE TABLE IF NOT EXISTS profile_people (
    category   TEXT NOT NULL CHECK (category IN ('victim', 'suspect')),
    person_id  TEXT NOT NULL REFERENCES people (id),
    month      TEXT NOT NULL,
    offences   INTEGER NOT NULL CHECK (offences > 0),
    since      TEXT,
    repeat     INTEGER NOT NULL CHECK (repeat IN (0, 1)),
    PRIMARY KEY (category, person_id, month)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS profile_people_by_month ON profile_people (category, month, since, repeat);

-- Whether a person repeats in a category, as the rows above hold it.
CREATE VIEW IF NOT EXISTS profile_repeats AS
SELECT p.id AS person_id,
    (SELECT COUNT(*) FROM appearances a WHERE a.person_id = p.id AND a.category = 'victim') >= 2 AS victim,
    p.victims >= 2 AS suspect
FROM people p;


-- How the rows above change: a person gains or loses `delta` recorded offences in a month. Written to
-- this view, never read; its INSTEAD OF trigger is the one place that keeps the counts and the previous
-- months, whichever record changed.
CREATE VIEW IF NOT EXISTS profile_people_changes AS
SELECT category, person_id, month, offences AS delta FROM profile_people;
CREATE TRIGGER IF NOT EXISTS profile_people_change INSTEAD OF INSERT ON profile_people_changes
BEGIN
    INSERT INTO profile_people (category, person_id, month, offences, since, repeat)
    SELECT NEW.category, NEW.person_id, NEW.month, NEW.delta,
        (SELECT MAX(month) FROM profile_people
         WHERE category = NEW.category AND person_id = NEW.person_id AND month < NEW.month),
        iif(NEW.category = 'victim', r.victim, r.suspect)
    FROM profile_repeats r WHERE r.person_id = NEW.person_id AND NEW.delta > 0
    ON CONFLICT (category, person_id, month) DO UPDATE SET offences = offences + excluded.offences;
    DELETE FROM profile_people WHERE category = NEW.category AND person_id = NEW.person_id
        AND month = NEW.month AND offences + NEW.delta <= 0 AND NEW.delta < 0;
    UPDATE profile_people SET offences = offences + NEW.delta
    WHERE category = NEW.category AND person_id = NEW.person_id AND month = NEW.month AND NEW.delta < 0;
    -- The person's next month, whose previous month this month may have become or ceased to be.
    UPDATE profile_people SET since = (SELECT MAX(p.month) FROM profile_people p
                                       WHERE p.category = NEW.category AND p.person_id = NEW.person_id
                                           AND p.month < profile_people.month)
    WHERE category = NEW.category AND person_id = NEW.person_id
        AND month = (SELECT MIN(month) FROM profile_people
                     WHERE category = NEW.category AND person_id = NEW.person_id AND month > NEW.month);
END;

-- A crime decision (or a change to what the profile reads of a decided case) writes its row again.
CREATE TRIGGER IF NOT EXISTS profile_decision
AFTER UPDATE OF status, decided_at, principal_classification, domestic_abuse, reported_at ON cases
BEGIN
    DELETE FROM profile_decisions WHERE case_id = NEW.id;
    INSERT INTO profile_decisions (case_id, month, recorded, classification, domestic_abuse, hours, risk_level)
    SELECT NEW.id, substr(NEW.decided_at, 1, 7), NEW.status = 'recorded', NEW.principal_classification,
        NEW.domestic_abuse, (julianday(NEW.decided_at) - julianday(NEW.reported_at)) * 24.0, r.level
    FROM case_risk_levels r
    WHERE r.case_id = NEW.id AND NEW.status IN ('recorded', 'no-crime') AND NEW.decided_at IS NOT NULL;
END;
-- A case becoming a recorded offence (or ceasing to be one, or moving month) counts its victim and
-- suspects in its month.
CREATE TRIGGER IF NOT EXISTS profile_decision_people AFTER UPDATE OF status, decided_at ON cases
WHEN (OLD.status = 'recorded' AND OLD.decided_at IS NOT NULL) IS NOT (NEW.status = 'recorded' AND NEW.decided_at IS NOT NULL)
    OR (NEW.status = 'recorded' AND substr(OLD.decided_at, 1, 7) IS NOT substr(NEW.decided_at, 1, 7))
BEGIN
    INSERT INTO profile_people_changes (category, person_id, month, delta)
    SELECT DISTINCT category, person_id, substr(OLD.decided_at, 1, 7), -1 FROM appearances
    WHERE case_id = OLD.id AND category IN ('victim', 'suspect') AND OLD.status = 'recorded'
        AND OLD.decided_at IS NOT NULL;
    INSERT INTO profile_people_changes (category, person_id, month, delta)
    SELECT DISTINCT category, person_id, substr(NEW.decided_at, 1, 7), 1 FROM appearances
    WHERE case_id = NEW.id AND category IN ('victim', 'suspect') AND NEW.status = 'recorded'
        AND NEW.decided_at IS NOT NULL;
END;

-- Risk: a new assessment or a review that raises the level changes a decided case's level.
CREATE TRIGGER IF NOT EXISTS profile_assessment AFTER INSERT ON risk_assessments
WHEN NEW.purpose = 'risk'
BEGIN
    UPDATE profile_decisions SET risk_level = (SELECT level FROM case_risk_levels WHERE case_id = NEW.case_id)
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER IF NOT EXISTS profile_review AFTER INSERT ON risk_reviews
WHEN NEW.outcome = 'raised'
BEGIN
    UPDATE profile_decisions SET risk_level = (SELECT r.level FROM case_risk_levels r
                                               WHERE r.case_id = profile_decisions.case_id)
    WHERE case_id = (SELECT case_id FROM risk_assessments WHERE id = NEW.assessment_id);
END;

-- People: a person named on a case already recorded (a witness or other person never counts here), and
-- the second case naming someone as victim, which makes them a repeat victim.
CREATE TRIGGER IF NOT EXISTS profile_appearance AFTER INSERT ON appearances
WHEN NEW.category IN ('victim', 'suspect')
BEGIN
    INSERT INTO profile_people_changes (category, person_id, month, delta)
    SELECT NEW.category, NEW.person_id, substr(c.decided_at, 1, 7), 1 FROM cases c
    WHERE c.id = NEW.case_id AND c.status = 'recorded' AND c.decided_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM appearances WHERE case_id = NEW.case_id AND category = NEW.category
                        AND person_id = NEW.person_id AND position != NEW.position);
    UPDATE profile_people SET repeat = 1
    WHERE NEW.category = 'victim' AND category = 'victim' AND person_id = NEW.person_id AND repeat = 0
        AND (SELECT victim FROM profile_repeats WHERE person_id = NEW.person_id);
END;
-- A supervisor's split (or a confirmation) moves an appearance to another person: the case counts for
-- the new person instead (unless the case names either elsewhere), and both people's repeats are worked
-- out again.
CREATE TRIGGER IF NOT EXISTS profile_appearance_moved AFTER UPDATE OF person_id, category ON appearances
WHEN OLD.person_id IS NOT NEW.person_id OR OLD.category IS NOT NEW.category
BEGIN
    INSERT INTO profile_people_changes (category, person_id, month, delta)
    SELECT OLD.category, OLD.person_id, substr(c.decided_at, 1, 7), -1 FROM cases c
    WHERE c.id = OLD.case_id AND c.status = 'recorded' AND c.decided_at IS NOT NULL
        AND OLD.category IN ('victim', 'suspect')
        AND NOT EXISTS (SELECT 1 FROM appearances WHERE case_id = OLD.case_id AND category = OLD.category
                        AND person_id = OLD.person_id);
    INSERT INTO profile_people_changes (category, person_id, month, delta)
    SELECT NEW.category, NEW.person_id, substr(c.decided_at, 1, 7), 1 FROM cases c
    WHERE c.id = NEW.case_id AND c.status = 'recorded' AND c.decided_at IS NOT NULL
        AND NEW.category IN ('victim', 'suspect')
        AND NOT EXISTS (SELECT 1 FROM appearances WHERE case_id = NEW.case_id AND category = NEW.category
                        AND person_id = NEW.person_id AND position != NEW.position);
    UPDATE profile_people SET repeat = (SELECT r.victim FROM profile_repeats r WHERE r.person_id = profile_people.person_id)
    WHERE category = 'victim' AND person_id IN (OLD.person_id, NEW.person_id);
END;
-- A suspect's count of victims crossing two makes them a serial perpetrator, or no longer one.
CREATE TRIGGER IF NOT EXISTS profile_serial AFTER UPDATE OF victims ON people
WHEN (OLD.victims >= 2) IS NOT (NEW.victims >= 2)
BEGIN
    UPDATE profile_people SET repeat = NEW.victims >= 2 WHERE category = 'suspect' AND person_id = NEW.id;
END;

-- Cases decided before this migration get their rows from their records, as the triggers would have kept them.
INSERT OR IGNORE INTO profile_decisions (case_id, month, recorded, classification, domestic_abuse, hours, risk_level)
SELECT c.id, substr(c.decided_at, 1, 7), c.status = 'recorded', c.principal_classification, c.domestic_abuse,
    (julianday(c.decided_at) - julianday(c.reported_at)) * 24.0, r.level
FROM cases c JOIN case_risk_levels r ON r.case_id = c.id
WHERE c.status IN ('recorded', 'no-crime') AND c.decided_at IS NOT NULL;
INSERT INTO profile_people_changes (category, person_id, month, delta)
SELECT a.category, a.person_id, substr(c.decided_at, 1, 7), COUNT(DISTINCT c.id)
FROM cases c JOIN appearances a ON a.case_id = c.id
WHERE c.status = 'recorded' AND c.decided_at IS NOT NULL AND a.category IN ('victim', 'suspect')
GROUP BY 1, 2, 3;
