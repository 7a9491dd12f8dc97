//! Failures that leave the inner middleware as errors rather than responses
//! become the pages the handlers render. actix-session turns its store's
//! failure into a bare, empty 500; behind it the database was usually
//! unavailable (the store reads every signed-in request's session first),
//! which deserves the 503 page and `Retry-After`.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::error::{AppError, RETRY_AFTER_SECS};
use crate::db::Db;

pub async fn failures(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Not the request itself: the handlers need it unshared.
    let db = req.app_data::<web::Data<Db>>().cloned();
    let err = match next.call(req).await {
        Ok(res) => return Ok(res.map_into_boxed_body()),
        Err(err) => err,
    };
    if !err.as_response_error().status_code().is_server_error()
        || err.as_error::<AppError>().is_some()
    {
        return Err(err);
    }
    let window = Duration::from_secs(RETRY_AFTER_SECS);
    let page = match db {
        Some(db) if db.outages().seen_within(window) => {
            AppError::Unavailable(anyhow::anyhow!("{err}"))
        }
        _ => AppError::Unexpected(anyhow::anyhow!("{err:?}")),
    };
    // Rendered by the error's own response, which the security headers'
    // middleware hardens like any other.
    Err(page.into())
}
