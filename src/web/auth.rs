//! Sign-in, sign-out, registration and the pending page.

use actix_identity::Identity;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use secrecy::SecretString;
use serde::Deserialize;

use super::flash::{Flash, redirect, redirect_with};
use super::layout::Layout;
use super::rate_limit::LoginRateLimit;
use super::render;
use crate::db::Db;
use crate::domain::{Timestamp, UserStatus};
use crate::services::accounts;
use crate::services::app_directory::AppDirectory;
use crate::services::auth_settings::AuthSettings;
use crate::services::login::{self as login_service, LoginOutcome};
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extensions::RotateCsrf;
use crate::web::extractors::CurrentUser;
use crate::web::page_org::{PageOrg, scope_of};
use crate::web::request::request_meta;
use crate::web::security::CONTENT_SECURITY_POLICY;

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    layout: Layout,
    org: OrgFields,
    login: String,
    next: String,
    /// The guarded app's address the browser came from (forward auth),
    /// checked again after sign-in.
    rd: String,
    error: String,
    /// Mail is on, so the page offers a reset link.
    mail: bool,
}

/// What the sign-in and registration pages show of their organisation.
pub struct OrgFields {
    /// The organisation's name, when the instance has several.
    pub heading: Option<String>,
    /// Whether the form has an organisation field.
    pub asks: bool,
    /// What was typed in it.
    pub typed: String,
    /// Its message.
    pub error: String,
    /// The path prefix of the page's form and links (`/o/acme`, or empty).
    pub prefix: String,
}

