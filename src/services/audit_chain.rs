//! Verifying the audit log's hash chain: in full (`gatehouse audit verify`,
//! at start and hourly in the background) or, for the audit page, only the
//! rows added since the last check. The page therefore costs a handful of
//! rows however long the log is; the background re-check catches an edit
//! deep in the past within the hour, and the CLI on demand.

use tokio::sync::Mutex;

use crate::db::{self, Db, Scope};
use crate::domain::Timestamp;
use crate::domain::audit_chain::{ChainBreak, ChainWalker};

/// Rows read per query while walking the chain.
const BATCH: u64 = 2000;

/// How far a walk got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last row looked at (0 before the first).
    pub last_id: i64,
    /// The last chained row and its hash.
    pub last_chained: Option<(i64, String)>,
    /// Chained rows whose links and hashes were verified.
    pub chained: u64,
    /// Rows from before the chain existed (no hash).
    pub unchained: u64,
}

/// The first row that breaks the chain, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: ChainBreak,
}

/// The result of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub checkpoint: Checkpoint,
    pub broken: Option<BrokenLink>,
}

/// Walks the whole chain from the first row.
pub async fn verify(db: &Db) -> anyhow::Result<ChainReport> {
    verify_from(db, Checkpoint::default()).await
}

/// Walks the rows after `checkpoint`, which must have been verified before.
pub async fn verify_from(db: &Db, mut checkpoint: Checkpoint) -> anyhow::Result<ChainReport> {
    let mut walker = match &checkpoint.last_chained {
        Some((_, hash)) => ChainWalker::resume(hash.clone()),
        None => ChainWalker::start(),
    };
    loop {
        let rows = {
            let mut conn = db.acquire().await?;
            db::audit::rows_after(Scope::instance().on(&mut conn), checkpoint.last_id, BATCH)
                .await?
        };
        if rows.is_empty() {
            return Ok(ChainReport {
                checkpoint,
                broken: None,
            });
        }
        for row in rows {
            match walker.step(&row.content, row.prev_hash.as_deref(), row.hash.as_deref()) {
                Ok(true) => {
                    checkpoint.chained += 1;
                    checkpoint.last_chained = row.hash.clone().map(|h| (row.id, h));
                }
                Ok(false) => checkpoint.unchained += 1,
                Err(reason) => {
                    return Ok(ChainReport {
                        checkpoint,
                        broken: Some(BrokenLink { id: row.id, reason }),
                    });
                }
            }
            checkpoint.last_id = row.id;
        }
    }
}

/// What the audit page shows about the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    Verified {
        rows: u64,
        unchained: u64,
        /// When the whole chain was last walked from the first row.
        full_check_at: Timestamp,
    },
    Broken {
        id: i64,
        reason: &'static str,
    },
}

struct Known {
    report: ChainReport,
    full_check_at: Timestamp,
}

impl Known {
    fn status(&self) -> ChainStatus {
        match &self.report.broken {
            Some(link) => ChainStatus::Broken {
                id: link.id,
                reason: link.reason.describe(),
            },
            None => ChainStatus::Verified {
                rows: self.report.checkpoint.chained,
                unchained: self.report.checkpoint.unchained,
                full_check_at: self.full_check_at,
            },
        }
    }
}

/// Remembers how far the chain has been verified, for this process.
#[derive(Default)]
pub struct ChainMonitor {
    known: Mutex<Option<Known>>,
}

impl ChainMonitor {
    /// Walks the whole chain (without holding up the audit page meanwhile)
    /// and remembers the result.
    pub async fn full_check(&self, db: &Db) -> anyhow::Result<ChainStatus> {
        let started = Timestamp::now();
        let report = verify(db).await?;
        let known = Known {
            report,
            full_check_at: started,
        };
        let status = known.status();
        let mut guard = self.known.lock().await;
        // Keep a later incremental result unless this walk found a break.
        let newer = guard.as_ref().is_some_and(|k| {
            k.report.broken.is_none()
                && k.report.checkpoint.last_id > known.report.checkpoint.last_id
        });
        if known.report.broken.is_some() || !newer {
            *guard = Some(known);
        }
        Ok(status)
    }

    /// The chain's state, verifying only the rows added since the last check
    /// (and that the last verified row is still as it was).
    pub async fn status(&self, db: &Db) -> anyhow::Result<ChainStatus> {
        let mut guard = self.known.lock().await;
        let Some(known) = guard.as_mut() else {
            let report = verify(db).await?;
            let known = guard.insert(Known {
                report,
                full_check_at: Timestamp::now(),
            });
            return Ok(known.status());
        };
        if known.report.broken.is_some() {
            return Ok(known.status());
        }
        if let Some(link) = tip_changed(db, &known.report.checkpoint).await? {
            known.report.broken = Some(link);
            return Ok(known.status());
        }
        known.report = verify_from(db, known.report.checkpoint.clone()).await?;
        Ok(known.status())
    }
}

/// Whether the last verified row was removed or altered since.
async fn tip_changed(db: &Db, checkpoint: &Checkpoint) -> anyhow::Result<Option<BrokenLink>> {
    let Some((id, hash)) = &checkpoint.last_chained else {
        return Ok(None);
    };
    let mut conn = db.acquire().await?;
    let row = db::audit::row(Scope::instance().on(&mut conn), *id).await?;
    let intact = row.is_some_and(|row| {
        row.hash.as_deref() == Some(hash.as_str())
            && row
                .prev_hash
                .as_deref()
                .is_some_and(|prev| row.content.hash(prev) == *hash)
    });
    Ok((!intact).then_some(BrokenLink {
        id: *id,
        reason: ChainBreak::WrongHash,
    }))
}
