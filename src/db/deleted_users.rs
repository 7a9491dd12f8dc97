//! Deleted users: the soft delete, the restore, and the purge that leaves a
//! tombstone once the retention period ends.

use anyhow::Context;

use super::Scoped;
use crate::domain::{OrgId, Timestamp, UserId};

/// Deletes a user: status `deleted`, remembering the status to restore.
pub async fn soft_delete(
    scoped: Scoped<'_>,
    id: UserId,
    reason: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET status_before_delete = status, status = 'deleted', deleted_at = $1, \
         deleted_reason = $2, status_changed_at = $1, updated_at = $1 \
         WHERE id = $3 AND organisation_id = $4 AND status <> 'deleted'",
    )
    .bind(now.0)
    .bind(reason)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not delete user {id}"))?;
    Ok(())
}

/// Gives a deleted (not purged) user back the status they had.
pub async fn restore(scoped: Scoped<'_>, id: UserId, now: Timestamp) -> Result<(), sqlx::Error> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET status = status_before_delete, status_before_delete = NULL, \
         deleted_at = NULL, deleted_reason = NULL, status_changed_at = $1, updated_at = $1 \
         WHERE id = $2 AND organisation_id = $3 AND status = 'deleted' AND purged_at IS NULL",
    )
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deleted users of every organisation whose retention ended before
/// `cutoff` and who are not purged yet: (id, organisation, username), at
/// most `limit`, oldest deletion first (the instance's purge job).
pub async fn due_for_purge(
    scoped: Scoped<'_>,
    cutoff: Timestamp,
    limit: u64,
) -> anyhow::Result<Vec<(UserId, OrgId, String)>> {
    let (conn, _instance) = scoped.parts();
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, organisation_id, username FROM users \
         WHERE deleted_at IS NOT NULL AND purged_at IS NULL AND deleted_at < $1 \
         AND status = 'deleted' ORDER BY deleted_at LIMIT $2",
    )
    .bind(cutoff.0)
    .bind(limit as i64)
    .fetch_all(conn)
    .await
    .context("could not find deleted users due for purging")?;
    Ok(rows
        .into_iter()
        .map(|(id, org, name)| (UserId(id), OrgId(org), name))
        .collect())
}

/// Erases a deleted user's personal data (name, email, phone, custom fields, password hash and
/// the search key made of them), leaving a tombstone: the id, the
/// organisation, role, dates and counters. The username becomes
/// `deleted-<id>` and the email `deleted-<id>@purged.invalid`; being
/// deleted, the row blocks no one's username or email (the unique indexes
/// leave deleted rows out), and a hash of `!` matches no password.
pub async fn purge(scoped: Scoped<'_>, id: UserId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let tomb = format!("deleted-{}", id.0);
    sqlx::query(
        "UPDATE users SET username = $1, username_key = $1, email = $2, email_key = $2, \
         full_name = 'Deleted user', full_name_key = 'deleted user', phone = '', metadata = '{}', password_hash = '!', \
         search_key = '', deleted_reason = NULL, purged_at = $3, updated_at = $3 \
         WHERE id = $4 AND organisation_id = $5 AND status = 'deleted' AND purged_at IS NULL",
    )
    .bind(&tomb)
    .bind(format!("{tomb}@purged.invalid"))
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not purge user {id}"))?;
    Ok(())
}
