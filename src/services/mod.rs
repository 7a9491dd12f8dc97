//! Use cases. Each one that changes something opens one write transaction,
//! checks the rules inside it, and writes its audit row in that same
//! transaction, so an action and its record commit together or not at all.

pub mod accounts;
mod admin_guard;
pub mod app_directory;
pub mod apps;
pub mod audit_chain;
pub mod auth_settings;
pub mod copies;
pub mod deletion;
pub mod email_verification;
pub mod fields;
pub mod groups;
pub mod import;
pub mod invitations;
pub mod links;
pub mod login;
pub mod mail;
pub mod notifications;
pub mod oidc;
pub mod org_settings;
pub mod organisations;
pub mod overview;
pub mod password_reset;
pub mod profile;
pub mod queries;
pub mod role_requests;
pub mod roles;
pub mod search_index;
pub mod security;
pub mod sessions;
pub mod tokens;
pub mod user_admin;
pub mod user_page;
pub mod work;

use crate::domain::AuthUser;
use std::borrow::Cow;
use std::marker::PhantomData;

use crate::domain::permission::PermissionMarker;
use crate::domain::{FieldError, OrgId, Permission, PermissionSet, RuleError, UserId, UserStatus};

/// Who is acting, with the permissions read for this request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: UserId,
    pub username: String,
    pub permissions: PermissionSet,
    /// The actor's organisation.
    pub organisation: OrgId,
    /// The rows the actor's work may touch: their organisation's.
    pub scope: crate::db::Scope,
}

impl Actor {
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub(crate) fn audit_actor(&self) -> Option<(UserId, &str)> {
        Some((self.id, self.username.as_str()))
    }
}

impl From<&AuthUser> for Actor {
    fn from(user: &AuthUser) -> Actor {
        Actor {
            id: user.id,
            username: user.username.clone(),
            permissions: user.permissions.clone(),
            organisation: user.organisation,
            scope: user.scope(),
        }
    }
}

/// Proof that the acting user is Active and that their role, read live for
/// this request, grants `P`. Only `check` makes one; the permission
/// extractor (`web::extractors::Require<P>`) calls it. A use case that needs
/// `P` takes `&Authorized<P>`, so it cannot be called for anybody else.
#[derive(Debug, Clone)]
pub struct Authorized<P: PermissionMarker> {
    actor: Actor,
    _permission: PhantomData<P>,
}

impl<P: PermissionMarker> Authorized<P> {
    /// The proof for `user`, when they are Active and hold `P`.
    pub fn check(user: &AuthUser) -> Option<Authorized<P>> {
        let allowed = user.status == UserStatus::Active && user.permissions.contains(P::PERMISSION);
        allowed.then(|| Authorized {
            actor: Actor::from(user),
            _permission: PhantomData,
        })
    }
}

impl<P: PermissionMarker> std::ops::Deref for Authorized<P> {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
}

/// Where a request came from, for audit rows.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The public id of the session making the request, if signed in.
    pub session: Option<String>,
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that does not pass validation, by form field (a custom
    /// field's form name is made at run time, hence `Cow`).
    #[error("invalid input")]
    Invalid(Vec<(Cow<'static, str>, String)>),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn field(name: &'static str, err: FieldError) -> ServiceError {
        ServiceError::Invalid(vec![(Cow::Borrowed(name), err.0)])
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> ServiceError {
        ServiceError::Unexpected(err.into())
    }
}

/// Collects field errors so a form can show them all at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.0);
                None
            }
        }
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(
                self.0
                    .into_iter()
                    .map(|(f, m)| (Cow::Borrowed(f), m))
                    .collect(),
            ))
        }
    }
}

/// The audit target for a user.
pub(crate) fn user_target(id: UserId, username: &str) -> crate::db::audit::AuditTarget {
    crate::db::audit::AuditTarget {
        kind: "user",
        id: id.0,
        label: username.to_owned(),
        user_id: Some(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::permission::perm;
    use crate::domain::{RoleId, Scope};

    fn user(status: UserStatus, permissions: &[Permission]) -> AuthUser {
        AuthUser {
            id: UserId(7),
            organisation: OrgId(3),
            username: "ada".into(),
            full_name: "Ada".into(),
            status,
            role_id: RoleId(1),
            role_name: "Reviewer".into(),
            permissions: permissions.iter().copied().collect(),
            email: "ada@example.com".into(),
            groups: Vec::new(),
            granted_roles: Vec::new(),
            must_change_password: false,
            email_verified: false,
        }
    }

    #[test]
    fn only_an_active_user_holding_the_permission_gets_the_proof() {
        let reviewer = user(UserStatus::Active, &[Permission::RoleRequestsReview]);
        let proof = Authorized::<perm::RoleRequestsReview>::check(&reviewer).expect("allowed");
        assert_eq!(
            (proof.id, proof.scope.clone()),
            (UserId(7), Scope::organisation(OrgId(3)))
        );
        assert!(Authorized::<perm::RolesManage>::check(&reviewer).is_none());
        let pending = user(UserStatus::Pending, &[Permission::RoleRequestsReview]);
        assert!(Authorized::<perm::RoleRequestsReview>::check(&pending).is_none());
        let disabled = user(UserStatus::Disabled, &[Permission::RoleRequestsReview]);
        assert!(Authorized::<perm::RoleRequestsReview>::check(&disabled).is_none());
    }
}
