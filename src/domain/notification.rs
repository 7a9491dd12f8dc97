//! Notifications: what a user is told, in the app and by mail, and which
//! of those they may turn off; and what makes a sign-in "new".

use std::net::IpAddr;

/// Notices are kept this long in the notification centre.
pub const KEEP_DAYS: i64 = 90;

/// A reviewer gets at most one digest mail in this long.
pub const DIGEST_EVERY_MS: i64 = 15 * 60 * 1000;

/// Something a user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    RegistrationReceived,
    AccountApproved,
    AccountRejected,
    RoleRequestDecided,
    AccountDisabled,
    AccountEnabled,
    PasswordChanged,
    EmailChanged,
    NewSignIn,
    AccountLocked,
    /// To holders of `users.approve`: someone registered.
    NewPendingAccount,
    /// To holders of `role_requests.review`: someone asked for a role.
    NewRoleRequest,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 12] = [
        NoticeKind::RegistrationReceived,
        NoticeKind::AccountApproved,
        NoticeKind::AccountRejected,
        NoticeKind::RoleRequestDecided,
        NoticeKind::AccountDisabled,
        NoticeKind::AccountEnabled,
        NoticeKind::PasswordChanged,
        NoticeKind::EmailChanged,
        NoticeKind::NewSignIn,
        NoticeKind::AccountLocked,
        NoticeKind::NewPendingAccount,
        NoticeKind::NewRoleRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RegistrationReceived => "registration_received",
            NoticeKind::AccountApproved => "account_approved",
            NoticeKind::AccountRejected => "account_rejected",
            NoticeKind::RoleRequestDecided => "role_request_decided",
            NoticeKind::AccountDisabled => "account_disabled",
            NoticeKind::AccountEnabled => "account_enabled",
            NoticeKind::PasswordChanged => "password_changed",
            NoticeKind::EmailChanged => "email_changed",
            NoticeKind::NewSignIn => "new_sign_in",
            NoticeKind::AccountLocked => "account_locked",
            NoticeKind::NewPendingAccount => "new_pending_account",
            NoticeKind::NewRoleRequest => "new_role_request",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the preferences page calls it.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::RegistrationReceived => "Your registration was received",
            NoticeKind::AccountApproved => "Your account was approved",
            NoticeKind::AccountRejected => "Your registration was rejected",
            NoticeKind::RoleRequestDecided => "A role you asked for was granted or refused",
            NoticeKind::AccountDisabled => "Your account was disabled",
            NoticeKind::AccountEnabled => "Your account was enabled",
            NoticeKind::PasswordChanged => "Your password changed",
            NoticeKind::EmailChanged => "Your email address is changing",
            NoticeKind::NewSignIn => "A sign-in from a new browser or network",
            NoticeKind::AccountLocked => "Your account was locked after failed sign-ins",
            NoticeKind::NewPendingAccount => "New registrations wait for approval (a digest)",
            NoticeKind::NewRoleRequest => "New role requests wait for review (a digest)",
        }
    }

    /// Security notices go by mail whatever the preferences say.
    pub fn security(self) -> bool {
        matches!(
            self,
            NoticeKind::PasswordChanged
                | NoticeKind::EmailChanged
                | NoticeKind::NewSignIn
                | NoticeKind::AccountLocked
                | NoticeKind::AccountDisabled
                | NoticeKind::AccountEnabled
        )
    }

    /// Told to reviewers, by mail as a digest.
    pub fn for_reviewers(self) -> bool {
        matches!(
            self,
            NoticeKind::NewPendingAccount | NoticeKind::NewRoleRequest
        )
    }
}

/// The kinds a user has turned off for mail, as stored ("a,b").
pub fn parse_mail_off(stored: &str) -> Vec<NoticeKind> {
    stored.split(',').filter_map(NoticeKind::parse).collect()
}

/// The stored form of the kinds turned off; security kinds never are.
pub fn mail_off_text(kinds: &[NoticeKind]) -> String {
    kinds
        .iter()
        .filter(|k| !k.security())
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A browser's family as a sign-in notice names it: the browser and the
/// system, never the version (it changes with every update).
pub fn browser_family(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let browser = if ua.contains("edg/") {
        "Edge"
    } else if ua.contains("firefox/") {
        "Firefox"
    } else if ua.contains("chrome/") || ua.contains("chromium/") {
        "Chrome"
    } else if ua.contains("safari/") {
        "Safari"
    } else if ua.contains("curl/") {
        "curl"
    } else if ua.is_empty() {
        "Unknown browser"
    } else {
        "Other browser"
    };
    let system = if ua.contains("android") {
        "Android"
    } else if ua.contains("iphone") || ua.contains("ipad") {
        "iOS"
    } else if ua.contains("windows") {
        "Windows"
    } else if ua.contains("mac os") || ua.contains("macintosh") {
        "macOS"
    } else if ua.contains("linux") {
        "Linux"
    } else {
        "an unknown system"
    };
    format!("{browser} on {system}")
}

/// The network an address belongs to for "a new network": its /24 (IPv4)
/// or /48 (IPv6).
pub fn network_of(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => "unknown network".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_security_ones_cannot_be_turned_off() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        let off = mail_off_text(&[NoticeKind::AccountApproved, NoticeKind::PasswordChanged]);
        assert_eq!(off, "account_approved");
        assert_eq!(parse_mail_off(&off), [NoticeKind::AccountApproved]);
    }

    #[test]
    fn a_browser_is_named_by_family_and_system_without_its_version() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(browser_family(chrome), "Chrome on Linux");
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";
        assert_eq!(browser_family(firefox), "Firefox on Windows");
        assert_eq!(browser_family(""), "Unknown browser on an unknown system");
    }

    #[test]
    fn a_network_is_the_addresses_24_or_48() {
        assert_eq!(network_of("192.0.2.77"), "192.0.2.0/24");
        assert_eq!(network_of("2001:db8:1234:5::1"), "2001:db8:1234::/48");
        assert_eq!(network_of("not an address"), "unknown network");
    }
}
