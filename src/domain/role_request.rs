//! Requests by a user to be given a different role.

use super::error::{FieldError, RuleError};
use super::ids::{RoleId, RoleRequestId, UserId};
use super::timestamp::Timestamp;

/// Where a role request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleRequestStatus {
    /// Waiting for a reviewer.
    Open,
    /// Granted; the user's role was changed.
    Approved,
    /// Refused by a reviewer.
    Denied,
    /// Taken back by the requester.
    Withdrawn,
}

impl RoleRequestStatus {
    /// Every status.
    pub const ALL: [RoleRequestStatus; 4] = [
        RoleRequestStatus::Open,
        RoleRequestStatus::Approved,
        RoleRequestStatus::Denied,
        RoleRequestStatus::Withdrawn,
    ];

    /// The stored form, e.g. "open".
    pub fn as_str(self) -> &'static str {
        match self {
            RoleRequestStatus::Open => "open",
            RoleRequestStatus::Approved => "approved",
            RoleRequestStatus::Denied => "denied",
            RoleRequestStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored form (exact lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The human label, e.g. "Open".
    pub fn label(self) -> &'static str {
        match self {
            RoleRequestStatus::Open => "Open",
            RoleRequestStatus::Approved => "Approved",
            RoleRequestStatus::Denied => "Denied",
            RoleRequestStatus::Withdrawn => "Withdrawn",
        }
    }
}

/// What can be done to an open role request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleRequestDecision {
    /// A reviewer grants it.
    Approve,
    /// A reviewer refuses it.
    Deny,
    /// The requester takes it back.
    Withdraw,
}

impl RoleRequestDecision {
    /// The status after this decision; only open requests can be decided.
    pub fn apply(self, from: RoleRequestStatus) -> Result<RoleRequestStatus, RuleError> {
        if from != RoleRequestStatus::Open {
            return Err(RuleError::RequestNotOpen(from.label()));
        }
        Ok(match self {
            RoleRequestDecision::Approve => RoleRequestStatus::Approved,
            RoleRequestDecision::Deny => RoleRequestStatus::Denied,
            RoleRequestDecision::Withdraw => RoleRequestStatus::Withdrawn,
        })
    }
}

/// Why the requester needs the role: 10 to 2000 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Justification(String);

impl Justification {
    /// Fewest characters allowed.
    pub const MIN_CHARS: usize = 10;
    /// Most characters allowed.
    pub const MAX_CHARS: usize = 2000;

    /// Trims and validates a justification.
    pub fn parse(input: &str) -> Result<Justification, FieldError> {
        let s = input.trim();
        let len = s.chars().count();
        if len < Self::MIN_CHARS {
            return Err(FieldError::new(
                "Please explain why you need this role (at least 10 characters).",
            ));
        }
        if len > Self::MAX_CHARS {
            return Err(FieldError::new(
                "Please keep your explanation to at most 2000 characters.",
            ));
        }
        Ok(Justification(s.to_owned()))
    }

    /// The trimmed text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuses a request for the role the user already has.
pub fn ensure_different_role(current: RoleId, requested: RoleId) -> Result<(), RuleError> {
    if current == requested {
        Err(RuleError::SameRole)
    } else {
        Ok(())
    }
}

/// A request for another role, with the names it shows.
#[derive(Debug, Clone)]
pub struct RoleRequest {
    pub id: RoleRequestId,
    pub user_id: UserId,
    pub username: String,
    pub full_name: String,
    pub from_role_id: RoleId,
    pub from_role_name: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub justification: String,
    pub status: RoleRequestStatus,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decided_by_username: Option<String>,
    pub note: Option<String>,
    /// The app the requester needs the role for, if they named one.
    pub app_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoleRequestDecision as D;
    use RoleRequestStatus as S;

    #[test]
    fn statuses_round_trip_through_their_stored_form() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("Open"), None);
        assert_eq!(S::Withdrawn.label(), "Withdrawn");
    }

    #[test]
    fn an_open_request_can_be_approved_denied_or_withdrawn() {
        assert_eq!(D::Approve.apply(S::Open), Ok(S::Approved));
        assert_eq!(D::Deny.apply(S::Open), Ok(S::Denied));
        assert_eq!(D::Withdraw.apply(S::Open), Ok(S::Withdrawn));
    }

    #[test]
    fn a_closed_request_cannot_be_decided_again() {
        for from in [S::Approved, S::Denied, S::Withdrawn] {
            for d in [D::Approve, D::Deny, D::Withdraw] {
                assert_eq!(d.apply(from), Err(RuleError::RequestNotOpen(from.label())));
            }
        }
        assert_eq!(
            D::Deny.apply(S::Withdrawn).unwrap_err().to_string(),
            "This role request is already withdrawn."
        );
    }

    #[test]
    fn a_justification_is_trimmed_and_needs_ten_characters() {
        assert_eq!(
            Justification::parse("  I run the deploys.  ")
                .unwrap()
                .as_str(),
            "I run the deploys."
        );
        assert_eq!(
            Justification::parse("   because   ").unwrap_err().0,
            "Please explain why you need this role (at least 10 characters)."
        );
        assert!(Justification::parse("0123456789").is_ok());
    }

    #[test]
    fn a_justification_over_two_thousand_characters_is_refused() {
        assert!(Justification::parse(&"é".repeat(2000)).is_ok());
        assert_eq!(
            Justification::parse(&"é".repeat(2001)).unwrap_err().0,
            "Please keep your explanation to at most 2000 characters."
        );
    }

    #[test]
    fn requesting_the_current_role_is_refused() {
        assert_eq!(
            ensure_different_role(RoleId(2), RoleId(2)),
            Err(RuleError::SameRole)
        );
        assert_eq!(ensure_different_role(RoleId(2), RoleId(3)), Ok(()));
    }
}
