//! Keeps the search index in shape (see `db::search`). SQLite: in one
//! piece, after a bulk load and once a day while serving. PostgreSQL: with
//! windows made ahead of new users, before a bulk load and every few minutes
//! while serving.

use std::time::Duration;

use super::RequestMeta;
use super::work::Work;

use crate::db::Scope;
use crate::db::{self, Db};

/// A safety stop far beyond need: a million users' index merges in 23 steps.
const MAX_STEPS: u32 = 100_000;

/// Merges the search index step by step until it is one b-tree, pausing
/// `pause` between steps so that sign-ins and approvals waiting for the
/// write lock go first. Returns the steps that merged anything (0: the
/// index was already whole, or the backend keeps its own).
pub async fn compact(db: &Db, pause: Duration) -> anyhow::Result<u32> {
    if !db::search::needs_merging(db) {
        return Ok(0);
    }
    let mut merged = 0;
    while merged < MAX_STEPS {
        let upkeep = RequestMeta::default();
        let mut work = Work::in_scope(db, Scope::instance(), &upkeep).await?;
        let merged_some = db::search::merge_step(work.transaction()).await?;
        work.commit("a merge of the search index").await?;
        if !merged_some {
            break;
        }
        merged += 1;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok(merged)
}

/// The end of a bulk load (`demo seed`, `user import`), so that searches
/// read the new users at their best at once rather than after the next
/// round of upkeep. SQLite: the merge, with no pause between steps, since
/// the load's own process is the only writer that matters. PostgreSQL: the
/// windows, for any users the load added beyond them.
pub async fn after_bulk_load(db: &Db) -> anyhow::Result<()> {
    compact(db, Duration::ZERO).await?;
    make_windows(db, 0).await?;
    Ok(())
}

/// Ids the windows reach past the newest user: room for 262,144 more users
/// between two calls (five minutes apart while serving).
const WINDOWS_AHEAD: u64 = 2 * 131_072;

/// PostgreSQL: makes the search index's windows for `users` more users
/// than there are now, plus `WINDOWS_AHEAD`; returns how many it made (0 on
/// SQLite, which has none).
pub async fn make_windows(db: &Db, users: u64) -> anyhow::Result<i32> {
    if !db::search::keeps_windows(db) {
        return Ok(0);
    }
    let ahead = i64::try_from(users.saturating_add(WINDOWS_AHEAD)).unwrap_or(i64::MAX / 2);
    let mut conn = db.acquire().await?;
    db::search::extend_windows(&mut conn, ahead).await
}
