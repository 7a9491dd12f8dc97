//! A user's signed-in sessions: listing, revoking one or all others, an
//! administrator ending someone's sessions, and purging expired ones.

use super::work::Work;
use super::{Actor, RequestMeta, ServiceError, user_target};
use crate::db::sessions::SessionRow;
use crate::db::{self, Db, Scope};
use crate::domain::session::{SessionLimits, describe_user_agent};
use crate::domain::{AuditAction, AuthUser, Permission, Timestamp, UserId};

/// One live session as the pages show it.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// Names the session in forms; grants nothing.
    pub public_id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub ip: String,
    /// "Firefox on Linux".
    pub device: String,
    /// The session making this request.
    pub current: bool,
}

/// The row as shown; the session making this request is shown as it is
/// being used right now (its row may not have caught up yet: activity is
/// written after the response, at most once a minute).
pub(crate) fn view(row: SessionRow, request: &RequestMeta, now: Timestamp) -> SessionView {
    let current = request.session.as_deref() == Some(row.public_id.as_str());
    let (ip, user_agent, last_seen) = if current {
        (request.ip.clone(), request.user_agent.clone(), now)
    } else {
        (row.ip, row.user_agent, Timestamp(row.last_seen_at))
    };
    SessionView {
        current,
        device: describe_user_agent(user_agent.as_deref().unwrap_or_default()),
        ip: ip.unwrap_or_else(|| "unknown".into()),
        created_at: Timestamp(row.created_at),
        last_seen_at: last_seen,
        public_id: row.public_id,
    }
}

/// The live sessions of `user`, most recently used first; `request` marks
/// the one making this request.
pub async fn list(
    db: &Db,
    scope: &Scope,
    user: UserId,
    limits: SessionLimits,
    request: &RequestMeta,
) -> Result<Vec<SessionView>, ServiceError> {
    let mut conn = db.acquire().await?;
    let now = Timestamp::now();
    let rows = db::sessions::list_for_user(scope.on(&mut conn), user, limits, now).await?;
    Ok(rows.into_iter().map(|r| view(r, request, now)).collect())
}

/// Which of a user's sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Revoke<'a> {
    /// The session with this public id.
    One(&'a str),
    /// Every session except the one with this public id (the caller's own).
    AllBut(Option<&'a str>),
    /// Every session.
    All,
}

/// Ends sessions of `owner`: their own (any signed-in user) or, with
/// `users.manage`, anyone's. Returns how many ended; an audit row is written
/// when any did.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    owner: UserId,
    which: Revoke<'_>,
    meta: &RequestMeta,
) -> Result<u64, ServiceError> {
    if owner != actor.id {
        actor.require(Permission::UsersManage)?;
    }
    let mut work = Work::begin(db, actor, meta).await?;
    let account = db::users::find(work.tx(), owner)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (ended, what) = match which {
        Revoke::One(id) => (
            u64::from(db::sessions::delete_one(work.tx(), owner, id).await?),
            "one session",
        ),
        Revoke::AllBut(keep) => (
            db::sessions::delete_others(work.tx(), owner, keep).await?,
            "all other sessions",
        ),
        Revoke::All => (
            db::sessions::delete_for_user(work.tx(), owner).await?,
            "all sessions",
        ),
    };
    if ended > 0 {
        let reason = format!("{what}: {ended} ended");
        work.audit(
            AuditAction::SessionRevoked,
            Some(user_target(owner, &account.username)),
        )
        .reason(Some(&reason));
    }
    work.commit("the session revocation").await?;
    Ok(ended)
}

/// The user a session belongs to, with their live status and permissions,
/// when the session store has not read them with the session already (a
/// session saved during this request). By id, which the session holds: in
/// the instance's scope, since the user is who tells the scope.
pub async fn signed_in_user(db: &Db, id: UserId) -> Result<Option<AuthUser>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::signed_in::find_auth(Scope::instance().on(&mut conn), id).await?)
}

/// Records that `user` was active at `now` (the caller keeps it to about
/// once a minute per session). Bookkeeping, not an action: no audit row.
pub async fn record_activity(db: &Db, user: UserId, now: Timestamp) -> Result<(), ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::users::touch_active(Scope::instance().on(&mut conn), user, now).await?)
}

/// Deletes sessions past their idle timeout or lifetime; returns how many.
pub async fn purge_expired(db: &Db, limits: SessionLimits) -> anyhow::Result<u64> {
    let mut conn = db.acquire().await?;
    db::sessions::purge_expired(Scope::instance().on(&mut conn), limits, Timestamp::now()).await
}
