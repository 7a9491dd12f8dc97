//! Background jobs: what an instance does besides answering requests, each
//! with its timing in one table. `gatehouse serve` starts them after
//! building the application (`start`); tests and commands that build an
//! application do not, and run a job themselves when they need it.

use std::sync::Arc;
use std::time::Duration;

use crate::db::Db;
use crate::domain::session::SessionLimits;
use crate::services::audit_chain::ChainMonitor;
use crate::services::{deletion, search_index, sessions};

/// One round of the loop; every interval below is a number of rounds.
pub const ROUND: Duration = Duration::from_secs(5 * 60);

/// Between two merge steps of SQLite's search index (each holds the write
/// lock briefly), sign-ins and approvals waiting for the lock go first.
const SEARCH_INDEX_MERGE_PAUSE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Walk the whole audit chain again: at start (so the audit page only
    /// ever checks new rows), then hourly.
    AuditChainCheck,
    /// Merge SQLite's search index into one b-tree: daily, the first time
    /// one round after start. Each merge rewrites the whole index; bulk
    /// loads merge it themselves.
    SearchIndexMerge,
    /// Make windows for PostgreSQL's search index as users arrive. Not at
    /// start: the migrations and bulk loads make the windows they need.
    SearchIndexWindows,
    /// Delete sessions past their idle timeout or lifetime, expired OpenID
    /// Connect codes and access tokens, and notices, sent or failed mail
    /// and expired one-time links older than 90 days.
    SessionPurge,
    /// Erase the personal data of users deleted longer ago than the
    /// retention period: hourly, the first time at start.
    DeletedUserPurge,
}

/// When a job runs: in round `first`, then every `every` rounds.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub job: Job,
    pub first: u32,
    pub every: u32,
}

/// Every job and its timing, in the order a round runs them.
pub const SCHEDULE: [Timing; 5] = [
    Timing {
        job: Job::AuditChainCheck,
        first: 0,
        every: 12,
    },
    Timing {
        job: Job::SearchIndexMerge,
        first: 1,
        every: 12 * 24,
    },
    Timing {
        job: Job::SearchIndexWindows,
        first: 1,
        every: 1,
    },
    Timing {
        job: Job::SessionPurge,
        first: 0,
        every: 1,
    },
    Timing {
        job: Job::DeletedUserPurge,
        first: 0,
        every: 12,
    },
];

/// What the jobs need besides the database.
#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    pub limits: SessionLimits,
    pub deleted_retention_days: u32,
}

impl JobSettings {
    pub fn from_settings(settings: &crate::config::Settings) -> JobSettings {
        JobSettings {
            limits: SessionLimits::from_minutes(
                settings.session_idle_minutes,
                settings.session_lifetime_minutes,
            ),
            deleted_retention_days: settings.deleted_retention_days,
        }
    }
}

impl Timing {
    /// Whether the job runs in `round` (0 is the first, at start).
    pub fn due(&self, round: u32) -> bool {
        round >= self.first && (round - self.first).is_multiple_of(self.every)
    }
}

/// Starts the loop that runs every job on its schedule, for as long as the
/// process lives.
pub fn start(db: Db, settings: JobSettings, monitor: Arc<ChainMonitor>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(ROUND);
        for round in 0u32.. {
            ticker.tick().await;
            for timing in SCHEDULE.iter().filter(|t| t.due(round)) {
                run(timing.job, &db, settings, &monitor).await;
            }
        }
    });
}

/// Runs one job now; its failures are logged, never raised.
pub async fn run(job: Job, db: &Db, settings: JobSettings, monitor: &ChainMonitor) {
    match job {
        Job::AuditChainCheck => match monitor.full_check(db).await {
            Ok(status) => tracing::info!(?status, "audit chain checked"),
            Err(err) => tracing::error!(error = ?err, "could not check the audit chain"),
        },
        Job::SearchIndexMerge => match search_index::compact(db, SEARCH_INDEX_MERGE_PAUSE).await {
            Ok(0) => {}
            Ok(steps) => tracing::info!(steps, "merged the search index"),
            Err(err) => tracing::error!(error = ?err, "could not merge the search index"),
        },
        Job::SearchIndexWindows => match search_index::make_windows(db, 0).await {
            Ok(0) => {}
            Ok(windows) => tracing::info!(windows, "made windows for the search index"),
            Err(err) => {
                tracing::warn!(error = ?err, "could not make windows for the search index")
            }
        },
        Job::SessionPurge => {
            match sessions::purge_expired(db, settings.limits).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
                Err(err) => tracing::error!(error = ?err, "could not purge expired sessions"),
            }
            match crate::services::notifications::purge(db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(notices = n, "purged notices older than 90 days"),
                Err(err) => tracing::error!(error = ?err, "could not purge old notices"),
            }
            match crate::services::oidc::grants::purge_expired(db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "purged expired OpenID Connect codes and tokens"),
                Err(err) => {
                    tracing::error!(error = ?err, "could not purge expired OpenID Connect codes and tokens")
                }
            }
        }
        Job::DeletedUserPurge => {
            match deletion::purge_due(db, settings.deleted_retention_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(users = n, "purged deleted users"),
                Err(err) => tracing::error!(error = ?err, "could not purge deleted users"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds_of(job: Job, upto: u32) -> Vec<u32> {
        let timing = SCHEDULE.iter().find(|t| t.job == job).expect("scheduled");
        (0..upto).filter(|r| timing.due(*r)).collect()
    }

    #[test]
    fn each_job_runs_in_the_rounds_its_comment_promises() {
        assert_eq!(rounds_of(Job::AuditChainCheck, 25), [0, 12, 24]);
        assert_eq!(rounds_of(Job::SearchIndexMerge, 600), [1, 289, 577]);
        assert_eq!(rounds_of(Job::SearchIndexWindows, 4), [1, 2, 3]);
        assert_eq!(rounds_of(Job::SessionPurge, 3), [0, 1, 2]);
        assert_eq!(rounds_of(Job::DeletedUserPurge, 25), [0, 12, 24]);
        // Hourly and daily, with five-minute rounds.
        assert_eq!(ROUND * 12, Duration::from_secs(3600));
        assert_eq!(ROUND * 12 * 24, Duration::from_secs(86_400));
    }
}
