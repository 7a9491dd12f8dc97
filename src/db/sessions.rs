//! Server-side session rows. Only the SHA-256 of the cookie's key is stored,
//! so a copy of the table does not hand out live cookies.

use anyhow::Context;

use super::Conn;
use crate::domain::{Timestamp, UserId};

/// The state of an unexpired session.
pub async fn load(
    conn: &mut Conn,
    id_hash: &str,
    now: Timestamp,
) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar("SELECT state FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash)
        .bind(now.0)
        .fetch_optional(conn)
        .await
        .context("could not load a session")
}

pub async fn insert(
    conn: &mut Conn,
    id_hash: &str,
    user: Option<UserId>,
    state: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, state, created_at, updated_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(id_hash)
    .bind(user.map(|u| u.0))
    .bind(state)
    .bind(now.0)
    .bind(expires_at.0)
    .execute(conn)
    .await
    .context("could not save a session")?;
    Ok(())
}

/// Updates a live session; returns false when it no longer exists (revoked),
/// in which case nothing is written and it stays gone.
pub async fn update(
    conn: &mut Conn,
    id_hash: &str,
    user: Option<UserId>,
    state: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET user_id = $1, state = $2, updated_at = $3, expires_at = $4 \
         WHERE id_hash = $5",
    )
    .bind(user.map(|u| u.0))
    .bind(state)
    .bind(now.0)
    .bind(expires_at.0)
    .bind(id_hash)
    .execute(conn)
    .await
    .context("could not update a session")?;
    Ok(done.rows_affected() > 0)
}

pub async fn extend(conn: &mut Conn, id_hash: &str, expires_at: Timestamp) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id_hash = $2")
        .bind(expires_at.0)
        .bind(id_hash)
        .execute(conn)
        .await
        .context("could not extend a session")?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id_hash: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await
        .context("could not delete a session")?;
    Ok(())
}

/// Ends every session of `user`; returns how many there were.
pub async fn delete_for_user(conn: &mut Conn, user: UserId) -> anyhow::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(conn)
        .await
        .with_context(|| format!("could not end the sessions of user {user}"))?;
    Ok(done.rows_affected())
}

pub async fn count_for_user(conn: &mut Conn, user: UserId, now: Timestamp) -> anyhow::Result<u64> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expires_at > $2")
            .bind(user.0)
            .bind(now.0)
            .fetch_one(conn)
            .await
            .context("could not count sessions")?;
    Ok(n.max(0) as u64)
}

pub async fn purge_expired(conn: &mut Conn, now: Timestamp) -> anyhow::Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now.0)
        .execute(conn)
        .await
        .context("could not purge expired sessions")?;
    Ok(done.rows_affected())
}
