//! Role requests: a user asks for a role with a justification; a reviewer decides.

use super::Authorized;
use super::mail::letters::{self, Recipient};
use super::work::Work;
use super::{Actor, RequestMeta, ServiceError, user_admin::set_role_in};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db, Scoped};
use crate::domain::Permission;
use crate::domain::RoleRequest;
use crate::domain::notification::NoticeKind;
use crate::domain::permission::perm;
use crate::domain::{
    AppId, AuditAction, FieldError, Justification, Note, RoleId, RoleRequestDecision,
    RoleRequestId, RoleRequestStatus, Timestamp, ensure_different_role, ensure_not_self,
};

fn request_target(request: &RoleRequest) -> AuditTarget {
    AuditTarget {
        kind: "role_request",
        id: request.id.0,
        label: request.username.clone(),
        user_id: Some(request.user_id),
    }
}

async fn load(tx: Scoped<'_>, id: RoleRequestId) -> Result<RoleRequest, ServiceError> {
    db::role_requests::find(tx, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The role a request asks for and, optionally, the app it is for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub role: Option<RoleId>,
    pub app: Option<AppId>,
}

/// Opens a request for `role`. One open request per user.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    wanted: Wanted,
    justification: &str,
    meta: &RequestMeta,
) -> Result<RoleRequestId, ServiceError> {
    let Wanted { role, app } = wanted;
    let justification =
        Justification::parse(justification).map_err(|e| ServiceError::field("justification", e));
    let mut work = Work::begin(db, actor, meta).await?;
    let requested = match role {
        Some(role) => db::roles::find(work.tx(), role).await?,
        None => None,
    };
    let Some(requested) = requested else {
        return Err(ServiceError::field(
            "role_id",
            FieldError("Choose the role you need.".into()),
        ));
    };
    let app = match app {
        Some(id) => Some(db::apps::find(work.tx(), id).await?.ok_or_else(|| {
            ServiceError::field("app_id", FieldError("Choose an app from the list.".into()))
        })?),
        None => None,
    };
    let justification = justification?;
    let user = db::users::find(work.tx(), actor.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_different_role(user.role_id, requested.id)
        .map_err(|e| ServiceError::field("role_id", FieldError(e.to_string())))?;
    let id = match db::role_requests::insert(
        work.tx(),
        user.id,
        user.role_id,
        requested.id,
        app.as_ref().map(|a| a.id),
        justification.as_str(),
        Timestamp::now(),
    )
    .await
    {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(
                "You already have an open role request. Withdraw it before asking for another role.".into(),
            ));
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not store the role request")
                .into());
        }
    };
    let request = load(work.tx(), id).await?;
    work.audit(
        AuditAction::RoleRequestSubmitted,
        Some(request_target(&request)),
    )
    .change(
        user.role_name.clone(),
        match &app {
            Some(app) => format!("{} (for {})", requested.name, app.name),
            None => requested.name.clone(),
        },
    )
    .reason(Some(justification.as_str()));
    super::notifications::tell_reviewers(
        &mut work,
        Permission::RoleRequestsReview,
        Some(user.id),
        NoticeKind::NewRoleRequest,
        &format!("{} asks for the role {}.", user.username, requested.name),
        "/admin/role-requests",
    )
    .await?;
    work.commit("the role request").await?;
    Ok(id)
}

/// The requester takes back their own open request.
pub async fn withdraw(
    db: &Db,
    actor: &Actor,
    id: RoleRequestId,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let request = load(work.tx(), id).await?;
    if request.user_id != actor.id {
        return Err(ServiceError::NotFound);
    }
    let status = RoleRequestDecision::Withdraw.apply(request.status)?;
    db::role_requests::close(work.tx(), id, status, None, None, Timestamp::now()).await?;
    work.audit(
        AuditAction::RoleRequestWithdrawn,
        Some(request_target(&request)),
    )
    .change(RoleRequestStatus::Open.as_str(), status.as_str());
    work.commit("the withdrawal").await?;
    Ok(())
}

/// A reviewer approves (the role changes at once) or denies a request.
pub async fn decide(
    db: &Db,
    actor: &Authorized<perm::RoleRequestsReview>,
    id: RoleRequestId,
    decision: RoleRequestDecision,
    note: &str,
    meta: &RequestMeta,
) -> Result<RoleRequest, ServiceError> {
    let note = match decision {
        RoleRequestDecision::Deny => Note::parse_required(note).map(Some),
        _ => Note::parse_optional(note),
    }
    .map_err(|e| ServiceError::field("note", e))?;
    let mut work = Work::begin(db, actor, meta).await?;
    let request = load(work.tx(), id).await?;
    ensure_not_self(actor.id, request.user_id)?;
    let status = decision.apply(request.status)?;
    let note = note.as_ref().map(Note::as_str);
    db::role_requests::close(
        work.tx(),
        id,
        status,
        actor.audit_actor(),
        note,
        Timestamp::now(),
    )
    .await?;
    let action = match decision {
        RoleRequestDecision::Approve => AuditAction::RoleRequestApproved,
        _ => AuditAction::RoleRequestDenied,
    };
    work.audit(action, Some(request_target(&request)))
        .change(request.from_role_name.clone(), request.role_name.clone())
        .reason(note);
    if decision == RoleRequestDecision::Approve {
        let user = db::users::find(work.tx(), request.user_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if user.role_id != request.role_id {
            set_role_in(&mut work, &user, request.role_id).await?;
        }
    }
    // As decided: its status, decider and note.
    let decided = load(work.tx(), id).await?;
    let granted = decision == RoleRequestDecision::Approve;
    if let Some(user) = db::users::find(work.tx(), request.user_id).await? {
        let org = work.mail_org().await?;
        let to = Recipient::of(&user);
        let letter = letters::role_request_decided(&org, to, &request.role_name, granted, note)?;
        let text = match (granted, note) {
            (true, Some(note)) => format!("You have the role {} now: {note}", request.role_name),
            (true, None) => format!("You have the role {} now.", request.role_name),
            (false, Some(note)) => format!(
                "Your request for the role {} was refused: {note}",
                request.role_name
            ),
            (false, None) => format!(
                "Your request for the role {} was refused.",
                request.role_name
            ),
        };
        super::notifications::tell(
            &mut work,
            user.id,
            NoticeKind::RoleRequestDecided,
            &text,
            "/account/role-request",
            Some(letter),
        )
        .await?;
    }
    work.commit("the decision").await?;
    Ok(decided)
}
