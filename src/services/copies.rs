//! Copies an instance keeps of what many requests read and few writes
//! change (the overview's figures, the apps, the organisations, the custom
//! fields), one per key. A copy serves while this instance has committed
//! no write since it was read that could change it (`Db::commits`; which
//! writes count is `AuditAction::changes_overview`) and it is younger than
//! a second, so a change made here shows at the very next request and one
//! made through another instance within a second. Requests that find a copy
//! out of date at the same moment wait for one read instead of each making
//! their own.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::ServiceError;
use crate::db::Db;

/// How long a copy serves when this instance has committed nothing since.
const MAX_AGE: Duration = Duration::from_secs(1);

pub struct Copies<K, T> {
    kept: Mutex<HashMap<K, Kept<T>>>,
    /// Held while a copy is read again.
    reading: tokio::sync::Mutex<()>,
}

struct Kept<T> {
    /// `Db::commits` when the copy was read.
    commits: u64,
    read_at: Instant,
    value: Arc<T>,
}

impl<K, T> Default for Copies<K, T> {
    fn default() -> Self {
        Copies {
            kept: Mutex::new(HashMap::new()),
            reading: tokio::sync::Mutex::new(()),
        }
    }
}

impl<K: Eq + Hash, T> Copies<K, T> {
    /// The copy for `key`, read with `read` when there is none current.
    pub async fn get<F, Fut>(&self, db: &Db, key: K, read: F) -> Result<Arc<T>, ServiceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        // Counted before the read: a write committed while it runs leaves
        // the copy marked older than that write, so the next request reads
        // again.
        let commits = db.commits();
        if let Some(value) = self.current(&key, commits) {
            return Ok(value);
        }
        let _reading = self.reading.lock().await;
        // Another request may have read it while this one waited.
        if let Some(value) = self.current(&key, commits) {
            return Ok(value);
        }
        let value = Arc::new(read().await?);
        let kept = Kept {
            commits,
            read_at: Instant::now(),
            value: Arc::clone(&value),
        };
        self.kept().insert(key, kept);
        Ok(value)
    }

    fn current(&self, key: &K, commits: u64) -> Option<Arc<T>> {
        let kept = self.kept();
        let copy = kept.get(key)?;
        (copy.commits >= commits && copy.read_at.elapsed() < MAX_AGE)
            .then(|| Arc::clone(&copy.value))
    }

    fn kept(&self) -> MutexGuard<'_, HashMap<K, Kept<T>>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
