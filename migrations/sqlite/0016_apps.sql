-- Applications (sqlite). Keep in step with ../postgres/0016_apps.sql.
-- An organisation's internal tools that Gatehouse guards: each is served on
-- one or more host names and opened by the members of the roles and groups
-- of its access rule. A host name belongs to one app across the whole
-- instance: /auth/verify finds the app from the host the proxy reports.

CREATE TABLE apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, slug)
);

-- Lower-cased, with an optional ":port".
CREATE TABLE app_hosts (
    host TEXT PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE
);
CREATE INDEX app_hosts_app ON app_hosts (app_id);

CREATE TABLE app_roles (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    PRIMARY KEY (app_id, role_id)
);

CREATE TABLE app_groups (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, group_id)
);

-- "For which app" on a role request; the request stays when the app goes.
ALTER TABLE role_requests ADD COLUMN app_id BIGINT REFERENCES apps (id) ON DELETE SET NULL;

-- Whoever could manage roles can register apps.
INSERT INTO role_permissions (role_id, permission)
    SELECT role_id, 'apps.manage' FROM role_permissions WHERE permission = 'roles.manage';
