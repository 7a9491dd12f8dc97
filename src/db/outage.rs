//! Telling a database outage from our own faults. A server that is down,
//! restarting or refusing connections, a connection it dropped, a pool that
//! found no connection in time, or SQLite still locked after its busy
//! timeout: the request could succeed in a moment, so pages answer 503 with
//! `Retry-After`. Anything else is a fault of ours and stays a 500.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::domain::Timestamp;

/// PostgreSQL's SQLSTATEs for a server going away or not taking
/// connections: class 08 (connection exception), admin and crash shutdown,
/// "cannot connect now" (starting up), too many connections.
const POSTGRES_UNAVAILABLE: [&str; 4] = ["57P01", "57P02", "57P03", "53300"];

/// SQLite's busy and locked codes, primary and extended.
const SQLITE_BUSY: [&str; 6] = ["5", "6", "261", "262", "517", "773"];

/// Whether `err`, anywhere in its chain of causes, is an outage.
pub fn is_outage(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(is_sqlx_outage)
            || cause.downcast_ref::<std::io::Error>().is_some()
    })
}

/// Whether one sqlx error is an outage.
pub fn is_sqlx_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || POSTGRES_UNAVAILABLE.contains(&code.as_ref())
                || SQLITE_BUSY.contains(&code.as_ref())
        }),
        _ => false,
    }
}

/// When this process last saw the database unavailable, for the failures
/// that reach the HTTP edge without their cause (actix-session turns a
/// session store's error into a bare 500).
#[derive(Debug, Clone, Default)]
pub struct OutageClock(Arc<AtomicI64>);

impl OutageClock {
    /// Records `err` if it is an outage; returns whether it was.
    pub fn note(&self, err: &anyhow::Error) -> bool {
        let outage = is_outage(err);
        if outage {
            self.0.store(Timestamp::now().0, Ordering::Relaxed);
        }
        outage
    }

    /// Whether an outage was seen within `window`.
    pub fn seen_within(&self, window: Duration) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        last > 0 && Timestamp::now().0 - last <= window.as_millis() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_or_dropped_connection_is_an_outage_and_a_bad_query_is_not() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(is_outage(
            &anyhow::Error::new(sqlx::Error::Io(refused)).context("could not begin")
        ));
        assert!(is_outage(&anyhow::Error::new(sqlx::Error::PoolTimedOut)));
        let broken = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "broken pipe");
        assert!(is_outage(&anyhow::Error::new(broken).context("reading")));
        assert!(!is_outage(&anyhow::Error::new(sqlx::Error::RowNotFound)));
        assert!(!is_outage(&anyhow::anyhow!("a template failed")));
    }

    #[test]
    fn the_clock_remembers_only_outages() {
        let clock = OutageClock::default();
        assert!(!clock.note(&anyhow::anyhow!("a bug")));
        assert!(!clock.seen_within(Duration::from_secs(60)));
        assert!(clock.note(&anyhow::Error::new(sqlx::Error::PoolClosed)));
        assert!(clock.seen_within(Duration::from_secs(60)));
    }
}
