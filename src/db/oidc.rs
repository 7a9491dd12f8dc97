//! OpenID Connect clients, subjects, signing keys, codes and tokens. Every
//! statement binds the scope's organisation but the instance-wide ones,
//! each named: a client found by its `client_id`, a code or token found by
//! its hash (all presented before anyone is known, as a session is), and
//! the signing keys, which are the instance's.

use anyhow::Context;
use sqlx::FromRow;

use super::signed_in::{AuthRow, auth_columns, auth_user};
use super::{Conn, Scoped};
use crate::domain::oidc::{ClientKind, OidcClient};
use crate::domain::{AppId, AuthUser, OrgId, Timestamp, UserId};

#[derive(FromRow)]
struct ClientRow {
    app_id: i64,
    organisation_id: i64,
    app_name: String,
    app_slug: String,
    client_id: String,
    kind: String,
    secret_hash: Option<String>,
    redirect_uris: String,
    post_logout_uris: String,
    scopes: String,
    id_token_alg: String,
}

const CLIENT_COLUMNS: &str = "c.app_id, c.organisation_id, a.name AS app_name, \
     a.slug AS app_slug, c.client_id, c.kind, c.secret_hash, c.redirect_uris, \
     c.post_logout_uris, c.scopes, c.id_token_alg";

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn client(row: ClientRow) -> anyhow::Result<OidcClient> {
    Ok(OidcClient {
        app_id: AppId(row.app_id),
        organisation: OrgId(row.organisation_id),
        app_name: row.app_name,
        app_slug: row.app_slug,
        kind: ClientKind::parse(&row.kind).with_context(|| {
            format!(
                "client {} has the unknown kind {:?}",
                row.client_id, row.kind
            )
        })?,
        client_id: row.client_id,
        secret_hash: row.secret_hash,
        redirect_uris: lines(&row.redirect_uris),
        post_logout_uris: lines(&row.post_logout_uris),
        scopes: row.scopes.split(' ').map(str::to_owned).collect(),
        id_token_alg: row.id_token_alg,
    })
}

/// The client presenting `client_id`. Instance-wide: a client names itself
/// before anyone is known; its organisation comes back with it.
pub async fn client_by_id(
    scoped: Scoped<'_>,
    client_id: &str,
) -> anyhow::Result<Option<OidcClient>> {
    let (conn, _instance) = scoped.parts();
    let row: Option<ClientRow> = sqlx::query_as(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oidc_clients c JOIN apps a ON a.id = c.app_id \
         WHERE c.client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(conn)
    .await
    .context("could not look up a client")?;
    row.map(client).transpose()
}

/// The client registration of one of the organisation's apps.
pub async fn client_of_app(scoped: Scoped<'_>, app: AppId) -> anyhow::Result<Option<OidcClient>> {
    let (conn, scope) = scoped.parts();
    let row: Option<ClientRow> = sqlx::query_as(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oidc_clients c JOIN apps a ON a.id = c.app_id \
         WHERE c.app_id = $1 AND c.organisation_id = $2"
    ))
    .bind(app.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .context("could not read the app's client registration")?;
    row.map(client).transpose()
}

/// A registration's stored fields.
pub struct ClientFields<'a> {
    pub kind: ClientKind,
    pub redirect_uris: &'a [String],
    pub post_logout_uris: &'a [String],
    pub scopes: &'a [String],
    pub id_token_alg: &'a str,
}

/// Makes one of the organisation's apps a client.
pub async fn insert_client(
    scoped: Scoped<'_>,
    app: AppId,
    client_id: &str,
    secret_hash: Option<&str>,
    fields: &ClientFields<'_>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "INSERT INTO oidc_clients (app_id, organisation_id, client_id, kind, secret_hash, \
         redirect_uris, post_logout_uris, scopes, id_token_alg, created_at) \
         SELECT id, organisation_id, $2, $3, $4, $5, $6, $7, $8, $9 FROM apps \
         WHERE id = $1 AND organisation_id = $10",
    )
    .bind(app.0)
    .bind(client_id)
    .bind(fields.kind.as_str())
    .bind(secret_hash)
    .bind(fields.redirect_uris.join("\n"))
    .bind(fields.post_logout_uris.join("\n"))
    .bind(fields.scopes.join(" "))
    .bind(fields.id_token_alg)
    .bind(now.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not register the client")?;
    anyhow::ensure!(
        done.rows_affected() == 1,
        "app {app} is not the organisation's"
    );
    Ok(())
}

/// Changes a registration; a client that became public loses its secret.
pub async fn update_client(
    scoped: Scoped<'_>,
    app: AppId,
    fields: &ClientFields<'_>,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE oidc_clients SET kind = $1, redirect_uris = $2, post_logout_uris = $3, \
         scopes = $4, id_token_alg = $5, \
         secret_hash = CASE WHEN $1 = 'public' THEN NULL ELSE secret_hash END \
         WHERE app_id = $6 AND organisation_id = $7",
    )
    .bind(fields.kind.as_str())
    .bind(fields.redirect_uris.join("\n"))
    .bind(fields.post_logout_uris.join("\n"))
    .bind(fields.scopes.join(" "))
    .bind(fields.id_token_alg)
    .bind(app.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not change the client")?;
    Ok(())
}

