//! Phone numbers, as people type them.

use super::error::FieldError;

/// A phone number stored as typed after trimming ("+44 20 7946 0958",
/// "(555) 010-4477"), or empty when not given. Its shape is checked, not
/// its existence: digits with spaces, hyphens, dots and parentheses, an
/// optional leading "+", and 5 to 15 digits (E.164's longest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Phone(String);

impl Phone {
    /// Longest allowed number as typed, in characters.
    pub const MAX_CHARS: usize = 32;

    pub fn parse(input: &str) -> Result<Phone, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(Phone::default());
        }
        let shape = "Enter a phone number of 5 to 15 digits, with an optional leading +, \
                     spaces, hyphens, dots or parentheses.";
        let body = s.strip_prefix('+').unwrap_or(s);
        let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')');
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if s.chars().count() > Self::MAX_CHARS
            || !body.chars().all(allowed)
            || !(5..=15).contains(&digits)
        {
            return Err(FieldError::new(shape));
        }
        Ok(Phone(s.to_owned()))
    }

    /// The number as typed (trimmed); empty when not given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_as_typed_after_trimming() {
        for typed in [
            "+44 20 7946 0958",
            "(555) 010-4477",
            "030.1234.5678",
            "12345",
        ] {
            assert_eq!(
                Phone::parse(&format!("  {typed} ")).unwrap().as_str(),
                typed
            );
        }
    }

    #[test]
    fn an_empty_number_means_none_given() {
        assert_eq!(Phone::parse("   ").unwrap(), Phone::default());
    }

    #[test]
    fn letters_a_plus_inside_too_few_or_too_many_digits_are_refused() {
        for typed in [
            "call me",
            "555-CALL-NOW",
            "12+34567",
            "1234",
            "1234567890123456",
            "++4420794609",
            "+44 20 7946 0958 ext 12",
        ] {
            assert!(Phone::parse(typed).is_err(), "{typed}");
        }
    }
}
