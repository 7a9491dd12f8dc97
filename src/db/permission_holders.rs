//! Who holds a permission: the last-administrator rule and the first-admin
//! hint ask these.

use anyhow::Context;

use super::Scoped;
use crate::domain::{Permission, UserId};

/// Whether an active user of the organisation other than `excluding`
/// holds `permission`, through their role or a role one of their groups
/// grants. Stops at the first holder, so it costs the same at a million
/// users as at ten.
pub async fn holder_exists(
    scoped: Scoped<'_>,
    permission: Permission,
    excluding: Option<UserId>,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (\
         SELECT 1 FROM role_permissions rp JOIN users u ON u.role_id = rp.role_id \
         WHERE rp.permission = $1 AND u.status = 'active' AND u.organisation_id = $2 \
         AND u.id <> $3 \
         UNION ALL \
         SELECT 1 FROM role_permissions rp JOIN group_roles gr ON gr.role_id = rp.role_id \
         JOIN group_members gm ON gm.group_id = gr.group_id JOIN users u ON u.id = gm.user_id \
         WHERE rp.permission = $1 AND u.status = 'active' AND u.organisation_id = $2 \
         AND u.id <> $3 LIMIT 1) AS holder",
    )
    .bind(permission.as_str())
    .bind(scope.org()?)
    .bind(excluding.map_or(-1, |id| id.0))
    .fetch_one(conn)
    .await
    .context("could not look for an administrator")?;
    Ok(found > 0)
}

/// Whether any active user can manage users (the first-admin hint at start).
pub async fn admin_exists(scoped: Scoped<'_>) -> anyhow::Result<bool> {
    holder_exists(scoped, Permission::UsersManage, None).await
}
