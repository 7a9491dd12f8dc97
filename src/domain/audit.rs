//! Audit log actions and making user text safe to write to logs.

use super::status::StatusAction;

macro_rules! audit_actions {
    ($($(#[$doc:meta])* $variant:ident => $stored:literal, $label:literal;)*) => {
        /// Something recorded in the audit log.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: [AuditAction; audit_actions!(@count $($variant)*)] =
                [$(AuditAction::$variant,)*];

            /// The stored form, e.g. "user.approved".
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $stored,)*
                }
            }

            /// The human label, e.g. "User approved".
            pub fn label(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $label,)*
                }
            }
        }
    };
    (@count $($x:ident)*) => { 0 $(+ audit_actions!(@one $x))* };
    (@one $x:ident) => { 1 };
}

audit_actions! {
    /// Someone registered through the web form.
    UserRegistered => "user.registered", "User registered";
    /// An account was created from the command line.
    UserCreated => "user.created", "User created";
    /// A sign-in succeeded.
    LoginSucceeded => "auth.login_succeeded", "Signed in";
    /// A sign-in failed.
    LoginFailed => "auth.login_failed", "Sign-in failed";
    /// A user signed out.
    Logout => "auth.logout", "Signed out";
    /// A user changed their password.
    PasswordChanged => "user.password_changed", "Password changed";
    /// A pending or rejected user was approved.
    UserApproved => "user.approved", "User approved";
    /// A pending user was rejected.
    UserRejected => "user.rejected", "User rejected";
    /// An active user was disabled.
    UserDisabled => "user.disabled", "User disabled";
    /// A disabled user was enabled.
    UserEnabled => "user.enabled", "User enabled";
    /// A user's role was changed by a manager.
    RoleChanged => "user.role_changed", "Role changed";
    /// A user asked for a different role.
    RoleRequestSubmitted => "role_request.submitted", "Role request submitted";
    /// A user withdrew their role request.
    RoleRequestWithdrawn => "role_request.withdrawn", "Role request withdrawn";
    /// A reviewer approved a role request.
    RoleRequestApproved => "role_request.approved", "Role request approved";
    /// A reviewer denied a role request.
    RoleRequestDenied => "role_request.denied", "Role request denied";
    /// A role was created.
    RoleCreated => "role.created", "Role created";
    /// A role's permissions were changed.
    RolePermissionsChanged => "role.permissions_changed", "Role permissions changed";
    /// A signed-in session was ended by its user or an administrator.
    SessionRevoked => "auth.session_revoked", "Session revoked";
    /// A form arrived without a valid CSRF token or from another site.
    CsrfRejected => "security.csrf_rejected", "Form refused (CSRF)";
    /// A signed-in user was refused a page or action (403).
    AccessDenied => "security.access_denied", "Access denied";
    /// Too many failed sign-ins: the account waits before the next attempt.
    AccountLocked => "auth.account_locked", "Account locked";
    /// An administrator ended an account's sign-in lockout.
    LockoutCleared => "user.lockout_cleared", "Lockout cleared";
    /// A client address sent more sign-in or registration forms than allowed.
    LoginThrottled => "auth.login_throttled", "Sign-ins throttled";
    /// A stored hash (imported, or with weaker parameters) was replaced at sign-in.
    PasswordRehashed => "user.password_rehashed", "Password rehashed";
    /// An account was created by `gatehouse user import`.
    UserImported => "user.imported", "User imported";
    /// An instance administrator created an organisation.
    OrganisationCreated => "organisation.created", "Organisation created";
    /// An organisation's name or host name was changed.
    OrganisationRenamed => "organisation.renamed", "Organisation renamed";
    /// An organisation was disabled: nobody in it can sign in.
    OrganisationDisabled => "organisation.disabled", "Organisation disabled";
    /// A disabled organisation was enabled again.
    OrganisationEnabled => "organisation.enabled", "Organisation enabled";
    /// A group was created.
    GroupCreated => "group.created", "Group created";
    /// What a group grants, or its description, was changed.
    GroupChanged => "group.changed", "Group changed";
    /// A group was deleted.
    GroupDeleted => "group.deleted", "Group deleted";
    /// A user was added to a group.
    GroupMemberAdded => "group.member_added", "Added to group";
    /// A user was removed from a group.
    GroupMemberRemoved => "group.member_removed", "Removed from group";
    /// A user was deleted (restorable until the retention period ends).
    UserDeleted => "user.deleted", "User deleted";
    /// A deleted user was restored.
    UserRestored => "user.restored", "User restored";
    /// A deleted user's personal data was erased after the retention period.
    UserPurged => "user.purged", "User purged";
    /// A user's name or phone was changed, by them or an administrator.
    ProfileChanged => "user.profile_changed", "Profile changed";
    /// A custom field was defined.
    FieldCreated => "field.created", "Custom field created";
    /// A custom field's label, choices or rules were changed.
    FieldChanged => "field.changed", "Custom field changed";
    /// A custom field was deleted, and its values with it.
    FieldDeleted => "field.deleted", "Custom field deleted";
    /// An application was registered.
    AppCreated => "app.created", "App registered";
    /// An application's name, slug, description, URL or host names changed.
    AppChanged => "app.changed", "App changed";
    /// Which roles and groups may open an application changed.
    AppAccessChanged => "app.access_changed", "App access changed";
    /// An application was deleted.
    AppDeleted => "app.deleted", "App deleted";
    /// An API token was made (personal or service).
    TokenCreated => "token.created", "API token created";
    /// An API token was revoked.
    TokenRevoked => "token.revoked", "API token revoked";
    /// An app was made an OpenID Connect client, or its registration changed.
    ClientRegistered => "oidc.client_registered", "OIDC client registered";
    /// An app's client registration changed.
    ClientChanged => "oidc.client_changed", "OIDC client changed";
    /// A client's secret was replaced.
    ClientSecretRotated => "oidc.secret_rotated", "OIDC client secret rotated";
    /// An app stopped being a client; its grants ended.
    ClientRemoved => "oidc.client_removed", "OIDC client removed";
    /// A user signed in to an app through OpenID Connect (a code was issued).
    OidcSignedIn => "oidc.signed_in", "Signed in to an app";
    /// A user's sign-in to an app (its refresh tokens) was revoked.
    OidcRevoked => "oidc.revoked", "App sign-in revoked";
    /// An app signed the user out of Gatehouse (RP-initiated logout).
    OidcLogout => "oidc.logout", "Signed out by an app";
    /// The OIDC signing keys were rotated.
    KeysRotated => "oidc.keys_rotated", "Signing keys rotated";
    /// A password reset link was mailed (asked for on the sign-in page,
    /// or sent by an administrator).
    PasswordResetSent => "user.password_reset_sent", "Password reset link sent";
    /// An administrator made a one-time reset link to hand over (mail off).
    PasswordResetLinkMade => "user.password_reset_link_made", "Password reset link made";
    /// A password was set from a reset link.
    PasswordReset => "user.password_reset", "Password reset";
    /// An administrator asked for a new password at the next sign-in.
    PasswordChangeRequired => "user.password_change_required", "Password change required";
    /// A link to confirm an email address was mailed.
    EmailVerificationSent => "user.email_verification_sent", "Email confirmation sent";
    /// A user opened the link sent to their address.
    EmailVerified => "user.email_verified", "Email confirmed";
    /// A user asked to use a new address (it changes when they confirm it).
    EmailChangeRequested => "user.email_change_requested", "Email change asked for";
    /// A user's address changed.
    EmailChanged => "user.email_changed", "Email changed";
    /// An organisation's settings changed.
    SettingsChanged => "organisation.settings_changed", "Settings changed";
    /// An administrator invited someone (an Invited account was made).
    UserInvited => "user.invited", "User invited";
    /// An invitation was sent again with a new link.
    InvitationResent => "user.invitation_resent", "Invitation sent again";
    /// An invitation was revoked and its account deleted.
    InvitationRevoked => "user.invitation_revoked", "Invitation revoked";
    /// An invitee accepted: the account is Active.
    InvitationAccepted => "user.invitation_accepted", "Invitation accepted";
}

