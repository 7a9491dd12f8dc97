//! Organisations (tenants): every user, role, request, session and audit
//! row belongs to exactly one. The names they are found by (a slug in
//! `/o/{slug}/login`, an optional host name) are validated here.

use std::fmt;

use super::error::FieldError;
use super::ids::OrgId;
use super::timestamp::Timestamp;

/// The organisation the first migration moved every existing row into. It
/// is the only one that can hold `organisations.manage`.
pub const DEFAULT_ORGANISATION: OrgId = OrgId(1);

/// Slugs that would read as one of Gatehouse's own paths or words.
const RESERVED_SLUGS: [&str; 22] = [
    "admin",
    "api",
    "static",
    "o",
    "login",
    "logout",
    "register",
    "account",
    "healthz",
    "readyz",
    "metrics",
    "oidc",
    "oauth",
    "auth",
    "well-known",
    "favicon",
    "assets",
    "new",
    "www",
    "gatehouse",
    "root",
    "system",
];

/// A validated slug: 2 to 40 lower-case letters, digits and hyphens,
/// starting and ending with a letter or digit, not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub const MIN_CHARS: usize = 2;
    pub const MAX_CHARS: usize = 40;

    /// Trims and validates a slug as typed. Upper-case letters are refused
    /// rather than folded: the slug is part of a URL people copy.
    pub fn parse(input: &str) -> Result<OrgSlug, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("Please enter a slug."));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(FieldError::new(
                "That slug is reserved by Gatehouse; choose another.",
            ));
        }
        let len = s.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(FieldError::new("Slug must be 2 to 40 characters."));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(FieldError::new(
                "Slug may only contain lower-case letters, digits and hyphens.",
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(FieldError::new(
                "Slug must start and end with a letter or digit.",
            ));
        }
        Ok(OrgSlug(s.to_owned()))
    }

    /// A stored slug, trusted as it is (the default organisation's
    /// `default` included).
    pub fn stored(slug: String) -> OrgSlug {
        OrgSlug(slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated host name an organisation's sign-in page answers on
/// (`acme.gatehouse.example`): lower-cased, labels of 1 to 63 letters,
/// digits and hyphens, at least two labels, 253 characters at most, no
/// port and no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostName(String);

impl HostName {
    pub fn parse(input: &str) -> Result<HostName, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(FieldError::new("Please enter a host name."));
        }
        if s.len() > 253 {
            return Err(FieldError::new("Host name must be at most 253 characters."));
        }
        let labels: Vec<&str> = s.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(FieldError::new(
                "Host name must look like acme.example.com: letters, digits and hyphens \
                 between dots, with no port or path.",
            ));
        }
        Ok(HostName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's display name: 1 to 80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgName(String);

impl OrgName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(input: &str) -> Result<OrgName, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::new("Please enter a name."));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("Name must be at most 80 characters."));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("Name must not contain control characters."));
        }
        Ok(OrgName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether people of an organisation can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgStatus {
    Active,
    /// Nobody in it can sign in; their sessions ended when it was disabled.
    Disabled,
}

impl OrgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgStatus::Active => "active",
            OrgStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<OrgStatus> {
        match s {
            "active" => Some(OrgStatus::Active),
            "disabled" => Some(OrgStatus::Disabled),
            _ => None,
        }
    }
}

/// An organisation as the instance administrators' pages see it.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: OrgId,
    pub slug: OrgSlug,
    pub name: String,
    pub host: Option<String>,
    pub status: OrgStatus,
    pub created_at: Timestamp,
    /// Its users, in any status.
    pub user_count: u64,
}

impl Organisation {
    pub fn is_default(&self) -> bool {
        self.id == DEFAULT_ORGANISATION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_lower_case_letters_digits_and_hyphens() {
        assert_eq!(OrgSlug::parse(" acme-2 ").unwrap().as_str(), "acme-2");
        for bad in ["Acme", "ac me", "acme_co", "-acme", "acme-", "é-co", "a"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(OrgSlug::parse(&"a".repeat(40)).is_ok());
        assert!(OrgSlug::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn reserved_slugs_are_refused_with_a_reason() {
        for word in ["admin", "api", "static", "o", "login", "register"] {
            assert_eq!(
                OrgSlug::parse(word).unwrap_err().0,
                "That slug is reserved by Gatehouse; choose another."
            );
        }
    }

    #[test]
    fn a_host_name_is_lower_cased_and_needs_two_labels() {
        assert_eq!(
            HostName::parse("Acme.Gatehouse.Example").unwrap().as_str(),
            "acme.gatehouse.example"
        );
        for bad in [
            "localhost",
            "acme.example.com:8080",
            "acme..example",
            "-acme.example",
            "acme.example/",
            "https://acme.example",
        ] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn an_organisation_name_is_trimmed_and_bounded() {
        assert_eq!(OrgName::parse("  Acme Ltd ").unwrap().as_str(), "Acme Ltd");
        assert!(OrgName::parse("").is_err());
        assert!(OrgName::parse(&"x".repeat(81)).is_err());
        assert!(OrgName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in [OrgStatus::Active, OrgStatus::Disabled] {
            assert_eq!(OrgStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrgStatus::parse("gone"), None);
    }
}
