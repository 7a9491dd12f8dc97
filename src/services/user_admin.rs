//! What admins do to other users: lifecycle transitions (one or in bulk) and role changes.

use super::Authorized;
use super::admin_guard::{Administrators, ensure_others_hold};
use super::mail::letters::{self, Recipient};
use super::notifications;
use super::work::Work;
use super::{Actor, RequestMeta, ServiceError, user_target};
use crate::db::{self, Db};
use crate::domain::notification::NoticeKind;
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, Note, Permission, RoleId, StatusAction, Timestamp, User, UserId, UserStatus,
    ensure_not_self,
};

/// The permission an action needs.
pub fn permission_for(action: StatusAction) -> Permission {
    match action {
        StatusAction::Approve | StatusAction::Reject => Permission::UsersApprove,
        StatusAction::Disable | StatusAction::Enable => Permission::UsersManage,
    }
}

/// A status change requested by an admin.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub action: StatusAction,
    /// Required for reject and disable.
    pub reason: Option<String>,
    /// Approve only: give this role at the same time.
    pub role: Option<RoleId>,
}

fn parse_reason(change: &StatusChange) -> Result<Option<Note>, ServiceError> {
    let raw = change.reason.as_deref().unwrap_or("");
    let parsed = match change.action {
        StatusAction::Reject | StatusAction::Disable => Note::parse_required(raw).map(Some),
        _ => Note::parse_optional(raw),
    };
    parsed.map_err(|e| ServiceError::field("reason", e))
}

/// Applies one transition inside `work`, with its audit rows.
async fn apply_in(
    work: &mut Work<'_>,
    actor: &Actor,
    target: UserId,
    change: &StatusChange,
    reason: Option<&Note>,
) -> Result<User, ServiceError> {
    ensure_not_self(actor.id, target)?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let new_status = change.action.apply(user.status)?;
    let new_role = change.role.filter(|role| *role != user.role_id);
    if new_role.is_some() {
        actor.require(Permission::UsersManage)?;
    }
    if user.status == UserStatus::Active && new_status != UserStatus::Active {
        ensure_others_hold(work.tx(), user.id).await?;
    }
    if change.action == StatusAction::Approve
        && user.email_verified_at.is_none()
        && work.mail_org().await?.approve_verified_only
    {
        return Err(ServiceError::Conflict(format!(
            "{} has not confirmed their email address yet, and this organisation approves only \
             confirmed addresses.",
            user.username
        )));
    }
    let now = Timestamp::now();
    db::users::set_status(
        work.tx(),
        user.id,
        new_status,
        reason.map(Note::as_str),
        now,
    )
    .await?;
    if new_status != UserStatus::Active {
        db::sessions::delete_for_user(work.tx(), user.id).await?;
    }
    work.audit(
        change.action.audit_action(),
        Some(user_target(user.id, &user.username)),
    )
    .change(user.status.as_str(), new_status.as_str())
    .reason(reason.map(Note::as_str));
    if let Some(role) = new_role {
        set_role_in(work, &user, role).await?;
    }
    tell_the_user(work, &user, change.action, reason).await?;
    Ok(user)
}

/// The mail that tells `user` what was decided about their account.
async fn tell_the_user(
    work: &mut Work<'_>,
    user: &User,
    action: StatusAction,
    reason: Option<&Note>,
) -> Result<(), ServiceError> {
    let org = work.mail_org().await?;
    let to = Recipient::of(user);
    let reason = reason.map_or("", Note::as_str);
    let (kind, text, letter) = match action {
        StatusAction::Approve => (
            NoticeKind::AccountApproved,
            "Your account was approved.".to_owned(),
            letters::account_approved(&org, to)?,
        ),
        StatusAction::Reject => (
            NoticeKind::AccountRejected,
            format!("Your registration was not approved: {reason}"),
            letters::account_rejected(&org, to, reason)?,
        ),
        StatusAction::Disable => (
            NoticeKind::AccountDisabled,
            format!("Your account was disabled: {reason}"),
            letters::account_disabled(&org, to, reason)?,
        ),
        StatusAction::Enable => (
            NoticeKind::AccountEnabled,
            "Your account was enabled again.".to_owned(),
            letters::account_enabled(&org, to)?,
        ),
    };
    notifications::tell(work, user.id, kind, &text, "", Some(letter)).await
}

/// Approves, rejects, disables or enables one user.
pub async fn change_status(
    db: &Db,
    actor: &Actor,
    target: UserId,
    change: StatusChange,
    meta: &RequestMeta,
) -> Result<User, ServiceError> {
    actor.require(permission_for(change.action))?;
    let reason = parse_reason(&change)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let user = apply_in(&mut work, actor, target, &change, reason.as_ref()).await?;
    work.commit("the status change").await?;
    Ok(user)
}

/// Applies one action to several users, all or nothing: if any of them
/// cannot take it, nothing changes and the error names that user.
pub async fn change_status_bulk(
    db: &Db,
    actor: &Actor,
    targets: &[UserId],
    change: StatusChange,
    meta: &RequestMeta,
) -> Result<Vec<User>, ServiceError> {
    actor.require(permission_for(change.action))?;
    if targets.is_empty() {
        return Err(ServiceError::Conflict("Select at least one user.".into()));
    }
    let reason = parse_reason(&change)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let mut done = Vec::with_capacity(targets.len());
    for target in targets {
        match apply_in(&mut work, actor, *target, &change, reason.as_ref()).await {
            Ok(user) => done.push(user),
            Err(ServiceError::Rule(rule)) => {
                let name = db::users::find(work.tx(), *target)
                    .await?
                    .map_or_else(|| target.to_string(), |u| u.username);
                return Err(ServiceError::Conflict(format!(
                    "Nothing was changed: {name}: {rule}"
                )));
            }
            Err(ServiceError::NotFound) => {
                return Err(ServiceError::Conflict(format!(
                    "Nothing was changed: user {target} does not exist."
                )));
            }
            Err(other) => return Err(other),
        }
    }
    work.commit("the bulk change").await?;
    Ok(done)
}

pub(crate) async fn set_role_in(
    work: &mut Work<'_>,
    user: &User,
    role: RoleId,
) -> Result<String, ServiceError> {
    super::deletion::ensure_not_deleted(user)?;
    let new_role = db::roles::find(work.tx(), role)
        .await?
        .ok_or_else(|| ServiceError::Conflict("That role does not exist.".into()))?;
    // Only an Active user's role can take a permission from the holders.
    let admins = match user.status {
        UserStatus::Active => Some(Administrators::before(work.tx()).await?),
        _ => None,
    };
    db::users::set_role(work.tx(), user.id, role, Timestamp::now()).await?;
    if let Some(admins) = admins {
        admins.ensure_remain(work.tx()).await?;
    }
    work.audit(
        AuditAction::RoleChanged,
        Some(user_target(user.id, &user.username)),
    )
    .change(user.role_name.clone(), new_role.name.clone());
    Ok(new_role.name)
}

/// Gives `target` another role; returns the user and the new role's name.
pub async fn change_role(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    target: UserId,
    role: RoleId,
    meta: &RequestMeta,
) -> Result<(User, String), ServiceError> {
    ensure_not_self(actor.id, target)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.role_id == role {
        return Err(ServiceError::Conflict(format!(
            "{} already has this role.",
            user.username
        )));
    }
    let name = set_role_in(&mut work, &user, role).await?;
    work.commit("the role change").await?;
    Ok((user, name))
}
