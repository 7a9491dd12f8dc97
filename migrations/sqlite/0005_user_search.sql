-- Fast admin list at 100,000+ users (SQLite). Keep in step with ../postgres/0005_user_search.sql.
--
-- 1. search_key holds "username\nemail\nfull name" lower-cased; an FTS5 trigram
--    index over it answers `LIKE '%text%'` without scanning every user.
-- 2. user_status_counts keeps the number of users per status, maintained by
--    triggers, so the status tabs do not count every row on each page view.

ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE users SET search_key = username_key || char(10) || email_key || char(10) || full_name_key;

CREATE VIRTUAL TABLE users_fts USING fts5(
    search_key, content = 'users', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');

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

CREATE TABLE user_status_counts (
    status TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO user_status_counts (status, n) VALUES ('pending', 0), ('active', 0), ('rejected', 0), ('disabled', 0);
UPDATE user_status_counts SET n = (SELECT COUNT(*) FROM users WHERE users.status = user_status_counts.status);

CREATE TRIGGER user_status_counts_insert AFTER INSERT ON users
BEGIN
    UPDATE user_status_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER user_status_counts_update AFTER UPDATE OF status ON users
WHEN old.status <> new.status
BEGIN
    UPDATE user_status_counts SET n = n - 1 WHERE status = old.status;
    UPDATE user_status_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER user_status_counts_delete AFTER DELETE ON users
BEGIN
    UPDATE user_status_counts SET n = n - 1 WHERE status = old.status;
END;
