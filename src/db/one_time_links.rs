//! One-time links (password reset, email verification), kept as the SHA-256
//! of their token. Every statement binds the scope's organisation but one,
//! named: finding a presented link (`find_live`), which comes before
//! anyone is known, as a session's load does.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::link::LinkPurpose;
use crate::domain::{OrgId, Timestamp, UserId};

/// A new link's stored fields.
pub struct NewLink<'a> {
    pub user: UserId,
    pub purpose: LinkPurpose,
    pub token_hash: &'a str,
    /// The address an email link verifies.
    pub email: Option<&'a str>,
    pub now: Timestamp,
}

pub async fn insert(scoped: Scoped<'_>, link: &NewLink<'_>) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO one_time_links (token_hash, organisation_id, user_id, purpose, email, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(link.token_hash)
    .bind(scope.org()?)
    .bind(link.user.0)
    .bind(link.purpose.as_str())
    .bind(link.email)
    .bind(link.now.0)
    .bind(link.now.0 + link.purpose.lifetime_ms())
    .execute(conn)
    .await
    .context("could not store the link")?;
    Ok(())
}

/// Voids `user`'s links for `purpose` that still work; returns how many.
pub async fn void(
    scoped: Scoped<'_>,
    user: UserId,
    purpose: LinkPurpose,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE one_time_links SET voided_at = $1 WHERE user_id = $2 AND organisation_id = $3 \
         AND purpose = $4 AND used_at IS NULL AND voided_at IS NULL AND expires_at > $1",
    )
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .bind(purpose.as_str())
    .execute(conn)
    .await
    .context("could not void the links")?;
    Ok(done.rows_affected())
}

/// Voids the user's live links to confirm an address other than their
/// current one (changes of address someone asked for); a link confirming
/// the current address stays.
pub async fn void_address_changes(
    scoped: Scoped<'_>,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE one_time_links SET voided_at = $1 WHERE user_id = $2 AND organisation_id = $3 \
         AND purpose = 'email_verify' AND used_at IS NULL AND voided_at IS NULL \
         AND expires_at > $1 \
         AND LOWER(email) <> (SELECT email_key FROM users WHERE id = $2 AND organisation_id = $3)",
    )
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not void the changes of address")?;
    Ok(done.rows_affected())
}

/// How many links for `purpose` were made for `user` since `since`.
pub async fn made_since(
    scoped: Scoped<'_>,
    user: UserId,
    purpose: LinkPurpose,
    since: Timestamp,
) -> anyhow::Result<i64> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM one_time_links WHERE user_id = $1 AND organisation_id = $2 \
         AND purpose = $3 AND created_at > $4",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .bind(purpose.as_str())
    .bind(since.0)
    .fetch_one(conn)
    .await
    .context("could not count the links")
}

/// A link that still works.
#[derive(Debug, Clone)]
pub struct LiveLink {
    pub organisation: OrgId,
    pub user: UserId,
    pub email: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(FromRow)]
struct LinkRow {
    organisation_id: i64,
    user_id: i64,
    email: Option<String>,
    expires_at: i64,
}

/// The unused, unvoided, unexpired link for `purpose` with this hash, in
/// any organisation: the token is all the browser brings.
pub async fn find_live(
    scoped: Scoped<'_>,
    token_hash: &str,
    purpose: LinkPurpose,
    now: Timestamp,
) -> anyhow::Result<Option<LiveLink>> {
    let (conn, _instance) = scoped.parts();
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT organisation_id, user_id, email, expires_at FROM one_time_links \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND voided_at IS NULL \
         AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now.0)
    .fetch_optional(conn)
    .await
    .context("could not read the link")?;
    Ok(row.map(|r| LiveLink {
        organisation: OrgId(r.organisation_id),
        user: UserId(r.user_id),
        email: r.email,
        expires_at: Timestamp(r.expires_at),
    }))
}

/// Uses the link if it still works; `false` when it was used, voided or
/// expired meanwhile (two tabs racing: one wins).
pub async fn use_once(
    scoped: Scoped<'_>,
    token_hash: &str,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND user_id = $3 \
         AND organisation_id = $4 AND used_at IS NULL AND voided_at IS NULL AND expires_at > $1",
    )
    .bind(now.0)
    .bind(token_hash)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not use the link")?;
    Ok(done.rows_affected() == 1)
}

/// The address of the user's newest live verification link, when it is not
/// their current one: a change they asked for and have not confirmed.
pub async fn awaiting_email(
    scoped: Scoped<'_>,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<Option<String>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "SELECT l.email FROM one_time_links l JOIN users u ON u.id = l.user_id \
         WHERE l.user_id = $1 AND l.organisation_id = $2 AND l.purpose = 'email_verify' \
         AND l.used_at IS NULL AND l.voided_at IS NULL AND l.expires_at > $3 \
         AND LOWER(l.email) <> u.email_key ORDER BY l.created_at DESC LIMIT 1",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .bind(now.0)
    .fetch_optional(conn)
    .await
    .context("could not read the address waiting for confirmation")
    .map(Option::flatten)
}

/// Deletes a purged user's links.
pub async fn forget_user(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done =
        sqlx::query("DELETE FROM one_time_links WHERE user_id = $1 AND organisation_id = $2")
            .bind(user.0)
            .bind(scope.org()?)
            .execute(conn)
            .await
            .context("could not delete the user's links")?;
    Ok(done.rows_affected())
}

/// Deletes links that expired before `before` (the instance's upkeep).
pub async fn purge(scoped: Scoped<'_>, before: Timestamp) -> anyhow::Result<u64> {
    let (conn, _instance) = scoped.parts();
    let done = sqlx::query("DELETE FROM one_time_links WHERE expires_at < $1")
        .bind(before.0)
        .execute(conn)
        .await
        .context("could not purge expired links")?;
    Ok(done.rows_affected())
}
