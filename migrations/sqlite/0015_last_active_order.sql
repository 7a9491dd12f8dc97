-- The user list in order of last activity (sqlite). Keep in step with
-- ../postgres/0015_last_active_order.sql. SQLite sorts NULL below every
-- value, so this index read backwards is "most recently active first,
-- never active last".
CREATE INDEX users_org_last_active ON users (organisation_id, last_active_at, id);
