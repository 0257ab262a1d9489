-- Retry-safe POSTs: a phone that retries on a bad signal must create one record, not two.
-- The key and the stored response are written in the same transaction as the record they protect.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    principal     TEXT    NOT NULL,  -- who sent the request (keys are per caller)
    key           TEXT    NOT NULL,  -- the client's Idempotency-Key header
    request_hash  TEXT    NOT NULL,  -- a retry with the same key but another body is refused
    status        INTEGER NOT NULL,
    response      BLOB    NOT NULL,
    created_at    TEXT    NOT NULL,  -- RFC 3339 UTC
    PRIMARY KEY (principal, key)
);
