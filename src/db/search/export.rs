//! The user export: the filtered list in registration order, read in
//! keyset pages (`after` the last id sent), with what the list does not
//! show: phone, minutes of use and the custom field values.

use anyhow::Context;

use super::{ListedRow, Query, UserFilter, bind_all, query};
use crate::db::Scoped;
use crate::domain::Metadata;
use crate::domain::user_list::ExportedUser;
use crate::domain::user_list::ListedUser;

#[derive(sqlx::FromRow)]
struct ExportRow {
    #[sqlx(flatten)]
    listed: ListedRow,
    phone: String,
    minutes_of_use: i64,
    metadata: String,
}

/// Up to `limit` users matching `filter` with ids above `after`, by id.
/// The ids are picked by the list's own query (search, filters, the
/// organisation), so the export holds exactly the users the list does.
pub async fn page_after(
    scoped: Scoped<'_>,
    filter: &UserFilter,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<ExportedUser>> {
    let (conn, scope) = scoped.parts();
    let sqlite = crate::db::is_sqlite(conn);
    let mut q = query(sqlite, filter, scope.org()?);
    q.binds.push(super::Bind::Int(after));
    let Query {
        from,
        where_sql,
        id,
        binds,
        ..
    } = &q;
    let after_param = binds.len();
    let columns = "u.id, u.username, u.email, u.full_name, u.status, r.name AS role_name, \
         u.created_at, u.last_login_at, u.login_count, u.last_active_at, u.email_verified_at, \
         u.phone, u.minutes_of_use, u.metadata";
    let sql = match *from == super::USERS_ALONE {
        // No search (or one too short for the index, whose test is in
        // `where_sql`): the users table itself is read in id order. Picking
        // the ids first and reading their rows again cost PostgreSQL twice
        // as much for a page (docs/performance.md).
        true => format!(
            "SELECT {columns} FROM users u JOIN roles r ON r.id = u.role_id{where_sql} \
             AND u.id > ${after_param} ORDER BY u.id LIMIT {limit}"
        ),
        false => format!(
            "SELECT {columns} FROM users u JOIN roles r ON r.id = u.role_id \
             WHERE u.id IN (SELECT {id} {from}{where_sql} AND {id} > ${after_param} \
             ORDER BY {id} LIMIT {limit}) ORDER BY u.id"
        ),
    };
    let rows: Vec<ExportRow> = bind_all(sqlx::query_as(&sql), binds)
        .fetch_all(conn)
        .await
        .context("could not read users to export")?;
    rows.into_iter()
        .map(|row| {
            let id = row.listed.id;
            Ok(ExportedUser {
                listed: ListedUser::try_from(row.listed)?,
                phone: row.phone,
                minutes_of_use: row.minutes_of_use,
                metadata: Metadata::from_json(&row.metadata)
                    .map_err(|e| anyhow::anyhow!("user {id}: {e}"))?,
            })
        })
        .collect()
}
