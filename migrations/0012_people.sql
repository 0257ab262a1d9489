-- People as records of their own (nominals): one record for the same person across cases, and each
-- case's people with their data-subject category (DPA 2018 s.38(3): victim, suspect, witness, other).
-- Linking is explained and reviewable: a report is matched on a police identifier or on a normalised
-- name with a date of birth (src/people/mod.rs); a match on the name is a suggestion until a supervisor
-- confirms it, and a supervisor may split any link, which gives that appearance a person of its own.
CREATE TABLE IF NOT EXISTS people (
    id             TEXT PRIMARY KEY,
    created_at     TEXT NOT NULL,
    name           TEXT NOT NULL,          -- as first reported
    date_of_birth  TEXT,
    police_id      TEXT,
    link_key       TEXT UNIQUE,            -- what new reports are matched on; none for a record split off
    split_from     TEXT REFERENCES people (id),
    suspect_cases  INTEGER NOT NULL DEFAULT 0,   -- cases naming the person as a suspect
    victims        INTEGER NOT NULL DEFAULT 0    -- distinct victims of those cases (two or more: serial)
);

CREATE TABLE IF NOT EXISTS appearances (
    case_id        TEXT NOT NULL REFERENCES cases (id),
    category       TEXT NOT NULL CHECK (category IN ('victim', 'suspect', 'witness', 'other')),
    position       INTEGER NOT NULL,       -- the suspect's position in the case; 0 for the victim
    person_id      TEXT NOT NULL REFERENCES people (id),
    basis          TEXT NOT NULL CHECK (basis IN ('new', 'police-id', 'name-and-date-of-birth')),
    review         TEXT NOT NULL CHECK (review IN ('not-needed', 'pending', 'confirmed', 'split')),
    reviewed_at    TEXT,
    reviewed_by    TEXT,
    review_reason  TEXT,
    -- As this case names a witness or another person (a victim's and the suspects' are in the case's
    -- own rows, `cases` and `suspects`).
    name           TEXT,
    date_of_birth  TEXT,
    police_id      TEXT,
    PRIMARY KEY (case_id, category, position)
);
-- A person's cases, by category, walked in case order: linked cases and the profile page through it.
CREATE INDEX IF NOT EXISTS appearances_by_person ON appearances (person_id, category, case_id);

-- How many cases each suspect–victim pair shares: a suspect's victims counted in one lookup.
CREATE TABLE IF NOT EXISTS perpetrator_victims (
    suspect_id  TEXT NOT NULL REFERENCES people (id),
    victim_id   TEXT NOT NULL REFERENCES people (id),
    cases       INTEGER NOT NULL,
    PRIMARY KEY (suspect_id, victim_id)
);

-- The cases recorded before people were records: one person per suspect link key (named as in the
-- first report), one per victim with a name and date of birth, one for everyone else. A temporary key
-- ('unlinked:…') ties each of the latter to its row until the appearances are written.
INSERT OR IGNORE INTO people (id, created_at, name, date_of_birth, police_id, link_key)
SELECT lower(hex(randomblob(16))), reported_at, name, date_of_birth, police_id,
       COALESCE(link_key, 'unlinked:suspect:' || case_id || ':' || position)
FROM (SELECT s.*, c.reported_at,
             ROW_NUMBER() OVER (PARTITION BY COALESCE(s.link_key, s.case_id || ':' || s.position)
                                ORDER BY c.reported_at, s.case_id, s.position) AS n
      FROM suspects s JOIN cases c ON c.id = s.case_id)
WHERE n = 1;

INSERT OR IGNORE INTO people (id, created_at, name, date_of_birth, link_key)
SELECT lower(hex(randomblob(16))), reported_at, victim_name, victim_date_of_birth, key
FROM (SELECT c.*, k.key,
             ROW_NUMBER() OVER (PARTITION BY k.key ORDER BY c.reported_at, c.id) AS n
      FROM cases c JOIN (SELECT id,
                                CASE WHEN victim_date_of_birth IS NOT NULL
                                          AND lower(trim(victim_name)) NOT IN ('', 'unknown')
                                     THEN 'name:' || lower(trim(victim_name)) || '|' || victim_date_of_birth
                                     ELSE 'unlinked:victim:' || id END AS key
                         FROM cases) k ON k.id = c.id)
