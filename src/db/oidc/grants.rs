//! Authorization codes, grants (a code's exchange and its refresh-token
//! family) and their tokens.

use anyhow::Context;
use sqlx::FromRow;

use crate::db::signed_in::{AuthRow, auth_columns, auth_user};
use crate::db::{Conn, Scoped};
use crate::domain::{AppId, AuthUser, Timestamp, UserId};

/// What an authorization code stands for. Read only with its user's
/// `auth_columns` (`find_code`), whose names two of its columns take.
#[derive(Debug, Clone, FromRow)]
pub struct CodeRow {
    pub code_hash: String,
    #[sqlx(rename = "code_organisation_id")]
    pub organisation_id: i64,
    pub app_id: i64,
    #[sqlx(rename = "code_user_id")]
    pub user_id: i64,
    pub redirect_uri: String,
    pub issuer: String,
    pub scopes: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_code(scoped: Scoped<'_>, code: &CodeRow, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO oidc_codes (code_hash, organisation_id, app_id, user_id, redirect_uri, \
         scopes, nonce, code_challenge, auth_time, created_at, expires_at, issuer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&code.code_hash)
    .bind(scope.org()?)
    .bind(code.app_id)
    .bind(code.user_id)
    .bind(&code.redirect_uri)
    .bind(&code.scopes)
    .bind(&code.nonce)
    .bind(&code.code_challenge)
    .bind(code.auth_time)
    .bind(now.0)
    .bind(code.expires_at)
    .bind(&code.issuer)
    .execute(conn)
    .await
    .context("could not store the authorization code")?;
    Ok(())
}

/// A code as found, with its user's subject when they have one and the
/// user as they are now (one statement: the exchange needs all three).
#[derive(Debug, Clone)]
pub struct FoundCode {
    pub code: CodeRow,
    pub subject: Option<String>,
    /// `None` when the user's row is gone or their organisation is not
    /// active; a deleted user comes back with their status, for the caller
    /// to refuse.
    pub user: Option<AuthUser>,
}

#[derive(FromRow)]
struct FoundCodeRow {
    #[sqlx(flatten)]
    code: CodeRow,
    subject: Option<String>,
    #[sqlx(flatten)]
    user: AuthRow,
}

/// The code behind `hash`. Instance-wide: presented before anyone is known.
pub async fn find_code(scoped: Scoped<'_>, hash: &str) -> anyhow::Result<Option<FoundCode>> {
    let (conn, _instance) = scoped.parts();
    let sql = format!(
        "SELECT c.code_hash, c.organisation_id AS code_organisation_id, c.app_id, \
         c.user_id AS code_user_id, c.redirect_uri, c.issuer, c.scopes, c.nonce, \
         c.code_challenge, c.auth_time, c.expires_at, c.used_at, s.subject, {} \
         FROM oidc_codes c LEFT JOIN oidc_subjects s \
         ON s.user_id = c.user_id AND s.organisation_id = c.organisation_id \
         LEFT JOIN users u ON u.id = c.user_id AND u.organisation_id = c.organisation_id \
         LEFT JOIN roles r ON r.id = u.role_id WHERE c.code_hash = $1",
        auth_columns(conn)
    );
    let row: Option<FoundCodeRow> = sqlx::query_as(&sql)
        .bind(hash)
        .fetch_optional(conn)
        .await
        .context("could not look up an authorization code")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(FoundCode {
        code: row.code,
        subject: row.subject,
        user: auth_user(row.user)?,
    }))
}

/// Revokes the grant made from a code (a code used twice); returns how
/// many grants that ended.
pub async fn revoke_grant_of_code(
    scoped: Scoped<'_>,
    code_hash: &str,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE code_hash = $2 AND organisation_id = $3 \
         AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(code_hash)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not revoke the code's grant")?;
    Ok(done.rows_affected())
}

/// Revokes one grant; false when it was revoked already or is not there.
pub async fn revoke_grant(
    scoped: Scoped<'_>,
    grant: i64,
    user: Option<UserId>,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE id = $2 AND organisation_id = $3 \
         AND ($4 = -1 OR user_id = $4) AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(grant)
    .bind(scope.org()?)
    .bind(user.map_or(-1, |u| u.0))
    .execute(conn)
    .await
    .context("could not revoke the grant")?;
    Ok(done.rows_affected() == 1)
}

/// Revokes the organisation's live grants: of one user, to one app, or
/// both, as given (of everyone to every app when neither is); returns how
/// many ended.
pub async fn revoke_grants(
    scoped: Scoped<'_>,
    user: Option<UserId>,
    app: Option<AppId>,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE organisation_id = $2 \
         AND ($3 = -1 OR user_id = $3) AND ($4 = -1 OR app_id = $4) AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(scope.org()?)
    .bind(user.map_or(-1, |u| u.0))
    .bind(app.map_or(-1, |a| a.0))
    .execute(conn)
    .await
    .context("could not revoke the grants")?;
    Ok(done.rows_affected())
}

/// A live grant as the sessions pages list it.
#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub app_id: i64,
    pub app_name: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_refresh_at: Option<i64>,
}