impl OrgFields {
    pub(super) fn of(page: &PageOrg, typed: &str, error: &str) -> OrgFields {
        OrgFields {
            heading: page.heading().map(str::to_owned),
            asks: page.asks(),
            typed: typed.chars().take(40).collect(),
            error: error.to_owned(),
            prefix: page.prefix.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    rd: String,
}

/// An `rd` worth carrying through the form: one line, bounded. Whether it
/// is followed is decided after sign-in (`Apps::return_to`).
fn carried_rd(rd: &str) -> String {
    // An authorization request resumed after sign-in carries all its
    // parameters (state and nonce may be long); anything else is a URL.
    let limit = match is_authorization(rd) {
        true => 16_000,
        false => 2000,
    };
    match rd.len() <= limit && !rd.chars().any(char::is_control) {
        true => rd.to_owned(),
        false => String::new(),
    }
}

/// Only same-origin relative paths are followed after sign-in.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok { next } else { "/" }
}

/// The sign-in page; when it carries an `rd` on an app's host name, its
/// policy lets the form's redirect go there (Chromium applies `form-action`
/// to the redirect after a form is sent).
fn login_page(page: LoginPage, return_origin: Option<&str>) -> HttpResponse {
    let mut response = render(page);
    if let Some(origin) = return_origin
        && let Ok(value) =
            header::HeaderValue::from_str(&format!("{CONTENT_SECURITY_POLICY} {origin}"))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Whether `rd` resumes an authorization request (`/oauth/authorize?…`).
fn is_authorization(rd: &str) -> bool {
    rd.starts_with("/oauth/authorize?") && safe_next(rd) == rd
}

/// The origin the sign-in form may send the browser on to: a guarded
/// app's, or the redirect URI's of the authorization request it resumes.
async fn return_origin(db: &Db, apps: &AppDirectory, rd: &str) -> Result<Option<String>, AppError> {
    if rd.is_empty() {
        return Ok(None);
    }
    if is_authorization(rd) {
        return super::oidc::authorize::return_origin(db, rd).await;
    }
    Ok(apps.get(db).await?.origin_of(rd))
}

pub async fn login_form(
    req: HttpRequest,
    query: web::Query<NextQuery>,
    db: web::Data<Db>,
    apps: web::Data<AppDirectory>,
) -> Result<HttpResponse, AppError> {
    let page = PageOrg::of(&req).await?;
    let origin = return_origin(&db, &apps, &query.rd).await?;
    Ok(login_page(
        LoginPage {
            layout: Layout::anonymous(&req),
            org: OrgFields::of(&page, "", ""),
            login: String::new(),
            next: safe_next(&query.next).to_owned(),
            rd: carried_rd(&query.rd),
            error: String::new(),
            mail: db.mail().enabled,
        },
        origin.as_deref(),
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// The organisation's slug, when the page asks for it.
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    rd: String,
}

const LOGIN_FAILED: &str = "The username, email or password is not correct.";

/// Unknown user, wrong password, locked account, and a Pending or Disabled
/// account with a wrong password all get exactly this page (same status,
/// body apart from the CSRF token and the echoed login, and cookies).
pub async fn login(
    _limit: LoginRateLimit,
    req: HttpRequest,
    db: web::Data<Db>,
    auth: web::Data<AuthSettings>,
    apps: web::Data<AppDirectory>,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(&form.next).to_owned();
    let page = PageOrg::of(&req).await?;
    let origin = return_origin(&db, &apps, &form.rd).await?;
    let apps = apps.get(&db).await?;
    let render = |page: LoginPage| login_page(page, origin.as_deref());
    let retry_in = |error: &str, org_error: &str| LoginPage {
        layout: Layout::anonymous(&req),
        org: OrgFields::of(&page, &form.organisation, org_error),
        login: form.login.chars().take(254).collect(),
        next: next.clone(),
        rd: carried_rd(&form.rd),
        error: error.to_owned(),
        mail: db.mail().enabled,
    };
    let retry = |error: &str| retry_in(error, "");
    // Longer than any real login or allowed password: refuse before hashing.
    if form.login.chars().count() > 254 || form.password.chars().count() > 1024 {
        return Ok(render(retry(LOGIN_FAILED)));
    }
    if form.login.trim().is_empty() || form.password.is_empty() {
        return Ok(render(retry(
            "Enter your username or email and your password.",
        )));
    }
    let org = match page.for_form(&req, &form.organisation).await? {
        Ok(org) => org,
        Err(message) => return Ok(render(retry_in("", &message))),
    };
    let meta = request_meta(&req);
    match login_service::login(
        &db,
        &scope_of(&org),
        &auth,
        &form.login,
        SecretString::from(form.password.clone()),
        &meta,
    )
    .await?
    {
        LoginOutcome::Failed => Ok(render(retry(LOGIN_FAILED))),
        LoginOutcome::Refused(status) => {
            let message = if status == UserStatus::Rejected {
                "Your registration was not approved. Contact an administrator if you think this is a mistake."
            } else {
                "Your account has been disabled. Contact an administrator if you think this is a mistake."
            };
            Ok(render(retry(message)))
        }
        LoginOutcome::SignedIn {
            id,
            status,
            failures,
        } => {
            Identity::login(&req.extensions(), id.0.to_string())
                .map_err(|e| anyhow::anyhow!("could not start the session: {e}"))?;
            // Back to the guarded app only when it is one of the
            // organisation's: anything else is an open redirect.
            let back = match form.rd.is_empty() {
                true => None,
                // An OpenID Connect sign-in resumes: a path of ours.
                false if is_authorization(&form.rd) => Some(form.rd.clone()),
                false => apps.return_to(org.id, &form.rd),
            };
            let target = if status == UserStatus::Pending {
                "/pending"
            } else {
                back.as_deref().unwrap_or(next.as_str())
            };
            let mut response = match failures {
                0 => redirect(target),
                1 => redirect_with(
                    target,
                    Flash::info(
                        "There was 1 failed sign-in attempt on your account since your last sign-in.",
                    ),
                ),
                n => redirect_with(
                    target,
                    Flash::info(format!(
                        "There were {n} failed sign-in attempts on your account since your last sign-in."
                    )),
                ),
            };
            response.extensions_mut().insert(RotateCsrf);
            Ok(response)
        }
    }
}

pub async fn logout(
    ctx: Ctx<CurrentUser>,
    identity: Identity,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user();
    accounts::record_logout(&ctx.db, &ctx.scope(), user.id, &user.username, &ctx.meta).await?;
    identity.logout();
    Ok(redirect_with(
        "/login",
        Flash::info("You have been signed out."),
    ))
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

#[derive(Template, WebTemplate)]
#[template(path = "auth/pending.html")]
pub struct PendingPage {
    layout: Layout,
    since: Timestamp,
    email: String,
    verified: bool,
    /// Reviewers approve only confirmed addresses here.
    verified_required: bool,
    mail: bool,
}

pub async fn pending(ctx: Ctx<CurrentUser>) -> Result<HttpResponse, AppError> {
    if ctx.user().status == UserStatus::Active {
        return Ok(redirect("/"));
    }
    let account = crate::services::queries::user(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    let directory = crate::web::page_org::directory(ctx.request())?;
    let verified_required = crate::services::email_verification::approval_needs_verified(
        &ctx.db,
        directory,
        &ctx.scope(),
    )
    .await?;
    Ok(render(PendingPage {
        layout: ctx.layout().await?,
        since: account.created_at,
        verified: account.email_verified_at.is_some(),
        email: account.email,
        verified_required,
        mail: ctx.db.mail().enabled,
    }))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/admin/users?page=2"), "/admin/users?page=2");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
