//! People's display names.

use std::fmt;

use super::error::FieldError;

/// A person's full name: 1 to 100 characters, any Unicode except control characters.
/// Stored as typed (trimmed); HTML escaping is the template's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FullName(String);

impl FullName {
    /// Longest allowed name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and validates a full name.
    pub fn parse(input: &str) -> Result<FullName, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("Please enter your full name."));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("Full name must be at most 100 characters."));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new(
                "Full name must not contain control characters.",
            ));
        }
        Ok(FullName(s.to_owned()))
    }

    /// The name as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_accents_and_cjk_is_accepted() {
        assert_eq!(
            FullName::parse("  Zoë Ødegård 山田太郎 ").unwrap().as_str(),
            "Zoë Ødegård 山田太郎"
        );
    }

    #[test]
    fn markup_is_kept_as_plain_text() {
        let n = FullName::parse("<script>alert(1)</script>").unwrap();
        assert_eq!(n.to_string(), "<script>alert(1)</script>");
    }

    #[test]
    fn an_empty_name_is_refused() {
        assert_eq!(
            FullName::parse(" \t ").unwrap_err().0,
            "Please enter your full name."
        );
    }

    #[test]
    fn the_length_limit_counts_characters_not_bytes() {
        assert!(FullName::parse(&"é".repeat(100)).is_ok());
        assert!(FullName::parse(&"é".repeat(101)).is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(FullName::parse("Ann\nSmith").is_err());
        assert!(FullName::parse("Ann\u{7}Smith").is_err());
    }
}
