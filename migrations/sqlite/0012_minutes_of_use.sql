-- Minutes of use (SQLite). Keep in step with ../postgres/0012_minutes_of_use.sql.
-- A user's total time in Gatehouse: each signed-in session adds the time
-- between its start and its last recorded activity when its row goes
-- (sign-out, revocation, expiry, a disable or delete). The trigger sees
-- every way a session ends, and nothing is written per request: a
-- session's activity is itself written at most once a minute.

ALTER TABLE users ADD COLUMN minutes_of_use BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER sessions_add_minutes_of_use AFTER DELETE ON sessions
    WHEN OLD.user_id IS NOT NULL AND OLD.last_seen_at > OLD.created_at
BEGIN
    UPDATE users SET minutes_of_use = minutes_of_use + (OLD.last_seen_at - OLD.created_at) / 60000
        WHERE id = OLD.user_id;
END;
