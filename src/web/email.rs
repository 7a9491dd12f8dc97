//! Email verification: the page a mailed link opens (`/email/verify`) and
//! the pending page's "send the link again" (`/email/verify/resend`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::Empty;
use super::context::Ctx;
use super::csrf::CsrfForm;
use super::error::AppError;
use super::extractors::CurrentUser;
use super::flash::{Flash, redirect_with};
use super::layout::Layout;
use super::password_reset::{TokenQuery, private};
use super::render;
use crate::db::Db;
use crate::services::ServiceError;
use crate::services::email_verification::{self, Opened};
use crate::web::request::request_meta;

#[derive(Template)]
#[template(path = "auth/email_verified.html")]
struct VerifiedPage {
    layout: Layout,
    /// What happened, in a sentence.
    outcome: Outcome,
    email: String,
    mail: bool,
}

#[derive(PartialEq, Eq)]
enum Outcome {
    Confirmed,
    Changed,
    Gone,
    Taken,
}

/// Opening the link is the proof: no sign-in is needed, and a mail
/// scanner that follows it only confirms what the mailbox's owner could.
pub async fn verify(
    req: HttpRequest,
    db: web::Data<Db>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let opened = email_verification::open(&db, &query.token, &request_meta(&req)).await?;
    let (outcome, email, status) = match opened {
        Opened::Verified { email, changed } => (
            if changed {
                Outcome::Changed
            } else {
                Outcome::Confirmed
            },
            email,
            StatusCode::OK,
        ),
        Opened::LinkGone => (Outcome::Gone, String::new(), StatusCode::GONE),
        Opened::Taken(email) => (Outcome::Taken, email, StatusCode::CONFLICT),
    };
    let mut response = render(VerifiedPage {
        layout: Layout::anonymous(&req),
        outcome,
        email,
        mail: db.mail().enabled,
    });
    *response.status_mut() = status;
    Ok(private(response))
}

pub async fn resend(
    ctx: Ctx<CurrentUser>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let back = match ctx.user().status {
        crate::domain::UserStatus::Pending => "/pending",
        _ => "/account/profile",
    };
    match email_verification::resend(&ctx.db, &ctx.actor(), &ctx.meta).await {
        Ok(email) => Ok(redirect_with(
            back,
            Flash::success(format!(
                "We sent a new link to {email}. It works for 48 hours; earlier links no longer work."
            )),
        )),
        Err(ServiceError::Conflict(message)) => Ok(redirect_with(back, Flash::error(message))),
        Err(err) => Err(err.into()),
    }
}
