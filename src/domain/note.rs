//! Free-text reasons and notes attached to decisions.

use super::error::FieldError;

/// A reason or note: 1 to 500 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Note(String);

impl Note {
    /// Most characters allowed.
    pub const MAX_CHARS: usize = 500;

    /// A note that must be given.
    pub fn parse_required(input: &str) -> Result<Note, FieldError> {
        Self::parse_optional(input)?.ok_or_else(|| FieldError::new("Please give a reason."))
    }

    /// A note that may be left empty (empty or blank gives `None`).
    pub fn parse_optional(input: &str) -> Result<Option<Note>, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("Keep it under 500 characters."));
        }
        Ok(Some(Note(s.to_owned())))
    }

    /// The trimmed text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_required_note_is_trimmed() {
        assert_eq!(
            Note::parse_required("  not a staff member ")
                .unwrap()
                .as_str(),
            "not a staff member"
        );
    }

    #[test]
    fn a_required_note_cannot_be_blank() {
        assert_eq!(
            Note::parse_required(" \n ").unwrap_err().0,
            "Please give a reason."
        );
    }

    #[test]
    fn an_optional_note_may_be_blank() {
        assert_eq!(Note::parse_optional("   "), Ok(None));
        assert_eq!(
            Note::parse_optional(" ok ").unwrap().unwrap().as_str(),
            "ok"
        );
    }

    #[test]
    fn a_note_over_five_hundred_characters_is_refused() {
        let msg = "Keep it under 500 characters.";
        assert!(Note::parse_required(&"é".repeat(500)).is_ok());
        assert_eq!(Note::parse_required(&"é".repeat(501)).unwrap_err().0, msg);
        assert_eq!(Note::parse_optional(&"é".repeat(501)).unwrap_err().0, msg);
    }
}
