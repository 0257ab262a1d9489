-- Records of searches of premises, and what ties them to the access log.

-- The SHA-256 of a record version written by the entry (search records), inside the entry's hash.
ALTER TABLE access_log ADD COLUMN digest TEXT;

-- One row per search: an index over its versions, kept in step with the latest (for lists and reports).
CREATE TABLE IF NOT EXISTS searches (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    power         TEXT NOT NULL,
    searched_on   TEXT NOT NULL,        -- the date of the search, or of the application before it
    version       INTEGER NOT NULL,     -- the latest version
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_by_date ON searches (searched_on, id);
CREATE INDEX IF NOT EXISTS searches_by_case ON searches (case_id);

-- The record itself: the original and every amendment, never changed or removed. `document` is the
-- whole record as it stood after this version; `digest` is its SHA-256, also in the access-log entry
-- that wrote it.
CREATE TABLE IF NOT EXISTS search_versions (
    search_id   TEXT NOT NULL REFERENCES searches (id),
    version     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    by          TEXT NOT NULL,
    reason      TEXT,                  -- why it was amended (NULL for the original)
    changes     TEXT,                  -- the amendment as a JSON Merge Patch (NULL for the original)
    document    TEXT NOT NULL,
    digest      TEXT NOT NULL,
    PRIMARY KEY (search_id, version)
);
CREATE TRIGGER IF NOT EXISTS search_versions_unchanged BEFORE UPDATE ON search_versions
BEGIN SELECT RAISE(ABORT, 'search records are amended, never changed'); END;
CREATE TRIGGER IF NOT EXISTS search_versions_kept BEFORE DELETE ON search_versions
BEGIN SELECT RAISE(ABORT, 'search records are kept'); END;
