//! The signed-in user as every request reads them: status, role, the
//! permissions of their role and their groups' roles, their groups, in one
//! row, whether through a session (`db::sessions::load`), an API token
//! (`db::tokens::authenticate`) or by id (`find_auth`).

use std::sync::LazyLock;

use anyhow::Context;
use sqlx::FromRow;

use super::{Conn, Scoped};
use crate::domain::{
    AuthUser, GroupId, OrgId, OrgStatus, PermissionSet, RoleId, UserId, UserStatus,
};

/// The SQL for `AuthUser`'s columns of the user aliased `u` (joined to its
/// role as `r`), with the permissions of their role and of the roles their
/// groups grant as one comma-separated column (repeats are dropped when it
/// is parsed), so the signed-in user arrives as a single row on every
/// request. Two branches joined by UNION ALL rather than one `OR … IN`,
/// which PostgreSQL answered by reading every organisation's role grants
/// (docs/performance.md).
pub(super) fn auth_columns(conn: &Conn) -> &'static str {
    match super::is_sqlite(conn) {
        true => &SQLITE_AUTH_COLUMNS,
        false => &POSTGRES_AUTH_COLUMNS,
    }
}

/// `auth_columns` written once; `{agg}` is the backend's string aggregate.
const AUTH_COLUMNS: &str = "u.id AS user_id, u.organisation_id, u.username, u.full_name, \
     u.status, u.role_id, r.name AS role_name, \
     (SELECT {agg}(p.permission, ',') FROM (SELECT permission FROM role_permissions \
      WHERE role_id = u.role_id UNION ALL SELECT rp.permission FROM group_members gm \
      JOIN group_roles gr ON gr.group_id = gm.group_id \
      JOIN role_permissions rp ON rp.role_id = gr.role_id WHERE gm.user_id = u.id) p) \
     AS permissions, \
     (SELECT status FROM organisations WHERE id = u.organisation_id) AS organisation_status, \
     u.email, \
     (SELECT {agg}(CAST(g.id AS TEXT) || ':' || g.name, ',') FROM group_members gm \
      JOIN user_groups g ON g.id = gm.group_id WHERE gm.user_id = u.id) AS groups, \
     (SELECT {agg}(CAST(gr.role_id AS TEXT), ',') FROM group_members gm \
      JOIN group_roles gr ON gr.group_id = gm.group_id WHERE gm.user_id = u.id) AS granted_roles, \
     u.must_change_password, u.email_verified_at";

static SQLITE_AUTH_COLUMNS: LazyLock<String> =
    LazyLock::new(|| AUTH_COLUMNS.replace("{agg}", "group_concat"));
static POSTGRES_AUTH_COLUMNS: LazyLock<String> =
    LazyLock::new(|| AUTH_COLUMNS.replace("{agg}", "string_agg"));

/// The columns of `auth_columns`, nullable for a LEFT JOIN that finds no user.
#[derive(FromRow)]
pub(super) struct AuthRow {
    user_id: Option<i64>,
    organisation_id: Option<i64>,
    username: Option<String>,
    full_name: Option<String>,
    status: Option<String>,
    role_id: Option<i64>,
    role_name: Option<String>,
    permissions: Option<String>,
    organisation_status: Option<String>,
    email: Option<String>,
    /// "id:name" per group, comma-separated (group names hold no comma).
    groups: Option<String>,
    granted_roles: Option<String>,
    must_change_password: Option<i64>,
    email_verified_at: Option<i64>,
}

/// The user in an `auth_columns` row, if the row found one. A user of a
/// disabled organisation is nobody: their sessions ended when it was
/// disabled, and one that outlived that (a race) signs nobody in.
pub(super) fn auth_user(row: AuthRow) -> anyhow::Result<Option<AuthUser>> {
    let AuthRow {
        user_id: Some(id),
        organisation_id: Some(organisation),
        username: Some(username),
        full_name: Some(full_name),
        status: Some(status),
        role_id: Some(role_id),
        role_name: Some(role_name),
        permissions,
        organisation_status,
        email: Some(email),
        groups,
        granted_roles,
        must_change_password,
        email_verified_at,
    } = row
    else {
        return Ok(None);
    };
    if organisation_status.as_deref().and_then(OrgStatus::parse) != Some(OrgStatus::Active) {
        return Ok(None);
    }
    let organisation = OrgId(organisation);
    Ok(Some(AuthUser {
        id: UserId(id),
        organisation,
        username,
        full_name,
        status: UserStatus::parse(&status).context("unknown user status")?,
        role_id: RoleId(role_id),
        role_name,
        permissions: PermissionSet::from_strs(permissions.as_deref().unwrap_or("").split(','))
            .within(organisation),
        email,
        groups: parse_groups(groups.as_deref().unwrap_or("")),
        granted_roles: parse_ids(granted_roles.as_deref().unwrap_or(""), RoleId),
        must_change_password: must_change_password.unwrap_or(0) != 0,
        email_verified: email_verified_at.is_some(),
    }))
}

/// "3:Ops,1:Dev" as groups sorted by name.
fn parse_groups(text: &str) -> Vec<(GroupId, String)> {
    let mut groups: Vec<(GroupId, String)> = text
        .split(',')
        .filter_map(|item| {
            let (id, name) = item.split_once(':')?;
            Some((GroupId(id.parse().ok()?), name.to_owned()))
        })
        .collect();
    groups.sort_by_cached_key(|(_, name)| name.to_lowercase());
    groups
}

/// "3,1,3" as distinct ids.
fn parse_ids<T: Ord>(text: &str, id: impl Fn(i64) -> T) -> Vec<T> {
    let mut ids: Vec<T> = text
        .split(',')
        .filter_map(|n| n.parse().ok())
        .map(id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Status, role and permissions, read fresh for every request. By id in
/// any organisation: the id comes from the server-side session, and the
/// user's organisation comes back with them.
pub async fn find_auth(scoped: Scoped<'_>, id: UserId) -> anyhow::Result<Option<AuthUser>> {
    let (conn, _instance) = scoped.parts();
    let sql = format!(
        "SELECT {} FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = $1",
        auth_columns(conn)
    );
    let row: Option<AuthRow> = sqlx::query_as(&sql)
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .context("could not load the signed-in user")?;
    Ok(row.map(auth_user).transpose()?.flatten())
}
