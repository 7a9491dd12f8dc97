//! Permissions, sets of permissions, and the rules that protect administration.

use std::collections::BTreeSet;
use std::fmt;

use super::error::RuleError;
use super::ids::{OrgId, UserId};
use super::organisation::DEFAULT_ORGANISATION;

/// One thing a role may allow its holders to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// See the user list and user details.
    UsersRead,
    /// Approve or reject pending registrations.
    UsersApprove,
    /// Disable, enable and change the role of users.
    UsersManage,
    /// Approve or deny role requests.
    RoleRequestsReview,
    /// Create roles and change their permissions.
    RolesManage,
    /// Read the audit log.
    AuditRead,
    /// Create groups, choose the roles they grant and their members.
    GroupsManage,
    /// Define the organisation's custom fields.
    FieldsManage,
    /// Register the organisation's applications and who may open them.
    AppsManage,
    /// Make and revoke the organisation's service tokens (API automation).
    TokensManage,
    /// Read the mail outbox: who was sent what, and whether it arrived.
    MailRead,
    /// List, create, rename, disable and enable organisations. Held only in
    /// the default organisation (`DEFAULT_ORGANISATION`): the instance's
    /// administrators.
    OrganisationsManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 12] = [
        Permission::UsersRead,
        Permission::UsersApprove,
        Permission::UsersManage,
        Permission::RoleRequestsReview,
        Permission::RolesManage,
        Permission::AuditRead,
        Permission::GroupsManage,
        Permission::FieldsManage,
        Permission::AppsManage,
        Permission::TokensManage,
        Permission::MailRead,
        Permission::OrganisationsManage,
    ];

    /// The permissions a role of `organisation` may grant: every one in the
    /// default organisation, all but `organisations.manage` elsewhere.
    pub fn grantable_in(organisation: OrgId) -> impl Iterator<Item = Permission> {
        Self::ALL
            .into_iter()
            .filter(move |p| organisation == DEFAULT_ORGANISATION || !p.instance_only())
    }

    /// Whether only the default organisation's roles may grant it.
    pub fn instance_only(self) -> bool {
        self == Permission::OrganisationsManage
    }

    /// The stored form, e.g. "users.read".
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users.read",
            Permission::UsersApprove => "users.approve",
            Permission::UsersManage => "users.manage",
            Permission::RoleRequestsReview => "role_requests.review",
            Permission::RolesManage => "roles.manage",
            Permission::AuditRead => "audit.read",
            Permission::GroupsManage => "groups.manage",
            Permission::FieldsManage => "fields.manage",
            Permission::AppsManage => "apps.manage",
            Permission::TokensManage => "tokens.manage",
            Permission::MailRead => "mail.read",
            Permission::OrganisationsManage => "organisations.manage",
        }
    }

    /// Parses the stored form (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// A short human sentence describing what the permission allows.
    pub fn description(self) -> &'static str {
        match self {
            Permission::UsersRead => "See the list of users and their details.",
            Permission::UsersApprove => "Approve or reject new registrations.",
            Permission::UsersManage => "Disable, enable and change the role of users.",
            Permission::RoleRequestsReview => "Approve or deny requests for a different role.",
            Permission::RolesManage => "Create roles and change their permissions.",
            Permission::AuditRead => "Read the audit log.",
            Permission::GroupsManage => "Create groups, choose what they grant and who is in them.",
            Permission::FieldsManage => {
                "Define the custom fields users fill in (profile and registration)."
            }
            Permission::AppsManage => {
                "Register applications and choose which roles and groups may open them."
            }
            Permission::TokensManage => "Make and revoke service tokens for the API.",
            Permission::MailRead => {
                "See the mail Gatehouse sent or is sending, and whether it arrived."
            }
            Permission::OrganisationsManage => {
                "Create, rename, disable and enable organisations (instance administrators)."
            }
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Permissions that must always have at least one active holder.
pub const ADMIN_PERMISSIONS: [Permission; 2] = [Permission::UsersManage, Permission::RolesManage];

/// An ordered set of permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every permission.
    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    /// Builds a set from stored strings; unknown strings are ignored.
    pub fn from_strs<'a>(strs: impl IntoIterator<Item = &'a str>) -> Self {
        strs.into_iter().filter_map(Permission::parse).collect()
    }

    /// Whether the set holds `p`.
    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    /// Adds `p`; returns whether it was new.
    pub fn insert(&mut self, p: Permission) -> bool {
        self.0.insert(p)
    }

    /// The permissions, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many permissions the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The set without what `organisation`'s roles may not grant: a
    /// permission stored in another organisation's role is never held.
    pub fn within(mut self, organisation: OrgId) -> PermissionSet {
        if organisation != DEFAULT_ORGANISATION {
            self.0.retain(|p| !p.instance_only());
        }
        self
    }

    /// The permissions in `self` but not in `other`.
    pub fn difference(&self, other: &PermissionSet) -> PermissionSet {
        PermissionSet(self.0.difference(&other.0).copied().collect())
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

/// Refuses a change that would remove the last active holder of an admin permission.
///
/// `lost` is what the affected user(s) would lose; `other_active_holders(p)` counts the
/// active users, other than the affected ones, who would still hold `p` afterwards.
pub fn ensure_administrators_remain(
    lost: &PermissionSet,
    other_active_holders: impl Fn(Permission) -> u64,
) -> Result<(), RuleError> {
    for p in ADMIN_PERMISSIONS {
        if lost.contains(p) && other_active_holders(p) == 0 {
            return Err(RuleError::LastAdministrator(p.as_str()));
        }
    }
    Ok(())
}

/// Refuses an actor deciding about their own account.
pub fn ensure_not_self(actor: UserId, target: UserId) -> Result<(), RuleError> {
    if actor == target {
        Err(RuleError::SelfDecision)
    } else {
        Ok(())
    }
}

/// A type that names one permission, for `web::extractors::Require<P>` and
/// `services::Authorized<P>`.
pub trait PermissionMarker: 'static {
    const PERMISSION: Permission;
}