impl AuditAction {
    /// Whether a write that records this action can change something each
    /// instance keeps a copy of: the overview's figures (users per status,
    /// open role requests, role names, the range of user ids;
    /// `services::overview`), and, through the same counter, the apps, the
    /// organisations and their settings, and the custom fields. Written out
    /// for every action, so a new one has to decide.
    pub fn changes_overview(self) -> bool {
        use AuditAction::*;
        match self {
            UserRegistered
            | UserCreated
            | UserImported
            | UserApproved
            | UserRejected
            | UserDisabled
            | UserEnabled
            | RoleChanged
            | RoleRequestSubmitted
            | RoleRequestWithdrawn
            | RoleRequestApproved
            | RoleRequestDenied
            | RoleCreated
            | RolePermissionsChanged
            | UserDeleted
            | UserRestored
            | UserPurged
            | OrganisationCreated
            | OrganisationRenamed
            | OrganisationDisabled
            | OrganisationEnabled => true,
            LoginSucceeded | LoginFailed | Logout | PasswordChanged | SessionRevoked
            | CsrfRejected | AccessDenied | AccountLocked | LockoutCleared | LoginThrottled
            | PasswordRehashed | ProfileChanged => false,
            // Mail and passwords change no figure either.
            PasswordResetSent | PasswordResetLinkMade | PasswordReset | PasswordChangeRequired => {
                false
            }
            EmailVerificationSent
            | EmailVerified
            | EmailChangeRequested
            | EmailChanged
            | InvitationResent => false,
            // An organisation's settings change no figure, but each
            // instance's copy of the organisations (`services::organisations::
            // Directory`), which the user list reads them from, follows the
            // same counter.
            SettingsChanged => true,
            // Invitations add, activate or remove accounts: the counts move.
            UserInvited | InvitationRevoked | InvitationAccepted => true,
            // Groups change no status, request, role name or id.
            GroupCreated | GroupChanged | GroupDeleted | GroupMemberAdded | GroupMemberRemoved => {
                false
            }
            // Nor do custom fields; but each instance's copy of them
            // (`services::fields::FieldCopies`, the user list's filters)
            // follows the same counter.
            FieldCreated | FieldChanged | FieldDeleted => true,
            // Apps change none of them either, but each instance's copy of
            // the apps (`services::apps::AppDirectory`) follows the same
            // counter: the change decides access at the next request.
            AppCreated | AppChanged | AppAccessChanged | AppDeleted => true,
            // Tokens are read from the database on every API request.
            TokenCreated | TokenRevoked => false,
            // Clients and grants are read from the database when used.
            ClientRegistered | ClientChanged | ClientSecretRotated | ClientRemoved
            | OidcSignedIn | OidcRevoked | OidcLogout | KeysRotated => false,
        }
    }

