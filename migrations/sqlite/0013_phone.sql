-- A user's phone number (sqlite). Keep in step with ../postgres/0013_phone.sql.
-- Stored as typed after trimming (domain::Phone checks its shape); empty
-- when not given.

ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
