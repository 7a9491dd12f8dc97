//! "Your sessions": where you are signed in, ending one or all others; and
//! the administrator's button that ends someone's sessions.

use actix_identity::Identity;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::admin::outcome;
use super::auth::Empty;
use super::context::Ctx;
use super::flash::{Flash, redirect_with};
use super::layout::Layout;
use super::render;
use crate::domain::UserId;
use crate::services::oidc::grants::{self, AppSignIn};
use crate::services::sessions::{self, Revoke, SessionView};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{ActiveUser, CurrentUser, Require, perm};
use crate::web::state::AppConfig;

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionView>,
    /// The apps the user is signed in to through OpenID Connect.
    app_sign_ins: Vec<AppSignIn>,
    revoke_base: String,
    others: usize,
    idle_minutes: i64,
    lifetime_hours: f64,
}

/// Pending users may see and end their sessions too.
pub async fn list(
    ctx: Ctx<CurrentUser>,
    config: web::Data<AppConfig>,
) -> Result<HttpResponse, AppError> {
    let limits = config.session_limits;
    let sessions = sessions::list(&ctx.db, &ctx.scope(), ctx.user().id, limits, &ctx.meta).await?;
    let app_sign_ins = grants::live(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    Ok(render(SessionsPage {
        layout: ctx.layout().await?,
        app_sign_ins,
        revoke_base: "/account/apps".into(),
        others: sessions.iter().filter(|s| !s.current).count(),
        sessions,
        idle_minutes: config.session_limits.idle_ms / 60_000,
        lifetime_hours: config.session_limits.lifetime_ms as f64 / 3_600_000.0,
    }))
}

pub async fn revoke_one(
    ctx: Ctx<CurrentUser>,
    identity: Identity,
    path: web::Path<String>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (meta, own) = (&ctx.meta, ctx.user().id);
    let ended = sessions::revoke(&ctx.db, &ctx.actor(), own, Revoke::One(&id), meta).await?;
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
    ctx: Ctx<CurrentUser>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let (meta, own) = (&ctx.meta, ctx.user().id);
    let keep = Revoke::AllBut(meta.session.as_deref());
    let ended = sessions::revoke(&ctx.db, &ctx.actor(), own, keep, meta).await?;
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
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    form: CsrfForm<AdminRevokeForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let which = match form.session.trim() {
        "" => Revoke::All,
        one => Revoke::One(one),
    };
    let result = sessions::revoke(&ctx.db, &ctx.actor(), UserId(id), which, &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |ended| match ended {
        0 => "No session was ended: it had already ended.".to_owned(),
        1 => "1 session ended.".to_owned(),
        n => format!("{n} sessions ended."),
    })
}

/// `POST /account/apps/{grant}/revoke`: signs the user out of one app
/// (its refresh and access tokens stop at once).
pub async fn revoke_app(
    ctx: Ctx<ActiveUser>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let own = ctx.user().id;
    let result = grants::revoke(&ctx.db, &ctx.actor(), own, path.into_inner(), &ctx.meta).await;
    outcome("/account/sessions", result, |app| {
        format!("You are signed out of {app}: it can no longer act for you.")
    })
}

/// `POST /admin/users/{id}/apps/{grant}/revoke`.
pub async fn admin_revoke_app(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let (id, grant) = path.into_inner();
    let result = grants::revoke(&ctx.db, &ctx.actor(), UserId(id), grant, &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |app| {
        format!("The sign-in to {app} has been revoked.")
    })
}
