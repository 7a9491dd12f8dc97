//! Error types shared by the domain: field validation and business rules.

use super::permission::Permission;
use super::role_request::RoleRequestStatus;
use super::status::UserStatus;

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
    #[error("Cannot {action} a user who is {}.", .from.label())]
    Transition {
        /// The attempted action, e.g. "approve".
        action: &'static str,
        /// The status the user is currently in.
        from: UserStatus,
    },
    /// The change would leave nobody active holding this permission.
    #[error("This would leave no active user with the {0} permission.")]
    LastAdministrator(Permission),
    /// An actor tried to decide about themselves.
    #[error("You cannot change your own status, role or role request.")]
    SelfDecision,
    /// The role request has already been decided or withdrawn.
    #[error("This role request is already {}.", .0.label().to_lowercase())]
    RequestNotOpen(RoleRequestStatus),
    /// The requested role is the one the user already has.
    #[error("You already have this role.")]
    SameRole,
}

#[cfg(test)]
mod tests {
    use super::*;

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
            from: UserStatus::Pending,
        };
        assert_eq!(e.to_string(), "Cannot disable a user who is Pending.");
    }

    #[test]
    fn a_last_administrator_error_names_the_permission() {
        let e = RuleError::LastAdministrator(Permission::UsersManage);
        assert_eq!(
            e.to_string(),
            "This would leave no active user with the users.manage permission."
        );
    }

    #[test]
    fn a_request_not_open_error_uses_the_lowercase_label() {
        let e = RuleError::RequestNotOpen(RoleRequestStatus::Approved);
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
