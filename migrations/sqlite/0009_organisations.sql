-- Organisations (SQLite). Keep in step with ../postgres/0009_organisations.sql.
--
-- Every user, role, role request, session, lockout counter and audit row
-- belongs to one organisation. This migration creates the organisation
-- `default` (id 1) and moves every existing row into it, so an install with
-- one organisation behaves as before.
--
-- Usernames, emails and role names become unique per organisation. SQLite
-- cannot drop a column's UNIQUE constraint, so `roles` and `users` are
-- rebuilt the documented way (new table, copy, drop, rename). `Db::migrate`
-- runs SQLite's migrations with foreign keys off for that, and checks
-- every reference afterwards (`PRAGMA foreign_key_check`).

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Lower-cased; the sign-in page answers on it when set.
    host TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at BIGINT NOT NULL
);
INSERT INTO organisations (id, slug, name, host, status, created_at)
VALUES (1, 'default', 'Default', NULL, 'active',
        CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));

-- AUTOINCREMENT never hands out an id twice; keep the counters across the rebuild.
CREATE TEMP TABLE kept_sequences AS
    SELECT name, seq FROM sqlite_sequence WHERE name IN ('roles', 'users');

CREATE TABLE roles_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, name_key)
);
INSERT INTO roles_new (id, organisation_id, name, name_key, description, created_at)
    SELECT id, 1, name, name_key, description, created_at FROM roles;
DROP TABLE roles;
ALTER TABLE roles_new RENAME TO roles;

-- The instance's administrators: whoever could manage roles before.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'organisations.manage' FROM role_permissions WHERE permission = 'roles.manage';

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    full_name TEXT NOT NULL,
    full_name_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- 'deleted' is migration 0011's (soft delete); allowed here so that
    -- SQLite need not rebuild the table once more for it.
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'active', 'rejected', 'disabled', 'deleted')),
    status_reason TEXT,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    last_login_at BIGINT,
    login_count BIGINT NOT NULL DEFAULT 0,
    last_active_at BIGINT,
    search_key TEXT NOT NULL DEFAULT ''
);
INSERT INTO users_new (id, organisation_id, username, username_key, email, email_key, full_name,
    full_name_key, password_hash, status, status_reason, role_id, created_at, updated_at,
    status_changed_at, last_login_at, login_count, last_active_at, search_key)
    SELECT id, 1, username, username_key, email, email_key, full_name, full_name_key,
        password_hash, status, status_reason, role_id, created_at, updated_at,
        status_changed_at, last_login_at, login_count, last_active_at, search_key FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

UPDATE sqlite_sequence SET seq = (SELECT k.seq FROM kept_sequences k WHERE k.name = sqlite_sequence.name)
    WHERE name IN (SELECT name FROM kept_sequences)
      AND seq < (SELECT k.seq FROM kept_sequences k WHERE k.name = sqlite_sequence.name);
DROP TABLE kept_sequences;

-- Indexes rather than table constraints, so that a later migration can
-- change them without rebuilding the table again.
CREATE UNIQUE INDEX users_org_username ON users (organisation_id, username_key);
CREATE UNIQUE INDEX users_org_email ON users (organisation_id, email_key);
-- The list reads one organisation's users newest first, by status, by name.
CREATE INDEX users_org_id ON users (organisation_id, id);
CREATE INDEX users_org_status_id ON users (organisation_id, status, id);
CREATE INDEX users_org_full_name_key ON users (organisation_id, full_name_key, id);
CREATE INDEX users_role_status ON users (role_id, status);

-- The search index (FTS5, keyed by user id) is unchanged; its triggers went
-- with the old table.
CREATE TRIGGER users_fts_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_fts (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search_key ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO users_fts (rowid, search_key) VALUES (new.id, new.search_key);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users
BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
END;

-- Users per status, per organisation.
DROP TABLE user_status_counts;
CREATE TABLE user_status_counts (
    organisation_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, status)
);
INSERT INTO user_status_counts (organisation_id, status, n)
    SELECT organisation_id, status, COUNT(*) FROM users GROUP BY organisation_id, status;

CREATE TRIGGER user_status_counts_insert AFTER INSERT ON users
BEGIN
    INSERT INTO user_status_counts (organisation_id, status, n)
        VALUES (new.organisation_id, new.status, 1)
        ON CONFLICT (organisation_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER user_status_counts_update AFTER UPDATE OF status, organisation_id ON users
WHEN old.status <> new.status OR old.organisation_id <> new.organisation_id
BEGIN
    UPDATE user_status_counts SET n = n - 1
        WHERE organisation_id = old.organisation_id AND status = old.status;
    INSERT INTO user_status_counts (organisation_id, status, n)
        VALUES (new.organisation_id, new.status, 1)
        ON CONFLICT (organisation_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER user_status_counts_delete AFTER DELETE ON users
BEGIN
    UPDATE user_status_counts SET n = n - 1
        WHERE organisation_id = old.organisation_id AND status = old.status;
END;

ALTER TABLE role_requests ADD COLUMN organisation_id BIGINT NOT NULL DEFAULT 1;
DROP INDEX role_requests_status;
CREATE INDEX role_requests_org_status ON role_requests (organisation_id, status, created_at, id);

-- Anonymous sessions (a sign-in form's CSRF state) belong to nobody: NULL.
ALTER TABLE sessions ADD COLUMN organisation_id BIGINT;
UPDATE sessions SET organisation_id = 1 WHERE user_id IS NOT NULL;
CREATE INDEX sessions_org ON sessions (organisation_id);

ALTER TABLE login_throttle ADD COLUMN organisation_id BIGINT NOT NULL DEFAULT 1;

ALTER TABLE audit_log ADD COLUMN organisation_id BIGINT NOT NULL DEFAULT 1;
CREATE INDEX audit_log_org ON audit_log (organisation_id, id);