WHERE n = 1;

INSERT OR IGNORE INTO appearances (case_id, category, position, person_id, basis, review)
SELECT s.case_id, 'suspect', s.position, p.id,
       CASE WHEN s.link_key LIKE 'id:%' THEN 'police-id'
            WHEN s.link_key IS NOT NULL THEN 'name-and-date-of-birth' ELSE 'new' END,
       CASE WHEN s.link_key LIKE 'name:%' THEN 'pending' ELSE 'not-needed' END
FROM suspects s
JOIN people p ON p.link_key = COALESCE(s.link_key, 'unlinked:suspect:' || s.case_id || ':' || s.position);

INSERT OR IGNORE INTO appearances (case_id, category, position, person_id, basis, review)
SELECT c.id, 'victim', 0, p.id,
       CASE WHEN p.link_key LIKE 'name:%' THEN 'name-and-date-of-birth' ELSE 'new' END,
       CASE WHEN p.link_key LIKE 'name:%' THEN 'pending' ELSE 'not-needed' END
FROM cases c
JOIN people p ON p.link_key = CASE WHEN c.victim_date_of_birth IS NOT NULL
                                        AND lower(trim(c.victim_name)) NOT IN ('', 'unknown')
                                   THEN 'name:' || lower(trim(c.victim_name)) || '|' || c.victim_date_of_birth
                                   ELSE 'unlinked:victim:' || c.id END;

-- Each person's first appearance is where the record began: nothing to review there.
UPDATE appearances SET basis = 'new', review = 'not-needed'
WHERE rowid IN (SELECT r FROM (SELECT a.rowid AS r,
                                      ROW_NUMBER() OVER (PARTITION BY a.person_id
                                                         ORDER BY c.reported_at, a.case_id, a.category DESC, a.position) AS n
                               FROM appearances a JOIN cases c ON c.id = a.case_id)
                WHERE n = 1);

INSERT OR IGNORE INTO perpetrator_victims (suspect_id, victim_id, cases)
SELECT s.person_id, v.person_id, COUNT(DISTINCT s.case_id)
FROM appearances s JOIN appearances v ON v.case_id = s.case_id AND v.category = 'victim'
WHERE s.category = 'suspect' GROUP BY s.person_id, v.person_id;

UPDATE people SET
    suspect_cases = (SELECT COUNT(DISTINCT case_id) FROM appearances
                     WHERE person_id = people.id AND category = 'suspect'),
    victims = (SELECT COUNT(*) FROM perpetrator_victims WHERE suspect_id = people.id);
UPDATE people SET link_key = NULL WHERE link_key LIKE 'unlinked:%';

-- The counts kept as a report's people are written (the victim first, then each suspect, in one
-- statement): a case counts once for a suspect however often it names them, and a suspect–victim pair
-- counted for the first time is a new victim. In the database, so that a report costs no statements
-- for them. (A supervisor's split counts again from the appearances: src/people/store.rs.)
CREATE TRIGGER IF NOT EXISTS appearances_count_suspect AFTER INSERT ON appearances
WHEN NEW.category = 'suspect' AND NOT EXISTS (
    SELECT 1 FROM appearances WHERE case_id = NEW.case_id AND category = 'suspect'
                              AND person_id = NEW.person_id AND position != NEW.position)
BEGIN
    UPDATE people SET suspect_cases = suspect_cases + 1 WHERE id = NEW.person_id;
    INSERT INTO perpetrator_victims (suspect_id, victim_id, cases)
    SELECT NEW.person_id, v.person_id, 1 FROM appearances v
    WHERE v.case_id = NEW.case_id AND v.category = 'victim' AND v.person_id != NEW.person_id
    ON CONFLICT (suspect_id, victim_id) DO UPDATE SET cases = cases + 1;
END;
CREATE TRIGGER IF NOT EXISTS perpetrator_victims_count AFTER INSERT ON perpetrator_victims
BEGIN
    UPDATE people SET victims = victims + 1 WHERE id = NEW.suspect_id;
END;

-- Linked cases are now a person's cases: the link-key counter and its index are no longer read.
DROP TRIGGER IF EXISTS suspect_links_count;
DROP TABLE IF EXISTS suspect_links;
DROP INDEX IF EXISTS suspects_by_link_case;
