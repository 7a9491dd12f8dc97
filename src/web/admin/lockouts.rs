//! Admin: ending a user's sign-in lockout from their page.

use actix_web::{HttpRequest, HttpResponse, web};

use super::outcome;
use crate::db::Db;
use crate::domain::UserId;
use crate::services::Actor;
use crate::services::auth_settings::AuthSettings;
use crate::services::login;
use crate::web::auth::Empty;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::request::request_meta;

pub async fn unlock(
    req: HttpRequest,
    db: web::Data<Db>,
    auth: web::Data<AuthSettings>,
    user: Require<perm::UsersManage>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result = login::unlock(
        &db,
        &auth,
        &Actor::from(&*user),
        UserId(id),
        &request_meta(&req),
    )
    .await;
    outcome(&format!("/admin/users/{id}"), result, |username| {
        format!("{username} can sign in again.")
    })
}
