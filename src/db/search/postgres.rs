//! PostgreSQL's side of user search: `user_search`, a copy of the search
//! keys split into windows of ids (migration 0008), each with a trigram
//! index of its own; the reads for a searched list (the ids of the
//! matches, then a page of them by id); and making windows ahead of new
//! users. Also the range of user ids, where a search starts.

use anyhow::Context;

use super::{
    Bind, IdRange, ListedUser, Query, UserSort, listed, listed_columns, one_text, order_by,
};
use crate::db::{Conn, Scoped};

/// The width of `user_search`'s windows: its partitions, each `WINDOW`
/// consecutive ids with a trigram index of their own (migration 0008).
const WINDOW: i64 = 131_072;

/// Reads the two ends of the primary key. One subquery each: SQLite reads
/// an end of the index only for a lone MIN or MAX, and `SELECT MIN(id),
/// MAX(id)` scans all its users (a test holds the query plan).
const ID_RANGE: &str = "SELECT (SELECT MIN(id) FROM users), (SELECT MAX(id) FROM users)";

/// The range of user ids now, or `None` without users.
/// Instance-wide: a search starts from it, and filters by organisation.
pub async fn id_range(scoped: Scoped<'_>) -> anyhow::Result<Option<IdRange>> {
    let (conn, _instance) = scoped.parts();
    let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(ID_RANGE)
        .fetch_one(conn)
        .await
        .context("could not read the range of user ids")?;
    Ok(first.zip(last).map(|(first, last)| IdRange { first, last }))
}

/// The ids of the first `want` matches of a search (or all, if fewer) in
/// `sort` order, newest or oldest first. A trigram index yields its matches
/// in table order, so the first ones in id order are only known once every
/// match has been found and sorted. Here each window's index finds only its
/// own, sorted here, and the windows are read in order until there are
/// enough: for a common surname, the newest two windows. Reading the whole
/// index for the count and then the page in id order checked far more users
/// (docs/performance.md).
///
/// `ids` is the range of user ids as this instance last read it (up to a
/// second old, or `None` before the first user): the window read first is
/// open towards newer ids and the one read last towards older ones (the
/// other way round oldest first), so users registered since are found all
/// the same.
pub(super) async fn ids_in_order(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    want: u64,
    ids: Option<IdRange>,
) -> anyhow::Result<Vec<i64>> {
    // The windows' bounds are added to the search's WHERE clause.
    anyhow::ensure!(query.pg_search, "a read in id order needs a search");
    // By name is not an order of ids: `page_by_name` reads those.
    let oldest_first = sort == UserSort::Oldest;
    let mut windows: Vec<i64> = match ids {
        Some(IdRange { first, last }) => (first / WINDOW..=last / WINDOW).collect(),
        None => vec![0],
    };
    if !oldest_first {
        windows.reverse();
    }
    let (bottom, top) = (windows.iter().min().copied(), windows.iter().max().copied());
    let mut found = Vec::new();
    // Ids of the windows read so far that users can hold, for the estimate.
    let mut covered = 0;
    let mut next = 0;
    while next < windows.len() && (found.len() as u64) < want {
        let still_wanted = want - found.len() as u64;
        let count = windows_to_read(found.len() as u64, covered, still_wanted);
        let batch = &windows[next..windows.len().min(next.saturating_add(count))];
        next += batch.len();
        // Consecutive windows: one range of ids.
        let (low, high) = (batch.iter().min(), batch.iter().max());
        let (Some(&low), Some(&high)) = (low, high) else {
            break;
        };
        let mut bounds = String::new();
        if Some(low) != bottom {
            bounds.push_str(&format!(" AND u.id >= {}", low * WINDOW));
        }
        if Some(high) != top {
            bounds.push_str(&format!(" AND u.id < {}", (high + 1) * WINDOW));
        }
        if let Some(IdRange { first, last }) = ids {
            covered += ((high + 1) * WINDOW).min(last + 1) - (low * WINDOW).max(first);
        }
        let mut more = window_matches(conn, query, sort, &bounds, still_wanted).await?;
        match oldest_first {
            true => more.sort_unstable(),
            false => more.sort_unstable_by(|a, b| b.cmp(a)),
        }
        more.truncate(still_wanted as usize);
        found.append(&mut more);
    }
    Ok(found)
}

/// How many windows the next statement reads, when `found` matches came
/// from the `covered` ids read so far and `wanted` more are needed: as many
/// as the matches so far say will hold them. The first statement reads one
/// window; after no matches at all, the rest at once. A 1% search reads
/// one window at a time; a search for one person, which matches almost
/// nobody, two statements instead of one per window (eight at a million
/// users).
fn windows_to_read(found: u64, covered: i64, wanted: u64) -> usize {
    if covered <= 0 {
        return 1;
    }
    if found == 0 {
        return usize::MAX;
    }
    let ids_needed = (wanted as f64) * (covered as f64) / (found as f64);
    (ids_needed / WINDOW as f64).ceil().clamp(1.0, 1e9) as usize
}

/// A statement's matches are read unsorted, and sorted here, when there
/// are at most this many: sorting them in PostgreSQL (for the first `want`)
/// was a large share of a window's cost. More (a search matching over an
/// eighth of a window's users) are read again, sorted, for only those
/// wanted.
const UNSORTED_CAP: u64 = 16_384;

