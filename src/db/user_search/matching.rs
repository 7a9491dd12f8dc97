//! PostgreSQL's reads for a filtered user list (see `user_search::list`):
//! the ids of the matches, a page of them by id, and a page read in order.

use anyhow::Context;

use sqlx::{Connection, Executor};

use super::{Bind, ListedUser, Query, UserSort, listed, listed_columns, one_text, page};
use crate::db::Conn;

/// Up to `limit` matches, whichever the index finds first, in `sort` order.
/// They are the first matches only when they are all of them. One row of
/// text: a thousand rows cost the database driver far more than one row
/// holding a thousand numbers. Registration order is ids in order, sorted
/// here: ordering the aggregate cost the database a quarter of the read
/// (1.8 to 1.35 ms for 1,056 matches of 100,000 users).
pub(super) async fn some_ids(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    limit: u64,
) -> anyhow::Result<Vec<i64>> {
    let Query {
        from, where_sql, ..
    } = query;
    let sql = match sort {
        UserSort::Name => format!(
            "SELECT string_agg(CAST(u.id AS TEXT), ',' ORDER BY {}) FROM \
             (SELECT u.id, u.full_name_key {from}{where_sql} LIMIT {limit}) u",
            sort.order_by("u.id")
        ),
        UserSort::Newest | UserSort::Oldest => format!(
            "SELECT string_agg(CAST(u.id AS TEXT), ',') FROM \
             (SELECT u.id {from}{where_sql} LIMIT {limit}) u"
        ),
    };
    let ids = one_text(conn, &sql, &query.binds, "could not search users").await?;
    let mut ids = ids
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .context("the database returned a malformed user id")
        })
        .collect::<anyhow::Result<Vec<i64>>>()?;
    match sort {
        UserSort::Newest => ids.sort_unstable_by(|a, b| b.cmp(a)),
        UserSort::Oldest => ids.sort_unstable(),
        UserSort::Name => {}
    }
    Ok(ids)
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

/// More matches than were collected, newest or oldest first: the page read
/// in id order, kept off the trigram index and off a whole-table scan.
/// Through the index the planner fetches and sorts every match (10,416 for
/// a search matching 1% of a million users: 30 ms) whenever its guess of
/// their number, made from a sample of the table, is low. Read in order, a
/// page of a search matching 1% checks about 5,000 users (2 ms). The
/// settings last until the end of this read-only transaction.
pub(super) async fn page_in_order(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    limit: u64,
    offset: u64,
) -> anyhow::Result<Vec<ListedUser>> {
    let mut tx = conn.begin().await.context("could not begin a read")?;
    tx.execute(
        "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; \
         SET LOCAL max_parallel_workers_per_gather = 0",
    )
    .await
    .context("could not set up the read")?;
    let users = page(&mut tx, query, sort, limit, offset).await?;
    tx.rollback().await.context("could not end the read")?;
    Ok(users)
}
