//! argon2id hashing, always on dedicated hashing threads and never more at once than
//! the hasher's permits (one per core by default), so a flood of sign-ins
//! queues here instead of taking every core and `permits × m` of memory.
//! Hashes in older formats (imported users, weaker parameters) verify too and
//! are flagged for rehashing.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Mutex, mpsc};

use tokio::sync::Semaphore;

use super::legacy_hash::StoredHash;

/// The OWASP minimum for argon2id: m=19456 KiB, t=2, p=1. Configurations below
/// it are refused unless `allow_weak` is set (test suites only).
pub const OWASP_MINIMUM: HashParams = HashParams {
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matched: bool,
    /// The stored hash is not argon2id with at least the configured
    /// parameters: store a fresh one now that the password is known.
    pub needs_rehash: bool,
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords with the configured parameters; cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: HashParams,
    permits: Semaphore,
    /// Dedicated hashing threads, one per permit. Each argon2 run allocates
    /// m KiB; on tokio's blocking pool those allocations land on whichever
    /// threads the pool grows to, and each thread's malloc arena keeps one,
    /// so resident memory climbed by hundreds of MiB under a login flood.
    /// A fixed set of threads reuses the same few blocks.
    jobs: Mutex<mpsc::Sender<Job>>,
    /// A hash of a random password with the configured parameters, verified
    /// when a login names no user so that costs what a real check costs.
    dummy: String,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.inner.params)
            .finish_non_exhaustive()
    }
}

impl Default for Hasher {
    /// The OWASP minimum, one permit per core.
    fn default() -> Hasher {
        Hasher::new(OWASP_MINIMUM, 0, false).expect("the OWASP minimum is valid")
    }
}

impl Hasher {
    /// `concurrency` 0 means one permit per core.
    pub fn new(params: HashParams, concurrency: usize, allow_weak: bool) -> anyhow::Result<Hasher> {
        let weak = params.memory_kib < OWASP_MINIMUM.memory_kib
            || params.iterations < OWASP_MINIMUM.iterations
            || params.parallelism < OWASP_MINIMUM.parallelism;
        anyhow::ensure!(
            !weak || allow_weak,
            "argon2 parameters {params:?} are below the OWASP minimum (m=19456, t=2, p=1)"
        );
        argon2_params(params).context("invalid argon2 parameters")?;
        let permits = match concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        // On a short-lived thread, so its argon2 work area goes with it
        // instead of staying with the caller (the main thread at start).
        let random: [u8; 16] = rand::random();
        let dummy = std::thread::spawn(move || hash_with(params, &hex::encode(random)))
            .join()
            .map_err(|_| anyhow::anyhow!("hashing the dummy password panicked"))??;
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..permits {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    // Ends when the Hasher (the only sender) is dropped.
                    loop {
                        let job = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking job must not take the thread with it.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .context("could not start a password hashing thread")?;
        }
        Ok(Hasher {
            inner: Arc::new(Inner {
                params,
                permits: Semaphore::new(permits),
                jobs: Mutex::new(sender),
                dummy,
            }),
        })
    }

    pub fn params(&self) -> HashParams {
        self.inner.params
    }

    /// Hashes `password` with a fresh salt.
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let params = self.inner.params;
        self.run(move || hash_with(params, password.expose_secret()))
            .await
    }

    /// Checks `password` against `stored` (or against the dummy hash when
    /// there is no user, so an unknown login costs the same).
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<Verified> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.inner.dummy.clone());
        let params = self.inner.params;
        let (matched, needs_rehash) = self
            .run(move || {
                let parsed = StoredHash::parse(&stored)
                    .map_err(|e| anyhow::anyhow!("a stored password hash is unusable: {e}"))?;
                let matched = parsed.verify(password.expose_secret());
                Ok((matched, !is_current(&stored, params)))
            })
            .await?;
        Ok(Verified {
            matched: known && matched,
            needs_rehash: known && matched && needs_rehash,
        })
    }

    /// Runs `f` on a hashing thread once a permit is free, keeping the span.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .context("the password hasher is shut down")?;
        let span = tracing::Span::current();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(span.in_scope(f));
        });
        self.inner
            .jobs
            .lock()
            .map_err(|_| anyhow::anyhow!("the password hasher is poisoned"))?
            .send(job)
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        answer.await.context("the password hashing task failed")?
    }

    /// Permits free right now (for tests of the bound).
    pub fn available_permits(&self) -> usize {
        self.inner.permits.available_permits()
    }
}

/// How much lower than the page-serving threads the hashing threads run
/// (a nice value). A hash takes ~20 ms of CPU and a page well under one:
/// at equal priority a flood of sign-ins on a 2-core machine keeps both cores
/// hashing and every page waits behind it. With the hashing threads niced,
/// pages go first and sign-ins use what is left, which on an idle machine is
/// everything.
const HASHING_NICENESS: i32 = 10;

