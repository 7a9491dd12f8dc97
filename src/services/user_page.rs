//! Everything the admin user page shows, read on one connection in as few
//! statements as the page allows: on PostgreSQL each statement is a round
//! trip, and a page of twenty groups read group by group cost more than the
//! rest of the page (docs/performance.md).

use super::ServiceError;
use super::auth_settings::AuthSettings;
use super::login::LockoutStatus;
use super::queries::PAGE_SIZE;
use super::sessions::SessionView;
use super::{RequestMeta, groups};
use crate::db::{self, Db, Scope};
use crate::domain::audit_chain::AuditRecord;
use crate::domain::session::SessionLimits;
use crate::domain::{
    FieldDefinition, Group, Metadata, PermissionSource, Role, RoleRequest, Timestamp, User, UserId,
};

/// A user with everything their page shows.
pub struct UserPageData {
    pub user: User,
    pub requests: Vec<RoleRequest>,
    /// The newest audit rows about them.
    pub history: Vec<AuditRecord>,
    pub roles: Vec<Role>,
    pub lockout: LockoutStatus,
    pub sessions: Vec<SessionView>,
    /// Their groups, the organisation's other groups, and where each of
    /// their permissions comes from.
    pub groups: Vec<Group>,
    pub joinable: Vec<Group>,
    pub sources: Vec<PermissionSource>,
    pub fields: Vec<FieldDefinition>,
    pub metadata: Metadata,
}

/// What the page needs beyond the user's id.
pub struct Context<'a> {
    pub auth: &'a AuthSettings,
    pub limits: SessionLimits,
    /// The request asking, to mark its own session.
    pub request: &'a RequestMeta,
}

pub async fn load(
    db: &Db,
    scope: &Scope,
    id: UserId,
    context: Context<'_>,
) -> Result<UserPageData, ServiceError> {
    let mut conn = db.acquire().await?;
    let user = db::users::find(scope.on(&mut conn), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let requests = db::role_requests::for_user(scope.on(&mut conn), id, 20).await?;
    let history = db::audit::about_user(scope.on(&mut conn), id, PAGE_SIZE).await?;
    let roles = db::roles::list(scope.on(&mut conn)).await?;
    let now = Timestamp::now();
    let throttle = db::login_throttle::get(scope.on(&mut conn), id).await?;
    let lockout = LockoutStatus {
        failures: throttle.failures,
        since_login: throttle.since_login,
        locked_until: context
            .auth
            .lockout
            .locked_until(&throttle, now.0)
            .map(Timestamp),
    };
    let sessions = db::sessions::list_for_user(scope.on(&mut conn), id, context.limits, now)
        .await?
        .into_iter()
        .map(|row| super::sessions::view(row, context.request, now))
        .collect();
    let (mut groups, mut joinable) = (Vec::new(), Vec::new());
    for (group, member) in db::groups::list_for(scope.on(&mut conn), id).await? {
        match member {
            true => groups.push(group),
            false => joinable.push(group),
        }
    }
    let sources = groups::permission_sources(user.role_id, &roles, &groups);
    let fields = db::custom_fields::list(scope.on(&mut conn)).await?;
    let metadata = user.metadata.clone();
    Ok(UserPageData {
        user,
        requests,
        history,
        roles,
        lockout,
        sessions,
        groups,
        joinable,
        sources,
        fields,
        metadata,
    })
}
