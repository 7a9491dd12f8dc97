//! Server-side session rows. Only the SHA-256 of the cookie's key is stored,
//! so a copy of the table does not hand out live cookies. Pages name a
//! session by its `public_id`, which grants nothing.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use super::signed_in::{AuthRow, auth_columns, auth_user};
use crate::domain::session::SessionLimits;
use crate::domain::{AuthUser, Timestamp, UserId};

/// A session row as the store loads it (live or not: the store decides),
/// with its user's live status and permissions.
#[derive(Debug, Clone)]
pub struct LoadedSession {
    pub state: String,
    pub public_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// `None` for a session without a user or whose user is gone.
    pub user: Option<AuthUser>,
}

/// A session's columns followed by its user's (`auth_columns`).
#[derive(FromRow)]
struct LoadRow {
    id_hash: String,
    state: String,
    public_id: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    #[sqlx(flatten)]
    user: AuthRow,
}

impl LoadedSession {
    /// Whether the session is still live under `limits` at `now`.
    pub fn is_live(&self, limits: SessionLimits, now: Timestamp) -> bool {
        self.expires_at > now.0
            && limits.is_live(
                Timestamp(self.created_at),
                Timestamp(self.last_seen_at),
                now,
            )
    }
}

/// One of a user's live sessions, for the sessions pages.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub public_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What the store writes for a session.
#[derive(Debug, Clone)]
pub struct SessionWrite<'a> {
    pub id_hash: &'a str,
    pub user: Option<UserId>,
    pub state: &'a str,
    pub now: Timestamp,
    pub last_seen: Timestamp,
    pub expires_at: Timestamp,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The sessions behind `id_hashes` that have a row, each with its user and
/// the `id_hash` it was found by, in no particular order: one statement for
/// what every signed-in request needs, however many ask at once.
/// Instance-wide: the secret key finds the session, and the session its
/// user and organisation. The list of hashes is
/// padded to a power of two (repeating the last), so each connection
/// prepares a handful of statements rather than one per length.
pub async fn load_many(
    scoped: Scoped<'_>,
    id_hashes: &[&str],
) -> anyhow::Result<Vec<(String, LoadedSession)>> {
    let Some(last) = id_hashes.last() else {
        return Ok(Vec::new());
    };
    let (conn, _instance) = scoped.parts();
    let padded = id_hashes.len().next_power_of_two();
    let placeholders = (1..=padded)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT s.id_hash, s.state, s.public_id, s.created_at, s.last_seen_at, s.expires_at, \
         s.ip, s.user_agent, {} FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
         LEFT JOIN roles r ON r.id = u.role_id WHERE s.id_hash IN ({placeholders})",
        auth_columns(conn)
    );
    let mut query = sqlx::query_as::<_, LoadRow>(&sql);
    for id_hash in id_hashes.iter().chain(std::iter::repeat(last)).take(padded) {
        query = query.bind(*id_hash);
    }
    let rows = query
        .fetch_all(conn)
        .await
        .context("could not load a session")?;
    rows.into_iter()
        .map(|row| {
            let session = LoadedSession {
                state: row.state,
                public_id: row.public_id,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                expires_at: row.expires_at,
                ip: row.ip,
                user_agent: row.user_agent,
                user: auth_user(row.user)?,
            };
            Ok((row.id_hash, session))
        })
        .collect()
}

pub async fn insert(
    scoped: Scoped<'_>,
    public_id: &str,
    row: &SessionWrite<'_>,
) -> anyhow::Result<()> {
    // Instance-wide, by the session's secret; the row takes its user's
    // organisation.
    let (conn, _instance) = scoped.parts();
    sqlx::query(
        "INSERT INTO sessions (id_hash, public_id, user_id, state, created_at, updated_at, \
         last_seen_at, expires_at, ip, user_agent, organisation_id) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, \
         (SELECT organisation_id FROM users WHERE id = $3))",
    )
    .bind(row.id_hash)
    .bind(public_id)
    .bind(row.user.map(|u| u.0))
    .bind(row.state)
    .bind(row.now.0)
    .bind(row.last_seen.0)
    .bind(row.expires_at.0)
    .bind(row.ip)
    .bind(row.user_agent)
    .execute(conn)
    .await
    .context("could not save a session")?;
    Ok(())
}

