//! The signed-in user as every request reads them: status, role, the
//! permissions of their role and their groups' roles, their groups, in one
//! row, whether through a session (`db::sessions::load_many`), an API token
//! (`db::tokens::authenticate`) or by id (`find_auth`).

use std::sync::LazyLock;

use anyhow::Context;
use sqlx::FromRow;

use super::{Conn, Scoped};
use crate::domain::{
    AuthUser, GroupId, OrgId, OrgStatus, PermissionSet, RoleId, UserId, UserStatus,
};

/// The SQL for `AuthUser`'s columns of the user aliased `u` (joined to its
/// role as `r`), so the signed-in user arrives as a single row on every
/// request: the permissions of their own role as one comma-separated
/// column, and one row per group membership × role the group grants ×
/// permission of that role as another (`memberships`), from which the
/// groups, the granted roles and the rest of the permissions are parsed.
/// Two lists rather than one per kind: PostgreSQL sets up every node of a
/// statement's plan on every execution, and that setting up was a third of
/// its time on this request (docs/performance.md).
pub(super) fn auth_columns(conn: &Conn) -> &'static str {
    match super::is_sqlite(conn) {
        true => &SQLITE_AUTH_COLUMNS,
        false => &POSTGRES_AUTH_COLUMNS,
    }
}

/// `auth_columns` for one backend. A list is `group_concat` on SQLite and
/// an `ARRAY(…)` joined on PostgreSQL, where it needs no aggregate node.
fn auth_columns_for(list: fn(&str) -> String) -> String {
    format!(
        "u.id AS user_id, u.organisation_id, u.username, u.full_name, \
         u.status, u.role_id, r.name AS role_name, {} AS permissions, \
         (SELECT status FROM organisations WHERE id = u.organisation_id) AS organisation_status, \
         u.email, {} AS memberships, u.must_change_password, u.email_verified_at",
        list("permission FROM role_permissions WHERE role_id = u.role_id"),
        list(
            "CAST(gm.group_id AS TEXT) || ':' || COALESCE(CAST(gr.role_id AS TEXT), '') || ':' \
             || COALESCE(rp.permission, '') || ':' || g.name \
             FROM group_members gm JOIN user_groups g ON g.id = gm.group_id \
             LEFT JOIN group_roles gr ON gr.group_id = gm.group_id \
             LEFT JOIN role_permissions rp ON rp.role_id = gr.role_id WHERE gm.user_id = u.id"
        ),
    )
}

static SQLITE_AUTH_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    auth_columns_for(|select| {
        let (item, rest) = select.split_once(" FROM ").expect("a list selects FROM");
        format!("(SELECT group_concat({item}, ',') FROM {rest})")
    })
});
static POSTGRES_AUTH_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    auth_columns_for(|select| format!("array_to_string(ARRAY(SELECT {select}), ',')"))
});

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
    /// "group:role:permission:name" per group, role it grants and
    /// permission of that role (role and permission empty where there are
    /// none), comma-separated (group names hold no comma).
    memberships: Option<String>,
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
        memberships,
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
    let memberships = Memberships::parse(memberships.as_deref().unwrap_or(""));
    let own = permissions.as_deref().unwrap_or("").split(',');
    Ok(Some(AuthUser {
        id: UserId(id),
        organisation,
        username,
        full_name,
        status: UserStatus::parse(&status).context("unknown user status")?,
        role_id: RoleId(role_id),
        role_name,
        permissions: PermissionSet::from_strs(own.chain(memberships.permissions))
            .within(organisation),
        email,
        groups: memberships.groups,
        granted_roles: memberships.granted_roles,
        must_change_password: must_change_password.unwrap_or(0) != 0,
        email_verified: email_verified_at.is_some(),
    }))
}

/// The `memberships` column, parsed.
#[derive(Debug, PartialEq)]
struct Memberships<'a> {
    /// Sorted by name, each once.
    groups: Vec<(GroupId, String)>,
    /// The roles the groups grant, each once.
    granted_roles: Vec<RoleId>,
    /// The permissions of those roles, repeats included.
    permissions: Vec<&'a str>,
}

impl<'a> Memberships<'a> {
    /// "3:2:users.read:Ops,3:2:audit.read:Ops,1:::Dev": a row per group ×
    /// granted role × permission; an item that does not parse is skipped.
    fn parse(text: &'a str) -> Self {
        let mut groups: Vec<(GroupId, String)> = Vec::new();
        let mut granted_roles = Vec::new();
        let mut permissions = Vec::new();
        for item in text.split(',') {
            let mut parts = item.splitn(4, ':');
            let (Some(group), Some(role), Some(permission), Some(name)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(group) = group.parse() else { continue };
            if groups.last().is_none_or(|(id, _)| id.0 != group) {
                groups.push((GroupId(group), name.to_owned()));
            }
            if let Ok(role) = role.parse() {
                granted_roles.push(RoleId(role));
            }
            if !permission.is_empty() {
                permissions.push(permission);
            }
        }
        // A group's items may be apart: keep each group once, then order by name.
        groups.sort_by_key(|(id, _)| *id);
        groups.dedup_by_key(|(id, _)| *id);
        groups.sort_by_cached_key(|(_, name)| name.to_lowercase());
        granted_roles.sort();
        granted_roles.dedup();
        Memberships {
            groups,
            granted_roles,
            permissions,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memberships_give_each_group_once_sorted_by_name_with_its_roles_and_their_permissions() {
        let parsed = Memberships::parse(
            "3:2:users.read:ops,3:2:audit.read:ops,1:::Dev,3:5::ops,7:2:users.read:a:b",
        );
        assert_eq!(
            parsed,
            Memberships {
                groups: vec![
                    (GroupId(7), "a:b".to_owned()),
                    (GroupId(1), "Dev".to_owned()),
                    (GroupId(3), "ops".to_owned()),
                ],
                granted_roles: vec![RoleId(2), RoleId(5)],
                permissions: vec!["users.read", "audit.read", "users.read"],
            }
        );
    }

    #[test]
    fn no_memberships_and_unreadable_items_give_nothing() {
        let none = Memberships {
            groups: Vec::new(),
            granted_roles: Vec::new(),
            permissions: Vec::new(),
        };
        assert_eq!(Memberships::parse(""), none);
        assert_eq!(Memberships::parse("x:1:users.read:Ops,3:1"), none);
    }

    #[test]
    fn each_backend_lists_with_its_own_function() {
        assert!(
            SQLITE_AUTH_COLUMNS
                .contains("(SELECT group_concat(permission, ',') FROM role_permissions")
        );
        assert!(!SQLITE_AUTH_COLUMNS.contains("ARRAY"));
        assert!(
            POSTGRES_AUTH_COLUMNS
                .contains("array_to_string(ARRAY(SELECT permission FROM role_permissions")
        );
        assert!(!POSTGRES_AUTH_COLUMNS.contains("group_concat"));
    }
}
