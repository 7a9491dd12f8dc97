-- Custom fields (sqlite). Keep in step with ../postgres/0014_custom_fields.sql.
-- Each organisation defines its own fields; a user's values live in one
-- JSON object, users.metadata, checked against the definitions on every
-- write (domain::custom_field) and at most 8 KiB. Keys and labels are
-- unique per organisation, labels case-insensitively.

CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    label_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- For a choice field, its choices one per line, in order.
    choices TEXT NOT NULL DEFAULT '',
    required INTEGER NOT NULL DEFAULT 0,
    at_registration INTEGER NOT NULL DEFAULT 0,
    user_editable INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, field_key),
    UNIQUE (organisation_id, label_key)
);

ALTER TABLE users ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';

-- Whoever could manage roles can manage custom fields.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'fields.manage' FROM role_permissions WHERE permission = 'roles.manage';
