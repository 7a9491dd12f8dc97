//! Groups: create them, choose the roles they grant, add and remove
//! members, delete them (`groups.manage`). Every change is audited with
//! before → after, and takes effect at a member's next request, when their
//! permissions are read again. A change that would leave nobody holding an
//! administrator's permission is refused (`admin_guard`).

use super::admin_guard::Administrators;
use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError, user_target};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db, Scope};
use crate::domain::group::GROUP_DESCRIPTION_MAX_CHARS;
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, FieldError, Group, GroupId, GroupMember, GroupName, PermissionSource, Role,
    RoleId, Timestamp, UserId, Username,
};

fn target(id: GroupId, name: &str) -> AuditTarget {
    AuditTarget {
        kind: "group",
        id: id.0,
        label: name.to_owned(),
        user_id: None,
    }
}

/// "grants PM, Reviewer; the team leads" for audit rows.
fn describe(grants: &str, description: &str) -> String {
    match description.is_empty() {
        true => format!("grants {grants}"),
        false => format!("grants {grants}; {description}"),
    }
}

fn description(raw: &str) -> Result<&str, ServiceError> {
    let trimmed = raw.trim();
    match trimmed.chars().count() > GROUP_DESCRIPTION_MAX_CHARS {
        true => Err(ServiceError::field(
            "description",
            FieldError::new("Description must be at most 200 characters."),
        )),
        false => Ok(trimmed),
    }
}

pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Group>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::groups::list(scope.on(&mut conn)).await?)
}

/// A group and its members.
/// The organisation's groups, each with whether `user` is in it.
pub async fn of_user(
    db: &Db,
    scope: &Scope,
    user: UserId,
) -> Result<Vec<(Group, bool)>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::groups::list_for(scope.on(&mut conn), user).await?)
}

pub async fn detail(
    db: &Db,
    scope: &Scope,
    id: GroupId,
) -> Result<(Group, Vec<GroupMember>), ServiceError> {
    let mut conn = db.acquire().await?;
    let group = db::groups::find(scope.on(&mut conn), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let members = db::groups::members(scope.on(&mut conn), id).await?;
    Ok((group, members))
}

pub async fn create(
    db: &Db,
    actor: &Authorized<perm::GroupsManage>,
    name: &str,
    description_text: &str,
    meta: &RequestMeta,
) -> Result<GroupId, ServiceError> {
    let name = GroupName::parse(name).map_err(|e| ServiceError::field("name", e))?;
    let description_text = description(description_text)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let inserted =
        db::groups::insert(work.tx(), name.as_str(), description_text, Timestamp::now()).await;
    let id = match inserted {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => {
            return Err(ServiceError::field(
                "name",
                FieldError::new("A group with this name already exists."),
            ));
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not create the group")
                .into());
        }
    };
    work.audit(AuditAction::GroupCreated, Some(target(id, name.as_str())))
        .after(Some(describe("nothing", description_text)));
    work.commit("the new group").await?;
    Ok(id)
}

/// Sets what a group grants and its description; returns its name.
pub async fn update(
    db: &Db,
    actor: &Authorized<perm::GroupsManage>,
    id: GroupId,
    roles: &[RoleId],
    description_text: &str,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let description_text = description(description_text)?;
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    let roles = roles.as_slice();
    let mut work = Work::begin(db, actor, meta).await?;
    let before = db::groups::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let admins = Administrators::before(work.tx()).await?;
    db::groups::set_roles(work.tx(), id, roles).await?;
    db::groups::set_description(work.tx(), id, description_text).await?;
    let after = db::groups::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if after.roles.len() != roles.len() {
        return Err(ServiceError::Conflict(
            "One of those roles does not exist in this organisation.".into(),
        ));
    }
    if before.roles == after.roles && before.description == after.description {
        return Err(ServiceError::Conflict(format!(
            "{} already grants exactly these roles, with this description.",
            before.name
        )));
    }
    admins.ensure_remain(work.tx()).await?;
    let summary = |g: &Group| describe(&g.grants_text(), &g.description);
    work.audit(AuditAction::GroupChanged, Some(target(id, &before.name)))
        .change(summary(&before), summary(&after));
    work.commit("the group change").await?;
    Ok(before.name)
}

