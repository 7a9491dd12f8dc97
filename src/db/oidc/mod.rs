//! OpenID Connect clients and subjects (here), signing keys (`keys`),
//! codes, grants and tokens (`grants`), and the token endpoint's writes
//! (`token_writes`). Every statement binds the scope's
//! organisation but the instance-wide ones, each named: a client found by
//! its `client_id`, a code or token found by its hash (all presented before
//! anyone is known, as a session is), and the signing keys, which are the
//! instance's.

mod grants;
mod keys;
mod token_writes;

pub use grants::*;
pub use keys::*;
pub use token_writes::*;

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::oidc::{ClientKind, OidcClient};
use crate::domain::{AppId, OrgId, Timestamp, UserId};

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
    let mut scoped = scoped;
    end_sign_ins(scoped.again(), app, now).await?;
    let (conn, scope) = scoped.parts();
    sqlx::query("DELETE FROM oidc_clients WHERE app_id = $1 AND organisation_id = $2")
        .bind(app.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .context("could not remove the client")?;
    Ok(())
}

/// Ends every sign-in made through the app's client and its unused codes;
/// returns how many sign-ins ended.
pub async fn end_sign_ins(scoped: Scoped<'_>, app: AppId, now: Timestamp) -> anyhow::Result<u64> {
    let mut scoped = scoped;
    let ended = revoke_grants(scoped.again(), None, Some(app), now).await?;
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "DELETE FROM oidc_codes WHERE app_id = $1 AND organisation_id = $2 AND used_at IS NULL",
    )
    .bind(app.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not drop the client's unused codes")?;
    Ok(ended)
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