    /// Parses the stored form (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl StatusAction {
    /// The audit action recorded when this status action succeeds.
    pub fn audit_action(self) -> AuditAction {
        match self {
            StatusAction::Approve => AuditAction::UserApproved,
            StatusAction::Reject => AuditAction::UserRejected,
            StatusAction::Disable => AuditAction::UserDisabled,
            StatusAction::Enable => AuditAction::UserEnabled,
        }
    }
}

/// Makes untrusted text safe for a single log line: every control character
/// (including CR, LF, tab and NEL) and the Unicode line and paragraph
/// separators become a space, and text longer than `max_chars`
/// characters is cut to its first `max_chars` characters followed by "…".
pub fn sanitize_for_log(s: &str, max_chars: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max_chars)
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_sign_in_leaves_the_overview_standing_and_an_approval_or_registration_does_not() {
        for bookkeeping in [
            AuditAction::LoginSucceeded,
            AuditAction::LoginFailed,
            AuditAction::AccountLocked,
            AuditAction::LoginThrottled,
            AuditAction::PasswordRehashed,
        ] {
            assert!(!bookkeeping.changes_overview(), "{bookkeeping:?}");
        }
        for figures in [
            AuditAction::UserRegistered,
            AuditAction::UserApproved,
            AuditAction::RoleRequestSubmitted,
            AuditAction::RoleCreated,
        ] {
            assert!(figures.changes_overview(), "{figures:?}");
        }
    }

    #[test]
    fn every_audit_action_has_a_distinct_stored_form() {
        let stored: HashSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(stored.len(), AuditAction::ALL.len());
    }

    #[test]
    fn audit_actions_round_trip_through_their_stored_form() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert!(!a.label().is_empty());
        }
        assert_eq!(AuditAction::parse("user.vanished"), None);
    }

    #[test]
    fn stored_forms_match_the_agreed_strings() {
        assert_eq!(AuditAction::UserCreated.as_str(), "user.created");
        assert_eq!(AuditAction::LoginFailed.as_str(), "auth.login_failed");
        assert_eq!(AuditAction::RoleChanged.as_str(), "user.role_changed");
        assert_eq!(
            AuditAction::RolePermissionsChanged.as_str(),
            "role.permissions_changed"
        );
    }

    #[test]
    fn each_status_action_has_its_audit_action() {
        assert_eq!(
            StatusAction::Approve.audit_action(),
            AuditAction::UserApproved
        );
        assert_eq!(
            StatusAction::Reject.audit_action(),
            AuditAction::UserRejected
        );
        assert_eq!(
            StatusAction::Disable.audit_action(),
            AuditAction::UserDisabled
        );
        assert_eq!(
            StatusAction::Enable.audit_action(),
            AuditAction::UserEnabled
        );
    }

    #[test]
    fn control_characters_become_spaces_in_logs() {
        assert_eq!(
            sanitize_for_log("alice\r\nFAKE entry\tx\u{1b}[31m", 100),
            "alice  FAKE entry x [31m"
        );
        assert_eq!(
            sanitize_for_log("a\u{85}b\u{2028}c\u{2029}d", 100),
            "a b c d"
        );
    }

    #[test]
    fn long_text_is_truncated_with_an_ellipsis() {
        assert_eq!(sanitize_for_log("abcdef", 3), "abc…");
        assert_eq!(sanitize_for_log("abc", 3), "abc");
        assert_eq!(sanitize_for_log("ééééé", 2), "éé…");
    }
}
