-- Notifications (sqlite). Keep in step with ../postgres/0021_notifications.sql.

-- The in-app notification centre: one row per notice to one user, kept 90
-- days (the session purge deletes older ones).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    -- A page of Gatehouse's the notice is about ("/admin/users/7"), or ''.
    link TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
CREATE INDEX notifications_created ON notifications (created_at);

-- What each user gets by mail besides security notices (which cannot be
-- turned off), and when a reviewer was last mailed a digest.
CREATE TABLE notification_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- Kinds not to mail, comma-separated.
    mail_off TEXT NOT NULL DEFAULT '',
    digest_sent_at BIGINT
);

-- Where each user signed in from (a browser family and a /24 or /48
-- network) in the last 90 days: a sign-in from elsewhere is told to them.
CREATE TABLE known_sign_ins (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    browser TEXT NOT NULL,
    network TEXT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, browser, network)
);