pub async fn set_secret(scoped: Scoped<'_>, app: AppId, secret_hash: &str) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE oidc_clients SET secret_hash = $1 WHERE app_id = $2 AND organisation_id = $3",
    )
    .bind(secret_hash)
    .bind(app.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not store the client's secret")?;
    Ok(())
}

/// Ends a registration and every grant made to it.
pub async fn delete_client(scoped: Scoped<'_>, app: AppId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    sqlx::query("UPDATE oidc_grants SET revoked_at = $1 WHERE app_id = $2 AND organisation_id = $3 AND revoked_at IS NULL")
        .bind(now.0)
        .bind(app.0)
        .bind(org)
        .execute(&mut *conn)
        .await
        .context("could not revoke the client's grants")?;
    sqlx::query("DELETE FROM oidc_clients WHERE app_id = $1 AND organisation_id = $2")
        .bind(app.0)
        .bind(org)
        .execute(conn)
        .await
        .context("could not remove the client")?;
    Ok(())
}

/// The user's `sub`, made (from `fresh`) the first time it is asked for.
pub async fn subject(scoped: Scoped<'_>, user: UserId, fresh: &str) -> anyhow::Result<String> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    sqlx::query(
        "INSERT INTO oidc_subjects (user_id, organisation_id, subject) \
         SELECT id, organisation_id, $2 FROM users WHERE id = $1 AND organisation_id = $3 \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.0)
    .bind(fresh)
    .bind(org)
    .execute(&mut *conn)
    .await
    .context("could not store the user's subject")?;
    sqlx::query_scalar(
        "SELECT subject FROM oidc_subjects WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(org)
    .fetch_one(conn)
    .await
    .context("could not read the user's subject")
}

/// A stored signing key.
#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub sealed_private_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// The instance's signing keys still published (retired after `since`, or
/// current), oldest first. Instance-wide: the keys are the instance's.
pub async fn keys(conn: &mut Conn, since: Timestamp) -> anyhow::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, alg, sealed_private_key, created_at, retired_at FROM oidc_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at, kid",
    )
    .bind(since.0)
    .fetch_all(conn)
    .await
    .context("could not read the signing keys")
}

/// Adds a key of `alg`, retiring the current one(s) of that algorithm.
pub async fn add_key(
    conn: &mut Conn,
    kid: &str,
    alg: &str,
    sealed: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE oidc_keys SET retired_at = $1 WHERE alg = $2 AND retired_at IS NULL")
        .bind(now.0)
        .bind(alg)
        .execute(&mut *conn)
        .await
        .context("could not retire the signing key")?;
    sqlx::query(
        "INSERT INTO oidc_keys (kid, alg, sealed_private_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(kid)
    .bind(alg)
    .bind(sealed)
    .bind(now.0)
    .execute(conn)
    .await
    .context("could not store the signing key")?;
    Ok(())
}

/// What an authorization code stands for.
#[derive(Debug, Clone, FromRow)]
pub struct CodeRow {
    pub code_hash: String,
    pub organisation_id: i64,
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
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
         scopes, nonce, code_challenge, auth_time, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .execute(conn)
    .await
    .context("could not store the authorization code")?;
    Ok(())
}

/// The code behind `hash`. Instance-wide: presented before anyone is known.
pub async fn find_code(scoped: Scoped<'_>, hash: &str) -> anyhow::Result<Option<CodeRow>> {
    let (conn, _instance) = scoped.parts();
    sqlx::query_as(
        "SELECT code_hash, organisation_id, app_id, user_id, redirect_uri, scopes, nonce, \
         code_challenge, auth_time, expires_at, used_at FROM oidc_codes WHERE code_hash = $1",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
    .context("could not look up an authorization code")
}

/// Marks a code used; false when it was used already (a race lost).
pub async fn use_code(scoped: Scoped<'_>, hash: &str, now: Timestamp) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND organisation_id = $3 \
         AND used_at IS NULL",
    )
    .bind(now.0)
    .bind(hash)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not use the authorization code")?;
    Ok(done.rows_affected() == 1)
}

/// A grant to store: the code it came from and what it allows.
pub struct NewGrant<'a> {
    pub app: AppId,
    pub user: UserId,
    pub code_hash: &'a str,
    pub scopes: &'a str,
    pub auth_time: i64,
    pub expires_at: Timestamp,
}

pub async fn insert_grant(
    scoped: Scoped<'_>,
    grant: &NewGrant<'_>,
    now: Timestamp,
) -> anyhow::Result<i64> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
         auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(scope.org()?)
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

