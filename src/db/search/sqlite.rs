//! SQLite's side of user search: the FTS5 trigram table `users_fts`, its
//! upkeep, and reading a page of users as one JSON text.
//!
//! FTS5 writes each transaction's new entries as a b-tree of their own and
//! merges them only in groups of four of a size, so a table that grew by a
//! bulk load, or by registrations over months, is a stack of b-trees that
//! every search reads one by one; merged into one, a search reads one
//! b-tree, markedly cheaper at a million users (docs/performance.md).

use anyhow::Context;

use super::{Bind, ListedRow, ListedUser, UserSort, one_text};
use crate::db::Conn;

/// Pages one merge step writes: small enough that a step holds the write
/// lock only briefly, so sign-ins waiting for it are not held up.
const PAGES_PER_STEP: i64 = 1000;

/// Merges up to `PAGES_PER_STEP` pages of the search index's b-trees into
/// one; `Ok(true)` when it did some work, so another step may be due.
/// SQLite only: PostgreSQL keeps its trigram index itself.
pub(super) async fn merge_step(conn: &mut Conn) -> anyhow::Result<bool> {
    // FTS5 reports no result for the command; the pages it wrote show in
    // the connection's count of changed rows (fewer than 2: nothing merged).
    let before = total_changes(conn).await?;
    sqlx::query("INSERT INTO users_fts (users_fts, rank) VALUES ('merge', $1)")
        // Negative: every b-tree may take part, whatever its size.
        .bind(-PAGES_PER_STEP)
        .execute(&mut *conn)
        .await
        .context("could not merge the search index")?;
    Ok(total_changes(conn).await? - before >= 2)
}

async fn total_changes(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT total_changes()")
        .fetch_one(conn)
        .await
        .context("could not read the count of changes")
}

/// The users `select` reads, in `sort` order, as one JSON array in one row:
/// the driver hands each row from the connection's thread to ours
/// separately, with a wake-up each, which costs more than building and
/// parsing the text (docs/performance.md).
pub(super) async fn listed(
    conn: &mut Conn,
    select: &str,
    binds: &[Bind],
    sort: UserSort,
) -> anyhow::Result<Vec<ListedUser>> {
    let sql = format!(
        "SELECT json_group_array(json_object('id', p.id, 'username', p.username, \
         'email', p.email, 'full_name', p.full_name, 'status', p.status, \
         'role_name', p.role_name, 'created_at', p.created_at, \
         'last_login_at', p.last_login_at, 'login_count', p.login_count, \
         'last_active_at', p.last_active_at, 'email_verified_at', p.email_verified_at) \
         ORDER BY {}) FROM ({select}) p",
        super::order_by_listed(sort)
    );
    let rows = one_text(conn, &sql, binds, "could not list users").await?;
    let rows: Vec<ListedRow> = serde_json::from_str(rows.as_deref().unwrap_or(""))
        .context("the database returned a malformed user list")?;
    rows.into_iter().map(ListedUser::try_from).collect()
}
