//! The append-only audit log. There is deliberately no update or delete here;
//! the database refuses them too (triggers in the migrations).

use anyhow::Context;
use sqlx::FromRow;

use super::{Scoped, Tx};
use crate::domain::audit_chain::{ChainContent, GENESIS};
use crate::domain::{AuditAction, Timestamp, UserId, sanitize_for_log};

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

/// Appends `entry` to the hash chain, inside a transaction from
/// `Db::begin_write`: writers are serialised there, so the row read as the
/// chain's end is still the end when this row commits. (Should a transaction
/// from anywhere else race it, the unique index on `prev_hash` makes one
/// insert fail rather than fork the chain.)
pub async fn append(tx: &mut Tx, entry: &NewAuditEntry<'_>) -> anyhow::Result<()> {
    let content = chain_content(entry);
    let prev: Option<String> = sqlx::query_scalar(
        "SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut **tx)
    .await
    .context("could not read the end of the audit chain")?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_owned());
    let hash = content.hash(&prev);
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_username, actor_key, action, target_type, \
         target_id, target_label, target_key, target_user_id, before_value, after_value, reason, \
         ip, user_agent, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
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
    .bind(prev)
    .bind(hash)
    .execute(&mut **tx)
    .await
    .with_context(|| {
        format!(
            "could not write the audit row for {}",
            entry.action.as_str()
        )
    })?;
    Ok(())
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
        actor_key: actor_name.as_ref().map(|n| n.to_lowercase()),
        actor_username: actor_name,
        action: entry.action.as_str().to_owned(),
        target_type: entry.target.as_ref().map(|t| t.kind.to_owned()),
        target_id: entry.target.as_ref().map(|t| t.id),
        target_key: target_label.as_ref().map(|l| l.to_lowercase()),
        target_label,
        target_user_id: entry.target.as_ref().and_then(|t| t.user_id).map(|id| id.0),
        before_value: clean(entry.before.as_deref(), 500),
        after_value: clean(entry.after.as_deref(), 500),
        reason: clean(entry.reason, 1000),
        ip: clean(entry.ip, 64),
        user_agent: clean(entry.user_agent, 300),
    }
}

/// A stored audit row.
#[derive(Debug, Clone, FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target_label: Option<String>,
    pub target_user_id: Option<i64>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl AuditEntry {
    pub fn at(&self) -> Timestamp {
        Timestamp(self.at)
    }

    /// The readable name of the action ("User approved").
    pub fn action_label(&self) -> &str {
        match AuditAction::parse(&self.action) {
            Some(action) => action.label(),
            None => &self.action,
        }
    }
}

/// Narrows the audit list. Text filters match whole usernames or labels,
/// case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub target: Option<String>,
    /// Events done by or to this user (the user detail page).
    pub involving: Option<UserId>,
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
                                 AND ($4 = -1 OR target_user_id = $4 OR actor_id = $4)";

const ENTRY_COLUMNS: &str = "id, at, actor_id, actor_username, action, target_type, target_id, \
                             target_label, target_user_id, before_value, after_value, reason, ip, \
                             user_agent";

impl FilterBinds {
    fn of(filter: &AuditFilter) -> FilterBinds {
        let key = |s: &Option<String>| s.as_deref().map(str::to_lowercase).unwrap_or_default();
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
) -> anyhow::Result<(Vec<AuditEntry>, u64)> {
    let (conn, _scope) = scoped.parts();
    let f = FilterBinds::of(filter);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE {FILTER_CONDITIONS}"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .fetch_one(&mut *conn)
    .await
    .context("could not count audit rows")?;
    let rows: Vec<AuditEntry> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {FILTER_CONDITIONS} \
         ORDER BY id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .bind(limit as i64)
    .bind(offset as i64)
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
) -> anyhow::Result<Vec<AuditEntry>> {
    let (conn, _scope) = scoped.parts();
    let f = FilterBinds::of(filter);
    sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {FILTER_CONDITIONS} AND id < $5 \
         ORDER BY id DESC LIMIT $6"
    ))
    .bind(&f.actor)
    .bind(f.action)
    .bind(&f.target)
    .bind(f.involving)
    .bind(before_id)
    .bind(limit as i64)
    .fetch_all(conn)
    .await
    .context("could not read audit rows for the export")
}
