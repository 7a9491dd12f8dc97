//! Password rules (the hashing itself lives outside the domain).
//!
//! A new password is taken exactly as typed: no trimming, truncation or case
//! folding, any Unicode. It must be 12 to 128 characters, must not contain the
//! username, the email's local part or the product name, must not be on the
//! embedded common-password list, and zxcvbn must rate it at least 3 of 4.
//! Character classes are only required when an organisation turns them on.

use super::common_passwords;
use super::error::FieldError;

/// The lowest zxcvbn score (0–4) a new password may have.
pub const MIN_STRENGTH: u8 = 3;

/// A word nobody may use inside their Gatehouse password.
const PRODUCT_NAME: &str = "gatehouse";

/// Length limits and checks applied to new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest Unicode characters allowed.
    pub min_chars: usize,
    /// Most Unicode characters allowed.
    pub max_chars: usize,
    /// Require an upper-case letter, a lower-case letter, a digit and a symbol.
    pub require_classes: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 128,
            require_classes: false,
        }
    }
}

/// Which rule refused a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    TooShort,
    TooLong,
    ContainsUsername,
    ContainsEmail,
    ContainsProductName,
    MissingClasses,
    Common,
    TooGuessable,
}

/// A refused password: the rule, the message for the form, and a strength hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRejection {
    pub rule: PasswordRule,
    pub message: String,
    /// "Strength: weak (1 of 4). …" — empty when the length rules failed.
    pub hint: String,
}

impl From<PasswordRejection> for FieldError {
    fn from(rejection: PasswordRejection) -> FieldError {
        FieldError(rejection.message)
    }
}

/// zxcvbn's verdict on a password, in words for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    /// 0 (very weak) to 4 (strong).
    pub score: u8,
    pub hint: String,
}

/// Rates `password`, treating `inputs` (username, email…) as known words.
pub fn strength(password: &str, inputs: &[&str]) -> Strength {
    let estimate = zxcvbn::zxcvbn(password, inputs);
    let score = u8::from(estimate.score());
    let label = ["very weak", "weak", "fair", "good", "strong"][usize::from(score.min(4))];
    let mut hint = format!("Strength: {label} ({score} of 4; at least {MIN_STRENGTH} needed).");
    match estimate.feedback() {
        Some(feedback) => {
            if let Some(warning) = feedback.warning() {
                hint.push_str(&format!(" {warning}"));
            }
            for suggestion in feedback.suggestions() {
                hint.push_str(&format!(" {suggestion}"));
            }
        }
        None if score < MIN_STRENGTH => {
            hint.push_str(" Try a longer passphrase of unrelated words.");
        }
        None => {}
    }
    Strength { score, hint }
}

/// Counts which of upper, lower, digit and symbol `password` lacks.
fn missing_classes(password: &str) -> Vec<&'static str> {
    let has = |f: fn(char) -> bool| password.chars().any(f);
    let mut missing = Vec::new();
    if !has(char::is_uppercase) {
        missing.push("an upper-case letter");
    }
    if !has(char::is_lowercase) {
        missing.push("a lower-case letter");
    }
    if !has(char::is_numeric) {
        missing.push("a digit");
    }
    if !has(|c| !c.is_alphanumeric()) {
        missing.push("a symbol");
    }
    missing
}

