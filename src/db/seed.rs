//! Bulk inserts for `gatehouse demo seed` and `gatehouse user import`: many
//! rows per statement.

use std::collections::{HashMap, HashSet};

use anyhow::Context;

use super::{Conn, Scoped};
use crate::domain::{RoleId, Timestamp, UserStatus, case_key};

pub struct SeedUser {
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub status: UserStatus,
    pub role: RoleId,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    pub login_count: i64,
}

/// Gives this connection room for a bulk load. SQLite's default page cache
/// is 2 MB; a million users with their indexes and search index then keep
/// reading back pages they wrote moments ago. The setting ends with the
/// connection (a `gatehouse demo seed` process).
pub async fn prepare_bulk_load(conn: &mut Conn) -> anyhow::Result<()> {
    if super::is_sqlite(conn) {
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(conn)
            .await
            .context("could not enlarge the page cache")?;
    }
    Ok(())
}

/// The password hashes of a bulk insert.
#[derive(Clone, Copy)]
pub enum Hashes<'a> {
    /// One for every user (the demo users').
    Shared(&'a str),
    /// One per user, in order (an import's).
    Each(&'a [String]),
}

/// Inserts `users` (at most a few thousand at a time).
pub async fn insert_users(
    scoped: Scoped<'_>,
    users: &[SeedUser],
    hashes: Hashes<'_>,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    // A number the scope holds, written into the statement like a page's
    // LIMIT: one parameter fewer per row.
    let organisation = scope.org()?;
    if users.is_empty() {
        return Ok(());
    }
    const COLUMNS: usize = 15;
    // SQLite resolves every `$N` by a linear search over the names seen so
    // far, which makes a 15,000-parameter statement quadratic to prepare;
    // plain positional `?` parameters are linear. PostgreSQL needs `$N`.
    let sqlite = super::is_sqlite(conn);
    let mut sql = String::from(
        "INSERT INTO users (username, username_key, email, email_key, full_name, full_name_key, \
         password_hash, status, role_id, created_at, updated_at, status_changed_at, last_login_at, \
         login_count, search_key, organisation_id) VALUES ",
    );
    for i in 0..users.len() {
        if i > 0 {
            sql.push(',');
        }
        let base = i * COLUMNS;
        let params: Vec<String> = if sqlite {
            vec!["?".to_owned(); COLUMNS]
        } else {
            (1..=COLUMNS).map(|c| format!("${}", base + c)).collect()
        };
        sql.push('(');
        sql.push_str(&params.join(","));
        sql.push_str(&format!(",{organisation})"));
    }
    let mut query = sqlx::query(&sql);
    for (i, user) in users.iter().enumerate() {
        let password_hash = match hashes {
            Hashes::Shared(hash) => hash,
            Hashes::Each(hashes) => hashes.get(i).context("a user without a password hash")?,
        };
        query = query
            .bind(user.username.clone())
            .bind(case_key(&user.username))
            .bind(user.email.clone())
            .bind(case_key(&user.email))
            .bind(user.full_name.clone())
            .bind(case_key(&user.full_name))
            .bind(password_hash.to_owned())
            .bind(user.status.as_str())
            .bind(user.role.0)
            .bind(user.created_at.0)
            .bind(user.created_at.0)
            .bind(user.created_at.0)
            .bind(user.last_login_at.map(|t| t.0))
            .bind(user.login_count)
            .bind(crate::domain::search_key(
                &user.username,
                &user.email,
                &user.full_name,
            ));
    }
    query
        .execute(conn)
        .await
        .context("could not insert users in bulk")?;
    Ok(())
}

/// After a bulk load, what a normal trickle of registrations leaves to the
/// database's own upkeep. SQLite: move the load (and the search index's
/// merge, `services::search_index::after_bulk_load`, which runs first) from the
/// write-ahead log into the database file, or every read looks through the
/// whole log until the next checkpoint. PostgreSQL: merge the new search
/// keys into the trigram index of each window and refresh the planner's
/// statistics.
pub async fn settle(db: &super::Db) -> anyhow::Result<()> {
    let mut conn = db.acquire().await?;
    if db.backend == super::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await
            .context("could not checkpoint the database")?;
    } else {
        sqlx::query(
            "SELECT gin_clean_pending_list(relid) FROM pg_partition_tree('user_search_trgm') \
             WHERE isleaf",
        )
        .execute(&mut *conn)
        .await
        .context("could not merge the search index")?;
        sqlx::query("ANALYZE users, user_search")
            .execute(&mut *conn)
            .await
            .context("could not analyze the users table")?;
    }
    Ok(())
}

/// Highest user id so far (0 for none), to name new demo users uniquely.
pub async fn max_user_id(scoped: Scoped<'_>) -> anyhow::Result<i64> {
    Ok(super::users::id_range(scoped)
        .await?
        .map_or(0, |ids| ids.last))
}

/// Ids of users created at or after `since`, in `status`, up to `limit`.
pub async fn user_ids(
    scoped: Scoped<'_>,
    status: UserStatus,
    min_id: i64,
    limit: i64,
) -> anyhow::Result<Vec<i64>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "SELECT id FROM users WHERE status = $1 AND id > $2 AND organisation_id = $4 \
         ORDER BY id LIMIT $3",
    )
    .bind(status.as_str())
    .bind(min_id)
    .bind(limit)
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not list demo users")
}

/// The username and email keys (lower-cased) of the organisation's users
/// who hold them: everyone but the deleted, whose rows block nobody.
pub async fn taken_keys(scoped: Scoped<'_>) -> anyhow::Result<(HashSet<String>, HashSet<String>)> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT username_key, email_key FROM users \
         WHERE organisation_id = $1 AND status <> 'deleted'",
    )
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not read the usernames and emails in use")?;
    Ok(rows.into_iter().unzip())
}

/// The ids of the organisation's users above `after`, by username key:
/// the users a bulk insert just made, inside its transaction.
pub async fn ids_after(scoped: Scoped<'_>, after: i64) -> anyhow::Result<HashMap<String, i64>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT username_key, id FROM users WHERE organisation_id = $1 AND id > $2")
            .bind(scope.org()?)
            .bind(after)
            .fetch_all(conn)
            .await
            .context("could not read the ids of the new users")?;
    Ok(rows.into_iter().collect())
}
