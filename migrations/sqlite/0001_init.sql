-- Gatehouse schema (SQLite). Keep in step with ../postgres/0001_init.sql.
-- Times are integer milliseconds since the Unix epoch (UTC); flags are INTEGER 0/1.
-- *_key columns hold lower-cased copies for case-insensitive lookups that behave
-- the same on both backends.

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    full_name_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'disabled')),
    status_reason TEXT,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    last_login_at BIGINT,
    login_count BIGINT NOT NULL DEFAULT 0,
    last_active_at BIGINT
);
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_status_created ON users (status, created_at, id);
CREATE INDEX users_role ON users (role_id);
CREATE INDEX users_full_name_key ON users (full_name_key, id);

CREATE TABLE role_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    from_role_id BIGINT NOT NULL REFERENCES roles (id),
    role_id BIGINT NOT NULL REFERENCES roles (id),
    justification TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'denied', 'withdrawn')),
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT,
    decided_by_username TEXT,
    note TEXT
);
-- One open request per user, enforced by the database as well as the service.
CREATE UNIQUE INDEX role_requests_one_open ON role_requests (user_id) WHERE status = 'open';
CREATE INDEX role_requests_status ON role_requests (status, created_at, id);
CREATE INDEX role_requests_user ON role_requests (user_id, created_at, id);

-- Server-side sessions: the cookie carries a random key, the table keeps only its SHA-256.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Append-only: no foreign keys, so rows outlive the users they mention.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_username TEXT,
    actor_key TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id BIGINT,
    target_label TEXT,
    target_key TEXT,
    target_user_id BIGINT,
    before_value TEXT,
    after_value TEXT,
    reason TEXT,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX audit_log_actor ON audit_log (actor_key, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_key, id);
CREATE INDEX audit_log_target_user ON audit_log (target_user_id, id);
CREATE INDEX audit_log_actor_id ON audit_log (actor_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
