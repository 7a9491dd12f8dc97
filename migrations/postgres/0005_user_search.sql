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

-- Statement-level triggers over transition tables: one counter update per
-- statement, not per row (updating one row thousands of times in a single
-- transaction grows its version chain and turns a bulk insert quadratic).
CREATE FUNCTION user_status_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_status_counts c SET n = c.n + d.k
    FROM (SELECT status, COUNT(*) AS k FROM new_rows GROUP BY status) d
    WHERE c.status = d.status;
    RETURN NULL;
END
$$;
CREATE FUNCTION user_status_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_status_counts c SET n = c.n - d.k
    FROM (SELECT status, COUNT(*) AS k FROM old_rows GROUP BY status) d
    WHERE c.status = d.status;
    RETURN NULL;
END
$$;
CREATE FUNCTION user_status_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_status_counts c SET n = c.n + d.k
    FROM (
        SELECT status, SUM(k)::BIGINT AS k FROM (
            SELECT n.status, 1 AS k FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status <> n.status
            UNION ALL
            SELECT o.status, -1 AS k FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.status <> n.status
        ) changes GROUP BY status
    ) d
    WHERE c.status = d.status;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_status_counts_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_status_counts_add();
CREATE TRIGGER user_status_counts_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_status_counts_remove();
CREATE TRIGGER user_status_counts_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION user_status_counts_move();
