//! Roles are rows; each grants a set of permissions from the fixed list in code.

use anyhow::Context;

use super::{Conn, Db, Scoped};
use crate::domain::{
    DEFAULT_ROLES, OrgId, Permission, PermissionSet, Role, RoleId, RoleUsage, Timestamp, case_key,
};

/// The organisation's roles (one when `only` is given) with their
/// permissions, by name.
async fn load(
    conn: &mut Conn,
    organisation: i64,
    only: Option<RoleId>,
) -> anyhow::Result<Vec<Role>> {
    let only = only.map_or(-1, |id| id.0);
    // One statement, a row per role and permission: each statement is a
    // round trip, and the user page reads the roles on every view.
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT r.id, r.name, r.description, rp.permission FROM roles r \
         LEFT JOIN role_permissions rp ON rp.role_id = r.id \
         WHERE r.organisation_id = $2 AND ($1 = -1 OR r.id = $1) ORDER BY r.name_key, r.id",
    )
    .bind(only)
    .bind(organisation)
    .fetch_all(conn)
    .await
    .context("could not list roles")?;
    let mut roles: Vec<Role> = Vec::new();
    for (id, name, description, permission) in rows {
        if roles.last().is_none_or(|r| r.id.0 != id) {
            roles.push(Role {
                id: RoleId(id),
                name,
                description,
                permissions: PermissionSet::new(),
            });
        }
        let known = permission.as_deref().and_then(Permission::parse);
        if let (Some(role), Some(permission)) = (roles.last_mut(), known) {
            role.permissions.insert(permission);
        }
    }
    Ok(roles)
}

/// Every role with its permissions, by name.
pub async fn list(scoped: Scoped<'_>) -> anyhow::Result<Vec<Role>> {
    let (conn, scope) = scoped.parts();
    load(conn, scope.org()?, None).await
}

/// Every role with its permissions and number of users, by name.
pub async fn usage(scoped: Scoped<'_>) -> anyhow::Result<Vec<RoleUsage>> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT role_id, COUNT(*) FROM users WHERE organisation_id = $1 GROUP BY role_id",
    )
    .bind(organisation)
    .fetch_all(&mut *conn)
    .await
    .context("could not count users per role")?;
    Ok(load(conn, organisation, None)
        .await?
        .into_iter()
        .map(|role| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == role.id.0)
                .map_or(0, |(_, n)| *n);
            RoleUsage {
                role,
                user_count: n.max(0) as u64,
            }
        })
        .collect())
}

/// Role ids and names only (no user counts), for pickers on busy pages.
pub async fn names(scoped: Scoped<'_>) -> anyhow::Result<Vec<(RoleId, String)>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM roles WHERE organisation_id = $1 ORDER BY name_key")
            .bind(scope.org()?)
            .fetch_all(conn)
            .await
            .context("could not list role names")?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (RoleId(id), name))
        .collect())
}

pub async fn find(scoped: Scoped<'_>, id: RoleId) -> anyhow::Result<Option<Role>> {
    let (conn, scope) = scoped.parts();
    Ok(load(conn, scope.org()?, Some(id)).await?.into_iter().next())
}

pub async fn find_by_name(scoped: Scoped<'_>, name: &str) -> anyhow::Result<Option<RoleId>> {
    let (conn, scope) = scoped.parts();
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM roles WHERE name_key = $1 AND organisation_id = $2")
            .bind(case_key(name.trim()))
            .bind(scope.org()?)
            .fetch_optional(conn)
            .await
            .context("could not look up a role by name")?;
    Ok(id.map(RoleId))
}

pub async fn insert(
    scoped: Scoped<'_>,
    name: &str,
    description: &str,
    now: Timestamp,
) -> Result<RoleId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO roles (name, name_key, description, created_at, organisation_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(case_key(name))
    .bind(description)
    .bind(now.0)
    .bind(scope.org()?)
    .fetch_one(conn)
    .await?;
    Ok(RoleId(id))
}

/// Replaces the permissions a role grants.
pub async fn set_permissions(
    scoped: Scoped<'_>,
    role: RoleId,
    permissions: &PermissionSet,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let in_scope: Option<i64> =
        sqlx::query_scalar("SELECT id FROM roles WHERE id = $1 AND organisation_id = $2")
            .bind(role.0)
            .bind(scope.org()?)
            .fetch_optional(&mut *conn)
            .await
            .context("could not look up the role")?;
    anyhow::ensure!(
        in_scope.is_some(),
        "role {role} is not in this organisation"
    );
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
        .bind(role.0)
        .execute(&mut *conn)
        .await
        .context("could not clear role permissions")?;
    for permission in permissions.iter() {
        sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(role.0)
            .bind(permission.as_str())
            .execute(&mut *conn)
            .await
            .context("could not grant a permission")?;
    }
    Ok(())
}

/// Gives `scoped`'s organisation the four default roles, unless it has
/// roles already. Safe to run from several instances at once (inside a
/// write transaction, which serialises them). Only the default
/// organisation's Admin manages organisations.
pub async fn seed_defaults(mut scoped: Scoped<'_>) -> anyhow::Result<()> {
    let organisation = OrgId(scoped.scope().org()?);
    if !list(scoped.again()).await?.is_empty() {
        return Ok(());
    }
    let now = Timestamp::now();
    for (name, permissions) in DEFAULT_ROLES {
        let id = insert(scoped.again(), name, "", now)
            .await
            .context("could not insert a default role")?;
        let granted: PermissionSet = permissions.iter().copied().collect();
        let granted = granted.within(organisation);
        set_permissions(scoped.again(), id, &granted).await?;
    }
    Ok(())
}

/// The default organisation's roles on an empty database, at start.
pub async fn seed_instance_defaults(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let scope = super::Scope::organisation(crate::domain::DEFAULT_ORGANISATION);
    seed_defaults(scope.on(&mut tx)).await?;
    tx.commit()
        .await
        .context("could not commit the default roles")
}
