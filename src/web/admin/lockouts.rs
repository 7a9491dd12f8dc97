//! Admin: ending a user's sign-in lockout from their page.

use actix_web::{HttpResponse, web};

use super::outcome;
use crate::domain::UserId;
use crate::services::auth_settings::AuthSettings;
use crate::services::login;
use crate::web::auth::Empty;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};

pub async fn unlock(
    ctx: Ctx<Require<perm::UsersManage>>,
    auth: web::Data<AuthSettings>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result = login::unlock(&ctx.db, &auth, ctx.authorized(), UserId(id), &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |username| {
        format!("{username} can sign in again.")
    })
}
