//! Accepting an invitation (`/invitations/accept?token=…`): the invitee
//! picks a username (unless an administrator chose it), their name and a
//! password, and the account is Active at once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::flash::{Flash, redirect_with};
use super::forms::FormErrors;
use super::layout::Layout;
use super::password_reset::{TokenQuery, private};
use super::rate_limit::LoginRateLimit;
use super::render;
use crate::db::Db;
use crate::services::auth_settings::AuthSettings;
use crate::services::invitations::{self, AcceptForm, Accepted, Invitation};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::request::request_meta;

#[derive(Template)]
#[template(path = "auth/accept_invitation.html")]
struct AcceptPage {
    layout: Layout,
    token: String,
    invitation: Invitation,
    username: String,
    full_name: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/invitation_gone.html")]
struct GonePage {
    layout: Layout,
}

fn gone(req: &HttpRequest) -> HttpResponse {
    let mut response = render(GonePage {
        layout: Layout::anonymous(req),
    });
    *response.status_mut() = StatusCode::GONE;
    private(response)
}

pub async fn form(
    req: HttpRequest,
    db: web::Data<Db>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(match invitations::open(&db, &query.token).await? {
        Some(invitation) => render(AcceptPage {
            layout: Layout::anonymous(&req),
            token: query.token.clone(),
            username: String::new(),
            full_name: invitation.full_name.clone(),
            invitation,
            errors: FormErrors::default(),
        }),
        None => gone(&req),
    })
}

#[derive(Deserialize, Validate)]
pub struct AcceptFields {
    #[serde(default)]
    #[validate(length(max = 100, message = "This link is not one of ours."))]
    token: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "Username must be at most 32 characters."))]
    username: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "Full name must be at most 100 characters."))]
    full_name: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    password: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    password_confirm: String,
}

pub async fn accept(
    _limit: LoginRateLimit,
    req: HttpRequest,
    db: web::Data<Db>,
    auth: web::Data<AuthSettings>,
    form: CsrfForm<AcceptFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let shape = FormErrors::of_shape(&fields);
    let Some(invitation) = invitations::open(&db, &fields.token).await? else {
        return Ok(gone(&req));
    };
    let again = |errors: FormErrors, invitation: Invitation| {
        render(AcceptPage {
            layout: Layout::anonymous(&req),
            token: fields.token.clone(),
            username: fields.username.chars().take(64).collect(),
            full_name: fields.full_name.chars().take(200).collect(),
            invitation,
            errors,
        })
    };
    if !shape.is_empty() {
        return Ok(again(shape, invitation));
    }
    let form = AcceptForm {
        username: fields.username.clone(),
        full_name: fields.full_name.clone(),
        password: SecretString::from(fields.password.clone()),
        password_confirm: SecretString::from(fields.password_confirm.clone()),
    };
    match invitations::accept(&db, &auth, &fields.token, form, &request_meta(&req)).await {
        Ok(Accepted::Done {
            username,
            login_page,
        }) => Ok(redirect_with(
            &login_page,
            Flash::success(format!(
                "Welcome! Your account {username} is ready: sign in with your new password."
            )),
        )),
        Ok(Accepted::LinkGone) => Ok(gone(&req)),
        Err(err) => {
            let errors = FormErrors::from_service(err, "username")?;
            Ok(again(errors, invitation))
        }
    }
}
