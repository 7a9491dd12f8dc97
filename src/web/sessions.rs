//! "Your sessions": where you are signed in, ending one or all others; and
//! the administrator's button that ends someone's sessions.

use actix_identity::Identity;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::admin::outcome;
use super::auth::Empty;
use super::flash::{Flash, redirect_with};
use super::layout::Layout;
use super::render;
use crate::db::Db;
use crate::domain::UserId;
use crate::services::Actor;
use crate::services::sessions::{self, Revoke, SessionView};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{CurrentUser, Require, perm};
use crate::web::request::request_meta;
use crate::web::state::AppConfig;

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionView>,
    others: usize,
    idle_minutes: i64,
    lifetime_hours: f64,
}

/// Pending users may see and end their sessions too.
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    config: web::Data<AppConfig>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let sessions = sessions::list(
        &db,
        &user.scope(),
        user.id,
        config.session_limits,
        &request_meta(&req),
    )
    .await?;
    Ok(render(SessionsPage {
        layout: Layout::for_user(&req, &user).await?,
        others: sessions.iter().filter(|s| !s.current).count(),
        sessions,
        idle_minutes: config.session_limits.idle_ms / 60_000,
        lifetime_hours: config.session_limits.lifetime_ms as f64 / 3_600_000.0,
    }))
}

pub async fn revoke_one(
    req: HttpRequest,
    db: web::Data<Db>,
    user: CurrentUser,
    identity: Identity,
    path: web::Path<String>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let meta = request_meta(&req);
    let ended =
        sessions::revoke(&db, &Actor::from(&*user), user.id, Revoke::One(&id), &meta).await?;
    if ended > 0 && meta.session.as_deref() == Some(id.as_str()) {
        identity.logout();
        return Ok(redirect_with(
            "/login",
            Flash::info("This session has been ended. Sign in again to continue."),
        ));
    }
    let flash = if ended > 0 {
        Flash::success("The session has been ended.")
    } else {
        Flash::info("That session had already ended.")
    };
    Ok(redirect_with("/account/sessions", flash))
}

pub async fn revoke_others(
    req: HttpRequest,
    db: web::Data<Db>,
    user: CurrentUser,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let meta = request_meta(&req);
    let keep = meta.session.as_deref();
    let ended = sessions::revoke(
        &db,
        &Actor::from(&*user),
        user.id,
        Revoke::AllBut(keep),
        &meta,
    )
    .await?;
    let text = match ended {
        0 => "You had no other sessions.".to_owned(),
        1 => "Signed out of 1 other session.".to_owned(),
        n => format!("Signed out of {n} other sessions."),
    };
    Ok(redirect_with("/account/sessions", Flash::success(text)))
}

#[derive(Deserialize)]
pub struct AdminRevokeForm {
    /// One session's public id; empty for all of the user's sessions.
    #[serde(default)]
    session: String,
}

pub async fn admin_revoke(
    req: HttpRequest,
    db: web::Data<Db>,
    user: Require<perm::UsersManage>,
    path: web::Path<i64>,
    form: CsrfForm<AdminRevokeForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let which = match form.session.trim() {
        "" => Revoke::All,
        one => Revoke::One(one),
    };
    let result = sessions::revoke(
        &db,
        &Actor::from(&*user),
        UserId(id),
        which,
        &request_meta(&req),
    )
    .await;
    outcome(&format!("/admin/users/{id}"), result, |ended| match ended {
        0 => "No session was ended: it had already ended.".to_owned(),
        1 => "1 session ended.".to_owned(),
        n => format!("{n} sessions ended."),
    })
}
