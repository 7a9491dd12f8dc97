//! The connections behind page reads (`Db::acquire_read`): on PostgreSQL a
//! finished read hands its connection to the next one without a round trip,
//! an unfinished one closes it, no more are open than the setting allows,
//! and each server worker reads through a shard of its own. A test's thread
//! claims a shard as a worker does (`Db::claim_read_shard`); unclaimed, it
//! would read through the pool.

use std::time::Duration;

use gatehouse::db::{Backend, Db, ReadConn};
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use crate::helpers::*;

async fn backend_pid(conn: &mut ReadConn) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut **conn)
        .await
        .expect("the read runs")
}

async fn answers(conn: &mut AnyConnection) -> bool {
    let one: Result<i64, _> = sqlx::query_scalar("SELECT 1").fetch_one(conn).await;
    one.is_ok_and(|one| one == 1)
}

#[tokio::test]
async fn a_finished_read_hands_its_connection_on_and_an_unfinished_one_closes_it() {
    let app = spawn_app().await;
    if app.db.backend != Backend::Postgres {
        // SQLite reads go through the pool; they simply work.
        let mut conn = app.db.acquire_read().await.unwrap();
        assert!(answers(&mut conn).await);
        conn.done();
        eprintln!(
            "skipped on SQLite: handing a connection on or closing it is PostgreSQL's read \
             connection; SQLite reads go through the pool, so only the read itself is checked"
        );
        return;
    }
    app.db.claim_read_shard();
    let mut first = app.db.acquire_read().await.unwrap();
    let first_pid = backend_pid(&mut first).await;
    first.done();

    let mut again = app.db.acquire_read().await.unwrap();
    assert_eq!(
        backend_pid(&mut again).await,
        first_pid,
        "a finished read's connection is reused"
    );
    drop(again); // as when a request is dropped mid-read

    let mut fresh = app.db.acquire_read().await.unwrap();
    assert_ne!(
        backend_pid(&mut fresh).await,
        first_pid,
        "an unfinished read's connection is not"
    );
    let mut gone = false;
    for _ in 0..50 {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1")
            .bind(first_pid)
            .fetch_one(&mut *fresh)
            .await
            .unwrap();
        if open == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the unfinished read's connection was closed");
    fresh.done();
}

#[tokio::test]
async fn no_more_read_connections_are_open_than_half_the_setting() {
    let app = spawn_app_with(|s| s.max_db_connections = 2).await;
    if app.db.backend != Backend::Postgres {
        eprintln!(
            "skipped on SQLite: its reads share the pool, so there are no read connections \
             to count"
        );
        return;
    }
    app.db.claim_read_shard();
    let held = app.db.acquire_read().await.unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(300), app.db.acquire_read()).await;
    assert!(
        waiting.is_err(),
        "a second read waits while the only read connection is busy"
    );
    // Meanwhile the pool's connection still serves everything else.
    assert!(answers(&mut app.db.acquire().await.unwrap()).await);
    held.done();
    let next = tokio::time::timeout(Duration::from_secs(5), app.db.acquire_read()).await;
    assert!(
        matches!(next, Ok(Ok(_))),
        "the read connection comes free when done"
    );
}

/// What a `Worker` is asked to do.
enum Ask {
    /// Read a connection's backend and hand the connection back.
    Read(oneshot::Sender<i32>),
    /// Read a connection's backend and keep the connection.
    Hold(oneshot::Sender<i32>),
}

/// A thread with a runtime of its own, as a server worker has, that claims
/// a read shard (or, `claim` false, none) and reads when asked.
struct Worker(mpsc::UnboundedSender<Ask>);

impl Worker {
    fn start(db: Db, claim: bool) -> Worker {
        let (ask, mut asked) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if claim {
                    db.claim_read_shard();
                }
                let mut held = Vec::new();
                while let Some(ask) = asked.recv().await {
                    let mut conn = db.acquire_read().await.unwrap();
                    let pid = backend_pid(&mut conn).await;
                    match ask {
                        Ask::Read(answer) => {
                            conn.done();
                            let _ = answer.send(pid);
                        }
                        Ask::Hold(answer) => {
                            held.push(conn);
                            let _ = answer.send(pid);
                        }
                    }
                }
                held.into_iter().for_each(ReadConn::done);
            });
        });
        Worker(ask)
    }

    /// The backend of the connection this worker read on, within 5 s.
    async fn ask(&self, ask: fn(oneshot::Sender<i32>) -> Ask) -> i32 {
        let (answer, answered) = oneshot::channel();
        self.0.send(ask(answer)).unwrap();
        tokio::time::timeout(Duration::from_secs(5), answered)
            .await
            .expect("the worker read within 5 s")
            .expect("the worker read")
    }
}

#[tokio::test]
async fn each_worker_reads_through_its_own_shard_takes_a_free_one_when_its_own_is_busy_and_other_threads_use_the_pool()
 {
    // A database of its own rather than a running server's, whose workers
    // claim their shards while it starts: here only these threads claim.
    // Two read connections for two workers: a shard of one each.
    let db = Db::connect(&fresh_database().await, 4, 2).await.unwrap();
    if db.backend != Backend::Postgres {
        eprintln!(
            "skipped on SQLite: its reads share the pool, so there are no read connections \
             to shard"
        );
        return;
    }
    let one = Worker::start(db.clone(), true);
    let other = Worker::start(db.clone(), true);
    let first = one.ask(Ask::Read).await;
    let second = other.ask(Ask::Read).await;
    assert_ne!(
        first, second,
        "the second worker opens its own connection, though the first's is idle"
    );
    assert_eq!(
        one.ask(Ask::Read).await,
        first,
        "a worker reads on its own again"
    );
    assert_eq!(other.ask(Ask::Read).await, second, "so does the other");

    // A thread that claimed none (a background job's, say) reads through
    // the pool, not on a worker's idle connection.
    let unclaimed = Worker::start(db.clone(), false).ask(Ask::Read).await;
    assert!(
        unclaimed != first && unclaimed != second,
        "an unclaimed thread reads through the pool"
    );

    // While its own connection is busy, a worker takes the other shard's
    // free one rather than wait.
    assert_eq!(one.ask(Ask::Hold).await, first);
    assert_eq!(
        one.ask(Ask::Hold).await,
        second,
        "with its own shard busy, it reads on the other's free connection"
    );
}

#[tokio::test]
async fn each_of_the_servers_workers_claims_a_read_shard_when_it_starts() {
    let app = spawn_app_with(|s| {
        s.workers = Some(2);
        s.max_db_connections = 4;
    })
    .await;
    if app.db.backend != Backend::Postgres {
        eprintln!(
            "skipped on SQLite: its reads share the pool, so there are no read shards to claim"
        );
        return;
    }
    // The workers claim theirs as they start, before they serve anything.
    let mut claimed = 0;
    for _ in 0..50 {
        claimed = app.db.read_shards_claimed();
        if claimed == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(claimed, 2, "each of the two workers claimed a shard");
}
