//! Gatehouse as an OpenID Connect provider: codes issued to a signed-in
//! user an app's access rule admits, exchanged by the app for an ID token,
//! a short-lived access token and a refresh token that rotates on every
//! use. The user's status and the app's rule are checked again at every
//! exchange, refresh and userinfo call, so a user who is disabled or loses
//! the role is cut off at once. Codes and tokens are stored as SHA-256
//! hashes only.

pub mod batch;
pub mod clients;
pub mod grants;
pub mod keys;
mod tokens;

pub use tokens::{Exchange, Issuing, Tokens, exchange_code, refresh, revoke, userinfo};

use base64::Engine;
use rand::RngCore;

use super::app_directory::Apps;
use super::work::Work;
use super::{RequestMeta, ServiceError};
use crate::auth::jwt;
use crate::auth::token::hash;
use crate::db::audit::AuditTarget;
use crate::db::oidc::CodeRow;
use crate::db::{self, Db};
use crate::domain::app::decide;
use crate::domain::oidc::{OidcClient, ValidRequest};
use crate::domain::{AppId, AuditAction, AuthUser, Timestamp, UserId};
use keys::KeyStore;

/// An authorization code lives a minute.
pub const CODE_TTL_MS: i64 = 60_000;
/// An access token lives ten minutes.
pub const ACCESS_TTL_MS: i64 = 600_000;
/// An ID token lives an hour.
pub const ID_TOKEN_TTL_MS: i64 = 3_600_000;
/// A sign-in to an app (its refresh-token family) lasts thirty days at most.
pub const GRANT_TTL_MS: i64 = 30 * 24 * 3_600_000;

/// An error the token, revocation and userinfo endpoints answer with
/// (RFC 6749 §5.2, RFC 6750 §3.1), or a failure of Gatehouse's own.
#[derive(Debug)]
pub enum ProtocolError {
    Refused {
        error: &'static str,
        description: String,
    },
    Service(ServiceError),
}

impl ProtocolError {
    pub fn refused(error: &'static str, description: impl Into<String>) -> ProtocolError {
        ProtocolError::Refused {
            error,
            description: description.into(),
        }
    }
}

impl<E: Into<ServiceError>> From<E> for ProtocolError {
    fn from(err: E) -> ProtocolError {
        ProtocolError::Service(err.into())
    }
}

fn invalid_grant(description: &str) -> ProtocolError {
    ProtocolError::refused("invalid_grant", description)
}

/// 256 random bits, URL-safe: codes, tokens, secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn app_target(app: AppId, name: &str, user: UserId) -> AuditTarget {
    AuditTarget {
        kind: "app",
        id: app.0,
        label: name.to_owned(),
        user_id: Some(user),
    }
}

/// Whether `user` may still sign in to the app `app` of `organisation`.
pub fn admitted(apps: &Apps, user: &AuthUser, app: AppId) -> bool {
    apps.by_id(app)
        .is_some_and(|(org, app)| decide(user.visitor(), org, &app.rule).is_ok())
}

/// A code for a user the app's rule admits, naming the issuer the browser
/// is answered with (the ID token names the same); the sign-in is audited.
pub async fn issue_code(
    db: &Db,
    client: &OidcClient,
    user: &AuthUser,
    request: &ValidRequest,
    auth_time: Timestamp,
    issuer: &str,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let code = random_token();
    let now = Timestamp::now();
    let row = CodeRow {
        code_hash: hash(&code),
        organisation_id: user.organisation.0,
        app_id: client.app_id.0,
        user_id: user.id.0,
        redirect_uri: request.redirect_uri.clone(),
        issuer: issuer.to_owned(),
        scopes: request.scopes.join(" "),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: auth_time.0,
        expires_at: now.0 + CODE_TTL_MS,
        used_at: None,
    };
    let mut work = Work::in_scope(db, user.scope(), meta).await?;
    db::oidc::insert_code(work.tx(), &row, now).await?;
    work.audit(
        AuditAction::OidcSignedIn,
        Some(app_target(client.app_id, &client.app_name, user.id)),
    )
    .by(Some((user.id, &user.username)))
    .after(Some(format!("scopes {}", row.scopes)));
    work.commit("the authorization code").await?;
    Ok(code)
}

/// The client and subject of an ID token Gatehouse signed (expired or not),
/// for RP-initiated logout's `id_token_hint`.
pub async fn hinted(
    db: &Db,
    keys: &KeyStore,
    id_token: &str,
) -> Result<Option<(String, String)>, ServiceError> {
    let Some(kid) = jwt::kid_of(id_token) else {
        return Ok(None);
    };
    let keys = keys.get(db).await?;
    let Some(claims) = keys.by_kid(&kid).and_then(|k| k.verify(id_token)) else {
        return Ok(None);
    };
    let (Some(aud), Some(sub)) = (claims["aud"].as_str(), claims["sub"].as_str()) else {
        return Ok(None);
    };
    Ok(Some((aud.to_owned(), sub.to_owned())))
}

/// Whether `subject` is `user`'s.
pub async fn is_subject_of(db: &Db, user: &AuthUser, subject: &str) -> Result<bool, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::oidc::find_subject(user.scope().on(&mut conn), user.id)
        .await?
        .as_deref()
        == Some(subject))
}

/// RP-initiated logout: the app's grants to the user end with the
/// session; audited.
pub async fn logout_from_app(
    db: &Db,
    client: &OidcClient,
    user: &AuthUser,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let mut work = Work::in_scope(db, user.scope(), meta).await?;
    db::oidc::revoke_grants(
        work.tx(),
        Some(user.id),
        Some(client.app_id),
        Timestamp::now(),
    )
    .await?;
    work.audit(
        AuditAction::OidcLogout,
        Some(app_target(client.app_id, &client.app_name, user.id)),
    )
    .by(Some((user.id, &user.username)));
    work.commit("the sign-out by the app").await?;
    Ok(())
}