/// Revokes every live grant of `user` (to one app, when given); returns
/// how many ended.
pub async fn revoke_grants_of_user(
    scoped: Scoped<'_>,
    user: UserId,
    app: Option<AppId>,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $1 WHERE organisation_id = $2 AND user_id = $3 \
         AND ($4 = -1 OR app_id = $4) AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(scope.org()?)
    .bind(user.0)
    .bind(app.map_or(-1, |a| a.0))
    .execute(conn)
    .await
    .context("could not revoke the user's grants")?;
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
        "SELECT g.id, g.app_id, a.name AS app_name, g.scopes, g.created_at, g.last_refresh_at \
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

async fn presented(
    conn: &mut Conn,
    table: &str,
    extra: &str,
    hash: &str,
) -> anyhow::Result<Option<Presented>> {
    let sql = format!(
        "SELECT g.id AS grant_id, g.app_id AS grant_app, g.scopes AS grant_scopes, \
         g.auth_time AS grant_auth_time, g.expires_at AS grant_expires_at, \
         g.revoked_at AS grant_revoked_at, {extra}, s.subject, {} \
         FROM {table} t JOIN oidc_grants g ON g.id = t.grant_id \
         JOIN users u ON u.id = g.user_id JOIN roles r ON r.id = u.role_id \
         LEFT JOIN oidc_subjects s ON s.user_id = g.user_id WHERE t.token_hash = $1",
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
        "oidc_access_tokens",
        "t.expires_at AS token_expires_at, NULL AS token_used_at",
        hash,
    )
    .await
}

/// The grant and user behind a refresh token. Instance-wide, as above.
pub async fn find_refresh(scoped: Scoped<'_>, hash: &str) -> anyhow::Result<Option<Presented>> {
    let (conn, _instance) = scoped.parts();
    presented(
        conn,
        "oidc_refresh_tokens",
        "NULL AS token_expires_at, t.used_at AS token_used_at",
        hash,
    )
    .await
}

/// Marks a refresh token used; false when it was used already.
pub async fn use_refresh(
    scoped: Scoped<'_>,
    hash: &str,
    grant: i64,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE oidc_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND grant_id IN (SELECT id FROM oidc_grants WHERE id = $3 AND organisation_id = $4)",
    )
    .bind(now.0)
    .bind(hash)
    .bind(grant)
    .bind(scope.org()?)
    .execute(&mut *conn)
    .await
    .context("could not use the refresh token")?;
    if done.rows_affected() == 1 {
        sqlx::query(
            "UPDATE oidc_grants SET last_refresh_at = $1 WHERE id = $2 AND organisation_id = $3",
        )
        .bind(now.0)
        .bind(grant)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .context("could not note the refresh")?;
    }
    Ok(done.rows_affected() == 1)
}

/// Stores a grant's new refresh and access tokens (hashes).
pub async fn insert_tokens(
    scoped: Scoped<'_>,
    grant: i64,
    refresh_hash: &str,
    access_hash: &str,
    access_expires_at: Timestamp,
    now: Timestamp,
) -> anyhow::Result<()> {
    // The grant was read in this organisation's scope just before.
    let (conn, _scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO oidc_refresh_tokens (token_hash, grant_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(refresh_hash)
    .bind(grant)
    .bind(now.0)
    .execute(&mut *conn)
    .await
    .context("could not store the refresh token")?;
    sqlx::query(
        "INSERT INTO oidc_access_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(access_hash)
    .bind(grant)
    .bind(access_expires_at.0)
    .execute(conn)
    .await
    .context("could not store the access token")?;
    Ok(())
}

/// Deletes expired codes and access tokens (upkeep); returns how many.
/// Instance-wide: upkeep of every organisation's rows.
pub async fn purge_expired(conn: &mut Conn, now: Timestamp) -> anyhow::Result<u64> {
    let codes = sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1")
        .bind(now.0 - 3_600_000)
        .execute(&mut *conn)
        .await
        .context("could not purge old codes")?;
    let access = sqlx::query("DELETE FROM oidc_access_tokens WHERE expires_at < $1")
        .bind(now.0)
        .execute(conn)
        .await
        .context("could not purge expired access tokens")?;
    Ok(codes.rows_affected() + access.rows_affected())
}

/// The names of the organisation's roles `ids`, in id order.
pub async fn role_names(
    scoped: Scoped<'_>,
    ids: &[crate::domain::RoleId],
) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (conn, scope) = scoped.parts();
    let list = ids
        .iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // The ids are integers, written into the statement as such.
    sqlx::query_scalar(&format!(
        "SELECT name FROM roles WHERE organisation_id = $1 AND id IN ({list}) ORDER BY id"
    ))
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not read the role names")
}

/// The user's `sub`, if one was made.
pub async fn find_subject(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<Option<String>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "SELECT subject FROM oidc_subjects WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .context("could not read the user's subject")
}
