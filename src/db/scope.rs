//! Which rows a query may touch. Every function in `db` that reads or
//! writes users, roles, role requests, sessions, lockouts or audit rows
//! takes a `Scoped` connection: a connection together with a `Scope`, so a
//! query cannot be called without one.
//!
//! Today a scope holds only "soft-deleted rows: no" (there are none yet),
//! and there is one organisation, so no query's SQL changes with it. Each
//! scoped function takes its scope apart as `let (conn, _scope) =
//! scoped.parts();`: the organisations issue adds the organisation to
//! `Scope` and turns every `_scope` into a predicate, and
//! `grep -rn '_scope' src/db` lists each place that still has to.

use super::Conn;
pub use crate::domain::Scope;

// Defined here rather than in `domain`, which knows no connections.
impl Scope {
    /// `conn` in this scope, for the `db` functions.
    pub fn on<'c>(&'c self, conn: &'c mut Conn) -> Scoped<'c> {
        Scoped { conn, scope: self }
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
}
