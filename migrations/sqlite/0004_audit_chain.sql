-- Hash chain over the audit log: hash = SHA-256(prev_hash, row content),
-- computed by the application in the same write transaction as the insert.
-- Rows written before this migration keep NULL and are reported as unchained.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
-- A chain cannot fork: two rows can never link to the same predecessor, so an
-- insert that raced another one fails instead of splitting the chain.
CREATE UNIQUE INDEX audit_log_prev_hash ON audit_log (prev_hash);
