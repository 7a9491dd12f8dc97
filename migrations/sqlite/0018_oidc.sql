-- OpenID Connect (sqlite). Keep in step with ../postgres/0018_oidc.sql.
-- An app can also be an OpenID Connect client of its organisation's issuer.
-- Secrets, codes and tokens are kept only as SHA-256 hashes: each is a
-- random 256-bit value, shown once.

CREATE TABLE oidc_clients (
    app_id BIGINT PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    client_id TEXT NOT NULL UNIQUE,
    -- 'confidential' (has a secret) or 'public' (PKCE, no secret).
    kind TEXT NOT NULL,
    secret_hash TEXT,
    -- One URI a line, compared as exact strings.
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL DEFAULT '',
    -- Space-separated: openid and any of profile email groups roles.
    scopes TEXT NOT NULL,
    id_token_alg TEXT NOT NULL DEFAULT 'RS256',
    created_at BIGINT NOT NULL
);

-- The opaque, stable `sub` of a user for every client: never the username.
CREATE TABLE oidc_subjects (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    subject TEXT NOT NULL UNIQUE
);

-- The keys that sign ID tokens, sealed with a key derived from the
-- instance's secret key; published in the JWKS while current and, after a
-- rotation, until every token they signed has expired.
CREATE TABLE oidc_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

-- Authorization codes: single use, 60 seconds. `issuer` is the one the
-- browser was answered with, so the ID token names the same.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    redirect_uri TEXT NOT NULL,
    issuer TEXT NOT NULL,
    scopes TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- A grant: what one code was exchanged for, and its refresh-token family.
CREATE TABLE oidc_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_user ON oidc_grants (organisation_id, user_id);

-- The tokens a grant was given, a refresh token and an access token a row,
-- both issued together (one write per code exchange or refresh). A used
-- refresh token presented again revokes the whole grant; an access token
-- works until `access_expires_at` and while its grant is live. The rows go
-- with their grant.
CREATE TABLE oidc_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    access_hash TEXT NOT NULL UNIQUE,
    grant_id BIGINT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    access_expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);
