//! Which rows a piece of work may see and change: `db` takes a scope with
//! every query of users, roles, role requests, sessions, lockouts and audit
//! rows (see `db::scope`).

use super::OrgId;

/// The rows a query may see and change: one organisation's, or (for the
/// few reads and jobs that run before anyone is known, or for everyone)
/// the instance's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    organisation: Option<OrgId>,
    include_deleted: bool,
}

impl Scope {
    /// One organisation's rows: a signed-in user's requests
    /// (`AuthUser::scope`), a sign-in or registration on the organisation's
    /// page, the command line's `--org`.
    pub const fn organisation(id: OrgId) -> Scope {
        Scope {
            organisation: Some(id),
            include_deleted: false,
        }
    }

    /// Every organisation's rows, for what is found by a secret or an id
    /// nobody can choose (loading a session by its key, the user a session
    /// belongs to) and for the instance's own jobs (purging expired
    /// sessions, walking the audit chain, the search index's upkeep). A
    /// query of one organisation's rows refuses this scope
    /// (`db::scope::Scope::org`), so forgetting the organisation fails
    /// closed.
    pub const fn instance() -> Scope {
        Scope {
            organisation: None,
            include_deleted: false,
        }
    }

    /// The organisation, when the scope is one organisation's.
    pub fn organisation_id(&self) -> Option<OrgId> {
        self.organisation
    }

    /// Whether soft-deleted rows are included.
    pub fn includes_deleted(&self) -> bool {
        self.include_deleted
    }
}
