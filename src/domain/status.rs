//! User account lifecycle: statuses and the actions that move between them.

use super::error::RuleError;

/// The lifecycle state of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    /// Registered, waiting for an approver.
    Pending,
    /// May sign in.
    Active,
    /// Registration was refused.
    Rejected,
    /// Was active, switched off by a manager.
    Disabled,
    /// Deleted by a manager: out of the lists and unable to sign in, and
    /// restorable with everything they had until the retention period
    /// ends and the account is purged to a tombstone.
    Deleted,
    /// Invited by an administrator and not yet accepted: no password, no
    /// sign-in. Accepting makes the account Active (an administrator
    /// vouched for it); revoking deletes it. No status action applies.
    Invited,
}

impl UserStatus {
    /// Every status, in lifecycle order (Invited, the newest, last: the
    /// lists show it only while someone is invited).
    pub const ALL: [UserStatus; 6] = [
        UserStatus::Pending,
        UserStatus::Active,
        UserStatus::Rejected,
        UserStatus::Disabled,
        UserStatus::Deleted,
        UserStatus::Invited,
    ];

    /// The stored (database) form, e.g. "pending".
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Rejected => "rejected",
            UserStatus::Disabled => "disabled",
            UserStatus::Deleted => "deleted",
            UserStatus::Invited => "invited",
        }
    }

    /// Parses the stored form (exact lowercase).
    pub fn parse(s: &str) -> Option<UserStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The human label, e.g. "Pending".
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Pending => "Pending",
            UserStatus::Active => "Active",
            UserStatus::Rejected => "Rejected",
            UserStatus::Disabled => "Disabled",
            UserStatus::Deleted => "Deleted",
            UserStatus::Invited => "Invited",
        }
    }
}

/// Something a reviewer or manager does to a user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusAction {
    /// Pending or Rejected → Active.
    Approve,
    /// Pending → Rejected.
    Reject,
    /// Active → Disabled.
    Disable,
    /// Disabled → Active.
    Enable,
}

impl StatusAction {
    /// Every action.
    pub const ALL: [StatusAction; 4] = [
        StatusAction::Approve,
        StatusAction::Reject,
        StatusAction::Disable,
        StatusAction::Enable,
    ];

    /// The form used in URLs and forms, e.g. "approve".
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Approve => "approve",
            StatusAction::Reject => "reject",
            StatusAction::Disable => "disable",
            StatusAction::Enable => "enable",
        }
    }

    /// Parses the form produced by [`StatusAction::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// E.g. "approved", for flash messages.
    pub fn past_tense(self) -> &'static str {
        match self {
            StatusAction::Approve => "approved",
            StatusAction::Reject => "rejected",
            StatusAction::Disable => "disabled",
            StatusAction::Enable => "enabled",
        }
    }

    /// The transition table: the status after applying this action to `from`.
    pub fn apply(self, from: UserStatus) -> Result<UserStatus, RuleError> {
        use StatusAction as A;
        use UserStatus as S;
        match (self, from) {
            (A::Approve, S::Pending | S::Rejected) => Ok(S::Active),
            (A::Reject, S::Pending) => Ok(S::Rejected),
            (A::Disable, S::Active) => Ok(S::Disabled),
            (A::Enable, S::Disabled) => Ok(S::Active),
            _ => Err(RuleError::Transition {
                action: self.as_str(),
                from: from.label(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StatusAction as A;
    use UserStatus as S;

    #[test]
    fn statuses_round_trip_through_their_stored_form() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("Active"), None);
        assert_eq!(S::parse(""), None);
        assert_eq!(S::Disabled.label(), "Disabled");
    }

    #[test]
    fn actions_round_trip_and_have_past_tenses() {
        for a in A::ALL {
            assert_eq!(A::parse(a.as_str()), Some(a));
        }
        assert_eq!(A::parse("APPROVE"), None);
        assert_eq!(A::Enable.past_tense(), "enabled");
        assert_eq!(A::Reject.past_tense(), "rejected");
    }

    #[test]
    fn every_action_from_every_status_follows_the_table() {
        let table = [
            (A::Approve, S::Pending, Some(S::Active)),
            (A::Approve, S::Active, None),
            (A::Approve, S::Rejected, Some(S::Active)),
            (A::Approve, S::Disabled, None),
            (A::Reject, S::Pending, Some(S::Rejected)),
            (A::Reject, S::Active, None),
            (A::Reject, S::Rejected, None),
            (A::Reject, S::Disabled, None),
            (A::Disable, S::Pending, None),
            (A::Disable, S::Active, Some(S::Disabled)),
            (A::Disable, S::Rejected, None),
            (A::Disable, S::Disabled, None),
            (A::Enable, S::Pending, None),
            (A::Enable, S::Active, None),
            (A::Enable, S::Rejected, None),
            (A::Enable, S::Disabled, Some(S::Active)),
            // An invitation is accepted or revoked, never decided.
            (A::Approve, S::Invited, None),
            (A::Reject, S::Invited, None),
            (A::Disable, S::Invited, None),
            (A::Enable, S::Invited, None),
        ];
        assert_eq!(table.len(), 20);
        for (action, from, expected) in table {
            let got = action.apply(from);
            match expected {
                Some(to) => assert_eq!(got, Ok(to), "{action:?} from {from:?}"),
                None => assert_eq!(
                    got,
                    Err(RuleError::Transition {
                        action: action.as_str(),
                        from: from.label()
                    }),
                    "{action:?} from {from:?}"
                ),
            }
        }
    }

    #[test]
    fn a_pending_user_can_be_approved() {
        assert_eq!(A::Approve.apply(S::Pending), Ok(S::Active));
    }

    #[test]
    fn a_rejected_user_can_still_be_approved() {
        assert_eq!(A::Approve.apply(S::Rejected), Ok(S::Active));
    }

    #[test]
    fn a_pending_user_cannot_be_disabled() {
        let err = A::Disable.apply(S::Pending).unwrap_err();
        assert_eq!(err.to_string(), "Cannot disable a user who is Pending.");
    }

    #[test]
    fn an_active_user_cannot_be_enabled_again() {
        assert!(A::Enable.apply(S::Active).is_err());
    }
}
