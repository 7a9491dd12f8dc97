//! Role names and the roles created on first start.

use std::fmt;

use super::error::FieldError;
use super::ids::RoleId;
use super::permission::{Permission, PermissionSet};

/// A validated role name: 2 to 40 letters, digits, spaces, `-` or `_`,
/// trimmed, with runs of inner spaces collapsed to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    /// Shortest allowed name, in characters.
    pub const MIN_CHARS: usize = 2;
    /// Longest allowed name, in characters.
    pub const MAX_CHARS: usize = 40;

    /// Trims, normalises spaces and validates a role name.
    pub fn parse(input: &str) -> Result<RoleName, FieldError> {
        let trimmed = input.trim();
        if trimmed
            .chars()
            .any(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_')))
        {
            return Err(FieldError::new(
                "Role name may only contain letters, digits, spaces, hyphens and underscores.",
            ));
        }
        let collapsed = single_spaced(trimmed);
        let len = collapsed.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(FieldError::new("Role name must be 2 to 40 characters."));
        }
        Ok(RoleName(collapsed))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased form, used for case-insensitive uniqueness.
    pub fn key(&self) -> String {
        super::case_key(&self.0)
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Roles every organisation starts with: name and permissions. A new
/// organisation's Admin gets all but `organisations.manage`
/// (`Permission::grantable_in`).
pub const DEFAULT_ROLES: [(&str, &[Permission]); 4] = [
    ("Admin", &Permission::ALL),
    ("Engineer", &[]),
    ("Automation Manager", &[]),
    ("PM", &[Permission::UsersRead]),
];

/// A role: a name and the permissions it grants.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
}

impl Role {
    /// Whether this role grants `permission` (for templates, which hold references).
    pub fn grants(&self, permission: &super::Permission) -> bool {
        self.permissions.contains(*permission)
    }
}

/// A role with how many users hold it, for the roles page only: counting
/// is a scan of that role's users, too costly for pickers and rule checks.
#[derive(Debug, Clone)]
pub struct RoleUsage {
    pub role: Role,
    pub user_count: u64,
}

impl std::ops::Deref for RoleUsage {
    type Target = Role;
    fn deref(&self) -> &Role {
        &self.role
    }
}

/// `text` with each run of spaces made one: names of roles and groups are
/// compared and shown this way.
pub(crate) fn single_spaced(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_name_is_trimmed_and_inner_spaces_are_collapsed() {
        let r = RoleName::parse("  Automation    Manager ").unwrap();
        assert_eq!(r.as_str(), "Automation Manager");
        assert_eq!(r.to_string(), "Automation Manager");
    }

    #[test]
    fn the_key_is_lowercase() {
        assert_eq!(RoleName::parse("Équipe QA").unwrap().key(), "équipe qa");
    }

    #[test]
    fn unicode_letters_digits_hyphens_and_underscores_are_allowed() {
        for ok in ["PM", "Site-Reliability_2", "Ingénieur", "運用チーム"] {
            assert!(RoleName::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
    }

    #[test]
    fn punctuation_and_control_characters_are_refused() {
        for bad in ["Admin!", "<b>Admin</b>", "Ad\tmin", "Ad.min"] {
            assert!(RoleName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn the_length_is_checked_after_normalising() {
        let msg = "Role name must be 2 to 40 characters.";
        assert_eq!(RoleName::parse(" A ").unwrap_err().0, msg);
        assert_eq!(RoleName::parse("").unwrap_err().0, msg);
        assert!(RoleName::parse(&"é".repeat(40)).is_ok());
        assert_eq!(RoleName::parse(&"é".repeat(41)).unwrap_err().0, msg);
        assert!(RoleName::parse(&format!("a{}b", " ".repeat(50))).is_ok());
    }

    #[test]
    fn the_default_roles_are_valid_and_only_admin_administers() {
        assert_eq!(DEFAULT_ROLES[0], ("Admin", &Permission::ALL[..]));
        for (name, perms) in DEFAULT_ROLES {
            assert!(RoleName::parse(name).is_ok());
            if name != "Admin" {
                assert!(!perms.contains(&Permission::UsersManage));
                assert!(!perms.contains(&Permission::RolesManage));
            }
        }
        assert_eq!(DEFAULT_ROLES[3].1, &[Permission::UsersRead]);
    }
}
