-- The admin user list orders by id, which is registration order: the
-- primary key serves "newest first" with no index of its own, and a status
-- tab reads (status, id). The created_at indexes served only that order.
CREATE INDEX users_status_id ON users (status, id);
DROP INDEX users_status_created;
DROP INDEX users_created;

-- New search keys wait in the trigram index's pending list until it is
-- merged, and every search reads that whole list: with the 4 MB default a
-- search after a burst of registrations took 5 ms instead of 1. A smaller
-- list is merged more often, in smaller steps.
ALTER INDEX users_search_trgm SET (gin_pending_list_limit = 256);
