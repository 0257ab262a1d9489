-- How many cases share each suspect link key, kept as the suspects are written, so that reading a case
-- whose suspect is linked to a thousand others counts them in one lookup instead of scanning them all
-- (src/cases/store.rs). A case counts once however many of its suspects share the key.
CREATE TABLE IF NOT EXISTS suspect_links (
    link_key  TEXT    PRIMARY KEY,
    cases     INTEGER NOT NULL
);
INSERT OR IGNORE INTO suspect_links (link_key, cases)
    SELECT link_key, COUNT(DISTINCT case_id) FROM suspects WHERE link_key IS NOT NULL GROUP BY link_key;

CREATE TRIGGER IF NOT EXISTS suspect_links_count AFTER INSERT ON suspects
WHEN NEW.link_key IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM suspects WHERE link_key = NEW.link_key AND case_id = NEW.case_id AND position != NEW.position)
BEGIN
    INSERT INTO suspect_links (link_key, cases) VALUES (NEW.link_key, 1)
    ON CONFLICT (link_key) DO UPDATE SET cases = cases + 1;
END;
