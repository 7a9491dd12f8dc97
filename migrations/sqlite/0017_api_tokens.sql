-- API tokens (sqlite). Keep in step with ../postgres/0017_api_tokens.sql.
-- Personal access tokens (kind 'personal', made by their owner) and service
-- tokens (kind 'service', made by a holder of tokens.manage, who owns them).
-- Only the SHA-256 of a token is kept; the token itself is shown once.
-- A token acts as its owner, limited to its scopes (permission names,
-- comma-separated), and stops working when it expires or is revoked, and
-- while its owner is not Active or lacks one of its scopes.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The token's first characters, to recognise it in lists.
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_owner ON api_tokens (organisation_id, user_id);

-- Whoever could manage roles can manage service tokens.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'tokens.manage' FROM role_permissions WHERE permission = 'roles.manage';
