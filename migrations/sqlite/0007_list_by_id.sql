-- The admin user list orders by id, which is registration order: the
-- primary key serves "newest first" with no index of its own, and a status
-- tab reads (status, id). The created_at indexes served only that order.
CREATE INDEX users_status_id ON users (status, id);
DROP INDEX users_status_created;
DROP INDEX users_created;

-- The search index keeps no per-row sizes: they serve only relevance ranking,
-- which the list does not use (it orders by id), and writing them cost one
-- more B-tree insert per new user.
DROP TABLE users_fts;
CREATE VIRTUAL TABLE users_fts USING fts5(
    search_key, content = 'users', content_rowid = 'id', tokenize = 'trigram', columnsize = 0
);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');
