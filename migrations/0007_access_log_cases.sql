-- The case each access-log entry's record belongs to (a risk assessment's, a referral's, a search
-- record's case), so that "who accessed case X" finds every read of it: direct, through lists, risk
-- views, referrals and disclosures. A side table rather than a new column, so that this file stays
-- re-runnable (`spin up --sqlite @file`). The entry's hash commits to the case id (src/access/audit/chain.rs).
CREATE TABLE IF NOT EXISTS access_log_cases (
    seq      INTEGER PRIMARY KEY REFERENCES access_log (seq),
    case_id  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_cases_by_case ON access_log_cases (case_id, seq);

CREATE TRIGGER IF NOT EXISTS access_log_cases_append_only_update BEFORE UPDATE ON access_log_cases
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_cases_append_only_delete BEFORE DELETE ON access_log_cases
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
