//! Role requests: a user asks for another role; a reviewer decides.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::{
    AppId, RoleId, RoleRequest, RoleRequestId, RoleRequestStatus, Timestamp, UserId,
};

#[derive(FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    username: String,
    full_name: String,
    from_role_id: i64,
    from_role_name: String,
    role_id: i64,
    role_name: String,
    justification: String,
    status: String,
    created_at: i64,
    decided_at: Option<i64>,
    decided_by_username: Option<String>,
    note: Option<String>,
    app_name: Option<String>,
}

impl TryFrom<Row> for RoleRequest {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<RoleRequest> {
        Ok(RoleRequest {
            id: RoleRequestId(row.id),
            status: RoleRequestStatus::parse(&row.status)
                .with_context(|| format!("role request {} has unknown status", row.id))?,
            user_id: UserId(row.user_id),
            username: row.username,
            full_name: row.full_name,
            from_role_id: RoleId(row.from_role_id),
            from_role_name: row.from_role_name,
            role_id: RoleId(row.role_id),
            role_name: row.role_name,
            justification: row.justification,
            created_at: Timestamp(row.created_at),
            decided_at: row.decided_at.map(Timestamp),
            decided_by_username: row.decided_by_username,
            note: row.note,
            app_name: row.app_name,
        })
    }
}

const SELECT: &str = "SELECT q.id, q.user_id, u.username, u.full_name, q.from_role_id, \
     fr.name AS from_role_name, q.role_id, r.name AS role_name, q.justification, q.status, \
     q.created_at, q.decided_at, q.decided_by_username, q.note, a.name AS app_name \
     FROM role_requests q JOIN users u ON u.id = q.user_id \
     JOIN roles r ON r.id = q.role_id JOIN roles fr ON fr.id = q.from_role_id \
     LEFT JOIN apps a ON a.id = q.app_id";

fn convert(rows: Vec<Row>) -> anyhow::Result<Vec<RoleRequest>> {
    rows.into_iter().map(RoleRequest::try_from).collect()
}

pub async fn insert(
    scoped: Scoped<'_>,
    user: UserId,
    from_role: RoleId,
    role: RoleId,
    app: Option<AppId>,
    justification: &str,
    now: Timestamp,
) -> Result<RoleRequestId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO role_requests (user_id, from_role_id, role_id, justification, status, \
         created_at, organisation_id, app_id) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) \
         RETURNING id",
    )
    .bind(user.0)
    .bind(from_role.0)
    .bind(role.0)
    .bind(justification)
    .bind(now.0)
    .bind(scope.org()?)
    .bind(app.map(|a| a.0))
    .fetch_one(conn)
    .await?;
    Ok(RoleRequestId(id))
}

pub async fn find(scoped: Scoped<'_>, id: RoleRequestId) -> anyhow::Result<Option<RoleRequest>> {
    let (conn, scope) = scoped.parts();
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE q.id = $1 AND q.organisation_id = $2"
    ))
    .bind(id.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .with_context(|| format!("could not load role request {id}"))?;
    row.map(RoleRequest::try_from).transpose()
}

/// A user's requests, newest first.
pub async fn for_user(
    scoped: Scoped<'_>,
    user: UserId,
    limit: u64,
) -> anyhow::Result<Vec<RoleRequest>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE q.user_id = $1 AND q.organisation_id = $3 \
         ORDER BY q.created_at DESC, q.id DESC LIMIT $2"
    ))
    .bind(user.0)
    .bind(limit as i64)
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .with_context(|| format!("could not load the role requests of user {user}"))?;
    convert(rows)
}

/// Requests in `status` (all when `None`), oldest first so the queue is fair.
pub async fn list(
    scoped: Scoped<'_>,
    status: Option<RoleRequestStatus>,
    limit: u64,
    offset: u64,
) -> anyhow::Result<(Vec<RoleRequest>, u64)> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    let status = status.map(RoleRequestStatus::as_str).unwrap_or("");
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_requests q WHERE q.organisation_id = $2 \
         AND ($1 = '' OR q.status = $1)",
    )
    .bind(status)
    .bind(organisation)
    .fetch_one(&mut *conn)
    .await
    .context("could not count role requests")?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE q.organisation_id = $4 AND ($1 = '' OR q.status = $1) \
         ORDER BY q.created_at ASC, q.id ASC LIMIT $2 OFFSET $3"
    ))
    .bind(status)
    .bind(limit as i64)
    .bind(offset as i64)
    .bind(organisation)
    .fetch_all(conn)
    .await
    .context("could not list role requests")?;
    Ok((convert(rows)?, total.max(0) as u64))
}

pub async fn count_open(scoped: Scoped<'_>) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_requests WHERE organisation_id = $1 AND status = 'open'",
    )
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not count open role requests")?;
    Ok(n.max(0) as u64)
}

/// How many requests are open, and when the oldest was made.
pub async fn oldest_open(scoped: Scoped<'_>) -> anyhow::Result<(i64, Option<Timestamp>)> {
    let (conn, scope) = scoped.parts();
    let (n, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM role_requests \
         WHERE organisation_id = $1 AND status = 'open'",
    )
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not read the open role requests")?;
    Ok((n, oldest.map(Timestamp)))
}

/// Closes an open request. `decider` is `None` when the requester withdraws it.
pub async fn close(
    scoped: Scoped<'_>,
    id: RoleRequestId,
    status: RoleRequestStatus,
    decider: Option<(UserId, &str)>,
    note: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE role_requests SET status = $1, decided_at = $2, decided_by = $3, \
         decided_by_username = $4, note = $5 WHERE id = $6 AND status = 'open' \
         AND organisation_id = $7",
    )
    .bind(status.as_str())
    .bind(now.0)
    .bind(decider.map(|(id, _)| id.0))
    .bind(decider.map(|(_, name)| name.to_owned()))
    .bind(note)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not close role request {id}"))?;
    anyhow::ensure!(
        done.rows_affected() == 1,
        "role request {id} was no longer open"
    );
    Ok(())
}
