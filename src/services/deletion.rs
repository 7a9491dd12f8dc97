//! Deleting, restoring and purging users. A deletion signs the user out
//! everywhere and takes them out of the lists; a restore within the
//! retention period gives them back everything they had; after it the
//! purge erases their personal data and leaves a tombstone. Audit rows keep
//! the snapshot they recorded (SECURITY.md).

use super::admin_guard::ensure_others_hold;
use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError, user_target};
use crate::db::{self, Db, Scope};
use crate::domain::permission::perm;
use crate::domain::{AuditAction, Note, Timestamp, User, UserId, UserStatus, ensure_not_self};

/// How many users one purge statement batch handles.
const PURGE_BATCH: u64 = 500;

/// Refuses to change what a deleted user has: a restore gives back what
/// they had when they were deleted, and nothing else.
pub(crate) fn ensure_not_deleted(user: &User) -> Result<(), ServiceError> {
    if user.status == UserStatus::Deleted {
        return Err(ServiceError::Conflict(format!(
            "{} is deleted: restore them first.",
            user.username
        )));
    }
    Ok(())
}

/// Deletes `target` with a reason; returns their username.
pub async fn delete(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    target: UserId,
    reason: &str,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let reason = Note::parse_required(reason).map_err(|e| ServiceError::field("reason", e))?;
    ensure_not_self(actor.id, target)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.status == UserStatus::Deleted {
        return Err(ServiceError::Conflict(format!(
            "{} is deleted already.",
            user.username
        )));
    }
    if user.status == UserStatus::Active {
        ensure_others_hold(work.tx(), user.id).await?;
    }
    let now = Timestamp::now();
    db::deleted_users::soft_delete(work.tx(), user.id, reason.as_str(), now).await?;
    let ended = db::sessions::delete_for_user(work.tx(), user.id).await?;
    work.audit(
        AuditAction::UserDeleted,
        Some(user_target(user.id, &user.username)),
    )
    .change(
        user.status.as_str(),
        format!("deleted; {ended} sessions ended"),
    )
    .reason(Some(reason.as_str()));
    work.commit("the deletion").await?;
    Ok(user.username)
}

/// Restores a deleted user with the status they had; returns their
/// username. Refused, saying which, when their username or email has been
/// taken since, and when the account has been purged.
pub async fn restore(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    target: UserId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(deletion) = user.deletion.clone() else {
        return Err(ServiceError::Conflict(format!(
            "{} is not deleted.",
            user.username
        )));
    };
    if let Some(purged) = deletion.purged_at {
        return Err(ServiceError::Conflict(format!(
            "This account was purged on {purged}: its personal data is gone and it cannot be restored."
        )));
    }
    let username = crate::domain::Username::parse(&user.username)
        .map_err(|e| anyhow::anyhow!("stored username of user {}: {}", user.id, e.0))?;
    let email = crate::domain::Email::parse(&user.email)
        .map_err(|e| anyhow::anyhow!("stored email of user {}: {}", user.id, e.0))?;
    let (name_taken, email_taken) = db::users::taken(work.tx(), &username, &email).await?;
    let taken = match (name_taken, email_taken) {
        (true, true) => Some(format!(
            "the username {} and the email {} are",
            user.username, user.email
        )),
        (true, false) => Some(format!("the username {} is", user.username)),
        (false, true) => Some(format!("the email {} is", user.email)),
        (false, false) => None,
    };
    if let Some(taken) = taken {
        return Err(ServiceError::Conflict(format!(
            "{} cannot be restored: {taken} now taken by another account.",
            user.username
        )));
    }
    db::deleted_users::restore(work.tx(), user.id, Timestamp::now())
        .await
        .map_err(|e| anyhow::Error::new(e).context("could not restore the user"))?;
    work.audit(
        AuditAction::UserRestored,
        Some(user_target(user.id, &user.username)),
    )
    .change("deleted", deletion.status_before.as_str());
    work.commit("the restore").await?;
    Ok(user.username)
}

/// Purges every deleted user whose retention of `retention_days` has
/// ended, in every organisation; returns how many. Each purge is its own
/// unit of work in the user's organisation, audited `user.purged`.
pub async fn purge_due(db: &Db, retention_days: u32) -> Result<u64, ServiceError> {
    let cutoff = Timestamp(Timestamp::now().0 - i64::from(retention_days) * 86_400_000);
    let meta = RequestMeta {
        user_agent: Some("gatehouse purge".into()),
        ..RequestMeta::default()
    };
    let mut purged = 0;
    loop {
        let due = {
            let mut conn = db.acquire().await?;
            db::deleted_users::due_for_purge(Scope::instance().on(&mut conn), cutoff, PURGE_BATCH)
                .await?
        };
        if due.is_empty() {
            return Ok(purged);
        }
        for (id, organisation, username) in due {
            let mut work = Work::in_scope(db, Scope::organisation(organisation), &meta).await?;
            db::deleted_users::purge(work.tx(), id, Timestamp::now()).await?;
            db::outbox::forget_user(work.tx(), id).await?;
            db::one_time_links::forget_user(work.tx(), id).await?;
            db::notifications::forget_user(work.tx(), id).await?;
            work.audit(AuditAction::UserPurged, Some(user_target(id, &username)))
                .change("deleted", "purged")
                .reason(Some(&format!("retention of {retention_days} days ended")));
            work.commit("the purge").await?;
            purged += 1;
        }
    }
}
