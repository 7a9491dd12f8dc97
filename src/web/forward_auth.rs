//! Forward authentication: `GET /auth/verify`, which a reverse proxy (nginx
//! `auth_request`, Traefik `ForwardAuth`, Caddy `forward_auth`) asks on
//! every request to a guarded app, and `GET /auth/denied`, the page a
//! refused browser is sent to. The user's status, role and groups are read
//! with their session (one query, which the worker's other requests waiting
//! at the same moment share: `auth::session_loads`); the apps come from each
//! instance's copy (`services::app_directory`), so an allowed request costs
//! no other read and no write (activity is recorded at most once a minute
//! per session).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;

use super::context::Ctx;
use super::error::AppError;
use super::extractors::{CurrentUser, session_user};
use super::layout::Layout;
use super::render;
use crate::db::Db;
use crate::domain::{App, AuthUser, OrgId, Refusal};
use crate::services::app_directory::{AppDirectory, Verdict, authority, verdict};
use crate::services::organisations::Directory;

/// What `/auth/verify` needs besides the request.
#[derive(Debug, Clone, Default)]
pub struct ForwardAuthSettings {
    /// Gatehouse's public address without a trailing slash, or "".
    pub public_origin: String,
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    /// The app's slug, for a proxy that names it rather than relying on
    /// the host name.
    #[serde(default)]
    app: Option<String>,
}

/// Bytes a forwarded header value keeps as they are: printable ASCII but
/// `%` (the escape) and `,` (the list separator of `X-Gatehouse-Groups`).
/// Everything else, control characters and non-ASCII included, is
/// percent-encoded (UTF-8), so no value can break a header line.
const HEADER_VALUE: &AsciiSet = &CONTROLS.add(b'%').add(b',');

/// `text` made safe to forward as a header value.
pub fn header_value(text: &str) -> String {
    utf8_percent_encode(text, HEADER_VALUE).to_string()
}

