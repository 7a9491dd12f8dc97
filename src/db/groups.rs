//! Groups, their members and the roles they grant. Every statement binds
//! the scope's organisation; members and roles are checked to be the
//! organisation's own before they are linked.

use anyhow::Context;

use super::Scoped;
use crate::domain::{Group, GroupId, GroupMember, RoleId, Timestamp, UserId, case_key};

/// The organisation's groups (one when `only` is given), by name, with the
/// roles they grant and their number of members.
/// With `member`, each group says whether that user is in it.
async fn load(
    scoped: Scoped<'_>,
    only: Option<GroupId>,
    member: Option<UserId>,
) -> anyhow::Result<Vec<(Group, bool)>> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    let only = only.map_or(-1, |id| id.0);
    // One statement, a row per group and role it grants (the user page
    // reads every group on each view; each statement is a round trip).
    type Row = (i64, String, String, i64, i64, Option<i64>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT g.id, g.name, g.description, \
         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id), \
         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id AND m.user_id = $3), \
         r.id, r.name \
         FROM user_groups g LEFT JOIN group_roles gr ON gr.group_id = g.id \
         LEFT JOIN roles r ON r.id = gr.role_id AND r.organisation_id = g.organisation_id \
         WHERE g.organisation_id = $1 AND ($2 = -1 OR g.id = $2) \
         ORDER BY g.name_key, g.id, r.name_key",
    )
    .bind(organisation)
    .bind(only)
    .bind(member.map_or(-1, |id| id.0))
    .fetch_all(conn)
    .await
    .context("could not list groups")?;
    let mut groups: Vec<(Group, bool)> = Vec::new();
    for (id, name, description, members, is_member, role, role_name) in rows {
        if groups.last().is_none_or(|(g, _)| g.id.0 != id) {
            let group = Group {
                id: GroupId(id),
                name,
                description,
                roles: Vec::new(),
                member_count: members.max(0) as u64,
            };
            groups.push((group, is_member > 0));
        }
        if let (Some((group, _)), Some(role), Some(role_name)) =
            (groups.last_mut(), role, role_name)
        {
            group.roles.push((RoleId(role), role_name));
        }
    }
    Ok(groups)
}

pub async fn list(scoped: Scoped<'_>) -> anyhow::Result<Vec<Group>> {
    Ok(load(scoped, None, None)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .collect())
}

/// The organisation's groups, each with whether `user` is in it.
pub async fn list_for(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<Vec<(Group, bool)>> {
    load(scoped, None, Some(user)).await
}

pub async fn find(scoped: Scoped<'_>, id: GroupId) -> anyhow::Result<Option<Group>> {
    Ok(load(scoped, Some(id), None)
        .await?
        .into_iter()
        .next()
        .map(|(g, _)| g))
}

pub async fn insert(
    scoped: Scoped<'_>,
    name: &str,
    description: &str,
    now: Timestamp,
) -> Result<GroupId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO user_groups (organisation_id, name, name_key, description, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(scope.org()?)
    .bind(name)
    .bind(case_key(name))
    .bind(description)
    .bind(now.0)
    .fetch_one(conn)
    .await?;
    Ok(GroupId(id))
}

pub async fn set_description(
    scoped: Scoped<'_>,
    id: GroupId,
    description: &str,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query("UPDATE user_groups SET description = $1 WHERE id = $2 AND organisation_id = $3")
        .bind(description)
        .bind(id.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not describe group {id}"))?;
    Ok(())
}

/// Replaces the roles a group grants with `roles`, keeping only the
/// organisation's own.
pub async fn set_roles(scoped: Scoped<'_>, id: GroupId, roles: &[RoleId]) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    sqlx::query(
        "DELETE FROM group_roles WHERE group_id IN \
         (SELECT id FROM user_groups WHERE id = $1 AND organisation_id = $2)",
    )
    .bind(id.0)
    .bind(organisation)
    .execute(&mut *conn)
    .await
    .with_context(|| format!("could not clear what group {id} grants"))?;
    for role in roles {
        sqlx::query(
            "INSERT INTO group_roles (group_id, role_id) \
             SELECT g.id, r.id FROM user_groups g, roles r \
             WHERE g.id = $1 AND r.id = $2 AND g.organisation_id = $3 AND r.organisation_id = $3",
        )
        .bind(id.0)
        .bind(role.0)
        .bind(organisation)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("could not let group {id} grant role {role}"))?;
    }
    Ok(())
}

pub async fn delete(scoped: Scoped<'_>, id: GroupId) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query("DELETE FROM user_groups WHERE id = $1 AND organisation_id = $2")
        .bind(id.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not delete group {id}"))?;
    Ok(())
}

/// A group's members, by username.
pub async fn members(scoped: Scoped<'_>, id: GroupId) -> anyhow::Result<Vec<GroupMember>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.username, u.full_name, u.status FROM group_members m \
         JOIN users u ON u.id = m.user_id JOIN user_groups g ON g.id = m.group_id \
         WHERE m.group_id = $1 AND g.organisation_id = $2 AND u.organisation_id = $2 \
         ORDER BY u.username_key",
    )
    .bind(id.0)
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .with_context(|| format!("could not list the members of group {id}"))?;
    rows.into_iter()
        .map(|(id, username, full_name, status)| {
            Ok(GroupMember {
                id: UserId(id),
                status: super::users::stored_status(id, &status)?,
                username,
                full_name,
            })
        })
        .collect()
}

/// Adds `user` to the group when both are the organisation's; returns
/// whether a membership was added (false: already a member).
pub async fn add_member(
    scoped: Scoped<'_>,
    id: GroupId,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, added_at) \
         SELECT g.id, u.id, $3 FROM user_groups g, users u \
         WHERE g.id = $1 AND u.id = $2 AND g.organisation_id = $4 AND u.organisation_id = $4 \
         AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.user_id = $2)",
    )
    .bind(id.0)
    .bind(user.0)
    .bind(now.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not add user {user} to group {id}"))?;
    Ok(done.rows_affected() > 0)
}

/// Removes `user` from the group; returns whether they were a member.
pub async fn remove_member(scoped: Scoped<'_>, id: GroupId, user: UserId) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 AND group_id IN \
         (SELECT id FROM user_groups WHERE organisation_id = $3)",
    )
    .bind(id.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not remove user {user} from group {id}"))?;
    Ok(done.rows_affected() > 0)
}
