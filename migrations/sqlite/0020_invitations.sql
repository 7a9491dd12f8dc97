-- Invitations (sqlite). Keep in step with ../postgres/0020_invitations.sql.
-- An invited account has status 'invited' until its invitation is
-- accepted (then 'active'); it has no password and cannot sign in. SQLite
-- changes a CHECK constraint only by rebuilding the table: new table, copy,
-- drop, rename, then the indexes and triggers that went with the old one.

-- AUTOINCREMENT never hands out an id twice; keep the counter across the rebuild.
CREATE TEMP TABLE kept_sequences AS
    SELECT name, seq FROM sqlite_sequence WHERE name = 'users';

-- It names the users table; it is made again once the table is back.
DROP TRIGGER sessions_add_minutes_of_use;

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
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'active', 'rejected', 'disabled', 'deleted', 'invited')),
    status_reason TEXT,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    last_login_at BIGINT,
    login_count BIGINT NOT NULL DEFAULT 0,
    last_active_at BIGINT,
    search_key TEXT NOT NULL DEFAULT '',
    status_before_delete TEXT,
    deleted_at BIGINT,
    deleted_reason TEXT,
    purged_at BIGINT,
    minutes_of_use BIGINT NOT NULL DEFAULT 0,
    phone TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    email_verified_at BIGINT,
    must_change_password INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_new (id, organisation_id, username, username_key, email, email_key, full_name, full_name_key, password_hash, status, status_reason, role_id, created_at, updated_at, status_changed_at, last_login_at, login_count, last_active_at, search_key, status_before_delete, deleted_at, deleted_reason, purged_at, minutes_of_use, phone, metadata, email_verified_at, must_change_password)
    SELECT id, organisation_id, username, username_key, email, email_key, full_name, full_name_key, password_hash, status, status_reason, role_id, created_at, updated_at, status_changed_at, last_login_at, login_count, last_active_at, search_key, status_before_delete, deleted_at, deleted_reason, purged_at, minutes_of_use, phone, metadata, email_verified_at, must_change_password FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

UPDATE sqlite_sequence SET seq = (SELECT k.seq FROM kept_sequences k WHERE k.name = 'users')
    WHERE name = 'users' AND seq < (SELECT k.seq FROM kept_sequences k WHERE k.name = 'users');
DROP TABLE kept_sequences;

CREATE INDEX users_org_id ON users (organisation_id, id);
CREATE INDEX users_org_status_id ON users (organisation_id, status, id);
CREATE INDEX users_org_full_name_key ON users (organisation_id, full_name_key, id);
CREATE INDEX users_role_status ON users (role_id, status);
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
CREATE UNIQUE INDEX users_org_username ON users (organisation_id, username_key)
    WHERE status <> 'deleted';
CREATE UNIQUE INDEX users_org_email ON users (organisation_id, email_key)
    WHERE status <> 'deleted';
CREATE INDEX users_deleted ON users (deleted_at) WHERE purged_at IS NULL AND deleted_at IS NOT NULL;
CREATE TRIGGER sessions_add_minutes_of_use AFTER DELETE ON sessions
    WHEN OLD.user_id IS NOT NULL AND OLD.last_seen_at > OLD.created_at
BEGIN
    UPDATE users SET minutes_of_use = minutes_of_use + (OLD.last_seen_at - OLD.created_at) / 60000
        WHERE id = OLD.user_id;
END;
CREATE INDEX users_org_last_active ON users (organisation_id, last_active_at, id);

-- Who invited whom, and the invitation's choices the account does not
-- hold itself (its groups are memberships from the start).
CREATE TABLE invitations (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invited_by BIGINT REFERENCES users (id),
    -- The administrator chose the username: the invitee cannot change it.
    username_chosen INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL
);
CREATE INDEX invitations_org ON invitations (organisation_id, created_at);
