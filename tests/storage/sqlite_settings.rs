//! What every SQLite connection is set to: a write-ahead log, commits that
//! reach the disk before they return, foreign keys enforced, and the log
//! copied into the database in small steps (`Db::connect`).

use gatehouse::db::Backend;
use sqlx::Row;

use crate::helpers::*;

#[tokio::test]
async fn every_sqlite_connection_logs_ahead_syncs_each_commit_and_checkpoints_in_small_steps() {
    let app = spawn_app().await;
    if app.db.backend != Backend::Sqlite {
        eprintln!("skipped on PostgreSQL: these are SQLite's own settings");
        return;
    }
    let mut conn = app.db.acquire().await.unwrap();
    let mut setting = async |name: &str| -> String {
        let value: sqlx::any::AnyRow = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        value
            .try_get::<String, _>(0)
            .or_else(|_| value.try_get::<i64, _>(0).map(|n| n.to_string()))
            .unwrap()
    };
    assert_eq!(setting("journal_mode").await, "wal");
    assert_eq!(
        setting("synchronous").await,
        "2",
        "FULL: each commit is synced"
    );
    assert_eq!(setting("foreign_keys").await, "1");
    assert_eq!(setting("wal_autocheckpoint").await, "250");
}
