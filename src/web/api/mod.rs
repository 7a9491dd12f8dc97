//! The JSON API under `/api/v1/`: bearer tokens only (cookies never
//! authenticate it, so it needs no CSRF token), the same services as the
//! pages, and one error shape, `{"error": {"code", "message", "fields"}}`,
//! with the status that fits. Bodies and queries are read here rather than
//! by actix's extractors, whose refusals are the pages' HTML.

pub mod directory;
pub mod openapi;
pub mod requests;
pub mod users;

use std::collections::BTreeMap;
use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::client_ip::client_ip;
use super::rate_limit::{IpRateLimit, Verdict};
use super::request::request_meta;
use crate::db::Db;
use crate::domain::permission::PermissionMarker;
use crate::domain::sanitize_for_log;
use crate::domain::token::TokenRefusal;
use crate::services::tokens::{self, ApiCaller};
use crate::services::{Actor, Authorized, RequestMeta, ServiceError};

/// Largest JSON body the API reads.
const BODY_LIMIT: usize = 64 * 1024;

/// The error body: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `invalid_token`, `missing_scope`, `not_found`,
    /// `conflict`, `invalid_field`, `malformed_json`, `too_large`,
    /// `rate_limited`, `unavailable`, `internal`…
    pub code: String,
    /// For people.
    pub message: String,
    /// What is wrong with each field, by name (422 only; otherwise empty).
    pub fields: BTreeMap<String, String>,
}

/// The API's one error type: a status and the body that goes with it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                fields: BTreeMap::new(),
            },
            retry_after: None,
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is nothing here.")
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// One field's problem (422).
    pub fn field(name: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "A field is not valid.",
        );
        error.detail.fields.insert(name.to_owned(), message.into());
        error
    }

    /// The same error as a conflict (409): a taken username, say.
    pub fn conflict(&mut self) {
        self.status = StatusCode::CONFLICT;
        self.detail.code = "conflict".to_owned();
        self.detail.message = "Something with these values exists already.".to_owned();
    }

    fn unauthorized(refusal: TokenRefusal) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", refusal.message())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail.code)
    }
}

impl actix_web::ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"gatehouse\", error=\"invalid_token\"",
            ));
        }
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.detail.code.clone(),
                message: self.detail.message.clone(),
                fields: self.detail.fields.clone(),
            },
        })
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> ApiError {
        match err {
            ServiceError::NotFound => ApiError::not_found(),
            ServiceError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_scope",
                "The token's scopes do not allow this.",
            ),
            ServiceError::Rule(rule) => {
                ApiError::new(StatusCode::CONFLICT, "not_allowed", rule.to_string())
            }
            ServiceError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            ServiceError::Invalid(fields) => {
                let mut error = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    "Some fields are not valid.",
                );
                error.detail.fields = fields
                    .into_iter()
                    .map(|(name, message)| (name.into_owned(), message))
                    .collect();
                error
            }
            ServiceError::Unexpected(err) => ApiError::from(err),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    /// An outage (503) or a fault of ours (500); the cause goes to the log,
    /// never to the caller.
    fn from(err: anyhow::Error) -> ApiError {
        if crate::db::is_outage(&err) {
            tracing::warn!(error = ?err, "the database is unavailable");
            let mut error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The database is unavailable; try again shortly.",
            );
            error.retry_after = Some(5);
            error
        } else {
            tracing::error!(error = ?err, "an API request failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.",
            )
        }
    }
}

/// `value` as a 200 JSON response.
pub fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().json(value)
}

/// Failed token checks per client address per minute before 429: guessing
/// tokens is hopeless (256 bits), but a flood of attempts costs reads.
pub struct ApiRateLimit(pub IpRateLimit);

/// A request made with a working token: who it acts for (holding only the
/// token's scopes), the database, and where it came from for audit rows.
pub struct Api {
    pub caller: ApiCaller,
    pub db: web::Data<Db>,
    pub meta: RequestMeta,
}

impl Api {
    /// Authenticates the request's bearer token.
    pub async fn of(req: &HttpRequest) -> Result<Api, ApiError> {
        let db = req
            .app_data::<web::Data<Db>>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("database missing from app data"))?;
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let caller = match tokens::authenticate(&db, presented).await? {
            Ok(caller) => caller,
            Err(refusal) => return Err(refused(req, refusal)),
        };
        let mut meta = request_meta(req);
        meta.session = None;
        meta.user_agent = Some(sanitize_for_log(
            &format!(
                "API, {} token {}; {}",
                caller.token.kind.as_str(),
                caller.token.name,
                meta.user_agent.as_deref().unwrap_or("no browser")
            ),
            300,
        ));
        Ok(Api { caller, db, meta })
    }

    /// The token's owner as the actor of a use case.
    pub fn actor(&self) -> Actor {
        Actor::from(&self.caller.user)
    }

    /// Proof that the token's scopes (and its owner) hold `P`; 403 otherwise.
    pub fn require<P: PermissionMarker>(&self) -> Result<Authorized<P>, ApiError> {
        Authorized::check(&self.caller.user).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_scope",
                format!("The token needs the scope {}.", P::PERMISSION),
            )
        })
    }

    pub fn scope(&self) -> crate::db::Scope {
        self.caller.user.scope()
    }
}

/// 401, or 429 once an address has failed too often this minute.
fn refused(req: &HttpRequest, refusal: TokenRefusal) -> ApiError {
    let ip: Option<IpAddr> = client_ip(req);
    let limit = req.app_data::<web::Data<ApiRateLimit>>();
    if let (Some(ip), Some(limit)) = (ip, limit)
        && let Verdict::Refused {
            retry_after_secs, ..
        } = limit.0.check(ip)
    {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests with tokens that do not work; wait a minute.",
        );
        error.retry_after = Some(retry_after_secs);
        return error;
    }
    ApiError::unauthorized(refusal)
}

/// The query string as `T`; anything it cannot be read as is a 400.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    serde_html_form::from_str(req.query_string())
        .map_err(|e| ApiError::bad_request(format!("The query is not valid: {e}.")))
}

/// The body as JSON `T`: 415 when it is not JSON, 413 over 64 KiB, 400 when
/// it does not parse, 422 when it parses but a field has the wrong type.
pub async fn body<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<T, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON (Content-Type: application/json).",
        ));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("The body could not be read."))?;
        if bytes.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "The body is larger than 64 KiB.",
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("The body does not fit: {e}."),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("The body is not valid JSON: {e}."),
        ),
    })
}

/// An id from the path; anything but a positive number finds nothing.
pub fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(ApiError::not_found)
}

/// The 404 and 405 answers under `/api/`, in the API's shape.
pub fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API route.",
    ))
}

pub fn method_not_allowed() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not accept that method.",
    ))
}

/// 413 for a body declared larger than the server accepts.
pub fn too_large() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "The body is larger than 64 KiB.",
    ))
}

/// Whether `path` is the API's.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}
