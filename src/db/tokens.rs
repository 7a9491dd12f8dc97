//! API tokens. Every statement binds the scope's organisation but one, named:
//! finding a presented token by its hash (`authenticate`), which comes before
//! anyone is known, as a session's load does.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use super::signed_in::{AuthRow, auth_columns, auth_user};
use crate::domain::token::{ApiToken, TokenKind};
use crate::domain::{AuthUser, OrgId, PermissionSet, Timestamp, TokenId, UserId};

#[derive(FromRow)]
struct TokenRow {
    token_id: i64,
    token_org: i64,
    kind: String,
    name: String,
    prefix: String,
    scopes: String,
    owner_id: i64,
    owner_username: String,
    token_created_at: i64,
    token_expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "t.id AS token_id, t.organisation_id AS token_org, t.kind, t.name, \
     t.prefix, t.scopes, t.user_id AS owner_id, u.username AS owner_username, \
     t.created_at AS token_created_at, t.expires_at AS token_expires_at, t.last_used_at, \
     t.revoked_at";

fn token(row: TokenRow) -> anyhow::Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId(row.token_id),
        organisation: OrgId(row.token_org),
        kind: TokenKind::parse(&row.kind).with_context(|| {
            format!("token {} has the unknown kind {:?}", row.token_id, row.kind)
        })?,
        name: row.name,
        prefix: row.prefix,
        scopes: PermissionSet::from_strs(row.scopes.split(',')),
        owner: UserId(row.owner_id),
        owner_username: row.owner_username,
        created_at: Timestamp(row.token_created_at),
        expires_at: Timestamp(row.token_expires_at),
        last_used_at: row.last_used_at.map(Timestamp),
        revoked_at: row.revoked_at.map(Timestamp),
    })
}

/// A new token's stored fields.
pub struct NewToken<'a> {
    pub kind: TokenKind,
    pub owner: UserId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a PermissionSet,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(scoped: Scoped<'_>, new: &NewToken<'_>) -> anyhow::Result<TokenId> {
    let (conn, scope) = scoped.parts();
    let scopes = new
        .scopes
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (organisation_id, user_id, kind, name, prefix, secret_hash, \
         scopes, created_at, expires_at) \
         SELECT organisation_id, id, $2, $3, $4, $5, $6, $7, $8 FROM users \
         WHERE id = $1 AND organisation_id = $9 RETURNING id",
    )
    .bind(new.owner.0)
    .bind(new.kind.as_str())
    .bind(new.name)
    .bind(new.prefix)
    .bind(new.secret_hash)
    .bind(scopes)
    .bind(new.created_at.0)
    .bind(new.expires_at.0)
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not store the token")?;
    Ok(TokenId(id))
}

/// The organisation's tokens of `kind` (one owner's, when given), newest first.
pub async fn list(
    scoped: Scoped<'_>,
    kind: TokenKind,
    owner: Option<UserId>,
) -> anyhow::Result<Vec<ApiToken>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<TokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.organisation_id = $1 AND t.kind = $2 AND ($3 = -1 OR t.user_id = $3) \
         ORDER BY t.id DESC LIMIT 500"
    ))
    .bind(scope.org()?)
    .bind(kind.as_str())
    .bind(owner.map_or(-1, |o| o.0))
    .fetch_all(conn)
    .await
    .context("could not list the tokens")?;
    rows.into_iter().map(token).collect()
}

pub async fn find(scoped: Scoped<'_>, id: TokenId) -> anyhow::Result<Option<ApiToken>> {
    let (conn, scope) = scoped.parts();
    let row: Option<TokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.id = $1 AND t.organisation_id = $2"
    ))
    .bind(id.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .context("could not find the token")?;
    row.map(token).transpose()
}

/// How many live (unrevoked, unexpired) tokens `owner` has.
pub async fn live_count(scoped: Scoped<'_>, owner: UserId, now: Timestamp) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_tokens WHERE organisation_id = $1 AND user_id = $2 \
         AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(scope.org()?)
    .bind(owner.0)
    .bind(now.0)
    .fetch_one(conn)
    .await
    .context("could not count the tokens")?;
    Ok(n.max(0) as u64)
}

pub async fn revoke(scoped: Scoped<'_>, id: TokenId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND organisation_id = $3 \
         AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not revoke token {id}"))?;
    Ok(())
}

/// Records that a token was used (the caller does so at most once a minute).
pub async fn touch(scoped: Scoped<'_>, id: TokenId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND organisation_id = $3")
        .bind(now.0)
        .bind(id.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .context("could not record a token's use")?;
    Ok(())
}

#[derive(FromRow)]
struct PresentedRow {
    #[sqlx(flatten)]
    token: TokenRow,
    #[sqlx(flatten)]
    user: AuthRow,
}

/// The token whose hash is `secret_hash`, with its owner as a signed-in
/// request reads them (status, role, permissions, groups): one statement.
pub async fn authenticate(
    scoped: Scoped<'_>,
    secret_hash: &str,
) -> anyhow::Result<Option<(ApiToken, Option<AuthUser>)>> {
    // Instance-wide: the token is presented before anyone is known; its
    // organisation and owner come back with it.
    let (conn, _instance) = scoped.parts();
    let sql = format!(
        "SELECT {TOKEN_COLUMNS}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         JOIN roles r ON r.id = u.role_id WHERE t.secret_hash = $1",
        auth_columns(conn)
    );
    let row: Option<PresentedRow> = sqlx::query_as(&sql)
        .bind(secret_hash)
        .fetch_optional(conn)
        .await
        .context("could not look up a token")?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some((token(row.token)?, auth_user(row.user)?)))
}
