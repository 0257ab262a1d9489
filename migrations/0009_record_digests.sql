-- Record digests (issue #12): the SHA-256 of each case (with its suspects and occurrences), suspect,
-- occurrence, PIN, risk assessment and referral as last written, also carried by the access-log entry
-- that wrote it (src/digests.rs), so that verify finds records edited in the file. Rows written before
-- this migration have none: verify counts them as not covered.
-- Adding a column is not re-runnable: like 0006, this file is applied once, by the app.
ALTER TABLE cases ADD COLUMN digest TEXT;
ALTER TABLE suspects ADD COLUMN digest TEXT;
ALTER TABLE occurrences ADD COLUMN digest TEXT;
ALTER TABLE pins ADD COLUMN digest TEXT;
ALTER TABLE risk_assessments ADD COLUMN digest TEXT;
ALTER TABLE referrals ADD COLUMN digest TEXT;
