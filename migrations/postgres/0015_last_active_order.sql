-- The user list in order of last activity (postgres). Keep in step with
-- ../sqlite/0015_last_active_order.sql. PostgreSQL sorts NULL above every
-- value by default, so the index says where never-active users go: last.
CREATE INDEX users_org_last_active ON users (organisation_id, last_active_at DESC NULLS LAST, id DESC);
