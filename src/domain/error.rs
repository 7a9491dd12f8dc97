//! Error types shared by the domain: field validation and business rules.
//! They carry the labels of the statuses and permissions they name, not the
//! types, so this module imports none of the modules that raise them.

/// A user-facing message about one form field,
/// e.g. "Username must be 3 to 32 characters.".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

impl FieldError {
    /// Builds a field error from any message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The user-facing message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// A business rule was violated; the Display text is user-facing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The status action is not allowed from the user's current status.
    #[error("Cannot {action} a user who is {from}.")]
    Transition {
        /// The attempted action, e.g. "approve".
        action: &'static str,
        /// The label of the status the user is in, e.g. "Pending".
        from: &'static str,
    },
    /// The change would leave nobody active holding this permission.
    #[error("This would leave no active user with the {0} permission.")]
    /// The permission's name, e.g. "users.manage".
    LastAdministrator(&'static str),
    /// An actor tried to decide about themselves.
    #[error("You cannot change your own status, role or role request.")]
    SelfDecision,
    /// The role request has already been decided or withdrawn.
    /// The label of the request's status, e.g. "Approved".
    #[error("This role request is already {}.", .0.to_lowercase())]
    RequestNotOpen(&'static str),
    /// The requested role is the one the user already has.
    #[error("You already have this role.")]
    SameRole,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Permission, RoleRequestStatus, UserStatus};

    #[test]
    fn a_field_error_displays_its_message() {
        let e = FieldError::new("Username must be 3 to 32 characters.");
        assert_eq!(e.to_string(), "Username must be 3 to 32 characters.");
        assert_eq!(e.message(), "Username must be 3 to 32 characters.");
    }

    #[test]
    fn a_transition_error_names_the_action_and_status() {
        let e = RuleError::Transition {
            action: "disable",
            from: UserStatus::Pending.label(),
        };
        assert_eq!(e.to_string(), "Cannot disable a user who is Pending.");
    }

    #[test]
    fn a_last_administrator_error_names_the_permission() {
        let e = RuleError::LastAdministrator(Permission::UsersManage.as_str());
        assert_eq!(
            e.to_string(),
            "This would leave no active user with the users.manage permission."
        );
    }

    #[test]
    fn a_request_not_open_error_uses_the_lowercase_label() {
        let e = RuleError::RequestNotOpen(RoleRequestStatus::Approved.label());
        assert_eq!(e.to_string(), "This role request is already approved.");
    }

    #[test]
    fn self_decision_and_same_role_have_fixed_messages() {
        assert_eq!(
            RuleError::SelfDecision.to_string(),
            "You cannot change your own status, role or role request."
        );
        assert_eq!(
            RuleError::SameRole.to_string(),
            "You already have this role."
        );
    }
}
