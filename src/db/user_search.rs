//! The admin user list: search, filters, order and pages.

use anyhow::Context;

use super::Conn;
use super::users::{USER_COLUMNS, User, UserRow};
use crate::domain::{RoleId, UserStatus};

/// How the admin list is narrowed and ordered.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Lower-cased text to find in username, email or full name.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub role: Option<RoleId>,
    pub sort: UserSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSort {
    #[default]
    Newest,
    Oldest,
    Name,
}

impl UserSort {
    pub fn parse(s: &str) -> Option<UserSort> {
        match s {
            "newest" => Some(UserSort::Newest),
            "oldest" => Some(UserSort::Oldest),
            "name" => Some(UserSort::Name),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Newest => "newest",
            UserSort::Oldest => "oldest",
            UserSort::Name => "name",
        }
    }

    fn order_by(self) -> &'static str {
        match self {
            UserSort::Newest => "u.created_at DESC, u.id DESC",
            UserSort::Oldest => "u.created_at ASC, u.id ASC",
            UserSort::Name => "u.full_name_key ASC, u.id ASC",
        }
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The search condition. Both backends keep a trigram index over
/// `search_key`: PostgreSQL's pg_trgm serves `LIKE` on the column itself;
/// SQLite's FTS5 trigram table serves it for text of 3+ characters without
/// LIKE wildcards, and anything else falls back to scanning the one column.
fn search_clause(sqlite: bool, search: &str, n: usize) -> (String, String) {
    let plain = search.chars().count() >= 3 && !search.contains(['%', '_', '\\']);
    if sqlite && plain {
        (
            format!("u.id IN (SELECT rowid FROM users_fts WHERE users_fts.search_key LIKE ${n})"),
            format!("%{search}%"),
        )
    } else {
        (
            format!("u.search_key LIKE ${n} ESCAPE '\\'"),
            super::like_contains(search),
        )
    }
}

fn where_clause(sqlite: bool, filter: &UserFilter) -> (String, Vec<Bind>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        let (clause, pattern) = search_clause(sqlite, search, binds.len() + 1);
        binds.push(Bind::Text(pattern));
        clauses.push(clause);
    }
    if let Some(status) = filter.status {
        binds.push(Bind::Text(status.as_str().to_owned()));
        clauses.push(format!("u.status = ${}", binds.len()));
    }
    if let Some(role) = filter.role {
        binds.push(Bind::Int(role.0));
        clauses.push(format!("u.role_id = ${}", binds.len()));
    }
    if clauses.is_empty() {
        (String::new(), binds)
    } else {
        (format!(" WHERE {}", clauses.join(" AND ")), binds)
    }
}

/// One page of users matching `filter`, plus the total number of matches.
/// `status_counts` (from `count_by_status`, which the page shows anyway)
/// answers the total when the filter is by status alone.
pub async fn list(
    conn: &mut Conn,
    filter: &UserFilter,
    limit: u64,
    offset: u64,
    status_counts: &[(UserStatus, u64)],
) -> anyhow::Result<(Vec<User>, u64)> {
    let sqlite = conn.backend_name() == "SQLite";
    let (where_sql, binds) = where_clause(sqlite, filter);
    let total = if filter.search.as_deref().unwrap_or("").is_empty() && filter.role.is_none() {
        // Only a status filter (or none): the maintained counters answer it.
        status_counts
            .iter()
            .filter(|(status, _)| filter.status.is_none_or(|wanted| wanted == *status))
            .map(|(_, n)| *n as i64)
            .sum()
    } else {
        let count_sql = format!("SELECT COUNT(*) FROM users u{where_sql}");
        let mut count_query = sqlx::query_scalar::<_, i64>(&count_sql);
        for bind in &binds {
            count_query = match bind {
                Bind::Text(s) => count_query.bind(s.clone()),
                Bind::Int(i) => count_query.bind(*i),
            };
        }
        count_query
            .fetch_one(&mut *conn)
            .await
            .context("could not count users")?
    };

    let n = binds.len();
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN roles r ON r.id = u.role_id{where_sql} \
         ORDER BY {} LIMIT ${} OFFSET ${}",
        filter.sort.order_by(),
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, UserRow>(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s),
            Bind::Int(i) => query.bind(i),
        };
    }
    let rows = query
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(conn)
        .await
        .context("could not list users")?;
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<anyhow::Result<_>>()?;
    Ok((users, total.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::search_clause;

    #[test]
    fn sqlite_uses_the_trigram_table_only_for_plain_text_of_three_characters() {
        assert!(search_clause(true, "ada", 1).0.contains("users_fts"));
        assert_eq!(search_clause(true, "ada", 1).1, "%ada%");
        assert!(!search_clause(true, "ad", 1).0.contains("users_fts"));
        assert!(!search_clause(true, "a_b", 1).0.contains("users_fts"));
        assert_eq!(search_clause(true, "a_b", 1).1, "%a\\_b%");
        assert!(!search_clause(false, "ada", 1).0.contains("users_fts"));
    }
}
