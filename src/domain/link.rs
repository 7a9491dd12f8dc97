//! One-time links: what a link is for, and how long it works.

/// What a one-time link does when it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Sets a new password (`/password/reset`).
    PasswordReset,
    /// Proves the user reads mail at an address (`/email/verify`).
    EmailVerify,
    /// Accepts an invitation (`/invitations/accept`).
    Invitation,
}

const MINUTE_MS: i64 = 60 * 1000;

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "password_reset",
            LinkPurpose::EmailVerify => "email_verify",
            LinkPurpose::Invitation => "invitation",
        }
    }

    /// How long a link works after it is made.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            LinkPurpose::PasswordReset => 30 * MINUTE_MS,
            LinkPurpose::EmailVerify => 48 * 60 * MINUTE_MS,
            LinkPurpose::Invitation => 7 * 24 * 60 * MINUTE_MS,
        }
    }

    /// How long a link lasts, in words, for the mail and the page.
    pub fn lifetime_words(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "30 minutes",
            LinkPurpose::EmailVerify => "48 hours",
            LinkPurpose::Invitation => "7 days",
        }
    }
}

/// Reset links made for one account within an hour, beyond which requests
/// are answered the same way but send nothing (a flood of mail to one
/// person is itself an attack).
pub const RESETS_PER_HOUR: i64 = 3;

/// Whether `token` has a link token's shape (43 URL-safe characters, 256
/// bits): anything else is refused without a database read.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_link_works_for_half_an_hour_and_a_verification_link_for_two_days() {
        assert_eq!(LinkPurpose::PasswordReset.lifetime_ms(), 1_800_000);
        assert_eq!(LinkPurpose::EmailVerify.lifetime_ms(), 172_800_000);
    }

    #[test]
    fn only_tokens_of_the_right_shape_are_looked_up() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&format!("{}%", "a".repeat(42))));
    }
}
