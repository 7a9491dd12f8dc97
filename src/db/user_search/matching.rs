//! PostgreSQL's reads for a searched user list (see `user_search::list`):
//! the ids of the matches, then a page of them by id.

use anyhow::Context;

use super::{Bind, ListedUser, Query, UserSort, listed, listed_columns, one_text};
use crate::db::Conn;

/// The width of `user_search`'s windows: its partitions, each `WINDOW`
/// consecutive ids with a trigram index of their own (migration 0008).
const WINDOW: i64 = 131_072;

/// The ids of the first `want` matches of a search (or all, if fewer) in
/// `sort` order, newest or oldest first. A trigram index yields its matches
/// in table order, so the first ones in id order are only known once every
/// match has been found and sorted (10,416 for a surname shared by 1% of a
/// million users). Here each window's index finds and sorts only its own,
/// and the windows are read in order until there are enough: the newest
/// two windows, about 2,200 matches, for that surname. Before, the whole
/// index gave the count and a second pass in id order the page, checking
/// about 6,000 users; the search took 7.1-7.9 ms of the machine per view.
pub(super) async fn ids_in_order(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    want: u64,
) -> anyhow::Result<Vec<i64>> {
    // The windows' bounds are added to the search's WHERE clause.
    anyhow::ensure!(query.pg_search, "a read in id order needs a search");
    let (first, last): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(id), MAX(id) FROM users")
            .fetch_one(&mut *conn)
            .await
            .context("could not read the range of user ids")?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    // By name is not an order of ids: `page_by_name` reads those.
    let oldest_first = sort == UserSort::Oldest;
    let mut windows: Vec<i64> = (first / WINDOW..=last / WINDOW).collect();
    if !oldest_first {
        windows.reverse();
    }
    // With a trigram to look up, the window's own index finds its matches
    // and they are sorted: `+ 0` keeps the planner from walking the primary
    // key instead, checking users one by one until it has enough, which it
    // chose on some statistics for a 1% search (25,000 users checked, 14
    // instead of 2 ms). Without one, that walk is the better plan.
    let order = match query.has_trigram {
        true => sort.order_by("(u.id + 0)"),
        false => sort.order_by("u.id"),
    };
    let Query {
        from, where_sql, ..
    } = query;
    let mut ids = Vec::new();
    for window in windows {
        let (low, high) = (window * WINDOW, (window + 1) * WINDOW);
        // As many as are still wanted, rounded up to a power of two so that
        // few statements differ (the second window of a 1% search at a
        // million users: 137 wanted, 256 read rather than 1,001).
        let limit = (want - ids.len() as u64).next_power_of_two().min(want);
        // The bounds are written into the statement, like a page's LIMIT
        // (see `page`), and for a plan of its own: with them as parameters,
        // PostgreSQL's generic plan also read the primary key for the
        // window's 131,072 ids and intersected them with the search's (6.6
        // instead of 1.3 ms). One statement per window and limit is prepared
        // and kept.
        let select = format!(
            "SELECT u.id {from}{where_sql} AND u.id >= {low} AND u.id < {high} \
             ORDER BY {order} LIMIT {limit}"
        );
        let sql = format!("SELECT string_agg(CAST(m.id AS TEXT), ',') FROM ({select}) m");
        let found = one_text(conn, &sql, &query.binds, "could not search users").await?;
        let mut found = parse_ids(found)?;
        match oldest_first {
            true => found.sort_unstable(),
            false => found.sort_unstable_by(|a, b| b.cmp(a)),
        }
        ids.extend(found.into_iter().take(want as usize - ids.len()));
        if ids.len() as u64 >= want {
            break;
        }
    }
    Ok(ids)
}

/// The ids of a page of a search by name, from `user_search` alone: each
/// window's index finds its matches, sorted by the name key kept beside
/// them. Through users (every match looked up by primary key) the same
/// page took 100 instead of 17 ms for a surname shared by 1% of a million
/// users.
pub(super) async fn page_by_name(
    conn: &mut Conn,
    query: &Query,
    limit: u64,
    offset: u64,
) -> anyhow::Result<Vec<i64>> {
    let Query {
        from, where_sql, ..
    } = query;
    let sql = format!(
        "SELECT string_agg(CAST(m.id AS TEXT), ',' ORDER BY m.name_key, m.id) FROM \
         (SELECT u.id, u.name_key {from}{where_sql} \
         ORDER BY u.name_key, u.id LIMIT {limit} OFFSET {offset}) m"
    );
    parse_ids(one_text(conn, &sql, &query.binds, "could not search users").await?)
}

/// The ids in a comma-separated list (NULL: none).
fn parse_ids(ids: Option<String>) -> anyhow::Result<Vec<i64>> {
    ids.unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .context("the database returned a malformed user id")
        })
        .collect()
}

/// The list rows of `ids`, in `sort` order. A user deleted since `ids` was
/// read is simply missing.
pub(super) async fn by_ids(
    conn: &mut Conn,
    ids: &[i64],
    sort: UserSort,
) -> anyhow::Result<Vec<ListedUser>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!(
        "SELECT {} FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.id IN ({placeholders}) ORDER BY {}",
        listed_columns(false),
        sort.order_by("u.id")
    );
    let binds: Vec<Bind> = ids.iter().map(|id| Bind::Int(*id)).collect();
    listed(conn, &select, &binds, sort).await
}
