-- The admin search at a million users (PostgreSQL). The trigram index moves
-- from `users` to `user_search`, a narrow copy of each user's search key and
-- of what the list filters and orders by, split into windows of 131,072
-- consecutive ids, each window a partition with a trigram index of its own.
-- A search reads its matches newest (or oldest) first one window at a time
-- and stops as soon as it has a page and its count: a surname shared by 1%
-- of a million users reads two windows' index (about 2,200 matches) instead
-- of all 10,416, and no second pass in id order.
--
-- Windows are made ahead of the ids by user_search_extend (every five
-- minutes while serving, and around bulk loads). A user whose id has no
-- window yet lands in user_search_rest and is found all the same, only more
-- slowly, until the next call moves it into its window.

-- Beside the search key, what the list filters and orders by, so that a
-- search reads users only for its page: name_key is users.full_name_key.
CREATE TABLE user_search (
    id BIGINT NOT NULL,
    search_key TEXT NOT NULL,
    name_key TEXT NOT NULL,
    status TEXT NOT NULL,
    role_id BIGINT NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);

CREATE TABLE user_search_rest PARTITION OF user_search DEFAULT;

-- Makes the windows up to and including the one holding `through`, moving
-- into each the users user_search_rest holds for it. Returns how many
-- windows it made. Each is filled on its own and then attached, which locks
-- searches out only of user_search_rest (normally empty) while it is
-- checked; it fails rather than wait more than 2 s for a lock.
CREATE FUNCTION user_search_extend(through BIGINT) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    width CONSTANT BIGINT := 131072;
    next_window BIGINT;
    made INTEGER := 0;
    waited TEXT := current_setting('lock_timeout');
BEGIN
    -- Give up rather than queue searches behind a lock for long; a user
    -- without a window is found all the same, and the next call makes it.
    PERFORM set_config('lock_timeout', '2s', true);
    -- Two instances extending at once would make the same window twice.
    PERFORM pg_advisory_xact_lock(hashtext('gatehouse.user_search_extend'));
    SELECT COALESCE(max(substring(c.relname FROM '^user_search_w(\d+)$')::BIGINT) + 1, 0)
        INTO next_window
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'user_search'::regclass;
    WHILE next_window * width <= through LOOP
        EXECUTE format('CREATE TABLE user_search_w%s (LIKE user_search)', next_window);
        EXECUTE format('WITH moved AS (DELETE FROM user_search_rest WHERE id >= %s AND id < %s '
                       'RETURNING *) INSERT INTO user_search_w%s SELECT * FROM moved',
                       next_window * width, (next_window + 1) * width, next_window);
        EXECUTE format('ALTER TABLE user_search ATTACH PARTITION user_search_w%s '
                       'FOR VALUES FROM (%s) TO (%s)',
                       next_window, next_window * width, (next_window + 1) * width);
        next_window := next_window + 1;
        made := made + 1;
    END LOOP;
    PERFORM set_config('lock_timeout', waited, true);
    RETURN made;
END
$$;

SELECT user_search_extend((SELECT COALESCE(max(id), 0) FROM users) + 2 * 131072);
INSERT INTO user_search (id, search_key, name_key, status, role_id)
    SELECT id, search_key, full_name_key, status, role_id FROM users;
CREATE INDEX user_search_trgm ON user_search USING gin (search_key gin_trgm_ops);
DROP INDEX users_search_trgm;

-- Kept in step with users by triggers, in the statement that changes users.
-- Inserts come in bulk (a demo seed, an import): one statement-level insert.
CREATE FUNCTION user_search_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_search (id, search_key, name_key, status, role_id)
        SELECT id, search_key, full_name_key, status, role_id FROM new_rows;
    RETURN NULL;
END
$$;
CREATE FUNCTION user_search_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_search s USING old_rows o WHERE s.id = o.id;
    RETURN NULL;
END
$$;
-- A row trigger, so that the many updates that change none of these (every
-- sign-in) cost only the WHEN test.
CREATE FUNCTION user_search_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_search SET search_key = NEW.search_key, name_key = NEW.full_name_key,
        status = NEW.status, role_id = NEW.role_id
        WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_search_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION user_search_add();
CREATE TRIGGER user_search_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION user_search_remove();
CREATE TRIGGER user_search_update AFTER UPDATE OF search_key, full_name_key, status, role_id
    ON users FOR EACH ROW
    WHEN ((OLD.search_key, OLD.full_name_key, OLD.status, OLD.role_id)
          IS DISTINCT FROM (NEW.search_key, NEW.full_name_key, NEW.status, NEW.role_id))
    EXECUTE FUNCTION user_search_change();
