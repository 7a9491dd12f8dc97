//! Which rows a piece of work may see and change: `db` takes a scope with
//! every query of users, roles, role requests, sessions, lockouts and audit
//! rows (see `db::scope`).

/// The rows a query may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    include_deleted: bool,
}

impl Scope {
    /// Every organisation's rows, without soft-deleted ones: for what runs
    /// before anyone is known (loading a session by its secret key, a
    /// sign-in by name) and for the instance's own jobs (purging expired
    /// sessions, walking the audit chain, the demo seed and imports). A
    /// signed-in user's queries use `AuthUser::scope` instead.
    pub const fn instance() -> Scope {
        Scope {
            include_deleted: false,
        }
    }

    /// Whether soft-deleted rows are included.
    pub fn includes_deleted(&self) -> bool {
        self.include_deleted
    }
}
