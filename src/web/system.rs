//! Health, static files, and the pages for unknown routes and wrong methods.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};

use crate::db::Db;
use crate::web::error::error_page;

/// 200 when the database answers, 503 when it does not.
pub async fn healthz(db: web::Data<Db>) -> HttpResponse {
    if db.ping().await {
        HttpResponse::Ok().content_type("text/plain").body("ok")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable")
    }
}

/// The stylesheet, embedded so one binary deploys.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

/// The icon browsers ask for on every page, embedded like the stylesheet:
/// without it each page view logged a 404 in the browser's console.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/x-icon")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(&include_bytes!("../../static/favicon.ico")[..])
}

pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    if super::api::is_api(req.path()) {
        return super::api::not_found();
    }
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

pub async fn method_not_allowed(req: actix_web::HttpRequest) -> HttpResponse {
    // A browser app's preflight before it calls the token, userinfo or
    // revocation endpoint with its own headers: any origin may (no cookie
    // is involved; the token or the client authenticates the call).
    if req.method() == actix_web::http::Method::OPTIONS && req.path().starts_with("/oauth/") {
        return HttpResponse::NoContent()
            .insert_header(("access-control-allow-origin", "*"))
            .insert_header(("access-control-allow-methods", "GET, POST"))
            .insert_header((
                "access-control-allow-headers",
                "authorization, content-type",
            ))
            .insert_header(("access-control-max-age", "600"))
            .finish();
    }
    if super::api::is_api(req.path()) {
        return super::api::method_not_allowed();
    }
    error_page(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "This address does not accept that kind of request.",
    )
}
