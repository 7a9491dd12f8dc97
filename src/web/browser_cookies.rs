//! Middleware for what every browser request carries besides the session:
//! the body-size limit, the CSRF cookie and the flash cookie. Both cookies are
//! signed with the server key; neither touches the database, so anonymous
//! visitors cost no writes.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use rand::RngCore;

use super::extensions::IncomingFlash;
use super::flash::Flash;
use crate::web::extensions::{CsrfToken, RotateCsrf};

/// Largest request body accepted (64 KiB); larger ones get 413.
pub const BODY_LIMIT: usize = 64 * 1024;
const CSRF_COOKIE: &str = "gatehouse_csrf";
const FLASH_COOKIE: &str = "gatehouse_flash";

/// Signing key and cookie flags, shared by the cookies this module sets.
#[derive(Clone)]
pub struct CookieSettings {
    pub key: Key,
    pub secure: bool,
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn read_signed(req: &ServiceRequest, key: &Key, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.signed(key).get(name).map(|c| c.value().to_owned())
}

fn signed_cookie(
    settings: &CookieSettings,
    name: &'static str,
    value: String,
    remove: bool,
) -> Option<Cookie<'static>> {
    let mut cookie = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(settings.secure)
        .same_site(SameSite::Lax)
        .finish();
    if remove {
        cookie.make_removal();
        return Some(cookie);
    }
    let mut jar = CookieJar::new();
    jar.signed_mut(&settings.key).add(cookie);
    jar.get(name).cloned()
}

pub async fn browser_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > BODY_LIMIT) {
        if crate::web::api::is_api(req.path()) {
            return Ok(req.into_response(crate::web::api::too_large()));
        }
        let page = crate::web::error::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much data",
            "The form sent more data than Gatehouse accepts (64 KiB).",
        );
        return Ok(req.into_response(page));
    }
    let settings = req
        .app_data::<web::Data<CookieSettings>>()
        .map(|s| s.get_ref().clone())
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("cookie settings missing"))?;

    let existing_token = read_signed(&req, &settings.key, CSRF_COOKIE).filter(|t| t.len() == 64);
    let token = existing_token.clone().unwrap_or_else(new_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let incoming = read_signed(&req, &settings.key, FLASH_COOKIE).and_then(|v| Flash::decode(&v));
    let had_flash_cookie = req.cookie(FLASH_COOKIE).is_some();
    req.extensions_mut().insert(IncomingFlash(incoming));

    let mut res = next.call(req).await?.map_into_boxed_body();

    let rotate = res.response().extensions().get::<RotateCsrf>().is_some();
    let outgoing = res.response().extensions().get::<Flash>().cloned();
    let mut cookies = Vec::new();
    if rotate {
        cookies.extend(signed_cookie(&settings, CSRF_COOKIE, new_token(), false));
    } else if existing_token.is_none() {
        cookies.extend(signed_cookie(&settings, CSRF_COOKIE, token, false));
    }
    if let Some(flash) = outgoing {
        cookies.extend(signed_cookie(
            &settings,
            FLASH_COOKIE,
            flash.encode(),
            false,
        ));
    } else if had_flash_cookie && !res.status().is_redirection() {
        cookies.extend(signed_cookie(&settings, FLASH_COOKIE, String::new(), true));
    }
    for cookie in cookies {
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}
