-- Sessions: a public id per row (names a session in pages and forms; never the
-- cookie key or its hash), last activity, and where the session was last used.
-- Idle timeout and absolute lifetime are checked against created_at and
-- last_seen_at; expires_at is the earlier of the two ends, for purging.
-- Existing sessions are dropped: everybody signs in again once after upgrading.
DROP TABLE sessions;
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    user_id BIGINT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
