//! The only place with SQL. One pool type (`sqlx::Any`) serves SQLite and
//! PostgreSQL; queries use `$N` placeholders, integers, and text, which both
//! backends decode through `Any`. Functions take a connection or transaction;
//! services own transactions.

pub mod apps;
pub mod audit;
pub mod custom_fields;
pub mod deleted_users;
pub mod groups;
pub mod invitations;
pub mod login_throttle;
pub mod notifications;
pub mod oidc;
pub mod one_time_links;
pub mod organisations;
pub mod outage;
pub mod outbox;
pub mod permission_holders;
mod reads;
pub mod role_requests;
pub mod roles;
pub mod savepoint;
pub mod scope;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod signed_in;
pub mod tokens;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::config::DatabaseUrl;
pub use outage::{OutageClock, is_outage};
pub use reads::ReadConn;
pub use scope::{Scope, Scoped};

/// Whether `conn` talks to SQLite, for the few statements whose dialects differ.
pub fn is_sqlite(conn: &Conn) -> bool {
    conn.backend_name() == "SQLite"
}

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool plus which backend it talks to.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Write transactions committed through `commit` by this process, so
    /// in-process caches of figures can tell when they may be out of date
    /// (`commit_bookkeeping` does not count).
    commits: Arc<AtomicU64>,
    /// PostgreSQL's connections for page reads (see `reads`).
    reads: Option<Arc<reads::Reads>>,
    /// When this process last found the database unavailable.
    outages: OutageClock,
    /// This process's writers queue here, in turn, before they begin:
    /// SQLite's own wait for its write lock sleeps in growing steps (up to
    /// 100 ms), and on PostgreSQL each waiter would hold a connection while
    /// it waits for the advisory lock (docs/performance.md).
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Whether mail is on, and how the outbox's worker hears of new rows.
    mail: Arc<outbox::MailSwitch>,
}

/// A connection that has waited unused longer than this is tested with a
/// round trip before it is handed out: the server may have restarted
/// meanwhile. Busy connections are never idle this long, so a page view
/// under load pays nothing.
pub(crate) const TEST_AFTER_IDLE: Duration = Duration::from_secs(1);

