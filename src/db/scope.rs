//! Which rows a query may touch. Every function in `db` that reads or
//! writes users, roles, role requests, sessions, lockouts or audit rows
//! takes a `Scoped` connection: a connection together with a `Scope`, so a
//! query cannot be called without one.
//!
//! A query of one organisation's rows binds `scope.org()?` into its WHERE
//! clause (`organisation_id = $n`); given the instance's scope, `org()`
//! refuses, so a query that forgot whose rows it reads fails instead of
//! reading everybody's. The few reads that are instance-wide by nature
//! (a session found by its secret key, the user a session belongs to, the
//! chain walk, the range of ids) say so where they take their scope apart
//! as `let (conn, _instance) = scoped.parts();`.

use super::Conn;
pub use crate::domain::Scope;

// Defined here rather than in `domain`, which knows no connections.
impl Scope {
    /// `conn` in this scope, for the `db` functions.
    pub fn on<'c>(&'c self, conn: &'c mut Conn) -> Scoped<'c> {
        Scoped { conn, scope: self }
    }

    /// The organisation to bind into a query of one organisation's rows;
    /// an error (a bug in the caller) in the instance's scope.
    pub(in crate::db) fn org(&self) -> Result<i64, sqlx::Error> {
        self.organisation_id().map(|id| id.0).ok_or_else(|| {
            sqlx::Error::Protocol(
                "a query of one organisation's rows was called without an organisation".into(),
            )
        })
    }
}

/// A connection (or transaction) and the scope its queries run in.
pub struct Scoped<'c> {
    conn: &'c mut Conn,
    scope: &'c Scope,
}

impl<'c> Scoped<'c> {
    /// The connection and the scope, inside `db`.
    pub(in crate::db) fn parts(self) -> (&'c mut Conn, &'c Scope) {
        (self.conn, self.scope)
    }

    /// The same scope on the same connection, for one more call.
    pub fn again(&mut self) -> Scoped<'_> {
        Scoped {
            conn: self.conn,
            scope: self.scope,
        }
    }

    /// The scope, for callers that pass it on.
    pub fn scope(&self) -> &Scope {
        self.scope
    }
}
