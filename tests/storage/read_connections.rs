//! The connections behind page reads (`Db::acquire_read`): on PostgreSQL a
//! finished read hands its connection to the next one without a round trip,
//! an unfinished one closes it, no more are open than the setting allows,
//! and each server worker reads through a shard of its own. A test's thread
//! claims a shard as a worker does (`Db::claim_read_shard`); unclaimed, it
//! would read through the pool.

use std::sync::Arc;
use std::time::Duration;

use gatehouse::db::{Backend, Db, ReadConn};
use sqlx::AnyConnection;
use tokio::sync::Barrier;

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

/// On a thread of its own, as a server worker: claims a shard, reads the
/// connection's backend, holds it until `hold` is passed by both, then reads
/// again and returns both backends.
fn worker_reads(db: Db, hold: Arc<Barrier>) -> std::thread::JoinHandle<(i32, i32)> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            db.claim_read_shard();
            let mut conn = tokio::time::timeout(Duration::from_secs(5), db.acquire_read())
                .await
                .expect("a worker gets a connection of its own shard while the other holds one")
                .unwrap();
            let first = backend_pid(&mut conn).await;
            // Bounded, so a worker left waiting (the other shard's read
            // failed) fails rather than hangs.
            tokio::time::timeout(Duration::from_secs(10), hold.wait())
                .await
                .expect("both workers hold a connection at once");
            conn.done();
            let mut conn = db.acquire_read().await.unwrap();
            let again = backend_pid(&mut conn).await;
            conn.done();
            (first, again)
        })
    })
}

#[tokio::test]
async fn each_worker_reads_through_connections_of_its_own_and_other_threads_through_the_pool() {
    // A database of its own rather than a running server's: the server's
    // workers claim their shards while it starts, and a claim of this
    // test's between theirs would give both of its threads one shard.
    // Two read connections for two workers: a shard of one each.
    let db = Db::connect(&fresh_database().await, 4, 2).await.unwrap();
    if db.backend != Backend::Postgres {
        eprintln!(
            "skipped on SQLite: its reads share the pool, so there are no read connections \
             to shard"
        );
        return;
    }
    // Two threads claim a shard each, as the server's two workers do.
    let hold = Arc::new(Barrier::new(2));
    let one = worker_reads(db.clone(), Arc::clone(&hold));
    let other = worker_reads(db.clone(), hold);
    let one = tokio::task::spawn_blocking(move || one.join().unwrap());
    let other = tokio::task::spawn_blocking(move || other.join().unwrap());
    let (one, other) = (one.await.unwrap(), other.await.unwrap());
    assert_ne!(
        one.0, other.0,
        "the two workers read on different connections"
    );
    assert_eq!(
        one.0, one.1,
        "a worker's next read reuses its own connection"
    );
    assert_eq!(other.0, other.1, "so does the other's");

    // A thread that claimed none (a background job's, say) reads through
    // the pool, never on a worker's connection.
    let unclaimed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut pooled = db.acquire_read().await.unwrap();
            let pid = backend_pid(&mut pooled).await;
            pooled.done();
            pid
        })
    });
    let pid = tokio::task::spawn_blocking(move || unclaimed.join().unwrap())
        .await
        .unwrap();
    assert!(
        pid != one.0 && pid != other.0,
        "an unclaimed thread reads through the pool"
    );
}