impl Db {
    /// Connects (creating the SQLite file and its folder if needed), for a
    /// server of `workers` workers (`Db::claim_read_shard`; 1 elsewhere).
    pub async fn connect(
        url: &DatabaseUrl,
        max_connections: u32,
        workers: usize,
    ) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        anyhow::ensure!(
            max_connections >= 1,
            "GATEHOUSE_MAX_DB_CONNECTIONS must be at least 1"
        );
        let backend = if url.is_sqlite() {
            Backend::Sqlite
        } else if url.expose().starts_with("postgres") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL {url}: use sqlite:// or postgres://");
        };
        let mut raw = url.expose().to_owned();
        if backend == Backend::Sqlite {
            if let Some(dir) = url.sqlite_path().as_deref().and_then(|p| p.parent())
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create {}", dir.display()))?;
            }
            if !raw.contains("mode=") {
                raw.push(if raw.contains('?') { '&' } else { '?' });
                raw.push_str("mode=rwc");
            }
        }
        let options = AnyConnectOptions::from_str(&raw)
            .with_context(|| format!("invalid database URL {url}"))?;
        // On PostgreSQL half of the connections (rounded down) serve page
        // reads, the rest the pool; both halves are opened on demand.
        let read_connections = match backend {
            Backend::Postgres => max_connections / 2,
            Backend::Sqlite => 0,
        };
        let acquire_timeout = Duration::from_secs(10);
        let reads = (read_connections > 0).then(|| {
            Arc::new(reads::Reads::new(
                options.clone(),
                read_connections,
                workers,
                acquire_timeout,
            ))
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections - read_connections)
            .acquire_timeout(acquire_timeout)
            // A ping before every checkout doubles the round trips of a page;
            // a broken connection surfaces as a query error instead, and /healthz
            // pings explicitly.
            .test_before_acquire(false)
            // ...except after a pause, when a restarted server has left it
            // broken: a failed test closes it and the pool takes another.
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < TEST_AFTER_IDLE {
                        return Ok(true);
                    }
                    Ok(conn.ping().await.is_ok())
                })
            })
            // Settings made here would be missing on the read connections.
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A commit that takes the log past `wal_autocheckpoint`
                        // pages copies them into the database before it
                        // returns, and every writer queued behind it waits:
                        // a quarter of SQLite's default 1,000 makes each
                        // such wait shorter (docs/performance.md).
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                             PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
                             PRAGMA wal_autocheckpoint = 250;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("could not connect to {url}"))?;
        Ok(Db {
            pool,
            backend,
            commits: Arc::default(),
            writers: Arc::default(),
            mail: Arc::default(),
            reads,
            outages: OutageClock::default(),
        })
    }

    /// Applies the migrations for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => self.migrate_sqlite().await?,
            Backend::Postgres => POSTGRES_MIGRATIONS
                .run(&self.pool)
                .await
                .context("could not apply database migrations")?,
        }
        roles::seed_instance_defaults(self)
            .await
            .context("could not create the default roles")
    }

    /// SQLite's migrations, on one connection with foreign keys off: SQLite
    /// changes a table's constraints only by rebuilding it (new table,
    /// copy, drop, rename; migration 0009), and a drop with foreign keys on
    /// would cascade or refuse. Every reference is checked afterwards, and
    /// the connection is closed rather than returned to the pool with the
    /// setting off.
    async fn migrate_sqlite(&self) -> anyhow::Result<()> {
        let mut conn = self.acquire().await?.detach();
        conn.execute("PRAGMA foreign_keys = OFF")
            .await
            .context("could not prepare the migrations")?;
        SQLITE_MIGRATIONS
            .run(&mut conn)
            .await
            .context("could not apply database migrations")?;
        let dangling: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&mut conn)
                .await
                .context("could not check the database's references")?;
        anyhow::ensure!(
            dangling.is_empty(),
            "the migrated database has rows that refer to missing rows in: {:?}",
            dangling
        );
        conn.close().await.context("could not end the migrations")
    }

    /// The same database with mail on or off (`startup` sets it once, from
    /// the settings, before the pool is shared).
    pub fn with_mail(mut self, mail: outbox::MailSwitch) -> Db {
        self.mail = Arc::new(mail);
        self
    }

    /// Whether mail is on, and the base of its links.
    pub fn mail(&self) -> &outbox::MailSwitch {
        &self.mail
    }

    /// This process's turn to write: held from before `begin_write` until
    /// the transaction ends (`services::work::Work` keeps it).
    pub async fn writer_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        Arc::clone(&self.writers).lock_owned().await
    }

    /// Begins a transaction that will write. Writers are serialised on both
    /// backends (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: one advisory lock), so a
    /// rule checked inside the transaction, such as "an administrator remains",
    /// still holds when it commits, whichever instance runs it.
    pub async fn begin_write(&self) -> anyhow::Result<Tx> {
        let begun = match self.begin_write_once().await {
            // Nothing was written yet, so a connection that broke under us
            // is safe to replace once.
            Err(err) if self.outages.note(&err) => self.begin_write_once().await,
            begun => begun,
        };
        begun.inspect_err(|err| {
            self.outages.note(err);
        })
    }

    async fn begin_write_once(&self) -> anyhow::Result<Tx> {
        match self.backend {
            Backend::Sqlite => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .context("could not begin a transaction"),
            Backend::Postgres => {
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .context("could not begin a transaction")?;
                sqlx::query("SELECT pg_advisory_xact_lock(7264201)")
                    .execute(&mut *tx)
                    .await
                    .context("could not take the write lock")?;
                Ok(tx)
            }
        }
    }

    /// Commits a write transaction begun with `begin_write`. Use cases commit
    /// through `services::work::Work`, which picks this or
    /// `commit_bookkeeping` from the audit rows it wrote.
    pub async fn commit(&self, tx: Tx) -> Result<(), sqlx::Error> {
        let committed = tx.commit().await;
        // Counted even when the commit fails: a cache reloads once too often
        // rather than missing a write.
        self.commits.fetch_add(1, Ordering::SeqCst);
        committed
    }

    /// Commits a write transaction that changes none of the figures an
    /// instance keeps a copy of (`services::overview`: users per status,
    /// open role requests, role names, the range of user ids), and so
    /// leaves those copies standing: a sign-in's bookkeeping (failure
    /// counts, last sign-in, a renewed hash) and its audit rows. Counted,
    /// every sign-in of a login flood made the next page views read the
    /// figures again, each its own four queries.
    pub async fn commit_bookkeeping(&self, tx: Tx) -> Result<(), sqlx::Error> {
        tx.commit().await
    }

    /// How many write transactions this process has committed through
    /// `commit` so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn acquire(&self) -> anyhow::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.pool
            .acquire()
            .await
            .context("could not reach the database")
    }

    /// A connection for one of the reads every page view makes, outside a
    /// transaction; hand it back with `ReadConn::done` once the read has
    /// finished (see `reads`).
    pub async fn acquire_read(&self) -> anyhow::Result<ReadConn> {
        if let Some(reads) = &self.reads
            && let Some(conn) = reads.acquire().await
        {
            return conn;
        }
        Ok(ReadConn::pooled(self.acquire().await?))
    }

    /// The calling thread is one of the server's workers: on PostgreSQL its
    /// reads use a shard of the read connections of its own from now on
    /// (see `reads`); until a thread claims one, it reads through the pool.
    pub fn claim_read_shard(&self) {
        if let Some(reads) = &self.reads {
            reads.claim();
        }
    }

    /// How many threads have claimed a read shard (none on SQLite, which
    /// has no read connections).
    pub fn read_shards_claimed(&self) -> usize {
        self.reads.as_ref().map_or(0, |reads| reads.claimed())
    }

    /// Begins a read-only unit of work (a consistent snapshot on both backends).
    pub async fn begin_read(&self) -> anyhow::Result<Tx> {
        self.pool
            .begin()
            .await
            .context("could not begin a transaction")
    }

    /// When this process last found the database unavailable.
    pub fn outages(&self) -> &OutageClock {
        &self.outages
    }

    /// Answers whether the database responds.
    pub async fn ping(&self) -> bool {
        match self.pool.acquire().await {
            Ok(mut conn) => conn.ping().await.is_ok(),
            Err(_) => false,
        }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_contains(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// True when `err` is a unique-constraint violation on either backend: both
/// drivers classify their own codes (PostgreSQL 23505, SQLite 2067 and 1555),
/// which `sqlx::Any` passes through, so no message text is matched.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// Helper so `&mut *tx` and `&mut conn` read the same at call sites.
pub type Conn = AnyConnection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }

    #[tokio::test]
    async fn no_database_connections_at_all_is_refused_with_a_clear_message() {
        let url = DatabaseUrl::new("sqlite://never-created/gatehouse.db");
        let refused = Db::connect(&url, 0, 1).await.err().expect("refused");
        assert_eq!(
            refused.to_string(),
            "GATEHOUSE_MAX_DB_CONNECTIONS must be at least 1"
        );
        assert!(!std::path::Path::new("never-created").exists());
    }
}
