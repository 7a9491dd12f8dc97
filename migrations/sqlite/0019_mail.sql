-- Mail (sqlite). Keep in step with ../postgres/0019_mail.sql.

-- The transactional outbox: a message is written in the same transaction as
-- the action that causes it, and a background worker sends it. A row is
-- claimed (claimed_until) before it is sent, so two instances never send it
-- twice; its bodies are emptied once it is sent or has failed, since they
-- may carry a one-time link.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_list ON mail_outbox (organisation_id, id);

-- One-time links (password reset, email verification): only the SHA-256 of
-- the token is kept. A link works once, until it expires, and not after it
-- is voided (a newer link, a sign-in, a password change).
CREATE TABLE one_time_links (
    token_hash TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    -- The address an email link verifies.
    email TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    voided_at BIGINT
);
CREATE INDEX one_time_links_user ON one_time_links (user_id, purpose, created_at);

-- When the user proved they read mail at their address; NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
-- Reviewers approve only accounts whose email is verified: 1 or 0, or NULL
-- for the default (on while mail is on).
ALTER TABLE organisations ADD COLUMN approve_verified_only INTEGER;
-- An administrator asked for a new password at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Whoever could read the audit log can read the outbox.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'mail.read' FROM role_permissions WHERE permission = 'audit.read';
