//! The storage suite: what the database keeps and how, below the pages. Read
//! connections, SQLite's settings, the migrations, the audit log's stored
//! rows and hash chain, and the user search's index and windows. Like the API suite it runs on
//! SQLite, or on PostgreSQL when GATEHOUSE_TEST_DATABASE_URL names a server,
//! and shares its app and helpers (tests/common/).

mod audit_log;
mod helpers;
mod migrations;
mod read_connections;
mod sqlite_settings;
mod user_search;
