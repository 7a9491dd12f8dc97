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
    let (first, last): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(id), MAX(id) FROM users")
            .fetch_one(&mut *conn)
            .await
            .context("could not read the range of user ids")?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    // By name is not an order of ids: `ids_by_name` collects those.
    let oldest_first = sort == UserSort::Oldest;
    let mut windows: Vec<i64> = (first / WINDOW..=last / WINDOW).collect();
    if !oldest_first {
        windows.reverse();
    }
    let matches = query
        .matches
        .as_deref()
        .context("a read in id order needs a search")?;
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
        let within = format!(" AND id >= {low} AND id < {high}");
        let select = match query.where_sql.is_empty() {
            // With a trigram to look up, the window's own index finds its
            // matches and they are sorted: `+ 0` keeps the planner from
            // walking the primary key instead, checking users one by one
            // until it has enough, which it chose on some statistics for a
            // 1% search (25,000 users checked, 14 instead of 2 ms). Without
            // one, that walk is the better plan.
            true => {
                let order = match query.has_trigram {
                    true => sort.order_by("(id + 0)"),
                    false => sort.order_by("id"),
                };
                format!(
                    "SELECT id FROM user_search WHERE {matches}{within} ORDER BY {order} LIMIT {limit}"
                )
            }
            false => format!(
                "SELECT s.id {}{} ORDER BY {} LIMIT {limit}",
                super::pg_matches(matches, &within),
                query.where_sql,
                sort.order_by("s.id"),
            ),
        };
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

/// Up to `limit` matches, whichever the index finds first, in name order.
/// They are the first matches only when they are all of them. One row of
/// text: a thousand rows cost the database driver far more than one row
/// holding a thousand numbers.
pub(super) async fn ids_by_name(
    conn: &mut Conn,
    query: &Query,
    limit: u64,
) -> anyhow::Result<Vec<i64>> {
    let Query {
        from, where_sql, ..
    } = query;
    let sql = format!(
        "SELECT string_agg(CAST(u.id AS TEXT), ',' ORDER BY {}) FROM \
         (SELECT u.id, u.full_name_key {from}{where_sql} LIMIT {limit}) u",
        UserSort::Name.order_by("u.id")
    );
    let ids = one_text(conn, &sql, &query.binds, "could not search users").await?;
    parse_ids(ids)
}

/// A search alone, by name: the ids of the page, and the number of matches
/// up to `count_limit`, from `user_search` alone. Each window's index finds
/// its matches, and they are sorted by the name key kept beside them; the
/// same through users (every match looked up by primary key) took 100 ms
/// instead of 12 for a surname shared by 1% of a million users.
pub(super) async fn page_by_name(
    conn: &mut Conn,
    query: &Query,
    limit: u64,
    offset: u64,
    count_limit: u64,
) -> anyhow::Result<(Vec<i64>, u64)> {
    let matches = query
        .matches
        .as_deref()
        .context("a read by name here needs a search")?;
    let sql = format!(
        "SELECT string_agg(CAST(m.id AS TEXT), ',' ORDER BY m.name_key, m.id) FROM \
         (SELECT id, name_key FROM user_search WHERE {matches} \
         ORDER BY name_key, id LIMIT {limit} OFFSET {offset}) m"
    );
    let ids = parse_ids(one_text(conn, &sql, &query.binds, "could not search users").await?)?;
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM user_search WHERE {matches} LIMIT {count_limit}) m"
    );
    let (n,): (i64,) = super::bind_all(sqlx::query_as(&sql), &query.binds)
        .fetch_one(conn)
        .await
        .context("could not count users")?;
    Ok((ids, n.max(0) as u64))
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
