//! Authorization as types. A handler that takes `ActiveUser` cannot run for a
//! Pending user; one that takes `Require<perm::UsersManage>` cannot run
//! without that permission. Status and permissions are read from the database
//! on every request, so a change takes effect on the very next click.

use std::ops::Deref;

use actix_identity::Identity;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::session_store::{self, META_KEY, SESSION_COOKIE, SessionMeta};
use crate::db::Db;
use crate::domain::AuthUser;
use crate::domain::{Timestamp, UserId, UserStatus, sanitize_for_log};
use crate::services::Authorized;
use crate::services::sessions;
use crate::web::error::AppError;
use crate::web::extensions::SignedIn;
use crate::web::flash::Flash;

/// How often a session's last activity (and the user's `last_active_at`) is
/// written: often enough for a 30-minute idle timeout, rarely enough that
/// page views cost no write.
const ACTIVITY_INTERVAL_MS: i64 = 60_000;

/// Any signed-in user who is Pending or Active. Rejected and Disabled users
/// are signed out and sent to the login page with a message.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub AuthUser);

impl Deref for CurrentUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

fn login_redirect(req: &HttpRequest) -> AppError {
    let mut to = "/login".to_owned();
    if req.method() == Method::GET {
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if target != "/" {
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            to = format!("/login?next={next}");
        }
    }
    // A session cookie that loads no session was ended on the server: the
    // account was disabled or rejected (which deletes its sessions) or the
    // session expired. Say so instead of silently showing the login form.
    let flash = req
        .cookie(SESSION_COOKIE)
        .map(|_| Flash::info("Your session has ended. Please sign in again."));
    AppError::Redirect { to, flash }
}

/// The session's user, read live: `None` without a live session (none, or
/// one whose user is gone). A Rejected or Disabled user is signed out here
/// and returned, so each caller can say why they are refused; anyone else
/// has their activity recorded (at most once a minute).
pub async fn session_user(req: &HttpRequest) -> Result<Option<AuthUser>, AppError> {
    let Ok(identity) = Identity::extract(req).into_inner() else {
        return Ok(None);
    };
    let id = identity.id().ok().and_then(|id| id.parse::<i64>().ok());
    let Some(id) = id else {
        identity.logout();
        return Ok(None);
    };
    let db = req
        .app_data::<web::Data<Db>>()
        .ok_or_else(|| anyhow::anyhow!("database missing from app data"))?;
    // The session store read the user with the session, in the same query;
    // only a session saved during this request needs a second read.
    let loaded = session_store::loaded_user(&req.get_session()).filter(|u| u.id.0 == id);
    let user = match loaded {
        Some(user) => Some(user),
        None => sessions::signed_in_user(db, UserId(id)).await?,
    };
    // A deleted user's sessions end with the deletion; one read in flight
    // at that moment still finds nobody to serve. An Invited account never
    // signs in, so a session of one is nobody too.
    let Some(user) =
        user.filter(|u| !matches!(u.status, UserStatus::Deleted | UserStatus::Invited))
    else {
        identity.logout();
        return Ok(None);
    };
    if matches!(user.status, UserStatus::Rejected | UserStatus::Disabled) {
        identity.logout();
        return Ok(Some(user));
    }
    record_activity(req, db, user.id).await?;
    Ok(Some(user))
}

async fn load_current(req: HttpRequest) -> Result<CurrentUser, AppError> {
    let Some(user) = session_user(&req).await? else {
        return Err(login_redirect(&req));
    };
    if matches!(user.status, UserStatus::Rejected | UserStatus::Disabled) {
        let text = match user.status {
            UserStatus::Rejected => {
                "Your registration was not approved. Contact an administrator if you think this is a mistake."
            }
            _ => {
                "Your account has been disabled. Contact an administrator if you think this is a mistake."
            }
        };
        return Err(AppError::Redirect {
            to: "/login".into(),
            flash: Some(Flash::error(text)),
        });
    }
    req.extensions_mut().insert(SignedIn(user.clone()));
    Ok(CurrentUser(user))
}

/// Records activity at most once a minute per session, or at once when the
/// session is seen from a new address or browser. Changing the session's
/// bookkeeping entry makes actix-session call the store's `update`, which
/// writes `last_seen_at`, IP and browser to the session row.
async fn record_activity(req: &HttpRequest, db: &Db, id: UserId) -> Result<(), AppError> {
    let session = req.get_session();
    let now = Timestamp::now();
    let meta = SessionMeta::of(&session).unwrap_or_default();
    let seen_from = crate::web::request::request_meta(req);
    let ip = seen_from.ip.map(|ip| sanitize_for_log(&ip, 64));
    let user_agent = seen_from.user_agent.map(|ua| sanitize_for_log(&ua, 300));
    let due = now.0 - meta.seen >= ACTIVITY_INTERVAL_MS;
    // A session's first request has recorded no address yet.
    let first = meta.ip.is_none() && ip.is_some();
    // The row keeps the last address and browser it saw: a request without
    // them (a script sending no User-Agent) changes nothing and must not
    // cost a write every time.
    let moved = |seen: &Option<String>, now: &Option<String>| now.is_some() && seen != now;
    if due || moved(&meta.ip, &ip) || moved(&meta.user_agent, &user_agent) {
        if due || first {
            sessions::record_activity(db, id, now).await?;
        }
        let _ = session.insert(
            META_KEY,
            SessionMeta {
                id: meta.id,
                seen: now.0,
                ip,
                user_agent,
                since: meta.since,
            },
        );
    }
    Ok(())
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(load_current(req.clone()))
    }
}

/// A signed-in user whose account is Active. Pending users go to `/pending`.
#[derive(Debug, Clone)]
pub struct ActiveUser(pub AuthUser);

impl Deref for ActiveUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for ActiveUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let CurrentUser(user) = load_current(req).await?;
            if user.status != UserStatus::Active {
                return Err(AppError::redirect("/pending"));
            }
            // Nothing else until the new password an administrator asked
            // for is chosen (the password page takes `CurrentUser`).
            if user.must_change_password {
                return Err(AppError::redirect("/account/password"));
            }
            Ok(ActiveUser(user))
        })
    }
}

pub use crate::domain::permission::{PermissionMarker, perm};

/// An Active user whose role grants `P`; everyone else gets 403. Carries
/// the proof (`Authorized<P>`) that the services which need `P` ask for.
#[derive(Debug, Clone)]
pub struct Require<P: PermissionMarker> {
    pub user: AuthUser,
    pub authorized: Authorized<P>,
}

impl<P: PermissionMarker> Deref for Require<P> {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl<P: PermissionMarker> FromRequest for Require<P> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let active = ActiveUser::from_request(req, payload);
        Box::pin(async move {
            let ActiveUser(user) = active.await?;
            let authorized = Authorized::check(&user).ok_or(AppError::Forbidden)?;
            Ok(Require { user, authorized })
        })
    }
}
