//! Groups: users gathered under a name, many-to-many, per organisation. A
//! group may grant roles; its members hold those roles' permissions besides
//! their own role's.

use std::fmt;

use super::error::FieldError;
use super::ids::{GroupId, RoleId, UserId};
use super::permission::Permission;
use super::status::UserStatus;

/// A validated group name: 2 to 60 letters, digits, spaces, `-`, `_`, `.`
/// or `&`, trimmed, with runs of inner spaces collapsed to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupName(String);

impl GroupName {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 60;

    pub fn parse(input: &str) -> Result<GroupName, FieldError> {
        let trimmed = input.trim();
        if trimmed
            .chars()
            .any(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '&')))
        {
            return Err(FieldError::new(
                "Group name may only contain letters, digits, spaces and - _ . &",
            ));
        }
        let collapsed = super::role::single_spaced(trimmed);
        let len = collapsed.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(FieldError::new("Group name must be 2 to 60 characters."));
        }
        Ok(GroupName(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest group description, in characters; longer ones are refused.
pub const GROUP_DESCRIPTION_MAX_CHARS: usize = 200;

/// A group with what it grants and how many members it has.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    /// The roles it grants, by name.
    pub roles: Vec<(RoleId, String)>,
    pub member_count: u64,
}

impl Group {
    /// Whether it grants `role` (for templates, which hold references).
    pub fn grants(&self, role: &RoleId) -> bool {
        self.roles.iter().any(|(id, _)| id == role)
    }

    /// The roles it grants, as one line ("PM, Reviewer" or "nothing").
    pub fn grants_text(&self) -> String {
        match self.roles.is_empty() {
            true => "nothing".to_owned(),
            false => self
                .roles
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A member as a group's page lists them.
#[derive(Debug, Clone)]
pub struct GroupMember {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub status: UserStatus,
}

/// Where one of a user's permissions comes from: their role, or a group
/// that grants a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSource {
    pub permission: Permission,
    /// "role Admin", "group Ops (role PM)".
    pub sources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_name_is_trimmed_and_bounded() {
        assert_eq!(
            GroupName::parse("  Site   Ops ").unwrap().as_str(),
            "Site Ops"
        );
        assert_eq!(GroupName::parse("R&D.eu").unwrap().as_str(), "R&D.eu");
        assert_eq!(
            GroupName::parse("x").unwrap_err().0,
            "Group name must be 2 to 60 characters."
        );
        assert!(GroupName::parse(&"g".repeat(61)).is_err());
        assert!(GroupName::parse("<b>ops</b>").is_err());
    }

    #[test]
    fn a_group_says_what_it_grants() {
        let mut group = Group {
            id: GroupId(1),
            name: "Ops".into(),
            description: String::new(),
            roles: vec![],
            member_count: 0,
        };
        assert_eq!(group.grants_text(), "nothing");
        group.roles = vec![(RoleId(2), "PM".into()), (RoleId(3), "Reviewer".into())];
        assert_eq!(group.grants_text(), "PM, Reviewer");
        assert!(group.grants(&RoleId(3)));
        assert!(!group.grants(&RoleId(4)));
    }
}
