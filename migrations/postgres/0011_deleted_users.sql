-- Deleted users (PostgreSQL). Keep in step with ../sqlite/0011_deleted_users.sql.
-- A deleted user has status 'deleted' and keeps everything else, with the
-- status to restore, until the retention period ends; then the purge
-- erases their personal data and sets purged_at, and the row stays as a
-- tombstone that audit rows and memberships can name. A deleted user's
-- username and email may be taken by someone else.

ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check
    CHECK (status IN ('pending', 'active', 'rejected', 'disabled', 'deleted'));
ALTER TABLE users ADD COLUMN status_before_delete TEXT;
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
ALTER TABLE users ADD COLUMN deleted_reason TEXT;
ALTER TABLE users ADD COLUMN purged_at BIGINT;

DROP INDEX users_org_username;
DROP INDEX users_org_email;
CREATE UNIQUE INDEX users_org_username ON users (organisation_id, username_key)
    WHERE status <> 'deleted';
CREATE UNIQUE INDEX users_org_email ON users (organisation_id, email_key)
    WHERE status <> 'deleted';
-- The purge finds what is due without reading every user.
CREATE INDEX users_deleted ON users (deleted_at) WHERE purged_at IS NULL AND deleted_at IS NOT NULL;
