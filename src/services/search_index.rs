//! Keeps the search index in one piece (see `db::search_index`): after a
//! bulk load, and once a day while serving.

use std::time::Duration;

use anyhow::Context;

use crate::db::{self, Backend, Db};

/// A safety stop far beyond need: a million users' index merges in 23 steps.
const MAX_STEPS: u32 = 100_000;

/// Merges the search index step by step until it is one b-tree, pausing
/// `pause` between steps so that sign-ins and approvals waiting for the
/// write lock go first. Returns the steps that merged anything (0: the
/// index was already whole, or the backend keeps its own).
pub async fn compact(db: &Db, pause: Duration) -> anyhow::Result<u32> {
    if db.backend != Backend::Sqlite {
        return Ok(0);
    }
    let mut merged = 0;
    while merged < MAX_STEPS {
        let mut tx = db.begin_write().await?;
        let merged_some = db::search_index::merge_step(&mut tx).await?;
        db.commit(tx)
            .await
            .context("could not commit a merge of the search index")?;
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

/// The merge at the end of a bulk load (`demo seed`, `user import`): no
/// pause between steps, since the load's own process is the only writer
/// that matters, and searches read the new entries at their best at once
/// rather than after the next daily merge.
pub async fn after_bulk_load(db: &Db) -> anyhow::Result<u32> {
    compact(db, Duration::ZERO).await
}
