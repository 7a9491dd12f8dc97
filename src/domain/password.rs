//! Password rules (the hashing itself lives outside the domain).

use super::error::FieldError;

/// Length limits and checks applied to new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest Unicode characters allowed.
    pub min_chars: usize,
    /// Most Unicode characters allowed.
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 128,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password against the policy and the user's own identifiers.
    ///
    /// The password is neither trimmed nor case-folded for the length check;
    /// the username and email comparisons are case-insensitive.
    pub fn check(&self, password: &str, username: &str, email: &str) -> Result<(), FieldError> {
        let len = password.chars().count();
        if len < self.min_chars {
            return Err(FieldError(format!(
                "Password must be at least {} characters.",
                self.min_chars
            )));
        }
        if len > self.max_chars {
            return Err(FieldError(format!(
                "Password must be at most {} characters.",
                self.max_chars
            )));
        }
        let folded = password.to_lowercase();
        let username = username.trim().to_lowercase();
        if !username.is_empty() && folded.contains(&username) {
            return Err(FieldError::new("Password must not contain your username."));
        }
        let local = email
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if !local.is_empty()
            && (folded == local || (local.chars().count() >= 3 && folded.contains(&local)))
        {
            return Err(FieldError::new(
                "Password must not contain the first part of your email address.",
            ));
        }
        Ok(())
    }
}

/// Checks that the password and its confirmation are identical.
pub fn passwords_match(a: &str, b: &str) -> Result<(), FieldError> {
    if a == b {
        Ok(())
    } else {
        Err(FieldError::new("The two passwords do not match."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Result<(), FieldError> {
        PasswordPolicy::default().check(pw, "alice", "alice.smith@example.com")
    }

    #[test]
    fn the_default_policy_is_twelve_to_one_hundred_twenty_eight() {
        let p = PasswordPolicy::default();
        assert_eq!((p.min_chars, p.max_chars), (12, 128));
    }

    #[test]
    fn a_long_unrelated_password_is_accepted() {
        assert!(check("correct horse battery").is_ok());
    }

    #[test]
    fn a_short_password_is_refused_with_the_configured_minimum() {
        assert_eq!(
            check("short").unwrap_err().0,
            "Password must be at least 12 characters."
        );
        let p = PasswordPolicy {
            min_chars: 16,
            max_chars: 64,
        };
        assert_eq!(
            p.check("fifteen chars!!", "", "").unwrap_err().0,
            "Password must be at least 16 characters."
        );
    }

    #[test]
    fn a_too_long_password_is_refused() {
        assert_eq!(
            check(&"x".repeat(129)).unwrap_err().0,
            "Password must be at most 128 characters."
        );
        assert!(check(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn length_counts_unicode_characters_not_bytes() {
        // 12 characters, 24 bytes.
        assert!(check(&"é".repeat(12)).is_ok());
        assert!(check(&"é".repeat(11)).is_err());
    }

    #[test]
    fn surrounding_spaces_count_towards_the_length() {
        assert!(check("  ten chars ").is_ok());
    }

    #[test]
    fn a_password_containing_the_username_in_any_case_is_refused() {
        assert_eq!(
            check("my-ALICE-password").unwrap_err().0,
            "Password must not contain your username."
        );
    }

    #[test]
    fn an_empty_username_is_ignored() {
        assert!(
            PasswordPolicy::default()
                .check("abcdefghijklm", "", "")
                .is_ok()
        );
    }

    #[test]
    fn a_password_containing_the_email_local_part_is_refused() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("xxAlice.Smithxx", "bob", "alice.smith@example.com")
                .unwrap_err()
                .0,
            "Password must not contain the first part of your email address."
        );
    }

    #[test]
    fn a_short_local_part_only_matters_when_it_is_the_whole_password() {
        let p = PasswordPolicy {
            min_chars: 2,
            max_chars: 128,
        };
        assert!(p.check("jo-is-here-123", "bob", "jo@example.com").is_ok());
        assert!(p.check("JO", "bob", "jo@example.com").is_err());
    }

    #[test]
    fn matching_passwords_pass_and_different_ones_fail() {
        assert!(passwords_match("same", "same").is_ok());
        assert_eq!(
            passwords_match("same", "Same").unwrap_err().0,
            "The two passwords do not match."
        );
    }
}
