//! The apps a user is signed in to through OpenID Connect (their live
//! grants), as `/account/sessions` and the admin user page list them, and
//! their revocation: the app's refresh tokens stop at once, its access
//! tokens at once too (userinfo checks the grant).

use super::app_target;
use crate::db::oidc::GrantRow;
use crate::db::{self, Db, Scope};
use crate::domain::{AppId, AuditAction, Permission, Timestamp, UserId};
use crate::services::work::Work;
use crate::services::{Actor, RequestMeta, ServiceError};

/// One app the user is signed in to, as the sessions pages show it.
#[derive(Debug, Clone)]
pub struct AppSignIn {
    pub id: i64,
    pub app: String,
    pub scopes: String,
    pub since: Timestamp,
    pub last_refresh: Option<Timestamp>,
}

impl From<GrantRow> for AppSignIn {
    fn from(row: GrantRow) -> AppSignIn {
        AppSignIn {
            id: row.id,
            app: row.app_name,
            scopes: row.scopes,
            since: Timestamp(row.created_at),
            last_refresh: row.last_refresh_at.map(Timestamp),
        }
    }
}

/// The user's live sign-ins to apps, newest first.
pub async fn live(db: &Db, scope: &Scope, user: UserId) -> Result<Vec<AppSignIn>, ServiceError> {
    let mut conn = db.acquire().await?;
    let rows = db::oidc::live_grants(scope.on(&mut conn), user, Timestamp::now()).await?;
    Ok(rows.into_iter().map(AppSignIn::from).collect())
}

/// Ends one of `owner`'s sign-ins to an app: their own, or anyone's in
/// the organisation with `users.manage`. Returns the app's name.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    owner: UserId,
    grant: i64,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    if owner != actor.id {
        actor.require(Permission::UsersManage)?;
    }
    let mut work = Work::begin(db, actor, meta).await?;
    let live = db::oidc::live_grants(work.tx(), owner, Timestamp::now()).await?;
    let Some(found) = live.into_iter().find(|g| g.id == grant) else {
        return Err(ServiceError::NotFound);
    };
    db::oidc::revoke_grant(work.tx(), grant, Some(owner), Timestamp::now()).await?;
    work.audit(
        AuditAction::OidcRevoked,
        Some(app_target(AppId(found.app_id), &found.app_name, owner)),
    )
    .reason(Some("revoked on the sessions page"));
    work.commit("the app sign-in's revocation").await?;
    Ok(found.app_name)
}

/// Upkeep: deletes authorization codes an hour past their expiry, and
/// ended grants with their tokens, in every organisation; returns how many.
pub async fn purge_expired(db: &Db) -> anyhow::Result<u64> {
    let mut conn = db.acquire().await?;
    db::oidc::purge_expired(&mut conn, Timestamp::now()).await
}
