-- Groups (SQLite). Keep in step with ../postgres/0010_groups.sql.
-- Groups of users per organisation, many-to-many; a group may grant roles,
-- and its members hold the permissions of those roles besides their own
-- role's. Names are unique per organisation, case-insensitively.

CREATE TABLE user_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, name_key)
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
-- A user's groups, read with their permissions on every request.
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE group_roles (
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role ON group_roles (role_id, group_id);

-- Whoever could manage roles can manage groups.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'groups.manage' FROM role_permissions WHERE permission = 'roles.manage';