impl PasswordPolicy {
    /// Checks a new password against the policy and the user's own identifiers.
    ///
    /// The password is neither trimmed nor case-folded for the length check;
    /// the username, email and product-name comparisons are case-insensitive.
    pub fn check(
        &self,
        password: &str,
        username: &str,
        email: &str,
    ) -> Result<(), PasswordRejection> {
        let len = password.chars().count();
        let refuse = |rule, message: String, hint: String| {
            Err(PasswordRejection {
                rule,
                message,
                hint,
            })
        };
        if len < self.min_chars {
            let message = format!("Password must be at least {} characters.", self.min_chars);
            return refuse(PasswordRule::TooShort, message, String::new());
        }
        if len > self.max_chars {
            let message = format!("Password must be at most {} characters.", self.max_chars);
            return refuse(PasswordRule::TooLong, message, String::new());
        }
        let username = username.trim().to_lowercase();
        let local = email
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let strength = strength(password, &[&username, &local, PRODUCT_NAME]);
        let hint = strength.hint.clone();
        let folded = password.to_lowercase();
        if !username.is_empty() && folded.contains(&username) {
            let message = "Password must not contain your username.".to_owned();
            return refuse(PasswordRule::ContainsUsername, message, hint);
        }
        if !local.is_empty()
            && (folded == local || (local.chars().count() >= 3 && folded.contains(&local)))
        {
            let message =
                "Password must not contain the first part of your email address.".to_owned();
            return refuse(PasswordRule::ContainsEmail, message, hint);
        }
        if folded.contains(PRODUCT_NAME) {
            let message = "Password must not contain the word \"gatehouse\".".to_owned();
            return refuse(PasswordRule::ContainsProductName, message, hint);
        }
        if self.require_classes {
            let missing = missing_classes(password);
            if !missing.is_empty() {
                let message = format!("Password must also contain {}.", missing.join(", "));
                return refuse(PasswordRule::MissingClasses, message, hint);
            }
        }
        if common_passwords::is_common(password) {
            let message =
                "This password is on a list of commonly used passwords; choose another.".to_owned();
            return refuse(PasswordRule::Common, message, hint);
        }
        if strength.score < MIN_STRENGTH {
            let message = "This password is too easy to guess.".to_owned();
            return refuse(PasswordRule::TooGuessable, message, hint);
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

    const STRONG: &str = "Vq7#mZ2!pLr9@xWt";

    fn check(pw: &str) -> Result<(), PasswordRejection> {
        PasswordPolicy::default().check(pw, "alice", "alice.smith@example.com")
    }

    fn rule(pw: &str) -> PasswordRule {
        check(pw).unwrap_err().rule
    }

    #[test]
    fn the_default_policy_is_twelve_to_one_hundred_twenty_eight_without_classes() {
        let p = PasswordPolicy::default();
        assert_eq!(
            (p.min_chars, p.max_chars, p.require_classes),
            (12, 128, false)
        );
    }

    #[test]
    fn a_long_unrelated_passphrase_is_accepted() {
        assert!(check("correct horse battery").is_ok());
        assert!(check(STRONG).is_ok());
    }

    #[test]
    fn a_short_password_is_refused_with_the_configured_minimum() {
        assert_eq!(
            check("short").unwrap_err().message,
            "Password must be at least 12 characters."
        );
        let p = PasswordPolicy {
            min_chars: 16,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            p.check("fifteen chars!!", "", "").unwrap_err().rule,
            PasswordRule::TooShort
        );
    }

    #[test]
    fn a_too_long_password_is_refused_and_128_characters_are_fine() {
        let long: String = "Vq7#mZ2!pLr9@xWt".repeat(8);
        assert_eq!(long.chars().count(), 128);
        assert!(check(&long).is_ok());
        assert_eq!(
            check(&format!("{long}x")).unwrap_err().message,
            "Password must be at most 128 characters."
        );
    }

    #[test]
    fn length_counts_unicode_characters_not_bytes() {
        // 12 characters, 24+ bytes, and strong enough.
        assert!(check("ĉéŝŷžœ∂ƒ©˙∆˚").is_ok());
        assert_eq!(rule("ĉéŝŷžœ∂ƒ©˙∆"), PasswordRule::TooShort);
    }

    #[test]
    fn surrounding_spaces_are_part_of_the_password() {
        // Trimmed it would be 10 characters; as typed it is 12.
        assert!(check(" Vq7#mZ2!pL ").is_ok());
    }

    #[test]
    fn a_password_containing_the_username_in_any_case_is_refused() {
        let err = check("my-ALICE-password").unwrap_err();
        assert_eq!(err.rule, PasswordRule::ContainsUsername);
        assert_eq!(err.message, "Password must not contain your username.");
    }

    #[test]
    fn an_empty_username_is_ignored() {
        assert!(PasswordPolicy::default().check(STRONG, "", "").is_ok());
    }

    #[test]
    fn a_password_containing_the_email_local_part_is_refused() {
        let p = PasswordPolicy::default();
        let err = p
            .check("xxAlice.Smithxx-9q", "bob", "alice.smith@example.com")
            .unwrap_err();
        assert_eq!(err.rule, PasswordRule::ContainsEmail);
    }

    #[test]
    fn a_short_local_part_only_matters_when_it_is_the_whole_password() {
        let p = PasswordPolicy {
            min_chars: 2,
            ..PasswordPolicy::default()
        };
        assert!(
            p.check("jo-was-here-Vq7#mZ2", "bob", "jo@example.com")
                .is_ok()
        );
        assert_eq!(
            p.check("JO", "bob", "jo@example.com").unwrap_err().rule,
            PasswordRule::ContainsEmail
        );
    }

    #[test]
    fn the_product_name_is_refused_in_any_case() {
        assert_eq!(
            rule("my-GateHouse-Vq7#mZ2"),
            PasswordRule::ContainsProductName
        );
    }

    #[test]
    fn a_password_on_the_common_list_is_refused_in_any_case() {
        assert_eq!(rule("1qaz2wsx3edc"), PasswordRule::Common);
        assert_eq!(rule("1QAZ2WSX3EDC"), PasswordRule::Common);
    }

    #[test]
    fn a_guessable_password_is_refused_with_a_strength_hint() {
        let err = check("zzzzzzzzzzzz1").unwrap_err();
        assert_eq!(err.rule, PasswordRule::TooGuessable);
        assert!(
            err.hint.starts_with("Strength: weak (1 of 4"),
            "{}",
            err.hint
        );
        assert!(err.hint.contains("Repeats"), "{}", err.hint);
    }

    #[test]
    fn character_classes_are_only_required_when_turned_on() {
        let strict = PasswordPolicy {
            require_classes: true,
            ..PasswordPolicy::default()
        };
        assert!(check("correct horse battery").is_ok());
        let err = strict.check("correct horse battery", "", "").unwrap_err();
        assert_eq!(err.rule, PasswordRule::MissingClasses);
        assert_eq!(
            err.message,
            "Password must also contain an upper-case letter, a digit."
        );
        assert!(strict.check(STRONG, "", "").is_ok());
    }

    #[test]
    fn strength_rates_a_random_password_strong() {
        assert_eq!(strength(STRONG, &[]).score, 4);
        assert!(strength("password1234", &[]).score < MIN_STRENGTH);
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
