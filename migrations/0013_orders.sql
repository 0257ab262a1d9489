-- Orders against a suspect (Stalking Protection Orders, restraining orders, bail conditions) and their
-- dated history, breaches included (src/orders/). An order's terms are one JSON document, worked on by
-- the rules in Rust; what lists filter on is in columns of its own.
CREATE TABLE IF NOT EXISTS orders (
    id                   TEXT PRIMARY KEY,
    version              INTEGER NOT NULL DEFAULT 1,   -- for If-Match: bumped by every change
    case_id              TEXT NOT NULL REFERENCES cases (id),
    person_id            TEXT NOT NULL REFERENCES people (id),
    suspect              INTEGER NOT NULL,             -- the subject's position in the case
    kind                 TEXT NOT NULL CHECK (kind IN ('stalking-protection-order', 'restraining-order', 'bail-conditions')),
    status               TEXT NOT NULL CHECK (status IN ('applied', 'interim', 'in-force', 'refused', 'discharged')),
    recorded_at          TEXT NOT NULL,
    recorded_by          TEXT NOT NULL,
    terms                TEXT NOT NULL,                -- JSON: src/orders/mod.rs `Terms`
    notification_due_at  TEXT,                         -- SPA 2019 s.9, while not yet given
    breaches             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS orders_by_case ON orders (case_id, id);
CREATE INDEX IF NOT EXISTS orders_by_person ON orders (person_id, id);
CREATE INDEX IF NOT EXISTS orders_notification_due ON orders (notification_due_at, id)
    WHERE notification_due_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS order_history (
    order_id     TEXT NOT NULL REFERENCES orders (id),
    number       INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    type         TEXT NOT NULL,       -- recorded, an event's type, or breach
    detail       TEXT NOT NULL,       -- JSON: the event as given; for a breach, the occurrence and offence
    PRIMARY KEY (order_id, number)
);
CREATE TRIGGER IF NOT EXISTS order_history_unchanged BEFORE UPDATE ON order_history
BEGIN SELECT RAISE(ABORT, 'an order''s history is not changed'); END;
CREATE TRIGGER IF NOT EXISTS order_history_kept BEFORE DELETE ON order_history
BEGIN SELECT RAISE(ABORT, 'an order''s history is kept'); END;
