//! PostgreSQL: connections of their own for the reads every page view
//! makes (its session, the user list), apart from sqlx's pool.
//!
//! sqlx tests every connection handed back to its pool with a round trip
//! to the database (`PoolConnection::return_to_pool` pings), so a page view
//! paid two extra round trips. A connection here comes back without a test,
//! and only when its read finished (`ReadConn::done`): a read dropped midway
//! (an error, a client gone mid-query) closes its connection, because the
//! protocol may be mid-message. A finished read leaves the connection ready
//! for the next statement; sqlx drains any rows a `fetch_one` left unread
//! before the next one.
//!
//! These connections are not the pool's: writers (sign-ins, approvals) never
//! wait for them, and the workers' reads never take the pool's. An earlier
//! version kept pool connections aside instead, and a login flood's writes
//! queued behind it. On SQLite the test on release is a hop to the
//! connection's thread, and reads go through the pool.
//!
//! Each of the server's workers has a shard of these connections
//! (`Db::claim_read_shard`) and reads through its own while one is free. A
//! connection's socket belongs to the thread that opened it: that thread's
//! runtime hears its answers, and a reader on another worker waited until
//! that runtime woke it. Shared by every worker, half the reads crossed
//! over, and `/auth/verify` answered a quarter fewer requests
//! (docs/performance.md). A worker whose shard is busy takes another
//! shard's free connection rather than wait, so one slow read never holds
//! up a worker while connections sit idle. Other threads (the background
//! jobs, the command line) read through the pool, so no worker's
//! connection is opened on them.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::any::AnyConnectOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// As sqlx's pool does by default: a connection idle this long, or open
/// this long, is closed rather than used (a server or firewall may have
/// dropped it meanwhile).
const MAX_IDLE: Duration = Duration::from_secs(10 * 60);
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The read connections of one process, a shard per server worker.
pub(super) struct Reads {
    shards: Box<[Arc<Shard>]>,
    /// Workers that have claimed a shard so far.
    claimed: AtomicUsize,
}

thread_local! {
    /// The shard this thread reads through (an index into the shards of the
    /// one `Reads` a worker serves), when it is a worker.
    static SHARD: Cell<Option<usize>> = const { Cell::new(None) };
}

/// How many connections each of `shards` shards holds: `size` split as
/// evenly as it goes, one shard per connection at most, so the shards
/// together never hold more than `size`.
fn shard_sizes(size: u32, shards: usize) -> Vec<u32> {
    let count = shards.clamp(1, size.max(1) as usize) as u32;
    (0..count)
        .map(|i| size / count + u32::from(i < size % count))
        .collect()
}

impl Reads {
    /// `size` connections in all, in a shard for each of `workers` (fewer
    /// when there are more workers than connections: then workers share).
    pub(super) fn new(
        options: AnyConnectOptions,
        size: u32,
        workers: usize,
        acquire_timeout: Duration,
    ) -> Reads {
        Reads {
            shards: shard_sizes(size, workers)
                .into_iter()
                .map(|size| Arc::new(Shard::new(options.clone(), size, acquire_timeout)))
                .collect(),
            claimed: AtomicUsize::new(0),
        }
    }

    /// The calling thread, one of the server's workers, reads through the
    /// next shard from now on. A thread claims once: the app is built on a
    /// worker once for each address it listens on, and a second claim would
    /// leave two workers on one shard.
    pub(super) fn claim(&self) {
        SHARD.with(|shard| {
            if shard.get().is_none() {
                let next = self.claimed.fetch_add(1, Ordering::Relaxed);
                shard.set(Some(next % self.shards.len()));
            }
        });
    }

    /// How many threads have claimed a shard.
    pub(super) fn claimed(&self) -> usize {
        self.claimed.load(Ordering::Relaxed)
    }

    /// A connection of this thread's shard, or `None` when this thread is
    /// not a worker (it reads through the pool). When its shard has none
    /// free, another shard's free one (used across threads, as every
    /// connection was before shards); when none is free anywhere, the first
    /// of its own shard's to come free.
    pub(super) async fn acquire(&self) -> Option<anyhow::Result<ReadConn>> {
        // An index from another `Reads` (tests run many servers in one
        // process) is still in range.
        let count = self.shards.len();
        let mine = SHARD.with(Cell::get)? % count;
        for shard in (0..count).map(|k| &self.shards[(mine + k) % count]) {
            if let Ok(permit) = Arc::clone(&shard.permits).try_acquire_owned() {
                return Some(shard.take(permit).await);
            }
        }
        Some(self.shards[mine].acquire().await)
    }
}

