//! API tokens: what one is, how its name, expiry and scopes are checked, and
//! whether it may still be used. The secret itself is made and hashed in
//! `auth::token`; only its SHA-256 is stored.

use super::error::FieldError;
use super::ids::{OrgId, TokenId, UserId};
use super::permission::{Permission, PermissionSet};
use super::timestamp::Timestamp;

/// Personal tokens act for the user who made them; service tokens are made
/// by a holder of `tokens.manage` for automation, and act for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Personal,
    Service,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        match s {
            "personal" => Some(TokenKind::Personal),
            "service" => Some(TokenKind::Service),
            _ => None,
        }
    }

    /// The recognisable start of every token of this kind (secret scanners
    /// can look for it).
    pub fn secret_prefix(self) -> &'static str {
        match self {
            TokenKind::Personal => "gh_pat_",
            TokenKind::Service => "gh_svc_",
        }
    }
}

/// A token's validity in days: default 90, at most 365.
pub const TOKEN_DEFAULT_DAYS: i64 = 90;
pub const TOKEN_MAX_DAYS: i64 = 365;
const DAY_MS: i64 = 86_400_000;

/// A token's name: 1 to 60 characters on one line.
pub fn parse_token_name(input: &str) -> Result<String, FieldError> {
    let name = super::role::single_spaced(input.trim());
    if name.is_empty() {
        return Err(FieldError::new("Give the token a name, like deploy-bot."));
    }
    if name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "Name must be at most 60 characters on one line.",
        ));
    }
    Ok(name)
}

/// Days until expiry as typed (empty: the default), 1 to 365.
pub fn parse_expiry_days(input: &str) -> Result<i64, FieldError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(TOKEN_DEFAULT_DAYS);
    }
    match input.parse::<i64>() {
        Ok(days) if (1..=TOKEN_MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(FieldError::new(format!(
            "Enter a number of days from 1 to {TOKEN_MAX_DAYS}."
        ))),
    }
}

/// The expiry `days` after `now`.
pub fn expires_after(now: Timestamp, days: i64) -> Timestamp {
    Timestamp(now.0 + days * DAY_MS)
}

/// The scopes as chosen (permission names), each a permission the maker
/// holds now. None at all is allowed: such a token reads `/api/v1/me` only.
pub fn parse_scopes(chosen: &[String], held: &PermissionSet) -> Result<PermissionSet, FieldError> {
    let mut scopes = PermissionSet::new();
    for name in chosen.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let Some(permission) = Permission::parse(name) else {
            return Err(FieldError::new(format!(
                "{} is not a permission.",
                super::audit::sanitize_for_log(name, 40)
            )));
        };
        if !held.contains(permission) {
            return Err(FieldError::new(format!(
                "You do not hold {permission}, so a token of yours cannot have it."
            )));
        }
        scopes.insert(permission);
    }
    Ok(scopes)
}

/// A stored token, as lists show it.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub organisation: OrgId,
    pub kind: TokenKind,
    pub name: String,
    pub prefix: String,
    pub scopes: PermissionSet,
    pub owner: UserId,
    pub owner_username: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Whether a token may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

impl ApiToken {
    pub fn state(&self, now: Timestamp) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at.0 <= now.0 {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    /// For templates: "active", "expired" or "revoked" now.
    pub fn state_now(&self) -> &'static str {
        self.state(Timestamp::now()).label()
    }

    /// The scopes as one line.
    pub fn scopes_text(&self) -> String {
        if self.scopes.is_empty() {
            return "none (reads who it is only)".to_owned();
        }
        self.scopes
            .iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a presented token does not authenticate. Every one answers 401: the
/// caller learns no more than "this token does not work".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Missing,
    Unknown,
    Expired,
    Revoked,
    /// The owner is not Active (disabled, deleted, pending).
    OwnerInactive,
    /// The owner no longer holds a permission the token's scopes name.
    ScopeLost(Permission),
}

impl TokenRefusal {
    pub fn message(self) -> String {
        match self {
            TokenRefusal::Missing => {
                "Send an API token as Authorization: Bearer <token>.".to_owned()
            }
            TokenRefusal::Unknown => "The token is not valid.".to_owned(),
            TokenRefusal::Expired => "The token has expired.".to_owned(),
            TokenRefusal::Revoked => "The token has been revoked.".to_owned(),
            TokenRefusal::OwnerInactive => "The token's owner is not active.".to_owned(),
            TokenRefusal::ScopeLost(p) => {
                format!("The token's owner no longer holds {p}, one of its scopes.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_must_be_permissions_the_maker_holds() {
        let held: PermissionSet = [Permission::UsersRead, Permission::AuditRead]
            .into_iter()
            .collect();
        let ok = parse_scopes(&["users.read".into(), " audit.read ".into()], &held).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(parse_scopes(&["users.manage".into()], &held).is_err());
        assert!(parse_scopes(&["users.nope".into()], &held).is_err());
        assert!(parse_scopes(&[], &held).unwrap().is_empty());
    }

    #[test]
    fn expiry_defaults_to_90_days_and_is_at_most_a_year() {
        assert_eq!(parse_expiry_days(""), Ok(90));
        assert_eq!(parse_expiry_days("365"), Ok(365));
        for bad in ["0", "366", "-1", "ten"] {
            assert!(parse_expiry_days(bad).is_err(), "{bad}");
        }
        assert_eq!(expires_after(Timestamp(0), 1), Timestamp(86_400_000));
    }

    #[test]
    fn a_token_is_revoked_expired_or_active() {
        let mut token = ApiToken {
            id: TokenId(1),
            organisation: OrgId(1),
            kind: TokenKind::Personal,
            name: "ci".into(),
            prefix: "gh_pat_ab".into(),
            scopes: PermissionSet::new(),
            owner: UserId(1),
            owner_username: "ada".into(),
            created_at: Timestamp(0),
            expires_at: Timestamp(100),
            last_used_at: None,
            revoked_at: None,
        };
        assert_eq!(token.state(Timestamp(50)), TokenState::Active);
        assert_eq!(token.state(Timestamp(100)), TokenState::Expired);
        token.revoked_at = Some(Timestamp(10));
        assert_eq!(token.state(Timestamp(50)), TokenState::Revoked);
    }

    #[test]
    fn names_are_one_bounded_line() {
        assert_eq!(parse_token_name("  deploy   bot ").unwrap(), "deploy bot");
        assert!(parse_token_name("").is_err());
        assert!(parse_token_name(&"x".repeat(61)).is_err());
    }
}
