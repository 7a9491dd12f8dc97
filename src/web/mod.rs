//! HTTP handlers, each with its askama page struct beside it.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod browser_cookies;
pub mod client_ip;
pub mod context;
pub mod csrf;
pub mod custom_fields;
pub mod email;
pub mod error;
pub mod extensions;
pub mod extractors;
pub mod failures;
pub mod flash;
pub mod forms;
pub mod forward_auth;
pub mod invitation;
pub mod layout;
pub mod notifications;
pub mod oidc;
pub mod page_org;
pub mod password_reset;
pub mod profile;
pub mod rate_limit;
pub mod registration;
pub mod request;
pub mod request_span;
pub mod security;
pub mod sessions;
pub mod state;
pub mod system;
pub mod tokens;

use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::AppError;

/// Room for a whole page: the admin lists are 30–40 KB, and growing a buffer
/// step by step from askama's estimate cost each of them several large
/// reallocations (and glibc a heap consolidation each).
const PAGE_BUFFER: usize = 48 * 1024;

/// Renders `page` with 200, or the 500 page if the template fails.
pub fn render<T: Template>(page: T) -> HttpResponse {
    let mut body = String::with_capacity(PAGE_BUFFER.max(T::SIZE_HINT));
    match page.render_into(&mut body) {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(err) => {
            let err = AppError::Unexpected(anyhow::anyhow!("could not render a page: {err}"));
            actix_web::ResponseError::error_response(&err)
        }
    }
}
