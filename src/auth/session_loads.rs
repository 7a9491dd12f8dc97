//! The session loads of one worker's concurrent requests, read in one
//! statement.
//!
//! Every signed-in request begins by loading its session and its user. On
//! PostgreSQL each statement costs a round trip and the setting up of its
//! plan, however few rows it reads, and that was most of the database's
//! time on `/auth/verify` (docs/performance.md). Under load a worker has
//! several requests waiting for their sessions at once. So a request queues
//! its session's hash and, when no read is under way, starts one in a task
//! of its own. That task reads every queued session in one statement,
//! answers each request, and then reads whatever queued meanwhile, until
//! the queue is empty.
//!
//! Each statement is sent after every request it answers arrived, so what a
//! request learns (the session still exists, the user's status, role and
//! groups) is as live as a read of its own would be. A request whose shared
//! read failed reads alone, and so meets the error (an outage, say) itself.
//!
//! The queue is the worker's own (the store is built on each worker's
//! thread), so a read and the requests it answers share a thread, and a
//! read connection of that worker's shard (`db::reads`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tokio::sync::oneshot;

use crate::db::sessions::LoadedSession;
use crate::db::{self, Db, Scope};

/// At most this many sessions are read in one statement.
const MAX_BATCH: usize = 32;

/// What a queued request is told: its session (or that there is none), or
/// that the shared read failed.
type Answer = Result<Option<LoadedSession>, ()>;

/// The session loads of one worker.
#[derive(Clone)]
pub struct SessionLoads {
    db: Db,
    queue: Rc<RefCell<Queue>>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(String, oneshot::Sender<Answer>)>,
    /// Whether a task is reading the queue.
    reading: bool,
}

impl SessionLoads {
    pub fn new(db: Db) -> SessionLoads {
        SessionLoads {
            db,
            queue: Rc::default(),
        }
    }

    /// The session whose key hashes to `id_hash`, with its user, read in a
    /// statement sent after this call began.
    pub async fn load(&self, id_hash: &str) -> anyhow::Result<Option<LoadedSession>> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = self.queue.borrow_mut();
            queue.waiting.push((id_hash.to_owned(), answer));
            !std::mem::replace(&mut queue.reading, true)
        };
        if start {
            actix_web::rt::spawn(read_queued(self.db.clone(), Rc::clone(&self.queue)));
        }
        match answered.await {
            Ok(Ok(loaded)) => Ok(loaded),
            // The shared read failed, or its task ended before answering.
            Ok(Err(())) | Err(_) => self.load_alone(id_hash).await,
        }
    }

    async fn load_alone(&self, id_hash: &str) -> anyhow::Result<Option<LoadedSession>> {
        let mut found = read(&self.db, std::iter::once(id_hash)).await?;
        Ok(found.remove(id_hash))
    }
}

/// Reads the queue until it is empty.
async fn read_queued(db: Db, queue: Rc<RefCell<Queue>>) {
    // Should the task end early (a panic, the worker stopping), the queued
    // requests are told, and the next request starts a task again.
    let _reset = Reset(Rc::clone(&queue));
    loop {
        let batch: Vec<_> = {
            let mut queue = queue.borrow_mut();
            if queue.waiting.is_empty() {
                queue.reading = false;
                return;
            }
            let count = queue.waiting.len().min(MAX_BATCH);
            queue.waiting.drain(..count).collect()
        };
        let found = read(&db, batch.iter().map(|(hash, _)| hash.as_str())).await;
        for (hash, answer) in batch {
            let _gone = answer.send(match &found {
                Ok(found) => Ok(found.get(&hash).cloned()),
                Err(_) => Err(()),
            });
        }
    }
}

/// The sessions behind `hashes` (each read once), by hash.
async fn read<'a>(
    db: &Db,
    hashes: impl Iterator<Item = &'a str>,
) -> anyhow::Result<HashMap<String, LoadedSession>> {
    let mut hashes: Vec<&str> = hashes.collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut conn = db.acquire_read().await?;
    let found = db::sessions::load_many(Scope::instance().on(&mut conn), &hashes).await?;
    conn.done();
    Ok(found.into_iter().collect())
}

/// Leaves the queue with no reader and no one waiting when dropped.
struct Reset(Rc<RefCell<Queue>>);

impl Drop for Reset {
    fn drop(&mut self) {
        if let Ok(mut queue) = self.0.try_borrow_mut() {
            queue.reading = false;
            // Dropping their senders tells them: they read alone.
            queue.waiting.clear();
        }
    }
}