/// The ids of at least the first `want` matches in the windows `bounds`
/// covers (or all their matches, if fewer), in any order.
async fn window_matches(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    bounds: &str,
    want: u64,
) -> anyhow::Result<Vec<i64>> {
    let Query {
        from, where_sql, ..
    } = query;
    // The bounds are written into the statement, like a page's LIMIT (see
    // `page`), and for a plan of its own: with them as parameters,
    // PostgreSQL's generic plan also read the primary key for the window's
    // ids and intersected them with the search's, several times slower. One
    // statement per range of windows is prepared and kept.
    let select = format!("SELECT u.id {from}{where_sql}{bounds}");
    if query.has_trigram {
        let ids = ids_of(conn, query, &format!("{select} LIMIT {UNSORTED_CAP}")).await?;
        if (ids.len() as u64) < UNSORTED_CAP {
            return Ok(ids);
        }
    }
    // Sorted, the window's own index finds its matches when the search has
    // a trigram to look up: `+ 0` keeps the planner from walking the
    // primary key instead, checking users one by one until it has enough,
    // which it chose on some statistics for a 1% search, checking tens of
    // thousands of users. Without one, that walk is the better
    // plan. As many as are wanted, rounded up to a power of two so that few
    // statements differ.
    let order = match query.has_trigram {
        true => order_by(sort, "(u.id + 0)"),
        false => order_by(sort, "u.id"),
    };
    let limit = want.next_power_of_two();
    ids_of(
        conn,
        query,
        &format!("{select} ORDER BY {order} LIMIT {limit}"),
    )
    .await
}

/// The ids `select` (`SELECT u.id …`) reads, folded into one text value
/// in PostgreSQL and parsed here.
async fn ids_of(conn: &mut Conn, query: &Query, select: &str) -> anyhow::Result<Vec<i64>> {
    let sql = format!("SELECT string_agg(CAST(m.id AS TEXT), ',') FROM ({select}) m");
    parse_ids(one_text(conn, &sql, &query.binds, "could not search users").await?)
}

/// The ids of a page of a search by name or by last activity. By name,
/// from `user_search` alone: each window's index finds its matches, sorted
/// by the name key kept beside them, rather than through users, where every
/// match is looked up by primary key (several times slower for a common
/// surname). By last activity, which `user_search` does not keep (it would
/// be written at every activity), each match is looked up in `users`.
pub(super) async fn page_sorted(
    conn: &mut Conn,
    query: &Query,
    sort: UserSort,
    limit: u64,
    offset: u64,
) -> anyhow::Result<Vec<i64>> {
    let Query {
        from, where_sql, ..
    } = query;
    let sql = match sort {
        UserSort::LastActive => format!(
            "SELECT string_agg(CAST(m.id AS TEXT), ',' \
             ORDER BY m.last_active_at DESC NULLS LAST, m.id DESC) FROM \
             (SELECT u.id, x.last_active_at {from} JOIN users x ON x.id = u.id{where_sql} \
             ORDER BY x.last_active_at DESC NULLS LAST, u.id DESC \
             LIMIT {limit} OFFSET {offset}) m"
        ),
        _ => format!(
            "SELECT string_agg(CAST(m.id AS TEXT), ',' ORDER BY m.name_key, m.id) FROM \
             (SELECT u.id, u.name_key {from}{where_sql} \
             ORDER BY u.name_key, u.id LIMIT {limit} OFFSET {offset}) m"
        ),
    };
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
    organisation: i64,
) -> anyhow::Result<Vec<ListedUser>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One parameter, the ids as text, rather than one per id: one statement
    // for every page size, and 50 fewer values to bind and check.
    let select = format!(
        "SELECT {} FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.id = ANY(CAST(string_to_array($1, ',') AS BIGINT[])) \
         AND u.organisation_id = $2 ORDER BY {}",
        listed_columns(false),
        order_by(sort, "u.id")
    );
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let binds = [Bind::Text(list), Bind::Int(organisation)];
    listed(conn, &select, &binds, sort).await
}

/// PostgreSQL: makes `user_search`'s windows (migration 0008) through the
/// one holding the id `ahead` past the newest user's; returns how many it
/// made. It gives up after waiting 2 s for a lock: users without a window
/// are still found, and the next call makes it.
pub(super) async fn extend_windows(conn: &mut Conn, ahead: i64) -> anyhow::Result<i32> {
    sqlx::query_scalar("SELECT user_search_extend(COALESCE((SELECT MAX(id) FROM users), 0) + $1)")
        .bind(ahead)
        .fetch_one(conn)
        .await
        .context("could not make windows for the search index")
}

#[cfg(test)]
mod tests {
    use super::{WINDOW, windows_to_read};

    #[tokio::test]
    async fn the_range_of_ids_reads_only_the_ends_of_the_primary_key_on_sqlite() {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE)")
            .execute(&mut conn)
            .await
            .unwrap();
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", super::ID_RANGE))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let steps: Vec<&str> = plan.iter().map(|(.., step)| step.as_str()).collect();
        assert!(
            steps.iter().all(|step| !step.starts_with("SCAN users")),
            "{steps:?}"
        );
        assert_eq!(
            steps.iter().filter(|step| **step == "SEARCH users").count(),
            2
        );
        assert_eq!(
            super::id_range(crate::db::Scope::instance().on(&mut conn))
                .await
                .unwrap(),
            None
        );
    }

    #[test]
    fn the_next_statement_reads_as_many_windows_as_the_matches_so_far_say() {
        // The first statement: one window.
        assert_eq!(windows_to_read(0, 0, 1_001), 1);
        // 1% of the newest 82,497 ids (864 matches): 137 more are in the next.
        assert_eq!(windows_to_read(864, 82_497, 137), 1);
        // 0.1%: 82 matches so far, 919 wanted: the other seven and more.
        assert_eq!(windows_to_read(82, 82_497, 919), 8);
        // Nothing yet: everything left.
        assert_eq!(windows_to_read(0, WINDOW, 1_001), usize::MAX);
        // One match in a window: the rest too.
        assert!(windows_to_read(1, WINDOW, 1_000) >= 1_000);
    }
}
