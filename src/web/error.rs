//! One error type for every handler: it picks the status, renders a safe page,
//! and leaves the full cause chain to the log.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::services::ServiceError;
use crate::web::flash::Flash;

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("permission denied")]
    Forbidden,
    #[error("the form's security token was missing or wrong")]
    CsrfRejected,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// Over the sign-in rate limit: 429 with `Retry-After`.
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// Not a failure: an extractor sends the browser elsewhere (sign in first,
    /// or the pending page), optionally with a message for the next page.
    #[error("redirect to {to}")]
    Redirect { to: String, flash: Option<Flash> },
    /// The database is down, restarting or refusing connections: 503 with
    /// `Retry-After`, since the same request can succeed in a moment.
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

/// How long a browser or client is asked to wait after a 503.
pub const RETRY_AFTER_SECS: u64 = 5;

impl From<anyhow::Error> for AppError {
    /// Sorts a failure into an outage (503) or a fault of ours (500).
    fn from(err: anyhow::Error) -> AppError {
        if crate::db::is_outage(&err) {
            AppError::Unavailable(err)
        } else {
            AppError::Unexpected(err)
        }
    }
}

impl AppError {
    pub fn redirect(to: impl Into<String>) -> AppError {
        AppError::Redirect {
            to: to.into(),
            flash: None,
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            writeln!(f, "Caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> AppError {
        match err {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::Unexpected(e) => AppError::from(e),
            ServiceError::Rule(e) => AppError::BadRequest(e.to_string()),
            ServiceError::Conflict(m) => AppError::BadRequest(m),
            ServiceError::Invalid(fields) => AppError::BadRequest(
                fields
                    .into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        AppError::from(anyhow::Error::new(err))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: crate::web::layout::Layout,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Redirect { .. } => StatusCode::SEE_OTHER,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::Redirect { to, flash } = self {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to.as_str()))
                .finish();
            if let Some(flash) = flash {
                response.extensions_mut().insert(flash.clone());
            }
            return response;
        }
        if let AppError::Unavailable(_) = self {
            // Not a fault of ours: /healthz answers 503 too, for monitoring.
            tracing::warn!(error = ?self, "the database is unavailable");
        } else if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "request refused");
        }
        let (title, message) = match self {
            AppError::NotFound => ("Page not found", "There is nothing at this address."),
            AppError::Forbidden => (
                "Not allowed",
                "Your account does not have permission to open this page.",
            ),
            AppError::CsrfRejected => (
                "Form expired",
                "This form's security token was missing or out of date. Go back, reload the page and try again.",
            ),
            AppError::BadRequest(message) => ("Bad request", message.as_str()),
            AppError::PayloadTooLarge => (
                "Too much data",
                "The form sent more data than Gatehouse accepts (64 KiB).",
            ),
            AppError::TooManyRequests { .. } => (
                "Too many attempts",
                "Too many sign-in or registration attempts came from your address. Wait a minute and try again.",
            ),
            AppError::Unavailable(_) => (
                "Briefly unavailable",
                "Gatehouse cannot reach its database just now. Nothing was changed; please try again in a few seconds.",
            ),
            _ => (
                "Something went wrong",
                "Gatehouse could not complete this request. Nothing was changed; please try again.",
            ),
        };
        let mut response = error_page(status, title, message);
        let retry_after = match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable(_) => Some(RETRY_AFTER_SECS),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        // The security middleware records these refusals in the audit log.
        match self {
            AppError::Forbidden => {
                response
                    .extensions_mut()
                    .insert(crate::web::extensions::Refusal::AccessDenied);
            }
            AppError::CsrfRejected => {
                response
                    .extensions_mut()
                    .insert(crate::web::extensions::Refusal::Csrf);
            }
            _ => {}
        }
        response
    }
}

/// Renders the error page with any status (also used for 404 and 405).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let page = ErrorPage {
        layout: crate::web::layout::Layout::bare(),
        title,
        message,
    };
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "could not render the error page");
            HttpResponse::build(status).body(title.to_owned())
        }
    }
}
