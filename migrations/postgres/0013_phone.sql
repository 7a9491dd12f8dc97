-- A user's phone number (postgres). Keep in step with ../sqlite/0013_phone.sql.
-- Stored as typed after trimming (domain::Phone checks its shape); empty
-- when not given.

ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
