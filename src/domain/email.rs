//! Email addresses.

use std::fmt;

use super::error::FieldError;

/// A syntactically plausible email address. Case is preserved; compare with [`Email::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest allowed address, in characters.
    pub const MAX_CHARS: usize = 254;
    /// Longest allowed local part (before `@`), in characters.
    pub const MAX_LOCAL_CHARS: usize = 64;

    /// Trims and validates an email address typed by a user.
    pub fn parse(input: &str) -> Result<Email, FieldError> {
        let invalid = || FieldError::new("Please enter a valid email address.");
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("Please enter an email address."));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "Email address must be at most 254 characters.",
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                "Email address must not contain spaces or control characters.",
            ));
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if domain.contains('@') {
            return Err(invalid());
        }
        let local_len = local.chars().count();
        if local_len == 0 || local_len > Self::MAX_LOCAL_CHARS {
            return Err(invalid());
        }
        if domain.is_empty()
            || !domain.contains('.')
            || domain.starts_with(['.', '-'])
            || domain.ends_with(['.', '-'])
        {
            return Err(invalid());
        }
        Ok(Email(s.to_owned()))
    }

    /// The address as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased form, used for case-insensitive uniqueness.
    pub fn key(&self) -> String {
        super::case_key(&self.0)
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_address_is_accepted_and_trimmed() {
        let e = Email::parse("  Alice.Smith+tag@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Alice.Smith+tag@Example.COM");
        assert_eq!(e.to_string(), "Alice.Smith+tag@Example.COM");
        assert_eq!(e.as_ref(), "Alice.Smith+tag@Example.COM");
    }

    #[test]
    fn the_key_is_lowercase_and_the_local_part_is_before_the_at() {
        let e = Email::parse("Alice@Example.com").unwrap();
        assert_eq!(e.key(), "alice@example.com");
        assert_eq!(e.local_part(), "Alice");
    }

    #[test]
    fn an_empty_address_is_refused() {
        assert_eq!(
            Email::parse(" ").unwrap_err().0,
            "Please enter an email address."
        );
    }

    #[test]
    fn an_address_needs_exactly_one_at() {
        assert!(Email::parse("alice.example.com").is_err());
        assert!(Email::parse("alice@bob@example.com").is_err());
    }

    #[test]
    fn the_local_part_must_be_one_to_sixty_four_characters() {
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn the_domain_must_look_like_a_domain() {
        for bad in [
            "a@",
            "a@localhost",
            "a@.example.com",
            "a@example.com.",
            "a@-example.com",
            "a@example.com-",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn whitespace_and_control_characters_are_refused() {
        for bad in [
            "al ice@example.com",
            "alice@exa\tmple.com",
            "alice@example.com\r\nBcc: x",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn an_address_over_254_characters_is_refused() {
        let long = format!("a@{}.com", "b".repeat(250));
        assert_eq!(
            Email::parse(&long).unwrap_err().0,
            "Email address must be at most 254 characters."
        );
        let ok = format!("a@{}.com", "b".repeat(248));
        assert_eq!(ok.len(), 254);
        assert!(Email::parse(&ok).is_ok());
    }
}
