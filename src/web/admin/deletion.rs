//! Admin: deleting and restoring a user (`users.manage`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::outcome;
use crate::domain::UserId;
use crate::services::deletion;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::state::AppConfig;

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    reason: String,
}

pub async fn delete(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    config: web::Data<AppConfig>,
    form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = form.into_inner().reason;
    let result = deletion::delete(&ctx.db, ctx.authorized(), UserId(id), &reason, &ctx.meta).await;
    let days = config.deleted_retention_days;
    outcome(&format!("/admin/users/{id}"), result, |name| {
        format!("{name} has been deleted and signed out. They can be restored for {days} days.")
    })
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

pub async fn restore(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result = deletion::restore(&ctx.db, ctx.authorized(), UserId(id), &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |name| {
        format!("{name} has been restored.")
    })
}
