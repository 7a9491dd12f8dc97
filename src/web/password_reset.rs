//! Forgot password (`/password/forgot`, `/o/{slug}/password/forgot`) and
//! the page a mailed link opens (`/password/reset?token=…`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::auth::OrgFields;
use super::flash::{Flash, redirect_with};
use super::forms::FormErrors;
use super::layout::Layout;
use super::rate_limit::LoginRateLimit;
use super::render;
use crate::db::Db;
use crate::domain::link::LinkPurpose;
use crate::services::auth_settings::AuthSettings;
use crate::services::password_reset::{self, Completion};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::page_org::{PageOrg, scope_of};
use crate::web::request::request_meta;

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    layout: Layout,
    org: OrgFields,
    login: String,
    error: String,
    /// Mail is on: without it the page says whom to ask instead.
    mail: bool,
}

pub async fn forgot_form(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let page = PageOrg::of(&req).await?;
    Ok(render(ForgotPage {
        layout: Layout::anonymous(&req),
        org: OrgFields::of(&page, "", ""),
        login: String::new(),
        error: String::new(),
        mail: db.mail().enabled,
    }))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    organisation: String,
}

/// The same answer, at the same time, whether or not an account matches:
/// the work (a lookup, and for an Active account a link and its mail) is
/// done after the answer, off the request.
pub async fn forgot(
    _limit: LoginRateLimit,
    req: HttpRequest,
    db: web::Data<Db>,
    form: CsrfForm<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let page = PageOrg::of(&req).await?;
    let retry = |error: &str, org_error: &str| {
        render(ForgotPage {
            layout: Layout::anonymous(&req),
            org: OrgFields::of(&page, &form.organisation, org_error),
            login: form.login.chars().take(254).collect(),
            error: error.to_owned(),
            mail: db.mail().enabled,
        })
    };
    if !db.mail().enabled {
        return Ok(retry("", ""));
    }
    let login = form.login.trim();
    if login.is_empty() {
        return Ok(retry("Enter your username or email.", ""));
    }
    if login.chars().count() > 254 {
        return Ok(retry("A username or email is at most 254 characters.", ""));
    }
    let org = match page.for_form(&req, &form.organisation).await? {
        Ok(org) => org,
        Err(message) => return Ok(retry("", &message)),
    };
    let (db, scope, login, meta) = (
        db.into_inner(),
        scope_of(&org),
        login.to_owned(),
        request_meta(&req),
    );
    actix_web::rt::spawn(async move {
        if let Err(err) = password_reset::request(&db, &scope, &login, &meta).await {
            tracing::warn!(error = ?err, "could not answer a password reset request");
        }
    });
    Ok(redirect_with(
        &format!("{}/password/forgot", page.prefix),
        Flash::info(format!(
            "If an active account matches what you entered, a link to choose a new password \
             is on its way to its email address. It works for {}.",
            LinkPurpose::PasswordReset.lifetime_words()
        )),
    ))
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    username: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/reset_gone.html")]
struct LinkGonePage {
    layout: Layout,
    mail: bool,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

/// A page reached by a link's token and holding no form: nothing of its
/// address goes on in a `Referer`. The form pages keep the default
/// (`same-origin`: the address reaches Gatehouse only), because under
/// `no-referrer` browsers send `Origin: null` with the form, which the
/// cross-site check rightly refuses.
pub(super) fn private(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn gone(req: &HttpRequest, db: &Db) -> HttpResponse {
    let mut response = render(LinkGonePage {
        layout: Layout::anonymous(req),
        mail: db.mail().enabled,
    });
    *response.status_mut() = StatusCode::GONE;
    private(response)
}

pub async fn reset_form(
    req: HttpRequest,
    db: web::Data<Db>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(match password_reset::open(&db, &query.token).await? {
        Some(target) => render(ResetPage {
            layout: Layout::anonymous(&req),
            token: query.token.clone(),
            username: target.username,
            errors: FormErrors::default(),
        }),
        None => gone(&req, &db),
    })
}

#[derive(Deserialize, Validate)]
pub struct ResetForm {
    #[serde(default)]
    #[validate(length(max = 100, message = "This link is not one of ours."))]
    token: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    new_password: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    new_password_confirm: String,
}

pub async fn reset(
    _limit: LoginRateLimit,
    req: HttpRequest,
    db: web::Data<Db>,
    auth: web::Data<AuthSettings>,
    form: CsrfForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let shape = FormErrors::of_shape(&form);
    let again = |errors: FormErrors, username: String| {
        render(ResetPage {
            layout: Layout::anonymous(&req),
            token: form.token.clone(),
            username,
            errors,
        })
    };
    let Some(target) = password_reset::open(&db, &form.token).await? else {
        return Ok(gone(&req, &db));
    };
    if !shape.is_empty() {
        return Ok(again(shape, target.username));
    }
    let result = password_reset::complete(
        &db,
        &auth,
        &form.token,
        SecretString::from(form.new_password.clone()),
        SecretString::from(form.new_password_confirm.clone()),
        &request_meta(&req),
    )
    .await;
    match result {
        Ok(Completion::Done { login_page }) => Ok(redirect_with(
            &login_page,
            Flash::success(
                "Your password was changed, and every session of your account was ended. \
                 Sign in with the new password.",
            ),
        )),
        Ok(Completion::LinkGone) => Ok(gone(&req, &db)),
        Err(err) => {
            let errors = FormErrors::from_service(err, "new_password")?;
            Ok(again(errors, target.username))
        }
    }
}