/// Read connections for the workers that share them.
struct Shard {
    options: AnyConnectOptions,
    /// One permit per connection this process may hold open for reads.
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle>>,
    acquire_timeout: Duration,
}

struct Idle {
    conn: AnyConnection,
    opened: Instant,
    since: Instant,
}

/// A connection for one read outside a transaction; hand it back with
/// `done` once the read has finished.
pub struct ReadConn(Option<Held>);

enum Held {
    Pooled(PoolConnection<Any>),
    Own(Own),
}

struct Own {
    conn: AnyConnection,
    opened: Instant,
    shard: Arc<Shard>,
    // Released after the connection is back among the idle ones.
    _permit: OwnedSemaphorePermit,
}

impl Shard {
    fn new(options: AnyConnectOptions, size: u32, acquire_timeout: Duration) -> Shard {
        Shard {
            options,
            permits: Arc::new(Semaphore::new(size as usize)),
            idle: Mutex::new(Vec::new()),
            acquire_timeout,
        }
    }

    async fn acquire(self: &Arc<Self>) -> anyhow::Result<ReadConn> {
        let permit =
            tokio::time::timeout(self.acquire_timeout, self.permits.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .context("could not reach the database: no read connection came free")?;
        self.take(permit).await
    }

    /// A connection for `permit`: an idle one, or a new one.
    async fn take(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> anyhow::Result<ReadConn> {
        let now = Instant::now();
        let kept = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let fresh = |idle: &Idle| {
            now.duration_since(idle.since) < MAX_IDLE
                && now.duration_since(idle.opened) < MAX_LIFETIME
        };
        let kept = match kept {
            Some(idle) if fresh(&idle) => usable(idle).await,
            Some(stale) => {
                close_later(stale.conn);
                None
            }
            None => None,
        };
        let (conn, opened) = match kept {
            Some(idle) => (idle.conn, idle.opened),
            None => {
                let conn = AnyConnection::connect_with(&self.options)
                    .await
                    .context("could not reach the database")?;
                (conn, now)
            }
        };
        Ok(ReadConn(Some(Held::Own(Own {
            conn,
            opened,
            shard: Arc::clone(self),
            _permit: permit,
        }))))
    }
}

/// `idle`, tested with a round trip when it has waited long enough for the
/// server to have restarted meanwhile (`super::TEST_AFTER_IDLE`); a broken
/// one is closed, and the caller opens another.
async fn usable(mut idle: Idle) -> Option<Idle> {
    if idle.since.elapsed() < super::TEST_AFTER_IDLE {
        return Some(idle);
    }
    match idle.conn.ping().await {
        Ok(()) => Some(idle),
        Err(_) => {
            close_later(idle.conn);
            None
        }
    }
}

impl ReadConn {
    pub(super) fn pooled(conn: PoolConnection<Any>) -> ReadConn {
        ReadConn(Some(Held::Pooled(conn)))
    }

    /// The read finished: the connection serves the next one.
    pub fn done(mut self) {
        match self.0.take() {
            None | Some(Held::Pooled(_)) => {}
            Some(Held::Own(Own {
                conn,
                opened,
                shard,
                _permit,
            })) => match shard.idle.lock() {
                Ok(mut idle) => idle.push(Idle {
                    conn,
                    opened,
                    since: Instant::now(),
                }),
                Err(_) => close_later(conn),
            },
        }
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        // Still here only when `done` was not called: the read did not
        // finish, and its connection may be mid-message.
        if let Some(Held::Own(own)) = self.0.take() {
            close_later(own.conn);
        }
    }
}

/// Closes `conn` politely in the background (a Terminate message rather
/// than a dropped socket the server would log as an unexpected EOF).
fn close_later(conn: AnyConnection) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let _ = conn.close().await;
        });
    }
}

/// Only `done` and `drop` take the connection out, and both consume it.
const HELD: &str = "a ReadConn holds its connection until it is done";

impl Deref for ReadConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self.0.as_ref().expect(HELD) {
            Held::Pooled(conn) => conn,
            Held::Own(own) => &own.conn,
        }
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self.0.as_mut().expect(HELD) {
            Held::Pooled(conn) => conn,
            Held::Own(own) => &mut own.conn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shard_sizes;

    #[test]
    fn the_read_connections_are_split_evenly_and_never_add_up_to_more() {
        assert_eq!(shard_sizes(4, 2), [2, 2]);
        assert_eq!(shard_sizes(5, 2), [3, 2]);
        assert_eq!(shard_sizes(4, 1), [4]);
        // More workers than connections: a shard per connection, shared.
        assert_eq!(shard_sizes(2, 8), [1, 1]);
        assert_eq!(shard_sizes(1, 0), [1]);
    }
}
