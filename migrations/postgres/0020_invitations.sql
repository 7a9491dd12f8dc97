-- Invitations (postgres). Keep in step with ../sqlite/0020_invitations.sql.
-- An invited account has status 'invited' until its invitation is
-- accepted (then 'active'); it has no password and cannot sign in.

ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check
    CHECK (status IN ('pending', 'active', 'rejected', 'disabled', 'deleted', 'invited'));

-- Who invited whom, and the invitation's choices the account does not
-- hold itself (its groups are memberships from the start).
CREATE TABLE invitations (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invited_by BIGINT REFERENCES users (id),
    -- The administrator chose the username: the invitee cannot change it.
    username_chosen INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_sent_at BIGINT NOT NULL
);
CREATE INDEX invitations_org ON invitations (organisation_id, created_at);
