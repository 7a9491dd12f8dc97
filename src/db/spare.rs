//! PostgreSQL: a few connections kept out of the pool between the reads
//! every page makes (its session, its content). Handing a connection back
//! to sqlx's pool costs a round trip to the database, which tests the
//! connection (`PoolConnection` pings on release); a page view makes two
//! such reads, and skipping their tests took the user list from about 2,200
//! to 2,500-3,000 requests/s (CPU per page 0.71 -> 0.60 ms). On SQLite the
//! test is a hop to the connection's own thread; keeping connections there
//! gained nothing and lengthened the slowest pages, so SQLite reads go
//! through the pool as before.
//! A connection comes back here only when its read finished (`done`): one
//! dropped mid-query or after an error goes back through the pool and its
//! test as before. Only reads outside transactions use this, so a
//! connection here never holds a lock or an unfinished statement.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};

use super::{Backend, Db};

/// At most this many connections wait here (of `max_db_connections`, 8 by
/// default), so writers always find the rest in the pool.
const KEPT: usize = 4;

#[derive(Clone, Default)]
pub(super) struct Spare(Arc<Mutex<Vec<PoolConnection<Any>>>>);

/// A connection for one read outside a transaction; see the module notes.
pub struct ReadConn {
    conn: Option<PoolConnection<Any>>,
    /// Where `done` keeps the connection; `None` on SQLite.
    spare: Option<Spare>,
    pool: AnyPool,
}

impl Db {
    /// A connection for a read outside a transaction, to be handed back with
    /// `ReadConn::done` once the read has finished.
    pub async fn acquire_read(&self) -> anyhow::Result<ReadConn> {
        let keep = self.backend == Backend::Postgres;
        let kept = match keep {
            true => self.spare.0.lock().ok().and_then(|mut kept| kept.pop()),
            false => None,
        };
        let conn = match kept {
            Some(conn) => conn,
            None => self.acquire().await?,
        };
        Ok(ReadConn {
            conn: Some(conn),
            spare: keep.then(|| self.spare.clone()),
            pool: self.pool.clone(),
        })
    }
}

impl ReadConn {
    /// The read finished: keeps the connection for the next one, unless
    /// enough are kept or the pool has none left, when someone may be
    /// waiting for it there (the pool serves its waiters in turn; kept
    /// connections go to whoever asks next).
    pub fn done(mut self) {
        let (Some(conn), Some(spare)) = (self.conn.take(), &self.spare) else {
            return;
        };
        if self.pool.num_idle() == 0 {
            return;
        }
        let Ok(mut kept) = spare.0.lock() else { return };
        if kept.len() < KEPT {
            kept.push(conn);
        }
    }
}

impl Deref for ReadConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn
            .as_ref()
            .expect("a ReadConn holds its connection until done")
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a ReadConn holds its connection until done")
    }
}
