//! Two middlewares: the outermost puts the security headers on every
//! response (errors and redirects included); the innermost refuses
//! cross-site POSTs and records refused requests in the audit log.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use actix_session::SessionExt;

use crate::auth::session_store::IDENTITY_KEY;
use crate::db::Db;
use crate::domain::{AuditAction, UserId};
use crate::services::security::{self, RefusalLimiter};
use crate::web::extensions::{Refusal, SignedIn};

/// The policy every page is served under: nothing but this origin, no
/// inline script, no plugins, no framing, forms only to this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// What the middleware needs, shared by all workers.
pub struct SecuritySettings {
    /// Cookies are `Secure`, so the site is served over HTTPS: send HSTS.
    pub https: bool,
    pub limiter: RefusalLimiter,
}

/// Why an unsafe request looks cross-site, if it does. A missing `Origin` is
/// allowed (older browsers, non-browser clients); the CSRF token still
/// guards those.
fn cross_site(method: &Method, headers: &HeaderMap, own: &str, https: bool) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let fetch_site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case(b"cross-site")) {
        return Some("Sec-Fetch-Site: cross-site".into());
    }
    let origin = headers.get(header::ORIGIN)?;
    let text = String::from_utf8_lossy(origin.as_bytes());
    (!same_origin(&text, own, https)).then(|| format!("Origin: {text}"))
}

/// Whether `origin` is this site, `own` being its `scheme://host[:port]`.
/// Behind a TLS-terminating proxy the app may see http while the browser
/// says https; with secure cookies configured, https is accepted too.
fn same_origin(origin: &str, own: &str, https: bool) -> bool {
    let (Ok(origin), Ok(own)) = (url::Url::parse(origin), url::Url::parse(own)) else {
        return false;
    };
    let theirs = origin.origin();
    if !theirs.is_tuple() {
        return false;
    }
    if theirs == own.origin() {
        return true;
    }
    let mut upgraded = own.clone();
    https
        && own.scheme() == "http"
        && upgraded.set_scheme("https").is_ok()
        && upgraded.set_port(None).is_ok()
        && theirs == upgraded.origin()
}

/// No page uses a camera, a microphone, the location, payments, USB or the
/// like: refusing them all means a script that got in somehow cannot ask.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
     usb=(), serial=(), hid=(), midi=(), display-capture=()";

fn set_default(headers: &mut HeaderMap, name: &'static str, value: &'static str) {
    let name = HeaderName::from_static(name);
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers a handler did not set itself.
fn harden(headers: &mut HeaderMap, https: bool) {
    set_default(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set_default(headers, "x-frame-options", "DENY");
    set_default(headers, "x-content-type-options", "nosniff");
    set_default(headers, "referrer-policy", "same-origin");
    set_default(headers, "cross-origin-opener-policy", "same-origin");
    set_default(headers, "cross-origin-resource-policy", "same-origin");
    set_default(headers, "permissions-policy", PERMISSIONS_POLICY);
    // Pages carry personal data: no copy in any cache. The stylesheet sets
    // its own, public, Cache-Control.
    set_default(headers, "cache-control", "no-store");
    if https {
        set_default(
            headers,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    headers.remove(header::SERVER);
    headers.remove(HeaderName::from_static("x-powered-by"));
}

/// The outermost middleware: adds the security headers to every response,
/// including error pages produced by the middleware inside it.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = settings(&req)?.https;
    match next.call(req).await {
        Ok(res) => {
            let mut res = res.map_into_boxed_body();
            harden(res.headers_mut(), https);
            Ok(res)
        }
        // An inner middleware failed: its error page gets the headers too.
        Err(err) => Err(Hardened { inner: err, https }.into()),
    }
}

/// The innermost middleware (the session is loaded, so the user is known):
/// refuses cross-site POSTs before any handler runs, and records refusals in
/// the audit log.
pub async fn refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let settings = settings(&req)?;
    let own = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    // The OpenID Connect endpoints are posted to by other sites by design:
    // the token, revocation and userinfo endpoints authenticate the client
    // or the token, never the session; a cross-site POST to the
    // authorization or logout endpoint carries no session cookie
    // (SameSite=Lax), so it meets the sign-in page, not the user.
    let by_design = req.path().starts_with("/oauth/");
    if !by_design
        && let Some(detail) = cross_site(req.method(), req.headers(), &own, settings.https)
    {
        let page = crate::web::error::error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was sent from another site, so Gatehouse refused it. Open Gatehouse directly and try again.",
        );
        let res = req.into_response(page);
        record(&res, &settings, AuditAction::CsrfRejected, &detail).await;
        return Ok(res);
    }
    let res = next.call(req).await?.map_into_boxed_body();
    let refusal = res.response().extensions().get::<Refusal>().cloned();
    match refusal {
        Some(Refusal::Csrf) => {
            let detail = "missing or wrong CSRF token";
            record(&res, &settings, AuditAction::CsrfRejected, detail).await;
        }
        Some(Refusal::AccessDenied) => {
            let detail = "permission denied";
            record(&res, &settings, AuditAction::AccessDenied, detail).await;
        }
        None => {}
    }
    Ok(res)
}

fn settings(req: &ServiceRequest) -> Result<web::Data<SecuritySettings>, Error> {
    req.app_data::<web::Data<SecuritySettings>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("security settings missing"))
}

