//! The last-administrator rule: `users.manage` and `roles.manage` always
//! keep an active holder in each organisation, counting every source of a
//! permission (a user's role and the roles their groups grant).
//!
//! Two forms. A change to one user's status is checked before it is made
//! (`ensure_others_hold`), because a bulk change skips refused users and
//! goes on with the rest in the same unit of work. Every other change that
//! can take a permission away (a role change, a role's permissions, what a
//! group grants, a membership, a deleted group) is checked after it is made
//! in the unit of work (`Administrators`), which then rolls back: no
//! arithmetic of who loses what through which source to get wrong. Only use
//! that form where an error ends the whole unit of work.

use super::ServiceError;
use crate::db::{self, Scoped};
use crate::domain::{ADMIN_PERMISSIONS, PermissionSet, UserId, ensure_administrators_remain};

/// Refuses when `user` losing every permission they hold (being disabled
/// or rejected) would leave one of the administrators' permissions without
/// an active holder.
pub(crate) async fn ensure_others_hold(
    mut tx: Scoped<'_>,
    user: UserId,
) -> Result<(), ServiceError> {
    let held = db::users::permissions_of(tx.again(), user).await?;
    let mut others = Vec::new();
    for permission in ADMIN_PERMISSIONS {
        if held.contains(permission) {
            let remains =
                db::permission_holders::holder_exists(tx.again(), permission, Some(user)).await?;
            others.push((permission, u64::from(remains)));
        }
    }
    ensure_administrators_remain(&held, |p| {
        others
            .iter()
            .find(|(q, _)| *q == p)
            .map_or(u64::MAX, |(_, n)| *n)
    })?;
    Ok(())
}

/// The administrators' permissions that had an active holder before a
/// change, to compare with after it.
pub(crate) struct Administrators(PermissionSet);

impl Administrators {
    pub(crate) async fn before(mut tx: Scoped<'_>) -> Result<Administrators, ServiceError> {
        let mut held = PermissionSet::new();
        for permission in ADMIN_PERMISSIONS {
            if db::permission_holders::holder_exists(tx.again(), permission, None).await? {
                held.insert(permission);
            }
        }
        Ok(Administrators(held))
    }

    /// Refuses when a permission held before the change has no active
    /// holder after it; the caller's unit of work then rolls back.
    pub(crate) async fn ensure_remain(&self, mut tx: Scoped<'_>) -> Result<(), ServiceError> {
        let mut lost = PermissionSet::new();
        for permission in self.0.iter() {
            if !db::permission_holders::holder_exists(tx.again(), permission, None).await? {
                lost.insert(permission);
            }
        }
        ensure_administrators_remain(&lost, |_| 0)?;
        Ok(())
    }
}
