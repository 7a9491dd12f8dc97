//! User search: the admin user list with its search, filters, order and
//! pages, and the upkeep of the search index, behind one interface for both
//! backends. `sqlite` keeps an FTS5 trigram table; `postgres` keeps a copy
//! of the search keys in windows of ids. The statements they share (the
//! filters, a page in order, the count) are here; each function picks its
//! backend's reads once, from the connection, so callers never branch. A
//! plain `match` rather than a trait with two implementations: every
//! function has one call site, and async trait methods would box each call
//! on the hot path.

use anyhow::Context;

pub mod export;
mod postgres;
mod sqlite;

pub use crate::domain::user_list::{IdRange, ListedUser, Matches, UserFilter, UserSort};
pub use postgres::id_range;

use super::{Conn, Db, Scoped};
use crate::domain::{Timestamp, UserId, UserStatus};

/// What a page reads of each user.
const LISTED_COLUMNS: &str = "u.id, u.username, u.email, u.full_name, u.status, \
     r.name AS role_name, u.created_at, u.last_login_at, u.login_count, u.last_active_at, \
     u.email_verified_at";

/// `LISTED_COLUMNS`, and on SQLite the name order's key too, which orders
/// the JSON array `listed` reads there.
fn listed_columns(sqlite: bool) -> String {
    match sqlite {
        true => format!("{LISTED_COLUMNS}, u.full_name_key AS name_key"),
        false => LISTED_COLUMNS.to_owned(),
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ListedRow {
    id: i64,
    username: String,
    email: String,
    full_name: String,
    status: String,
    role_name: String,
    created_at: i64,
    last_login_at: Option<i64>,
    login_count: i64,
    last_active_at: Option<i64>,
    #[serde(default)]
    email_verified_at: Option<i64>,
}

impl TryFrom<ListedRow> for ListedUser {
    type Error = anyhow::Error;

    fn try_from(row: ListedRow) -> anyhow::Result<ListedUser> {
        Ok(ListedUser {
            id: UserId(row.id),
            status: super::users::stored_status(row.id, &row.status)?,
            username: row.username,
            email: row.email,
            full_name: row.full_name,
            role_name: row.role_name,
            created_at: Timestamp(row.created_at),
            last_login_at: row.last_login_at.map(Timestamp),
            login_count: row.login_count,
            last_active_at: row.last_active_at.map(Timestamp),
            email_verified: row.email_verified_at.is_some(),
        })
    }
}

/// Ids are handed out in registration order, so the key orders by
/// registration with no index of its own, and a search on SQLite can
/// read its matches newest-first straight from the trigram table
/// (`id` is that table's rowid) and stop after one page.
fn order_by(sort: UserSort, id: &str) -> String {
    match sort {
        UserSort::Newest => format!("{id} DESC"),
        UserSort::Oldest => format!("{id} ASC"),
        UserSort::Name => "u.full_name_key ASC, u.id ASC".to_owned(),
        UserSort::LastActive => "u.last_active_at DESC NULLS LAST, u.id DESC".to_owned(),
    }
}

/// The same order over the columns of `listed_columns`, as `p`.
fn order_by_listed(sort: UserSort) -> &'static str {
    match sort {
        UserSort::Newest => "p.id DESC",
        UserSort::Oldest => "p.id ASC",
        UserSort::Name => "p.name_key ASC, p.id ASC",
        UserSort::LastActive => "p.last_active_at DESC NULLS LAST, p.id DESC",
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Where the rows come from and which filters apply.
struct Query {
    /// `FROM …` with the users table (or on PostgreSQL, for a search,
    /// `user_search`) as `u`.
    from: &'static str,
    /// ` WHERE …`, or empty.
    where_sql: String,
    binds: Vec<Bind>,
    /// The column that orders by registration.
    id: &'static str,
    /// PostgreSQL: the search reads `user_search` (as `u`) alone.
    pg_search: bool,
    /// Whether the search holds a trigram for the index to look up: three
    /// letters or digits in a row (pg_trgm splits the text at anything
    /// else). Without one, the trigram index would return every row.
    has_trigram: bool,
}

/// The query for `filter`. Both backends keep a trigram index over
/// `search_key`. On PostgreSQL, pg_trgm serves `LIKE` on the copy of the
/// column in `user_search`, split into windows of ids (migration 0008; see
/// `postgres::ids_in_order`). On SQLite, text of 3+ characters is an FTS5
/// phrase query on the trigram table, which drives the query: a run of
/// consecutive trigrams is exactly a substring, and unlike `LIKE` through
/// the same table it never reads rows back to check them. Shorter text
/// falls back to scanning the one column.
///
/// Every query is of one organisation's users: `organisation` is bound
/// last, and on PostgreSQL's search read from `user_search`, which keeps
/// each user's organisation beside the search key.
fn query(sqlite: bool, filter: &UserFilter, organisation: i64) -> Query {
    query_in(sqlite, filter, organisation, Reach::Instance)
}

/// Where a search looks for its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The search index, which holds every organisation's users.
    Instance,
    /// The organisation's own users, one by one: for an organisation with
    /// a small share of the instance, whose users are fewer than the
    /// matches the index would find among everybody's.
    Organisation,
}

/// An organisation holding at most 1/`SMALL_SHARE` of the instance's users,
/// and no more than `SMALL_MOST`, is searched user by user (`Reach`).
const SMALL_SHARE: u64 = 50;
const SMALL_MOST: u64 = 50_000;

/// Where to search for an organisation of `members` users in an instance
/// whose user ids run through `ids`.
fn reach(members: u64, ids: Option<IdRange>) -> Reach {
    let instance = ids.map_or(0, |ids| (ids.last - ids.first + 1).max(0) as u64);
    match members <= SMALL_MOST && members.saturating_mul(SMALL_SHARE) <= instance {
        true => Reach::Organisation,
        false => Reach::Instance,
    }
}

/// The `from` of a query without a search: the users table alone.
const USERS_ALONE: &str = "FROM users u";

fn query_in(sqlite: bool, filter: &UserFilter, organisation: i64, reach: Reach) -> Query {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    let mut from = USERS_ALONE;
    let mut id = "u.id";
    let search = filter.search.as_deref().filter(|s| !s.is_empty());
    let indexed = reach == Reach::Instance;
    let fts = indexed && sqlite && search.is_some_and(|s| s.chars().count() >= 3);
    if let Some(search) = search {
        if fts {
            // CROSS JOIN: SQLite keeps this order, so the trigram table
            // drives. Joined the other way, its planner may walk the
            // organisation's users and run the text search once for each.
            from = "FROM users_fts f CROSS JOIN users u ON u.id = f.rowid";
            id = "f.rowid";
            clauses.push("users_fts MATCH $1".to_owned());
            // An FTS5 string: everything inside the quotes is literal text.
            binds.push(Bind::Text(format!("\"{}\"", search.replace('"', "\"\""))));
        } else {
            if !sqlite && indexed {
                // Its status and role_id columns serve the other filters.
                from = "FROM user_search u";
            }
            clauses.push("u.search_key LIKE $1 ESCAPE '\\'".to_owned());
            binds.push(Bind::Text(super::like_contains(search)));
        }
    }
    match filter.status {
        Some(status) => {
            binds.push(Bind::Text(status.as_str().to_owned()));
            clauses.push(format!("u.status = ${}", binds.len()));
        }
        // Deleted users have a tab of their own and are in no other list.
        None => clauses.push("u.status <> 'deleted'".to_owned()),
    }
    if let Some(role) = filter.role {
        binds.push(Bind::Int(role.0));
        clauses.push(format!("u.role_id = ${}", binds.len()));
    }
    let pg_search = !sqlite && indexed && search.is_some();
    for (key, value) in &filter.fields {
        binds.push(Bind::Text(super::custom_fields::key_bind(sqlite, key)));
        let param = format!("${}", binds.len());
        binds.push(Bind::Text(value.clone()));
        let wanted = format!("${}", binds.len());
        // PostgreSQL's search reads `user_search`, which keeps no values.
        clauses.push(match pg_search {
            true => format!(
                "EXISTS (SELECT 1 FROM users m WHERE m.id = u.id AND {} = {wanted})",
                super::custom_fields::value_sql(sqlite, "m.metadata", &param)
            ),
            false => format!(
                "{} = {wanted}",
                super::custom_fields::value_sql(sqlite, "u.metadata", &param)
            ),
        });
    }
    binds.push(Bind::Int(organisation));
    clauses.push(format!("u.organisation_id = ${}", binds.len()));
    Query {
        from,
        where_sql: format!(" WHERE {}", clauses.join(" AND ")),
        binds,
        id,
        pg_search,
        has_trigram: search.is_some_and(has_trigram),
    }
}

/// Whether `text` has three letters or digits in a row.
fn has_trigram(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_alphanumeric() { run + 1 } else { 0 };
        if run == 3 {
            return true;
        }
    }
    false
}

/// Whether this backend's index needs merging after writes: SQLite's FTS5
/// table does (`sqlite::merge_step`); PostgreSQL keeps its own.
pub fn needs_merging(db: &Db) -> bool {
    db.backend == super::Backend::Sqlite
}

/// One step of merging the index; `Ok(true)` when it merged anything, so
/// another may be due. Nothing to do on PostgreSQL.
pub async fn merge_step(conn: &mut Conn) -> anyhow::Result<bool> {
    match super::is_sqlite(conn) {
        true => sqlite::merge_step(conn).await,
        false => Ok(false),
    }
}

/// Whether this backend keeps windows of ids to make ahead of new users:
/// PostgreSQL does (`postgres::extend_windows`); SQLite has none.
pub fn keeps_windows(db: &Db) -> bool {
    db.backend == super::Backend::Postgres
}

/// Makes the windows through the one holding the id `ahead` past the
/// newest user's; returns how many it made (none on SQLite).
pub async fn extend_windows(conn: &mut Conn, ahead: i64) -> anyhow::Result<i32> {
    match super::is_sqlite(conn) {
        true => Ok(0),
        false => postgres::extend_windows(conn, ahead).await,
    }
}

/// A filtered list counts its matches up to this many (or through the page
/// shown, if further): a search matching 1% of a million users stops after
/// 1,000 instead of reading 10,000, and the page says "more than 1,000".
const COUNT_LIMIT: u64 = 1_000;

/// One page of users matching `filter`, and how many match.
/// `status_counts` (from `count_by_status`, which the page shows anyway)
/// answers exactly when the filter is by status alone; `ids` (from
/// `id_range`, up to a second old) is where a PostgreSQL search starts.
///
/// Otherwise the count goes up to the limit, and the page is read:
/// - on SQLite, and on PostgreSQL without a search, in order by the
///   planner, which has an index for each order and filter;
/// - on PostgreSQL, a search reads `user_search` alone for the ids of its
///   page, whose rows are then read by primary key. Newest or oldest first,
///   it collects the ids of its first matches in that order, as many as the
///   count needs, window by window (`postgres::ids_in_order`), and the page
///   is a slice of them. By name, it sorts its matches by the name key kept
///   there, and by last activity by the users' column (`postgres::page_sorted`),
///   and counts apart.
pub async fn list(
    scoped: Scoped<'_>,
    filter: &UserFilter,
    limit: u64,
    offset: u64,
    status_counts: &[(UserStatus, u64)],
    ids: Option<IdRange>,
) -> anyhow::Result<(Vec<ListedUser>, Matches)> {
    let (conn, scope) = scoped.parts();
    let sqlite = super::is_sqlite(conn);
    let organisation = scope.org()?;
    let members = status_counts.iter().map(|(_, n)| *n).sum();
    let query = query_in(sqlite, filter, organisation, reach(members, ids));
    let sort = filter.sort;
    let unfiltered = filter.role.is_none() && filter.fields.is_empty();
    if filter.search.as_deref().unwrap_or("").is_empty() && unfiltered {
        let users = page(conn, &query, sort, limit, offset).await?;
        let counted = status_counts
            .iter()
            .filter(|(status, _)| match filter.status {
                Some(wanted) => wanted == *status,
                None => *status != UserStatus::Deleted,
            })
            .map(|(_, n)| *n)
            .sum();
        let more = false;
        return Ok((users, Matches { counted, more }));
    }
    let count_limit = COUNT_LIMIT.max(offset + limit);
    if !query.pg_search {
        let users = page(conn, &query, sort, limit, offset).await?;
        let n = count(conn, &query, count_limit + 1).await?;
        return Ok((users, Matches::up_to(n, count_limit)));
    }
    if matches!(sort, UserSort::Name | UserSort::LastActive) {
        let ids = postgres::page_sorted(conn, &query, sort, limit, offset).await?;
        let users = postgres::by_ids(conn, &ids, sort, organisation).await?;
        let n = count(conn, &query, count_limit + 1).await?;
        return Ok((users, Matches::up_to(n, count_limit)));
    }
    let ids = postgres::ids_in_order(conn, &query, sort, count_limit + 1, ids).await?;
    let n = ids.len() as u64;
    let page_ids = &ids[offset.min(n) as usize..offset.saturating_add(limit).min(n) as usize];
    let users = postgres::by_ids(conn, page_ids, sort, organisation).await?;
    Ok((users, Matches::up_to(n, count_limit)))
}

fn bind_all<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    binds: &[Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    query
}

/// The number of matches, counting no further than `limit`.
async fn count(conn: &mut Conn, query: &Query, limit: u64) -> anyhow::Result<u64> {
    let Query {
        from, where_sql, ..
    } = query;
    // The limit is written into the statement, as in `page`.
    let sql =
        format!("SELECT COUNT(*) FROM (SELECT 1 AS one {from}{where_sql} LIMIT {limit}) matched");
    let (n,): (i64,) = bind_all(sqlx::query_as(&sql), &query.binds)
        .fetch_one(conn)
        .await
        .context("could not count users")?;
    Ok(n.max(0) as u64)
}

/// The users `select` reads (`SELECT {listed_columns} … ORDER BY …`), in
/// `sort` order: on SQLite as one JSON text (`sqlite::listed`); PostgreSQL
/// streams rows off a socket, and building JSON there cost it more than
/// the rows did.
async fn listed(
    conn: &mut Conn,
    select: &str,
    binds: &[Bind],
    sort: UserSort,
) -> anyhow::Result<Vec<ListedUser>> {
    if super::is_sqlite(conn) {
        return sqlite::listed(conn, select, binds, sort).await;
    }
    let rows: Vec<ListedRow> = bind_all(sqlx::query_as(select), binds)
        .fetch_all(conn)
        .await
        .context("could not list users")?;
    rows.into_iter().map(ListedUser::try_from).collect()
}

/// The one text value (or NULL) that `sql` answers: a whole list folded
/// into one row, which the drivers hand over far more cheaply than many.
async fn one_text(
    conn: &mut Conn,
    sql: &str,
    binds: &[Bind],
    failure: &'static str,
) -> anyhow::Result<Option<String>> {
    let (text,): (Option<String>,) = bind_all(sqlx::query_as(sql), binds)
        .fetch_one(conn)
        .await
        .context(failure)?;
    Ok(text)
}

/// One page in `sort` order.
async fn page(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    limit: u64,
    offset: u64,
) -> anyhow::Result<Vec<ListedUser>> {
    let Query {
        from, where_sql, ..
    } = query;
    // LIMIT and OFFSET are numbers written into the statement, not
    // parameters: PostgreSQL re-plans a prepared statement on every run
    // while a parameter it cannot see could change the best plan (a LIMIT
    // can), and planning the list cost more than running it. With the page
    // in the text, the plan is kept after five runs (docs/performance.md).
    let select = format!(
        "SELECT {} {from} JOIN roles r ON r.id = u.role_id{where_sql} \
         ORDER BY {} LIMIT {limit} OFFSET {offset}",
        listed_columns(super::is_sqlite(conn)),
        order_by(sort, query.id),
    );
    listed(conn, &select, &query.binds, sort).await
}

#[cfg(test)]
mod tests {
    use super::{UserFilter, query};

    fn search(text: &str) -> UserFilter {
        UserFilter {
            search: Some(text.into()),
            ..UserFilter::default()
        }
    }

    fn pattern(sqlite: bool, text: &str) -> String {
        match &query(sqlite, &search(text), 1).binds[0] {
            super::Bind::Text(s) => s.clone(),
            super::Bind::Int(_) => unreachable!(),
        }
    }

    #[test]
    fn sqlite_searches_the_trigram_table_for_text_of_three_characters() {
        let q = query(true, &search("ada"), 1);
        assert!(q.from.contains("users_fts"));
        assert_eq!(pattern(true, "ada"), "\"ada\"");
        assert_eq!(pattern(true, "a\"b%"), "\"a\"\"b%\"");
        assert!(!query(true, &search("ad"), 1).from.contains("users_fts"));
        assert_eq!(pattern(true, "a_"), "%a\\_%");
        assert!(!query(false, &search("ada"), 1).from.contains("users_fts"));
    }

    #[test]
    fn an_organisation_with_a_small_share_of_the_instance_is_searched_user_by_user() {
        use super::{IdRange, Reach, reach};
        let ids = |n| Some(IdRange { first: 1, last: n });
        assert_eq!(reach(1_000, ids(1_000_000)), Reach::Organisation);
        assert_eq!(reach(20_000, ids(1_000_000)), Reach::Organisation);
        assert_eq!(reach(20_001, ids(1_000_000)), Reach::Instance);
        assert_eq!(reach(1_000_000, ids(1_000_000)), Reach::Instance);
        assert_eq!(reach(60_000, ids(10_000_000)), Reach::Instance);
        assert_eq!(reach(10, None), Reach::Instance);
        let small = super::query_in(false, &search("ada"), 1, Reach::Organisation);
        assert_eq!(small.from, "FROM users u");
        assert!(!small.pg_search);
        let small = super::query_in(true, &search("ada"), 1, Reach::Organisation);
        assert!(!small.from.contains("users_fts"));
    }

    #[test]
    fn a_trigram_is_three_letters_or_digits_in_a_row() {
        assert!(super::has_trigram("ada"));
        assert!(super::has_trigram("x.zoë"));
        assert!(super::has_trigram("a1b2"));
        assert!(!super::has_trigram("a.b.c.d"));
        assert!(!super::has_trigram("ad"));
        assert!(!super::has_trigram("@x-1"));
    }

    #[test]
    fn every_list_query_is_of_one_organisations_users() {
        let filter = UserFilter {
            status: Some(crate::domain::UserStatus::Pending),
            ..search("ada")
        };
        let q = query(true, &filter, 7);
        assert_eq!(
            q.where_sql,
            " WHERE users_fts MATCH $1 AND u.status = $2 AND u.organisation_id = $3"
        );
        assert!(matches!(q.binds[2], super::Bind::Int(7)));
        let q = query(false, &UserFilter::default(), 7);
        assert_eq!(
            q.where_sql,
            " WHERE u.status <> 'deleted' AND u.organisation_id = $1"
        );
    }
}
