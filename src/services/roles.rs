//! Role administration: create roles and choose what they grant.

use super::Authorized;
use super::admin_guard::Administrators;
use super::work::Work;
use super::{RequestMeta, ServiceError};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db};
use crate::domain::permission::perm;
use crate::domain::{AuditAction, Permission, PermissionSet, RoleId, RoleName, Timestamp};

fn role_target(id: RoleId, name: &str) -> AuditTarget {
    AuditTarget {
        kind: "role",
        id: id.0,
        label: name.to_owned(),
        user_id: None,
    }
}

fn describe(permissions: &PermissionSet) -> String {
    let names: Vec<&str> = permissions.iter().map(Permission::as_str).collect();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}

/// Longest role description, in characters; longer ones are refused, not cut.
const ROLE_DESCRIPTION_MAX_CHARS: usize = 200;

pub async fn create(
    db: &Db,
    actor: &Authorized<perm::RolesManage>,
    name: &str,
    description: &str,
    permissions: PermissionSet,
    meta: &RequestMeta,
) -> Result<RoleId, ServiceError> {
    let name = RoleName::parse(name).map_err(|e| ServiceError::field("name", e))?;
    let description = description.trim();
    if description.chars().count() > ROLE_DESCRIPTION_MAX_CHARS {
        return Err(ServiceError::field(
            "description",
            crate::domain::FieldError("Description must be at most 200 characters.".into()),
        ));
    }
    // A crafted form cannot grant what this organisation's roles may not.
    let permissions = permissions.within(actor.organisation);
    let mut work = Work::begin(db, actor, meta).await?;
    let id = match db::roles::insert(work.tx(), name.as_str(), description, Timestamp::now()).await
    {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => {
            return Err(ServiceError::field(
                "name",
                crate::domain::FieldError("A role with this name already exists.".into()),
            ));
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not create the role")
                .into());
        }
    };
    db::roles::set_permissions(work.tx(), id, &permissions).await?;
    work.audit(
        AuditAction::RoleCreated,
        Some(role_target(id, name.as_str())),
    )
    .after(Some(describe(&permissions)));
    work.commit("the new role").await?;
    Ok(id)
}

/// Replaces what `role` grants; refuses to leave no active administrator.
pub async fn set_permissions(
    db: &Db,
    actor: &Authorized<perm::RolesManage>,
    role: RoleId,
    permissions: PermissionSet,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let permissions = permissions.within(actor.organisation);
    let mut work = Work::begin(db, actor, meta).await?;
    let current = db::roles::find(work.tx(), role)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.permissions == permissions {
        return Err(ServiceError::Conflict(format!(
            "{} already grants exactly these permissions.",
            current.name
        )));
    }
    let admins = Administrators::before(work.tx()).await?;
    db::roles::set_permissions(work.tx(), role, &permissions).await?;
    admins.ensure_remain(work.tx()).await?;
    work.audit(
        AuditAction::RolePermissionsChanged,
        Some(role_target(role, &current.name)),
    )
    .change(describe(&current.permissions), describe(&permissions));
    work.commit("the role change").await?;
    Ok(current.name)
}