fn first(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let value = value.split(',').next()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The address the browser asked the proxy for: nginx's `X-Original-URL`,
/// else `X-Forwarded-Proto` + `X-Forwarded-Host` + `X-Forwarded-Uri`
/// (Traefik, Caddy). Returns the URL and its host (with any port).
fn original_request(req: &HttpRequest) -> Option<(String, String)> {
    let headers = req.headers();
    if let Some(url) = first(headers, "x-original-url")
        && let Ok(parsed) = url::Url::parse(&url)
        && let Some(host) = authority(&parsed)
    {
        return Some((url, host));
    }
    let host = first(headers, "x-forwarded-host")?;
    let proto = first(headers, "x-forwarded-proto").unwrap_or_else(|| "https".into());
    let proto = if proto.eq_ignore_ascii_case("http") {
        "http"
    } else {
        "https"
    };
    let uri = first(headers, "x-forwarded-uri").unwrap_or_else(|| "/".into());
    let uri = if uri.starts_with('/') {
        uri
    } else {
        "/".into()
    };
    Some((format!("{proto}://{host}{uri}"), host))
}

fn encoded(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

/// A refusal the proxy turns into a redirect: `Location` says where (nginx
/// reads it with `auth_request_set`), and a browser shown the body itself
/// (Traefik and Caddy pass it on) is sent there too.
fn refusal(status: StatusCode, to: &str, reason: &str) -> HttpResponse {
    let escaped = to
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    HttpResponse::build(status)
        .insert_header((header::LOCATION, to.to_owned()))
        .insert_header(("X-Gatehouse-Reason", reason.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=\"0;url={escaped}\">\
             <title>Gatehouse</title><a href=\"{escaped}\">Continue to Gatehouse</a>\n"
        ))
}

/// The sign-in page of the app's organisation (or the default one).
fn login_path(orgs: &[crate::services::organisations::OrgRef], org: Option<OrgId>) -> String {
    match org.and_then(|id| orgs.iter().find(|o| o.id == id)) {
        Some(org) if org.id != crate::domain::DEFAULT_ORGANISATION => {
            format!("/o/{}/login", org.slug)
        }
        _ => "/login".to_owned(),
    }
}

pub async fn verify(
    req: HttpRequest,
    query: web::Query<VerifyQuery>,
    db: web::Data<Db>,
    apps: web::Data<AppDirectory>,
    orgs: web::Data<Directory>,
    settings: web::Data<ForwardAuthSettings>,
) -> Result<HttpResponse, AppError> {
    let apps = apps.get(&db).await?;
    let (url, host) = original_request(&req).unwrap_or_default();
    let base = &settings.public_origin;
    let Some(user) = session_user(&req).await? else {
        let org = apps.by_host(&host).map(|(org, _)| org);
        let orgs = orgs.get(&db).await?;
        let mut to = format!("{base}{}", login_path(&orgs, org));
        if !url.is_empty() {
            to.push_str(&format!("?rd={}", encoded(&url)));
        }
        return Ok(refusal(StatusCode::UNAUTHORIZED, &to, "signed_out"));
    };
    match verdict(&apps, &user, query.app.as_deref(), &host) {
        Verdict::Allowed(_) => {
            let orgs = orgs.get(&db).await?;
            Ok(allowed(&user, &orgs))
        }
        Verdict::Refused(why, _) => Ok(denied(base, &url, query.app.as_deref(), why.code())),
        Verdict::UnknownApp => Ok(denied(base, &url, query.app.as_deref(), "unknown_app")),
    }
}

fn denied(base: &str, url: &str, slug: Option<&str>, reason: &str) -> HttpResponse {
    let mut to = format!("{base}/auth/denied?rd={}", encoded(url));
    if let Some(slug) = slug {
        to.push_str(&format!("&app={}", encoded(slug)));
    }
    refusal(StatusCode::FORBIDDEN, &to, reason)
}

/// 200 with who the user is, for the proxy to pass to the app.
fn allowed(user: &AuthUser, orgs: &[crate::services::organisations::OrgRef]) -> HttpResponse {
    let organisation = orgs
        .iter()
        .find(|o| o.id == user.organisation)
        .map_or("", |o| o.slug.as_str());
    let groups = user
        .groups
        .iter()
        .map(|(_, name)| header_value(name))
        .collect::<Vec<_>>()
        .join(",");
    HttpResponse::Ok()
        .insert_header(("X-Gatehouse-User", header_value(&user.username)))
        .insert_header(("X-Gatehouse-Email", header_value(&user.email)))
        .insert_header(("X-Gatehouse-Name", header_value(&user.full_name)))
        .insert_header(("X-Gatehouse-Role", header_value(&user.role_name)))
        .insert_header(("X-Gatehouse-Groups", groups))
        .insert_header(("X-Gatehouse-Organisation", header_value(organisation)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Deserialize)]
pub struct DeniedQuery {
    #[serde(default)]
    rd: String,
    #[serde(default)]
    app: Option<String>,
}

/// The refusal page, shared by forward authentication and OpenID Connect.
#[derive(Template)]
#[template(path = "auth/denied.html")]
pub(crate) struct DeniedPage {
    layout: Layout,
    /// The app asked about, when it is the user's organisation's.
    app: Option<App>,
    /// Why they may not open it; `None` when they may after all.
    reason: Option<&'static str>,
    /// Whether asking for a role would help.
    may_request: bool,
    role: String,
    /// The user's groups, comma-separated.
    groups: String,
    /// Back to the app that asked (OpenID Connect sign-ins only).
    back: Option<String>,
}

impl DeniedPage {
    /// The page for `user`: `app` (when known) refused for `reason` (none
    /// when they may open it after all), with the offer to request a role
    /// when one of the app's roles would let them in.
    pub(crate) fn new(
        layout: Layout,
        user: &AuthUser,
        app: Option<App>,
        reason: Option<Refusal>,
        back: Option<String>,
    ) -> DeniedPage {
        let may_request = reason == Some(Refusal::NotInRule)
            && app.as_ref().is_some_and(|a| !a.rule.roles.is_empty());
        DeniedPage {
            layout,
            app,
            reason: reason.map(Refusal::explain),
            may_request,
            role: user.role_name.clone(),
            groups: user
                .groups
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            back,
        }
    }
}

/// The page a refused browser lands on: which app, why, and (when a role
/// would let them in) the offer to request it; or, when the user may open
/// the app after all (a change since the proxy asked), a link to it. The
/// refusal itself was the proxy's 403: this page is what the browser
/// asked for, so it answers 200.
pub async fn denied_page(
    ctx: Ctx<CurrentUser>,
    query: web::Query<DeniedQuery>,
    apps: web::Data<AppDirectory>,
) -> Result<HttpResponse, AppError> {
    let apps = apps.get(&ctx.db).await?;
    let host = url::Url::parse(&query.rd).ok().and_then(|u| authority(&u));
    let user = ctx.user();
    let verdict = verdict(
        &apps,
        user,
        query.app.as_deref(),
        host.as_deref().unwrap_or(""),
    );
    let layout = ctx.layout().await?;
    let page = match verdict {
        Verdict::Allowed(app) => DeniedPage::new(layout, user, Some(app.clone()), None, None),
        Verdict::Refused(Refusal::OtherOrganisation, _) => {
            DeniedPage::new(layout, user, None, Some(Refusal::OtherOrganisation), None)
        }
        Verdict::Refused(why, app) => {
            DeniedPage::new(layout, user, Some(app.clone()), Some(why), None)
        }
        Verdict::UnknownApp => {
            let mut page = DeniedPage::new(layout, user, None, None, None);
            page.reason = Some("No app of your organisation is registered for this address.");
            page
        }
    };
    Ok(render(page))
}

#[cfg(test)]
mod tests {
    use super::header_value;

    #[test]
    fn header_values_cannot_break_a_line_and_keep_plain_text() {
        assert_eq!(header_value("ada.lovelace"), "ada.lovelace");
        assert_eq!(header_value("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(header_value("a\r\nX-Evil: 1"), "a%0D%0AX-Evil: 1");
        assert_eq!(header_value("Zoë"), "Zo%C3%AB");
        assert_eq!(header_value("R&D, Ops"), "R&D%2C Ops");
        assert_eq!(header_value("100%"), "100%25");
    }
}
