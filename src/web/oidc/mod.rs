//! OpenID Connect endpoints. Each organisation is an issuer: the default
//! one at Gatehouse's public address, the others at `<address>/o/<slug>`.
//! The endpoints themselves are shared (`/oauth/…`): a client names itself,
//! and its organisation decides the issuer. Errors of the JSON endpoints
//! have OAuth's shape (`{"error", "error_description"}`, RFC 6749 §5.2).

pub mod authorize;
pub mod endpoints;
pub mod logout;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::error::AppError;
use super::forward_auth::ForwardAuthSettings;
use crate::db::Db;
use crate::domain::oidc::{ID_TOKEN_ALGS, SCOPES};
use crate::domain::{DEFAULT_ORGANISATION, OrgId, OrgStatus};
use crate::services::ServiceError;
use crate::services::oidc::ProtocolError;
use crate::services::oidc::keys::KeyStore;
use crate::services::organisations::{Directory, OrgRef};

/// Gatehouse's own address: `GATEHOUSE_PUBLIC_URL`, or the request's host.
pub fn base_url(req: &HttpRequest, settings: &ForwardAuthSettings) -> String {
    if !settings.public_origin.is_empty() {
        return settings.public_origin.clone();
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The issuer of `org`: the base URL, or `<base>/o/<slug>`.
pub fn issuer(base: &str, orgs: &[OrgRef], org: OrgId) -> String {
    match orgs.iter().find(|o| o.id == org) {
        Some(o) if o.id != DEFAULT_ORGANISATION => format!("{base}/o/{}", o.slug),
        _ => base.to_owned(),
    }
}

/// The issuer and its organisation's enabled state for a request's
/// organisation path (`/o/{slug}/…`), or the default organisation.
async fn issuer_of(
    req: &HttpRequest,
    db: &Db,
    orgs: &Directory,
    settings: &ForwardAuthSettings,
) -> Result<String, AppError> {
    let base = base_url(req, settings);
    let Some(slug) = req.match_info().get("slug") else {
        return Ok(base);
    };
    let orgs = orgs.get(db).await?;
    // The default organisation's issuer is the base address alone.
    match orgs
        .iter()
        .find(|o| o.slug == slug && o.status == OrgStatus::Active && o.id != DEFAULT_ORGANISATION)
    {
        Some(org) => Ok(issuer(&base, &orgs, org.id)),
        None => Err(AppError::NotFound),
    }
}

fn cached_json(body: String, shared: bool) -> HttpResponse {
    // Without GATEHOUSE_PUBLIC_URL the addresses in the answer come from the
    // request's Host: no shared cache may keep one for everybody.
    // A minute, as long as an instance keeps its copy of the keys: a new
    // key is in every cached JWKS soon after it signs.
    let cache = match shared {
        true => "public, max-age=60",
        false => "private, max-age=60",
    };
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

/// `/.well-known/openid-configuration` (Discovery 1.0 §4).
pub async fn discovery(
    req: HttpRequest,
    db: web::Data<Db>,
    orgs: web::Data<Directory>,
    settings: web::Data<ForwardAuthSettings>,
) -> Result<HttpResponse, AppError> {
    let issuer = issuer_of(&req, &db, &orgs, &settings).await?;
    let base = base_url(&req, &settings);
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "jwks_uri": format!("{base}/oauth/jwks"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "end_session_endpoint": format!("{base}/oauth/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ID_TOKEN_ALGS,
        "scopes_supported": SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp",
            "name", "preferred_username", "email", "email_verified", "groups", "roles"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    Ok(cached_json(
        document.to_string(),
        !settings.public_origin.is_empty(),
    ))
}

/// `/oauth/jwks`: the keys that sign ID tokens, the retired ones included
/// until what they signed has expired.
pub async fn jwks(db: web::Data<Db>, keys: web::Data<KeyStore>) -> Result<HttpResponse, AppError> {
    let keys = keys.get(&db).await?;
    Ok(cached_json(keys.jwks.clone(), true))
}

/// The JSON endpoints' error.
#[derive(Debug)]
pub struct OauthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// A `WWW-Authenticate` challenge (401 answers).
    challenge: Option<&'static str>,
}

impl OauthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OauthError {
        let (status, challenge) = match error {
            "invalid_client" => (StatusCode::UNAUTHORIZED, Some("Basic realm=\"gatehouse\"")),
            "invalid_token" => (
                StatusCode::UNAUTHORIZED,
                Some("Bearer realm=\"gatehouse\", error=\"invalid_token\""),
            ),
            "temporarily_unavailable" => (StatusCode::SERVICE_UNAVAILABLE, None),
            "server_error" => (StatusCode::INTERNAL_SERVER_ERROR, None),
            _ => (StatusCode::BAD_REQUEST, None),
        };
        OauthError {
            status,
            error,
            description: description.into(),
            challenge,
        }
    }
}

impl std::fmt::Display for OauthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.error)
    }
}

impl actix_web::ResponseError for OauthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
        if let Some(challenge) = self.challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(json!({ "error": self.error, "error_description": self.description }))
    }
}

impl From<ServiceError> for OauthError {
    fn from(err: ServiceError) -> OauthError {
        let err = match err {
            ServiceError::Unexpected(err) => err,
            other => anyhow::anyhow!("{other}"),
        };
        if crate::db::is_outage(&err) {
            tracing::warn!(error = ?err, "the database is unavailable");
            OauthError::new(
                "temporarily_unavailable",
                "The database is unavailable; try again shortly.",
            )
        } else {
            tracing::error!(error = ?err, "an OpenID Connect request failed");
            OauthError::new("server_error", "Something went wrong on our side.")
        }
    }
}

impl From<ProtocolError> for OauthError {
    fn from(err: ProtocolError) -> OauthError {
        match err {
            ProtocolError::Refused { error, description } => OauthError::new(error, description),
            ProtocolError::Service(err) => OauthError::from(err),
        }
    }
}

/// A POST to an endpoint the browser itself reaches (authorization,
/// logout) is answered with a 303 to the same endpoint, the form as its
/// query: the browser comes back by GET with its session cookie, which a
/// POST from the app's site does not carry (SameSite=Lax). `None` for a GET.
pub fn post_as_get(req: &HttpRequest, body: &[u8]) -> Option<Result<HttpResponse, AppError>> {
    if req.method() != actix_web::http::Method::POST {
        return None;
    }
    let bad = |m: &str| Err(AppError::BadRequest(m.to_owned()));
    let Ok(text) = std::str::from_utf8(body) else {
        return Some(bad("The request is not UTF-8."));
    };
    if text.len() > 16_000 {
        return Some(bad("The request is too long."));
    }
    Some(Ok(crate::web::flash::redirect(&format!(
        "{}?{text}",
        req.path()
    ))))
}

/// The parameters of a form body (or query) as a map; a parameter given
/// twice is refused (RFC 6749 §3.1).
pub fn form_params(text: &str) -> Result<std::collections::HashMap<String, String>, OauthError> {
    let mut params = std::collections::HashMap::new();
    for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
        if value.len() > crate::domain::oidc::PARAM_MAX {
            return Err(OauthError::new(
                "invalid_request",
                format!("{name} is too long."),
            ));
        }
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OauthError::new(
                "invalid_request",
                format!("{name} is given twice."),
            ));
        }
    }
    Ok(params)
}
