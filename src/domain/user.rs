//! Users as the rest of the code sees them: the account, what a request
//! needs to decide access, and what a sign-in checks.

use super::{GroupId, OrgId, PermissionSet, RoleId, Scope, Timestamp, UserId, UserStatus};

/// A user as the admin pages and services see them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub full_name: String,
    /// As typed (see `Phone`); empty when not given.
    pub phone: String,
    pub status: UserStatus,
    pub status_reason: Option<String>,
    pub role_id: RoleId,
    pub role_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub status_changed_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    pub login_count: i64,
    pub last_active_at: Option<Timestamp>,
    /// Minutes between the start and the last activity of each ended
    /// session, added up.
    pub minutes_of_use: i64,
    /// Set while the user is deleted (status `Deleted`).
    pub deletion: Option<Deletion>,
    /// Their custom field values.
    pub metadata: super::Metadata,
    /// When they opened a verification link sent to their current address.
    pub email_verified_at: Option<Timestamp>,
}

/// A deleted user's deletion: when, why, what to restore, and whether the
/// account has been purged already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub at: Timestamp,
    pub reason: Option<String>,
    /// The status a restore gives back.
    pub status_before: UserStatus,
    /// Set once the personal data has been erased; nothing can be restored.
    pub purged_at: Option<Timestamp>,
}

/// What the session extractors need on every request: live status and permissions.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub organisation: OrgId,
    pub username: String,
    pub full_name: String,
    pub status: UserStatus,
    pub role_id: RoleId,
    pub role_name: String,
    pub permissions: PermissionSet,
    pub email: String,
    /// The groups they are in, by name.
    pub groups: Vec<(GroupId, String)>,
    /// The roles their groups grant, besides their own.
    pub granted_roles: Vec<RoleId>,
    /// An administrator asked them to choose a new password before
    /// anything else.
    pub must_change_password: bool,
    /// They opened a verification link sent to their current address.
    pub email_verified: bool,
}

impl AuthUser {
    /// Who is asking to open an app, for `domain::app::decide`.
    pub fn visitor(&self) -> super::app::Visitor<'_> {
        super::app::Visitor {
            organisation: self.organisation,
            status: self.status,
            role: self.role_id,
            granted: &self.granted_roles,
            groups: &self.groups,
        }
    }

    /// The rows this user's requests may touch: their organisation's.
    pub fn scope(&self) -> Scope {
        Scope::organisation(self.organisation)
    }
}

/// The fields needed to check a password at login.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: UserId,
    pub organisation: OrgId,
    pub username: String,
    pub status: UserStatus,
    pub password_hash: String,
}