/// Marker types, one per permission.
pub mod perm {
    use super::{Permission, PermissionMarker};

    macro_rules! markers {
        ($($name:ident),*) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl PermissionMarker for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }
    markers!(
        UsersRead,
        UsersApprove,
        UsersManage,
        RoleRequestsReview,
        RolesManage,
        AuditRead,
        GroupsManage,
        FieldsManage,
        AppsManage,
        TokensManage,
        MailRead,
        OrganisationsManage
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;

    #[test]
    fn permissions_round_trip_through_their_stored_form() {
        for p in P::ALL {
            assert_eq!(P::parse(p.as_str()), Some(p));
            assert!(!p.description().is_empty());
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(P::parse("users.delete"), None);
        assert_eq!(P::RoleRequestsReview.as_str(), "role_requests.review");
    }

    #[test]
    fn a_set_built_from_strings_ignores_unknown_ones() {
        let s = PermissionSet::from_strs(["audit.read", "nope", "users.read", "audit.read"]);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![P::UsersRead, P::AuditRead]
        );
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn only_the_default_organisation_grants_organisations_manage() {
        let other = OrgId(2);
        assert!(!P::grantable_in(other).any(|p| p == P::OrganisationsManage));
        assert_eq!(P::grantable_in(other).count(), P::ALL.len() - 1);
        assert_eq!(P::grantable_in(DEFAULT_ORGANISATION).count(), P::ALL.len());
        assert!(
            !PermissionSet::all()
                .within(other)
                .contains(P::OrganisationsManage)
        );
        assert!(
            PermissionSet::all()
                .within(DEFAULT_ORGANISATION)
                .contains(P::OrganisationsManage)
        );
    }

    #[test]
    fn a_new_set_is_empty_and_grows_with_insert() {
        let mut s = PermissionSet::new();
        assert!(s.is_empty());
        assert!(s.insert(P::RolesManage));
        assert!(!s.insert(P::RolesManage));
        assert!(s.contains(P::RolesManage));
        assert!(!s.contains(P::UsersRead));
    }

    #[test]
    fn the_full_set_holds_every_permission() {
        let all = PermissionSet::all();
        assert!(P::ALL.iter().all(|p| all.contains(*p)));
    }

    #[test]
    fn difference_keeps_what_only_the_first_set_has() {
        let a: PermissionSet = [P::UsersRead, P::UsersManage, P::AuditRead]
            .into_iter()
            .collect();
        let b: PermissionSet = [P::UsersRead, P::RolesManage].into_iter().collect();
        let d = a.difference(&b);
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            vec![P::UsersManage, P::AuditRead]
        );
    }

    #[test]
    fn losing_an_admin_permission_is_refused_when_nobody_else_holds_it() {
        let lost: PermissionSet = [P::RolesManage].into_iter().collect();
        assert_eq!(
            ensure_administrators_remain(&lost, |_| 0),
            Err(RuleError::LastAdministrator(P::RolesManage.as_str()))
        );
    }

    #[test]
    fn losing_an_admin_permission_is_fine_when_someone_else_holds_it() {
        let lost = PermissionSet::all();
        assert_eq!(ensure_administrators_remain(&lost, |_| 1), Ok(()));
    }

    #[test]
    fn losing_only_ordinary_permissions_never_asks_for_holders() {
        let lost: PermissionSet = [P::UsersRead, P::AuditRead].into_iter().collect();
        let r = ensure_administrators_remain(&lost, |p| panic!("asked about {p}"));
        assert_eq!(r, Ok(()));
    }

    #[test]
    fn the_first_unheld_admin_permission_is_reported() {
        let lost = PermissionSet::all();
        let r = ensure_administrators_remain(&lost, |p| u64::from(p == P::UsersManage));
        assert_eq!(
            r,
            Err(RuleError::LastAdministrator(P::RolesManage.as_str()))
        );
    }

    #[test]
    fn a_user_cannot_decide_about_themselves() {
        assert_eq!(
            ensure_not_self(UserId(1), UserId(1)),
            Err(RuleError::SelfDecision)
        );
        assert_eq!(ensure_not_self(UserId(1), UserId(2)), Ok(()));
    }
}
