//! The append-only audit log. There is deliberately no update or delete here;
//! the database refuses them too (triggers in the migrations).

use anyhow::Context;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Scoped, Tx};
pub use crate::domain::audit_chain::AuditFilter;
use crate::domain::audit_chain::{AuditRecord, ChainContent, GENESIS};
use crate::domain::{AuditAction, OrgId, Timestamp, UserId, case_key, sanitize_for_log};

/// What an audit row is about.
#[derive(Debug, Clone)]
pub struct AuditTarget {
    /// "user", "role" or "role_request".
    pub kind: &'static str,
    pub id: i64,
    /// A human label such as the username or role name, kept as a snapshot.
    pub label: String,
    /// The user the event concerns, so their history page can find it.
    pub user_id: Option<UserId>,
}

/// One row to append. Text fields are cleaned of control characters here,
/// so no caller can forge extra lines in exports or logs.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    /// Whose log the row is in.
    pub organisation: OrgId,
    pub at: Timestamp,
    pub actor: Option<(UserId, &'a str)>,
    pub action: AuditAction,
    pub target: Option<AuditTarget>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The columns of a row's content, in `ChainContent`'s order: written once,
/// for the insert and for every read.
macro_rules! content_columns {
    () => {
        "at, actor_id, actor_username, actor_key, action, target_type, target_id, target_label, \
         target_key, target_user_id, before_value, after_value, reason, ip, user_agent, \
         organisation_id"
    };
}

/// Every column of a stored row, for the reads.
const RECORD_COLUMNS: &str = concat!("id, ", content_columns!(), ", prev_hash, hash");

/// A stored row, decoded by column name.
fn record(row: &AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        content: ChainContent {
            at: row.try_get("at")?,
            actor_id: row.try_get("actor_id")?,
            actor_username: row.try_get("actor_username")?,
            actor_key: row.try_get("actor_key")?,
            action: row.try_get("action")?,
            target_type: row.try_get("target_type")?,
            target_id: row.try_get("target_id")?,
            target_label: row.try_get("target_label")?,
            target_key: row.try_get("target_key")?,
            target_user_id: row.try_get("target_user_id")?,
            before_value: row.try_get("before_value")?,
            after_value: row.try_get("after_value")?,
            reason: row.try_get("reason")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            organisation_id: row.try_get("organisation_id")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `entry` to the hash chain, inside a transaction from
/// `Db::begin_write`: writers are serialised there, so the row read as the
/// chain's end is still the end when this row commits. (Should a transaction
/// from anywhere else race it, the unique index on `prev_hash` makes one
/// insert fail rather than fork the chain.)
pub async fn append(tx: &mut Tx, entry: &NewAuditEntry<'_>) -> anyhow::Result<()> {
    append_all(tx, std::slice::from_ref(entry)).await
}

/// Rows per INSERT when appending many: 500 rows of 18 values stay well
/// under SQLite's 32,766 parameters.
const APPEND_BATCH: usize = 500;

/// Appends `entries` to the hash chain in order, as `append` does one: the
/// chain's end is read once and each row's hash computed from the last, and
/// the rows go in many to a statement (an import appends one per account).
pub async fn append_all(tx: &mut Tx, entries: &[NewAuditEntry<'_>]) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let prev: Option<String> = sqlx::query_scalar(
        "SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut **tx)
    .await
    .context("could not read the end of the audit chain")?;
    let mut prev = prev.unwrap_or_else(|| GENESIS.to_owned());
    let sqlite = super::is_sqlite(tx);
    for batch in entries.chunks(APPEND_BATCH) {
        let mut rows = Vec::with_capacity(batch.len());
        for entry in batch {
            let content = chain_content(entry);
            let hash = content.hash(&prev);
            rows.push((content, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        let sql = format!(
            "INSERT INTO audit_log ({}, prev_hash, hash) VALUES {}",
            content_columns!(),
            values_list(sqlite, rows.len(), 18)
        );
        let mut query = sqlx::query(&sql);
        for (content, prev_hash, hash) in rows {
            query = query
                .bind(content.at)
                .bind(content.actor_id)
                .bind(content.actor_username)
                .bind(content.actor_key)
                .bind(content.action)
                .bind(content.target_type)
                .bind(content.target_id)
                .bind(content.target_label)
                .bind(content.target_key)
                .bind(content.target_user_id)
                .bind(content.before_value)
                .bind(content.after_value)
                .bind(content.reason)
                .bind(content.ip)
                .bind(content.user_agent)
                .bind(content.organisation_id)
                .bind(prev_hash)
                .bind(hash);
        }
        query.execute(&mut **tx).await.with_context(|| {
            format!(
                "could not write the audit rows for {}",
                batch[0].action.as_str()
            )
        })?;
    }
    Ok(())
}

/// `(…), (…)` for `rows` rows of `columns` parameters. SQLite resolves
/// every `$N` by a linear search over the names seen so far, which makes a
/// statement of thousands of parameters quadratic to prepare, so it gets
/// plain positional `?`; PostgreSQL needs `$N`.
fn values_list(sqlite: bool, rows: usize, columns: usize) -> String {
    let mut sql = String::new();
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            match sqlite {
                true => sql.push('?'),
                false => sql.push_str(&format!("${}", row * columns + column + 1)),
            }
        }
        sql.push(')');
    }
    sql
}

/// The row exactly as it will be stored: text cleaned of control characters
/// and cut to length, lower-cased keys for the filters.
fn chain_content(entry: &NewAuditEntry<'_>) -> ChainContent {
    let clean = |s: Option<&str>, max: usize| s.map(|s| sanitize_for_log(s, max));
    let actor_name = entry.actor.map(|(_, name)| sanitize_for_log(name, 64));
    let target_label = entry
        .target
        .as_ref()
        .map(|t| sanitize_for_log(&t.label, 200));
    ChainContent {
        at: entry.at.0,
        actor_id: entry.actor.map(|(id, _)| id.0),
        actor_key: actor_name.as_deref().map(case_key),
        actor_username: actor_name,
        action: entry.action.as_str().to_owned(),
        target_type: entry.target.as_ref().map(|t| t.kind.to_owned()),
        target_id: entry.target.as_ref().map(|t| t.id),
        target_key: target_label.as_deref().map(case_key),
        target_label,
        target_user_id: entry.target.as_ref().and_then(|t| t.user_id).map(|id| id.0),
        before_value: clean(entry.before.as_deref(), 500),
        after_value: clean(entry.after.as_deref(), 500),
        reason: clean(entry.reason, 1000),
        ip: clean(entry.ip, 64),
        user_agent: clean(entry.user_agent, 300),
        organisation_id: entry.organisation.0,
    }
}

/// The filter as bind values: unused filters bind a value that switches
/// their clause off, so one statement serves every combination.
struct FilterBinds {
    actor: String,
    action: &'static str,
    target: String,
    involving: i64,
}

const FILTER_CONDITIONS: &str = "($1 = '' OR actor_key = $1) AND ($2 = '' OR action = $2) \
                                 AND ($3 = '' OR target_key = $3) \
                                 AND ($4 = -1 OR target_user_id = $4 OR actor_id = $4) \
                                 AND organisation_id = $5";

impl FilterBinds {
    fn of(filter: &AuditFilter) -> FilterBinds {
        let key = |s: &Option<String>| s.as_deref().map(case_key).unwrap_or_default();
        FilterBinds {
            actor: key(&filter.actor),
            action: filter.action.map(AuditAction::as_str).unwrap_or(""),
            target: key(&filter.target),
            involving: filter.involving.map_or(-1, |id| id.0),
        }
    }
}

/// One page of rows, newest first, and the number of matches.
pub async fn list(
    scoped: Scoped<'_>,
    filter: &AuditFilter,
    limit: u64,
    offset: u64,
) -> anyhow::Result<(Vec<AuditRecord>, u64)> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    let f = FilterBinds::of(filter);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE {FILTER_CONDITIONS}"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .bind(organisation)
    .fetch_one(&mut *conn)
    .await
    .context("could not count audit rows")?;
    let rows = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM audit_log WHERE {FILTER_CONDITIONS} \
         ORDER BY id DESC LIMIT $6 OFFSET $7"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .bind(organisation)
    .bind(limit as i64)
    .bind(offset as i64)
    .try_map(|row: AnyRow| record(&row))
    .fetch_all(conn)
    .await
    .context("could not list audit rows")?;
    Ok((rows, total.max(0) as u64))
}

/// Up to `limit` matching rows with ids below `before_id`, newest first: a
/// keyset page, so an export of any size walks the table in steady steps.
pub async fn page_before(
    scoped: Scoped<'_>,
    filter: &AuditFilter,
    before_id: i64,
    limit: u64,
) -> anyhow::Result<Vec<AuditRecord>> {
    let (conn, scope) = scoped.parts();
    let f = FilterBinds::of(filter);
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM audit_log WHERE {FILTER_CONDITIONS} AND id < $6 \
         ORDER BY id DESC LIMIT $7"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .bind(scope.org()?)
    .bind(before_id)
    .bind(limit as i64)
    .try_map(|row: AnyRow| record(&row))
    .fetch_all(conn)
    .await
    .context("could not read audit rows for the export")
}

/// The newest `limit` rows about `user` (as the target or the actor), for
/// their page. Each side is read through its own index and the two merged:
/// the one statement of `FILTER_CONDITIONS` serves every filter, and for it
/// PostgreSQL walks the whole log backwards to find a user with few rows.
pub async fn about_user(
    scoped: Scoped<'_>,
    user: UserId,
    limit: u64,
) -> anyhow::Result<Vec<AuditRecord>> {
    let (conn, scope) = scoped.parts();
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM audit_log WHERE organisation_id = $2 AND id IN \
         (SELECT id FROM (SELECT id FROM audit_log WHERE target_user_id = $1 \
           ORDER BY id DESC LIMIT {limit}) t \
          UNION SELECT id FROM (SELECT id FROM audit_log WHERE actor_id = $1 \
           ORDER BY id DESC LIMIT {limit}) a) \
         ORDER BY id DESC LIMIT {limit}"
    ))
    .bind(user.0)
    .bind(scope.org()?)
    .try_map(|row: AnyRow| record(&row))
    .fetch_all(conn)
    .await
    .with_context(|| format!("could not read the audit rows about user {user}"))
}

/// Up to `limit` rows with ids above `after_id`, oldest first: the chain
/// walk, over every organisation's rows (one chain per instance).
pub async fn rows_after(
    scoped: Scoped<'_>,
    after_id: i64,
    limit: u64,
) -> anyhow::Result<Vec<AuditRecord>> {
    let (conn, _instance) = scoped.parts();
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after_id)
    .bind(limit as i64)
    .try_map(|row: AnyRow| record(&row))
    .fetch_all(conn)
    .await
    .context("could not read the audit chain")
}

/// Row `id`, if it exists.
pub async fn row(scoped: Scoped<'_>, id: i64) -> anyhow::Result<Option<AuditRecord>> {
    let rows = rows_after(scoped, id - 1, 1).await?;
    Ok(rows.into_iter().next().filter(|r| r.id == id))
}