/// Updates a live session; returns false when it no longer exists (revoked or
/// expired), in which case nothing is written and it stays gone. The expiry
/// never moves past the lifetime the row was created with.
pub async fn update(
    scoped: Scoped<'_>,
    row: &SessionWrite<'_>,
    limits: SessionLimits,
) -> anyhow::Result<bool> {
    // Instance-wide, by the session's secret, like `insert`.
    let (conn, _instance) = scoped.parts();
    let done = sqlx::query(
        "UPDATE sessions SET user_id = $1, state = $2, updated_at = $3, last_seen_at = $4, \
         organisation_id = (SELECT organisation_id FROM users WHERE id = $1), \
         expires_at = CASE WHEN created_at + $5 < $6 THEN created_at + $5 ELSE $6 END, \
         ip = COALESCE($7, ip), user_agent = COALESCE($8, user_agent) WHERE id_hash = $9",
    )
    .bind(row.user.map(|u| u.0))
    .bind(row.state)
    .bind(row.now.0)
    .bind(row.last_seen.0)
    .bind(limits.lifetime_ms)
    .bind(row.last_seen.0 + limits.idle_ms)
    .bind(row.ip)
    .bind(row.user_agent)
    .bind(row.id_hash)
    .execute(conn)
    .await
    .context("could not update a session")?;
    Ok(done.rows_affected() > 0)
}

/// Ends the session behind `id_hash` (instance-wide, by its secret).
pub async fn delete(scoped: Scoped<'_>, id_hash: &str) -> anyhow::Result<()> {
    let (conn, _instance) = scoped.parts();
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await
        .context("could not delete a session")?;
    Ok(())
}

/// Ends the user's (or everyone's) sign-ins to apps (OpenID Connect grants)
/// with their sessions: whoever ends someone's sessions means the apps too.
async fn end_app_grants(
    conn: &mut super::Conn,
    scope: &super::Scope,
    user: Option<UserId>,
) -> anyhow::Result<()> {
    super::oidc::revoke_grants(scope.on(conn), user, None, Timestamp::now()).await?;
    Ok(())
}

/// Ends every session of `user`, and their sign-ins to apps; returns how
/// many sessions there were.
pub async fn delete_for_user(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    end_app_grants(&mut *conn, scope, Some(user)).await?;
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND organisation_id = $2")
        .bind(user.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not end the sessions of user {user}"))?;
    Ok(done.rows_affected())
}

/// Ends every session of `user` except the one named `keep`, and their
/// sign-ins to apps (made from any session: a grant outlives the session).
pub async fn delete_others(
    scoped: Scoped<'_>,
    user: UserId,
    keep: Option<&str>,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    end_app_grants(&mut *conn, scope, Some(user)).await?;
    let done = sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND public_id <> $2 AND organisation_id = $3",
    )
    .bind(user.0)
    .bind(keep.unwrap_or(""))
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not end the other sessions of user {user}"))?;
    Ok(done.rows_affected())
}

/// Ends the session `public_id` if it belongs to `user`; returns whether it did.
pub async fn delete_one(scoped: Scoped<'_>, user: UserId, public_id: &str) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND public_id = $2 AND organisation_id = $3",
    )
    .bind(user.0)
    .bind(public_id)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not end a session")?;
    Ok(done.rows_affected() > 0)
}

/// The live sessions of `user`, most recently used first.
pub async fn list_for_user(
    scoped: Scoped<'_>,
    user: UserId,
    limits: SessionLimits,
    now: Timestamp,
) -> anyhow::Result<Vec<SessionRow>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_as(
        "SELECT public_id, created_at, last_seen_at, ip, user_agent FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 AND created_at > $3 AND last_seen_at > $4 \
         AND organisation_id = $5 ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user.0)
    .bind(now.0)
    .bind(limits.created_cutoff(now).0)
    .bind(limits.idle_cutoff(now).0)
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not list sessions")
}

/// Ends every session of the scope's organisation (it was disabled);
/// returns how many there were.
pub async fn delete_for_organisation(scoped: Scoped<'_>) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    end_app_grants(&mut *conn, scope, None).await?;
    let done = sqlx::query("DELETE FROM sessions WHERE organisation_id = $1")
        .bind(scope.org()?)
        .execute(conn)
        .await
        .context("could not end the organisation's sessions")?;
    Ok(done.rows_affected())
}

/// Deletes sessions that are no longer live, in every organisation (the
/// instance's upkeep); returns how many.
pub async fn purge_expired(
    scoped: Scoped<'_>,
    limits: SessionLimits,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, _instance) = scoped.parts();
    let done = sqlx::query(
        "DELETE FROM sessions WHERE expires_at <= $1 OR created_at <= $2 OR last_seen_at <= $3",
    )
    .bind(now.0)
    .bind(limits.created_cutoff(now).0)
    .bind(limits.idle_cutoff(now).0)
    .execute(conn)
    .await
    .context("could not purge expired sessions")?;
    Ok(done.rows_affected())
}