/// Lowers this thread's CPU priority (Linux keeps a nice value per thread).
/// Best effort: without it sign-ins still work, pages just wait more.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::nice(HASHING_NICENESS) {
        tracing::warn!(%err, "could not lower the priority of a password hashing thread");
    }
}

/// Hashes synchronously with the OWASP minimum; for demo seeding.
pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    hash_with(OWASP_MINIMUM, password)
}

fn argon2_params(p: HashParams) -> anyhow::Result<Params> {
    Params::new(p.memory_kib, p.iterations, p.parallelism, None).map_err(|e| anyhow::anyhow!("{e}"))
}

fn hash_with(params: HashParams, password: &str) -> anyhow::Result<String> {
    super::argon2_memory::hash_phc(&argon2_params(params)?, password.as_bytes())
}

/// Whether `stored` is argon2id v19 with at least `params` in every cost.
pub fn is_current(stored: &str, params: HashParams) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(have) = Params::try_from(&parsed) else {
        return false;
    };
    parsed.algorithm == Algorithm::Argon2id.ident()
        && parsed.version == Some(Version::V0x13.into())
        && have.m_cost() >= params.memory_kib
        && have.t_cost() >= params.iterations
        && have.p_cost() >= params.parallelism
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = Hasher::default();
        let stored = hasher.hash(secret("correct horse battery")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let ok = hasher
            .verify(secret("correct horse battery"), Some(stored.clone()))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                matched: true,
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify(secret("wrong horse battery"), Some(stored))
            .await
            .unwrap();
        assert!(!wrong.matched);
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_the_dummy_password() {
        let hasher = Hasher::default();
        let verified = hasher
            .verify(secret("anything at all"), None)
            .await
            .unwrap();
        assert!(!verified.matched && !verified.needs_rehash);
        assert!(is_current(&hasher.inner.dummy, OWASP_MINIMUM));
    }

    #[test]
    fn parameters_below_the_owasp_minimum_are_refused_unless_allowed() {
        let weak = HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(Hasher::new(weak, 1, false).is_err());
        assert!(Hasher::new(weak, 1, true).is_ok());
    }

    #[tokio::test]
    async fn a_hash_weaker_than_configured_is_flagged_for_rehashing() {
        let old = Hasher::default()
            .hash(secret("Vq7#mZ2!pLr9@xWt"))
            .await
            .unwrap();
        let stronger = Hasher::new(
            HashParams {
                iterations: 3,
                ..OWASP_MINIMUM
            },
            1,
            false,
        )
        .unwrap();
        let verified = stronger
            .verify(secret("Vq7#mZ2!pLr9@xWt"), Some(old.clone()))
            .await
            .unwrap();
        assert!(verified.matched && verified.needs_rehash);
        let wrong = stronger.verify(secret("nope"), Some(old)).await.unwrap();
        assert!(!wrong.needs_rehash, "only a known password can be rehashed");
    }

    #[tokio::test]
    async fn a_legacy_hash_verifies_and_asks_for_rehashing() {
        let werkzeug = "pbkdf2:sha256:1000$Mbld8FNUBXgq5yDe$fcbb7cdbed895707c9d228e61359d1c29279345743060341a8e3d76faf9df403";
        let verified = Hasher::default()
            .verify(secret("Legacy-pass-2024!"), Some(werkzeug.into()))
            .await
            .unwrap();
        assert!(verified.matched && verified.needs_rehash);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_a_lower_priority_than_the_rest() {
        let hasher = Hasher::new(OWASP_MINIMUM, 1, false).unwrap();
        let here = rustix::process::getpriority_process(None).unwrap();
        let there = hasher
            .run(|| Ok(rustix::process::getpriority_process(None)?))
            .await
            .unwrap();
        assert_eq!(there, (here + HASHING_NICENESS).min(19));
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), here);
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_permits() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Condvar, Mutex};

        let hasher = Hasher::new(OWASP_MINIMUM, 2, false).unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (hasher, started, gate) = (hasher.clone(), started.clone(), gate.clone());
                tokio::spawn(async move {
                    hasher
                        .run(move || {
                            started.fetch_add(1, Ordering::SeqCst);
                            let (open, cv) = &*gate;
                            let mut open = open.lock().unwrap();
                            while !*open {
                                open = cv.wait(open).unwrap();
                            }
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(hasher.available_permits(), 0);
        assert_eq!(started.load(Ordering::SeqCst), 2, "a third hash started");
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(started.load(Ordering::SeqCst), 3);
        assert_eq!(hasher.available_permits(), 2);
    }
}
