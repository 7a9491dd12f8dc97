-- Fast admin list at 100,000+ users (PostgreSQL). Keep in step with ../sqlite/0005_user_search.sql.
--
-- 1. search_key holds "username\nemail\nfull name" lower-cased; a pg_trgm GIN
--    index over it answers `LIKE '%text%'` without scanning every user.
-- 2. user_status_counts keeps the number of users per status, maintained by
--    triggers, so the status tabs do not count every row on each page view.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE users SET search_key = username_key || chr(10) || email_key || chr(10) || full_name_key;
CREATE INDEX users_search_trgm ON users USING gin (search_key gin_trgm_ops);

CREATE TABLE user_status_counts (
    status TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO user_status_counts (status, n) VALUES ('pending', 0), ('active', 0), ('rejected', 0), ('disabled', 0);
UPDATE user_status_counts SET n = (SELECT COUNT(*) FROM users WHERE users.status = user_status_counts.status);

CREATE FUNCTION user_status_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE user_status_counts SET n = n - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE user_status_counts SET n = n + 1 WHERE status = NEW.status;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_status_counts_insert_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION user_status_counts_track();
CREATE TRIGGER user_status_counts_update AFTER UPDATE OF status ON users
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION user_status_counts_track();
