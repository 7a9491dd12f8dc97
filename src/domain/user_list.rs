//! The admin user list as the rest of the code sees it: how it is narrowed
//! and ordered, one row of it, and how many users matched.

use super::{FieldKey, RoleId, Timestamp, UserId, UserStatus};

/// A user as one row of the admin list: only what the list shows (10
/// columns rather than all of `User`).
#[derive(Debug, Clone)]
pub struct ListedUser {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub status: UserStatus,
    pub role_name: String,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    pub login_count: i64,
    pub last_active_at: Option<Timestamp>,
    /// They opened a verification link sent to their current address.
    pub email_verified: bool,
}

/// A user as one line of the list's CSV export.
#[derive(Debug, Clone)]
pub struct ExportedUser {
    pub listed: ListedUser,
    pub phone: String,
    pub minutes_of_use: i64,
    pub metadata: super::Metadata,
}

/// How the admin list is narrowed and ordered.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Lower-cased text to find in username, email or full name.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub role: Option<RoleId>,
    /// Custom choice fields and the choice each must hold.
    pub fields: Vec<(FieldKey, String)>,
    pub sort: UserSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSort {
    #[default]
    Newest,
    Oldest,
    Name,
    /// Most recently active first; never active last.
    LastActive,
}

impl UserSort {
    pub fn parse(s: &str) -> Option<UserSort> {
        match s {
            "newest" => Some(UserSort::Newest),
            "oldest" => Some(UserSort::Oldest),
            "name" => Some(UserSort::Name),
            "active" => Some(UserSort::LastActive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Newest => "newest",
            UserSort::Oldest => "oldest",
            UserSort::Name => "name",
            UserSort::LastActive => "active",
        }
    }
}

/// How many users a filtered list matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matches {
    /// Exact when `more` is false; otherwise a lower bound.
    pub counted: u64,
    /// More match than were counted.
    pub more: bool,
}

impl Matches {
    /// `n` matches found, of which `limit` are told.
    pub fn up_to(n: u64, limit: u64) -> Matches {
        Matches {
            counted: n.min(limit),
            more: n > limit,
        }
    }
}

/// The lowest and the highest user id. A PostgreSQL search walks its
/// windows of ids from one end of this range (`ids_in_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub first: i64,
    pub last: i64,
}
