//! The connections behind page reads (`Db::acquire_read`): on PostgreSQL a
//! finished read hands its connection to the next one without a round trip,
//! an unfinished one closes it, and no more are open than the setting allows.

use std::time::Duration;

use gatehouse::db::{Backend, ReadConn};
use sqlx::AnyConnection;

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