/// The user's live grants, newest first.
pub async fn live_grants(
    scoped: Scoped<'_>,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<Vec<GrantRow>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_as(
        // The last refresh is the newest token issued after the grant's first.
        "SELECT g.id, g.app_id, a.name AS app_name, g.scopes, g.created_at, \
         (SELECT MAX(t.created_at) FROM oidc_refresh_tokens t WHERE t.grant_id = g.id \
          AND t.created_at > g.created_at) AS last_refresh_at \
         FROM oidc_grants g JOIN apps a ON a.id = g.app_id \
         WHERE g.organisation_id = $1 AND g.user_id = $2 AND g.revoked_at IS NULL \
         AND g.expires_at > $3 ORDER BY g.id DESC LIMIT 100",
    )
    .bind(scope.org()?)
    .bind(user.0)
    .bind(now.0)
    .fetch_all(conn)
    .await
    .context("could not list the user's apps")
}

/// A grant with its user, as a token presented for it finds them.
pub struct Presented {
    pub grant_id: i64,
    pub app_id: AppId,
    pub scopes: String,
    pub auth_time: i64,
    pub grant_expires_at: i64,
    pub revoked: bool,
    /// The token's own expiry (access) or use (refresh).
    pub token_expires_at: Option<i64>,
    pub used_at: Option<i64>,
    pub subject: Option<String>,
    pub user: Option<AuthUser>,
}

#[derive(FromRow)]
struct PresentedRow {
    grant_id: i64,
    grant_app: i64,
    grant_scopes: String,
    grant_auth_time: i64,
    grant_expires_at: i64,
    grant_revoked_at: Option<i64>,
    token_expires_at: Option<i64>,
    token_used_at: Option<i64>,
    subject: Option<String>,
    #[sqlx(flatten)]
    user: AuthRow,
}

/// The grant and user behind the token whose hash is in `column` of
/// `oidc_refresh_tokens` (`token_hash` or `access_hash`).
async fn presented(
    conn: &mut Conn,
    column: &str,
    extra: &str,
    hash: &str,
) -> anyhow::Result<Option<Presented>> {
    let sql = format!(
        "SELECT g.id AS grant_id, g.app_id AS grant_app, g.scopes AS grant_scopes, \
         g.auth_time AS grant_auth_time, g.expires_at AS grant_expires_at, \
         g.revoked_at AS grant_revoked_at, {extra}, s.subject, {} \
         FROM oidc_refresh_tokens t JOIN oidc_grants g ON g.id = t.grant_id \
         JOIN users u ON u.id = g.user_id JOIN roles r ON r.id = u.role_id \
         LEFT JOIN oidc_subjects s ON s.user_id = g.user_id WHERE t.{column} = $1",
        auth_columns(conn)
    );
    let row: Option<PresentedRow> = sqlx::query_as(&sql)
        .bind(hash)
        .fetch_optional(conn)
        .await
        .context("could not look up a token")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Presented {
        grant_id: row.grant_id,
        app_id: AppId(row.grant_app),
        scopes: row.grant_scopes,
        auth_time: row.grant_auth_time,
        grant_expires_at: row.grant_expires_at,
        revoked: row.grant_revoked_at.is_some(),
        token_expires_at: row.token_expires_at,
        used_at: row.token_used_at,
        subject: row.subject,
        user: auth_user(row.user)?,
    }))
}

/// The grant and user behind an access token. Instance-wide: presented
/// before anyone is known.
pub async fn find_access(scoped: Scoped<'_>, hash: &str) -> anyhow::Result<Option<Presented>> {
    let (conn, _instance) = scoped.parts();
    presented(
        conn,
        "access_hash",
        "t.access_expires_at AS token_expires_at, NULL AS token_used_at",
        hash,
    )
    .await
}

/// The grant and user behind a refresh token. Instance-wide, as above.
pub async fn find_refresh(scoped: Scoped<'_>, hash: &str) -> anyhow::Result<Option<Presented>> {
    let (conn, _instance) = scoped.parts();
    presented(
        conn,
        "token_hash",
        "NULL AS token_expires_at, t.used_at AS token_used_at",
        hash,
    )
    .await
}

/// Deletes old codes, and ended grants with their tokens (upkeep); returns
/// how many rows.
/// Instance-wide: upkeep of every organisation's rows.
pub async fn purge_expired(conn: &mut Conn, now: Timestamp) -> anyhow::Result<u64> {
    let codes = sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1")
        .bind(now.0 - 3_600_000)
        .execute(&mut *conn)
        .await
        .context("could not purge old codes")?;
    // Grants past their life, or revoked a week ago (the sessions pages no
    // longer list them; the audit log keeps what happened), with their
    // refresh and access tokens.
    let grants = sqlx::query(
        "DELETE FROM oidc_grants WHERE expires_at < $1 \
         OR (revoked_at IS NOT NULL AND revoked_at < $2)",
    )
    .bind(now.0)
    .bind(now.0 - 7 * 24 * 3_600_000)
    .execute(conn)
    .await
    .context("could not purge ended grants")?;
    Ok(codes.rows_affected() + grants.rows_affected())
}
