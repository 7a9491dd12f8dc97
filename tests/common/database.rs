//! A fresh database per test, shared by the API and browser suites (each
//! includes this file with `#[path]`): a new SQLite file in the temp folder,
//! or a new PostgreSQL database when GATEHOUSE_TEST_DATABASE_URL names a server.

use gatehouse::config::DatabaseUrl;
use rand::Rng;
use sqlx::Connection;

fn unique_name() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("gatehouse_test_{n:016x}")
}

/// A database URL no other test uses.
pub async fn fresh_database() -> DatabaseUrl {
    match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let server = server.trim_end_matches('/');
            let name = unique_name();
            let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("could not reach PostgreSQL for tests");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("could not create a test database");
            DatabaseUrl::new(format!("{server}/{name}"))
        }
        _ => {
            let dir = std::env::temp_dir().join("gatehouse-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            DatabaseUrl::new(format!("sqlite://{}/{}.db", dir.display(), unique_name()))
        }
    }
}
