//! Case-insensitive keys: every lookup and uniqueness check compares these
//! stored, case-folded copies, the same way on SQLite and PostgreSQL. The
//! folding is written once, here.

/// `text` case-folded for comparison.
pub fn case_key(text: &str) -> String {
    text.to_lowercase()
}

/// The key a sign-in form's "username or email" is looked up by.
pub fn login_key(login: &str) -> String {
    case_key(login.trim())
}

/// What the admin search looks in: username, email and full name, folded,
/// one per line so a search never matches across two of them.
pub fn search_key(username: &str, email: &str, full_name: &str) -> String {
    format!(
        "{}\n{}\n{}",
        case_key(username),
        case_key(email),
        case_key(full_name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_and_a_login_ignores_surrounding_space() {
        assert_eq!(case_key("Zoë ÅSE"), "zoë åse");
        assert_eq!(login_key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(search_key("Ada", "A@B.C", "Ada L"), "ada\na@b.c\nada l");
    }
}
