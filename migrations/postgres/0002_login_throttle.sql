-- Per-account sign-in throttling (rules in src/domain/lockout.rs): one row
-- per account with failed sign-ins since its last success. It lives in the
-- database so a lockout holds across restarts and across instances. Times
-- are milliseconds since the epoch.
CREATE TABLE login_throttle (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT,
    since_login BIGINT NOT NULL
);
