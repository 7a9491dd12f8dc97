//! Admin: a reset link for a user (mailed, or with mail off shown once to
//! hand over) and a new password required at their next sign-in.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::outcome;
use crate::domain::UserId;
use crate::services::password_reset::{self, AdminReset};
use crate::web::auth::Empty;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::UsersManage>>;

/// The one-time link to hand over, on the page that answers the form and
/// never again (pages are `no-store`).
#[derive(Template)]
#[template(path = "admin/reset_link.html")]
struct HandOverPage {
    layout: Layout,
    user_id: i64,
    url: String,
}

pub async fn send_reset(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let back = format!("/admin/users/{id}");
    let result =
        password_reset::send_by_admin(&ctx.db, ctx.authorized(), UserId(id), &ctx.meta).await;
    match result {
        Ok(AdminReset::Mailed(email)) => Ok(redirect_with(
            &back,
            Flash::success(format!(
                "A link to choose a new password was mailed to {email}. It works once, for 30 minutes."
            )),
        )),
        Ok(AdminReset::HandOver(url)) => Ok(render(HandOverPage {
            layout: ctx.layout().await?,
            user_id: id,
            url,
        })),
        Err(err) => outcome(&back, Err::<(), _>(err), |_| String::new()),
    }
}

pub async fn require_change(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result =
        password_reset::require_change(&ctx.db, ctx.authorized(), UserId(id), &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |username| {
        format!("{username} must choose a new password before anything else at their next page.")
    })
}
