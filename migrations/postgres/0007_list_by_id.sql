-- The admin user list orders by id, which is registration order: the
-- primary key serves "newest first" with no index of its own, and a status
-- tab reads (status, id). The created_at indexes served only that order.
CREATE INDEX users_status_id ON users (status, id);
DROP INDEX users_status_created;
DROP INDEX users_created;

