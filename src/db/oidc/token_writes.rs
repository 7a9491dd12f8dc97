//! The token endpoint's writes: a code exchanged for a grant and its first
//! tokens, and a refresh token rotated.
//!
//! On PostgreSQL each is one statement (data-modifying `WITH` parts): the
//! token writes are made one after another under the process's writer turn
//! (`services::oidc::batch`), so every round trip there adds to the wait
//! of every request queued behind it (docs/performance.md). SQLite has no
//! data-modifying `WITH`, and its statements make no round trip, so there
//! they are the statements one by one.

use anyhow::Context;

use crate::db::{Conn, Scoped, is_sqlite};
use crate::domain::{AppId, Timestamp, UserId};

/// A grant to store: the code it came from and what it allows.
pub struct NewGrant<'a> {
    pub app: AppId,
    pub user: UserId,
    pub code_hash: &'a str,
    pub scopes: &'a str,
    pub auth_time: i64,
    pub expires_at: Timestamp,
}

/// A grant's new refresh and access tokens, as hashes.
pub struct NewTokenHashes<'a> {
    pub refresh_hash: &'a str,
    pub access_hash: &'a str,
    pub access_expires_at: Timestamp,
}

/// Uses the code and stores the grant made from it with its first tokens;
/// the grant's id, or `None` when the code was used already (a race lost).
pub async fn grant_from_code(
    scoped: Scoped<'_>,
    grant: &NewGrant<'_>,
    tokens: &NewTokenHashes<'_>,
    now: Timestamp,
) -> anyhow::Result<Option<i64>> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    if is_sqlite(conn) {
        if !use_code(conn, org, grant.code_hash, now).await? {
            return Ok(None);
        }
        let id = insert_grant(conn, org, grant, now).await?;
        insert_tokens(conn, id, tokens, now).await?;
        return Ok(Some(id));
    }
    sqlx::query_scalar(
        "WITH used AS (UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 \
          AND organisation_id = $3 AND used_at IS NULL RETURNING code_hash), \
         made AS (INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
          auth_time, created_at, expires_at) SELECT $3, $4, $5, code_hash, $6, $7, $1, $8 \
          FROM used RETURNING id), \
         tokens AS (INSERT INTO oidc_refresh_tokens (token_hash, access_hash, grant_id, \
          created_at, access_expires_at) SELECT $9, $10, id, $1, $11 FROM made) \
         SELECT id FROM made",
    )
    .bind(now.0)
    .bind(grant.code_hash)
    .bind(org)
    .bind(grant.app.0)
    .bind(grant.user.0)
    .bind(grant.scopes)
    .bind(grant.auth_time)
    .bind(grant.expires_at.0)
    .bind(tokens.refresh_hash)
    .bind(tokens.access_hash)
    .bind(tokens.access_expires_at.0)
    .fetch_optional(conn)
    .await
    .context("could not exchange the authorization code")
}

/// Uses the grant's refresh token and stores its successors; false when
/// the token was used already.
pub async fn rotate_refresh(
    scoped: Scoped<'_>,
    hash: &str,
    grant: i64,
    tokens: &NewTokenHashes<'_>,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    if is_sqlite(conn) {
        if !use_refresh(conn, org, hash, grant, now).await? {
            return Ok(false);
        }
        insert_tokens(conn, grant, tokens, now).await?;
        return Ok(true);
    }
    let done = sqlx::query(
        "WITH used AS (UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 \
          AND used_at IS NULL \
          AND grant_id IN (SELECT id FROM oidc_grants WHERE id = $3 AND organisation_id = $4) \
          RETURNING grant_id) \
         INSERT INTO oidc_refresh_tokens (token_hash, access_hash, grant_id, created_at, \
          access_expires_at) SELECT $5, $6, grant_id, $1, $7 FROM used",
    )
    .bind(now.0)
    .bind(hash)
    .bind(grant)
    .bind(org)
    .bind(tokens.refresh_hash)
    .bind(tokens.access_hash)
    .bind(tokens.access_expires_at.0)
    .execute(conn)
    .await
    .context("could not rotate the refresh token")?;
    Ok(done.rows_affected() == 1)
}

/// Marks a code used; false when it was used already.
async fn use_code(conn: &mut Conn, org: i64, hash: &str, now: Timestamp) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND organisation_id = $3 \
         AND used_at IS NULL",
    )
    .bind(now.0)
    .bind(hash)
    .bind(org)
    .execute(conn)
    .await
    .context("could not use the authorization code")?;
    Ok(done.rows_affected() == 1)
}

async fn insert_grant(
    conn: &mut Conn,
    org: i64,
    grant: &NewGrant<'_>,
    now: Timestamp,
) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
         auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org)
    .bind(grant.app.0)
    .bind(grant.user.0)
    .bind(grant.code_hash)
    .bind(grant.scopes)
    .bind(grant.auth_time)
    .bind(now.0)
    .bind(grant.expires_at.0)
    .fetch_one(conn)
    .await
    .context("could not store the grant")
}

/// Marks a refresh token of the organisation's grant used; false when it
/// was used already.
async fn use_refresh(
    conn: &mut Conn,
    org: i64,
    hash: &str,
    grant: i64,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND grant_id IN (SELECT id FROM oidc_grants WHERE id = $3 AND organisation_id = $4)",
    )
    .bind(now.0)
    .bind(hash)
    .bind(grant)
    .bind(org)
    .execute(conn)
    .await
    .context("could not use the refresh token")?;
    Ok(done.rows_affected() == 1)
}

/// Stores a grant's new refresh and access tokens: one row. The grant was
/// read or made in the caller's organisation just before.
async fn insert_tokens(
    conn: &mut Conn,
    grant: i64,
    tokens: &NewTokenHashes<'_>,
    now: Timestamp,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO oidc_refresh_tokens (token_hash, access_hash, grant_id, created_at, \
         access_expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tokens.refresh_hash)
    .bind(tokens.access_hash)
    .bind(grant)
    .bind(now.0)
    .bind(tokens.access_expires_at.0)
    .execute(conn)
    .await
    .context("could not store the tokens")?;
    Ok(())
}