/// An error from an inner middleware, rendered with the security headers.
#[derive(Debug)]
struct Hardened {
    inner: Error,
    https: bool,
}

impl std::fmt::Display for Hardened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl actix_web::ResponseError for Hardened {
    fn status_code(&self) -> StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut response = self.inner.error_response();
        harden(response.headers_mut(), self.https);
        response
    }
}

/// Writes the audit row for a refusal (within the caps). A failure to record
/// is logged, not turned into a 500: the request was refused either way.
async fn record(
    res: &ServiceResponse,
    settings: &SecuritySettings,
    action: AuditAction,
    detail: &str,
) {
    let req = res.request();
    let meta = crate::web::request::request_meta(req);
    let route = format!("{} {}", req.method(), req.path());
    tracing::warn!(
        action = action.as_str(),
        route = %crate::domain::sanitize_for_log(&route, 200),
        detail = %crate::domain::sanitize_for_log(detail, 300),
        "request refused"
    );
    let Some(db) = req.app_data::<web::Data<Db>>() else {
        return;
    };
    // The handler's extractors may not have read the user yet (a form is
    // checked before, or alongside, the user): fall back on the session.
    let known = req.extensions().get::<SignedIn>().map(|u| u.0.id);
    let actor = known.or_else(|| {
        let id = req
            .get_session()
            .get::<String>(IDENTITY_KEY)
            .ok()
            .flatten()?;
        id.parse().ok().map(UserId)
    });
    let refusal = security::Refusal {
        action,
        actor,
        route: &route,
        detail,
    };
    if let Err(err) = security::record_refusal(db, &settings.limiter, &refusal, &meta).await {
        tracing::error!(error = ?err, "could not record a refused request in the audit log");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    const OWN: &str = "http://gate.example:8080";

    #[test]
    fn a_post_from_this_origin_or_without_an_origin_passes() {
        let post = Method::POST;
        assert_eq!(cross_site(&post, &headers(&[]), OWN, false), None);
        let same = headers(&[("origin", "http://gate.example:8080")]);
        assert_eq!(cross_site(&post, &same, OWN, false), None);
        let fetch = headers(&[("sec-fetch-site", "same-origin")]);
        assert_eq!(cross_site(&post, &fetch, OWN, false), None);
    }

    #[test]
    fn a_post_from_another_origin_or_marked_cross_site_is_refused() {
        let post = Method::POST;
        for origin in [
            "https://evil.example",
            "http://gate.example",
            "http://gate.example:8081",
            "https://gate.example:8080",
            "http://sub.gate.example:8080",
            "null",
            "",
        ] {
            let mut map = HeaderMap::new();
            map.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            assert!(cross_site(&post, &map, OWN, false).is_some(), "{origin}");
        }
        let fetch = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&post, &fetch, OWN, false).is_some());
        let get = headers(&[("origin", "https://evil.example")]);
        assert_eq!(cross_site(&Method::GET, &get, OWN, false), None);
    }

    #[test]
    fn behind_tls_the_https_form_of_this_origin_passes() {
        assert!(same_origin(
            "https://gate.example",
            "http://gate.example",
            true
        ));
        assert!(!same_origin(
            "https://gate.example",
            "http://gate.example",
            false
        ));
        assert!(!same_origin(
            "https://evil.example",
            "http://gate.example",
            true
        ));
    }

    #[test]
    fn headers_a_handler_set_are_kept_and_server_banners_removed() {
        let mut map = headers(&[
            ("cache-control", "public, max-age=3600"),
            ("server", "x/1.0"),
        ]);
        harden(&mut map, true);
        assert_eq!(map.get("cache-control").unwrap(), "public, max-age=3600");
        assert!(map.get("server").is_none());
        assert!(map.get("strict-transport-security").is_some());
        let mut plain = HeaderMap::new();
        harden(&mut plain, false);
        assert!(plain.get("strict-transport-security").is_none());
        assert_eq!(plain.get("cache-control").unwrap(), "no-store");
    }
}