/// Deletes a group; its members keep their own roles.
pub async fn delete(
    db: &Db,
    actor: &Authorized<perm::GroupsManage>,
    id: GroupId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let group = db::groups::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let admins = Administrators::before(work.tx()).await?;
    db::groups::delete(work.tx(), id).await?;
    admins.ensure_remain(work.tx()).await?;
    work.audit(AuditAction::GroupDeleted, Some(target(id, &group.name)))
        .before(Some(format!(
            "grants {}; {} members",
            group.grants_text(),
            group.member_count
        )));
    work.commit("the group's deletion").await?;
    Ok(group.name)
}

/// Who a membership change is about: a user id (the user page) or a
/// username typed on the group page.
pub enum Member<'a> {
    Id(UserId),
    Username(&'a str),
}

/// Adds a user to a group; returns their username and the group's name.
pub async fn add_member(
    db: &Db,
    actor: &Authorized<perm::GroupsManage>,
    id: GroupId,
    member: Member<'_>,
    meta: &RequestMeta,
) -> Result<(String, String), ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let group = db::groups::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let user = match member {
        Member::Id(user) => db::users::find(work.tx(), user)
            .await?
            .ok_or(ServiceError::NotFound)?,
        Member::Username(name) => {
            let unknown = || {
                ServiceError::field(
                    "username",
                    FieldError::new("There is no user by that name."),
                )
            };
            let name = Username::parse(name).map_err(|_| unknown())?;
            let found = db::users::find_credentials(work.tx(), name.as_str())
                .await?
                .ok_or_else(unknown)?;
            db::users::find(work.tx(), found.id)
                .await?
                .ok_or_else(unknown)?
        }
    };
    super::deletion::ensure_not_deleted(&user)?;
    if !db::groups::add_member(work.tx(), id, user.id, Timestamp::now()).await? {
        return Err(ServiceError::Conflict(format!(
            "{} is already in {}.",
            user.username, group.name
        )));
    }
    work.audit(
        AuditAction::GroupMemberAdded,
        Some(user_target(user.id, &user.username)),
    )
    .change("", group.name.clone());
    work.commit("the new member").await?;
    Ok((user.username, group.name))
}

/// Removes a user from a group; returns their username and the group's name.
pub async fn remove_member(
    db: &Db,
    actor: &Authorized<perm::GroupsManage>,
    id: GroupId,
    user: UserId,
    meta: &RequestMeta,
) -> Result<(String, String), ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let group = db::groups::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let account = db::users::find(work.tx(), user)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let admins = Administrators::before(work.tx()).await?;
    if !db::groups::remove_member(work.tx(), id, user).await? {
        return Err(ServiceError::Conflict(format!(
            "{} is not in {}.",
            account.username, group.name
        )));
    }
    admins.ensure_remain(work.tx()).await?;
    work.audit(
        AuditAction::GroupMemberRemoved,
        Some(user_target(user, &account.username)),
    )
    .change(group.name.clone(), "");
    work.commit("the removal").await?;
    Ok((account.username, group.name))
}

/// Where each permission of a user with `role`, in `groups`, comes from:
/// their own role, or a group and the role it grants. `roles` holds the
/// organisation's roles with their permissions.
pub fn permission_sources(role: RoleId, roles: &[Role], groups: &[Group]) -> Vec<PermissionSource> {
    let mut sources: Vec<PermissionSource> = Vec::new();
    let mut add = |permission, source: String| match sources
        .iter_mut()
        .find(|s| s.permission == permission)
    {
        Some(entry) => entry.sources.push(source),
        None => sources.push(PermissionSource {
            permission,
            sources: vec![source],
        }),
    };
    if let Some(own) = roles.iter().find(|r| r.id == role) {
        for permission in own.permissions.iter() {
            add(permission, format!("role {}", own.name));
        }
    }
    for group in groups {
        for (granted, _) in &group.roles {
            if let Some(granted) = roles.iter().find(|r| r.id == *granted) {
                for permission in granted.permissions.iter() {
                    add(
                        permission,
                        format!("group {} (role {})", group.name, granted.name),
                    );
                }
            }
        }
    }
    sources.sort_by_key(|s| s.permission);
    sources
}
