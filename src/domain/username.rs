//! Login names.

use std::fmt;

use super::error::FieldError;

/// A validated username: 3 to 32 ASCII letters, digits, `.`, `_` or `-`,
/// starting with a letter or digit. Case is preserved; compare with [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Shortest allowed username, in characters.
    pub const MIN_CHARS: usize = 3;
    /// Longest allowed username, in characters.
    pub const MAX_CHARS: usize = 32;

    /// Trims and validates a username typed by a user.
    pub fn parse(input: &str) -> Result<Username, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("Please enter a username."));
        }
        let len = s.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(FieldError::new("Username must be 3 to 32 characters."));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::new(
                "Username may only contain letters, digits, dots, underscores and hyphens.",
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                "Username must start with a letter or digit.",
            ));
        }
        Ok(Username(s.to_owned()))
    }

    /// The username as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form, used for case-insensitive uniqueness.
    pub fn key(&self) -> String {
        super::case_key(&self.0)
    }

    /// Consumes the username, returning the inner string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_username_is_accepted_and_trimmed() {
        let u = Username::parse("  Alice.Smith_01-x ").unwrap();
        assert_eq!(u.as_str(), "Alice.Smith_01-x");
        assert_eq!(u.to_string(), "Alice.Smith_01-x");
        assert_eq!(u.as_ref(), "Alice.Smith_01-x");
    }

    #[test]
    fn the_key_is_lowercase() {
        assert_eq!(Username::parse("BoB").unwrap().key(), "bob");
    }

    #[test]
    fn into_inner_returns_the_string() {
        assert_eq!(Username::parse("carol").unwrap().into_inner(), "carol");
    }

    #[test]
    fn an_empty_username_is_refused() {
        assert_eq!(
            Username::parse("   ").unwrap_err().0,
            "Please enter a username."
        );
    }

    #[test]
    fn usernames_of_three_and_thirty_two_characters_are_accepted() {
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn usernames_that_are_too_short_or_too_long_are_refused() {
        let msg = "Username must be 3 to 32 characters.";
        assert_eq!(Username::parse("ab").unwrap_err().0, msg);
        assert_eq!(Username::parse(&"a".repeat(33)).unwrap_err().0, msg);
    }

    #[test]
    fn usernames_with_other_characters_are_refused() {
        for bad in ["bob smith", "bob@x", "émile", "bob<script>", "a\u{0}bc"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_username_must_start_with_a_letter_or_digit() {
        for bad in [".bob", "_bob", "-bob"] {
            assert_eq!(
                Username::parse(bad).unwrap_err().0,
                "Username must start with a letter or digit."
            );
        }
        assert!(Username::parse("9bob").is_ok());
    }
}
