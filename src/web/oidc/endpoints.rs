//! The back-channel endpoints: token (`authorization_code` and
//! `refresh_token` grants), userinfo and revocation (RFC 7009). Clients
//! authenticate with `client_secret_basic` or `client_secret_post`; a
//! public client sends only its `client_id` (and PKCE). Answers are never
//! cached.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

use super::{OauthError, form_params};
use crate::db::Db;
use crate::domain::oidc::OidcClient;
use crate::services::app_directory::AppDirectory;
use crate::services::oidc::batch::TokenWrites;
use crate::services::oidc::keys::KeyStore;
use crate::services::oidc::{self, Exchange, Issuing, clients};
use crate::web::request::request_meta;

fn no_store(body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // A browser app (a public client) reads these answers from its own
        // origin; no cookie is involved, so any origin may.
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// The form body, which must be `application/x-www-form-urlencoded`.
fn form_body(req: &HttpRequest, body: &[u8]) -> Result<HashMap<String, String>, OauthError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(OauthError::new(
            "invalid_request",
            "Send the parameters as application/x-www-form-urlencoded.",
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| OauthError::new("invalid_request", "The body is not UTF-8."))?;
    form_params(text)
}

/// `client_id` and `client_secret` from HTTP Basic (RFC 6749 §2.3.1: each
/// form-urlencoded first).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OauthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        OauthError::new(
            "invalid_client",
            "The Authorization header is not valid Basic credentials.",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The client making the request, authenticated.
async fn authenticate(
    req: &HttpRequest,
    params: &HashMap<String, String>,
    db: &Db,
) -> Result<OidcClient, OauthError> {
    let basic = basic_credentials(req)?;
    let posted_secret = params.get("client_secret");
    let (client_id, secret) = match (&basic, params.get("client_id")) {
        (Some(_), _) if posted_secret.is_some() => {
            return Err(OauthError::new(
                "invalid_request",
                "Use one way of client authentication.",
            ));
        }
        (Some((id, _)), Some(posted)) if posted != id => {
            return Err(OauthError::new(
                "invalid_client",
                "client_id does not match the credentials.",
            ));
        }
        (Some((id, secret)), _) => (id.clone(), Some(secret.clone())),
        (None, Some(id)) => (id.clone(), posted_secret.cloned()),
        (None, None) => {
            return Err(OauthError::new(
                "invalid_client",
                "The client is not identified.",
            ));
        }
    };
    let unknown = || {
        OauthError::new(
            "invalid_client",
            "The client is unknown or its credentials are wrong.",
        )
    };
    let client = clients::by_client_id(db, &client_id)
        .await?
        .ok_or_else(unknown)?;
    // Some libraries send a public client's id by Basic with an empty
    // secret: that is no secret.
    let secret = secret.filter(|s| !s.is_empty());
    match (client.is_public(), secret) {
        (true, None) => Ok(client),
        (false, Some(secret)) if clients::secret_matches(&client, &secret) => Ok(client),
        _ => Err(unknown()),
    }
}

pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Db>,
    apps: web::Data<AppDirectory>,
    keys: web::Data<KeyStore>,
    writes: web::Data<TokenWrites>,
) -> Result<HttpResponse, OauthError> {
    let params = form_body(&req, &body)?;
    let client = authenticate(&req, &params, &db).await?;
    let meta = request_meta(&req);
    let directory = apps.get(&db).await?;
    let param = |name: &str| params.get(name).map(String::as_str);
    let tokens = match param("grant_type") {
        Some("authorization_code") => {
            let code = param("code")
                .ok_or_else(|| OauthError::new("invalid_request", "code is missing."))?;
            let issuing = Issuing {
                db: &db,
                keys: &keys,
                apps: &directory,
                writes: &writes,
            };
            let exchange = Exchange {
                code,
                redirect_uri: param("redirect_uri"),
                code_verifier: param("code_verifier"),
            };
            oidc::exchange_code(&issuing, &client, &exchange, &meta).await?
        }
        Some("refresh_token") => {
            let token = param("refresh_token")
                .ok_or_else(|| OauthError::new("invalid_request", "refresh_token is missing."))?;
            oidc::refresh(&db, &writes, &directory, &client, token, &meta).await?
        }
        Some(_) => {
            return Err(OauthError::new(
                "unsupported_grant_type",
                "Only authorization_code and refresh_token are supported.",
            ));
        }
        None => return Err(OauthError::new("invalid_request", "grant_type is missing.")),
    };
    Ok(no_store(&tokens))
}

/// `/oauth/userinfo` (GET or POST) with `Authorization: Bearer`.
pub async fn userinfo(
    req: HttpRequest,
    db: web::Data<Db>,
    apps: web::Data<AppDirectory>,
) -> Result<HttpResponse, OauthError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 100)
        .ok_or_else(|| {
            OauthError::new(
                "invalid_token",
                "Send the access token as Authorization: Bearer.",
            )
        })?;
    let directory = apps.get(&db).await?;
    let claims = oidc::userinfo(&db, &directory, token).await?;
    Ok(no_store(&claims))
}

/// `/oauth/revoke` (RFC 7009): 200 whether or not the token was live.
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Db>,
) -> Result<HttpResponse, OauthError> {
    let params = form_body(&req, &body)?;
    let client = authenticate(&req, &params, &db).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OauthError::new("invalid_request", "token is missing."))?;
    oidc::revoke(&db, &client, token, &request_meta(&req)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
