//! A fresh database per test, shared by the API and browser suites (each
//! includes this file with `#[path]`): a new SQLite file in the temp folder,
//! or a new PostgreSQL database when GATEHOUSE_TEST_DATABASE_URL names a server.

use std::time::{SystemTime, UNIX_EPOCH};

use gatehouse::config::DatabaseUrl;
use rand::Rng;
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

const PREFIX: &str = "gatehouse_test_";

/// A test database older than this was left by an earlier run.
const LEFT_BEHIND_AFTER_SECS: u64 = 3_600;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `gatehouse_test_<created, unix seconds>_<random>`: the time lets a later
/// run tell which databases an earlier one left behind.
fn unique_name() -> String {
    let n: u32 = rand::thread_rng().r#gen();
    format!("{PREFIX}{}_{n:08x}", now_secs())
}

/// Whether `name` is a test database left behind by an earlier run: created
/// over an hour ago, or named before names carried their time.
fn left_behind(name: &str, now: u64) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return false;
    };
    match rest.split_once('_') {
        Some((created, _)) => created
            .parse::<u64>()
            .is_ok_and(|created| created + LEFT_BEHIND_AFTER_SECS < now),
        None => true,
    }
}

/// Drops the test databases earlier runs left behind. A test cannot drop
/// its own (its app keeps connections open until the process ends), so each
/// run sweeps once, before its first database; the same goes for SQLite
/// files.
async fn drop_left_behind(conn: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database")
        .fetch_all(&mut *conn)
        .await
        .expect("could not list databases");
    let now = now_secs();
    for name in names.iter().filter(|name| left_behind(name, now)) {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut *conn)
            .await
            .expect("could not drop a test database left behind");
    }
}

/// Removes the SQLite test files earlier runs left behind in `dir`.
fn remove_left_behind(dir: &std::path::Path) {
    let now = now_secs();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let stem = name
            .to_str()
            .and_then(|n| n.split('.').next())
            .unwrap_or("");
        if left_behind(stem, now) {
            std::fs::remove_file(entry.path()).ok();
        }
    }
}

/// A database URL no other test uses.
pub async fn fresh_database() -> DatabaseUrl {
    static SWEPT: OnceCell<()> = OnceCell::const_new();
    match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let server = server.trim_end_matches('/');
            let name = unique_name();
            let mut conn = PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("could not reach PostgreSQL for tests");
            SWEPT.get_or_init(|| drop_left_behind(&mut conn)).await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("could not create a test database");
            DatabaseUrl::new(format!("{server}/{name}"))
        }
        _ => {
            let dir = std::env::temp_dir().join("gatehouse-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            SWEPT
                .get_or_init(|| async { remove_left_behind(&dir) })
                .await;
            DatabaseUrl::new(format!("sqlite://{}/{}.db", dir.display(), unique_name()))
        }
    }
}

#[test]
fn only_test_databases_over_an_hour_old_or_without_a_time_are_left_behind() {
    let now = 1_800_000_000;
    assert!(left_behind("gatehouse_test_1799990000_0a1b2c3d", now));
    assert!(left_behind("gatehouse_test_00ff00ff00ff00ff", now));
    assert!(!left_behind("gatehouse_test_1799999000_0a1b2c3d", now));
    assert!(!left_behind("gatehouse_bench", now));
    assert!(!left_behind("postgres", now));
}
