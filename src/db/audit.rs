//! The append-only audit log. There is deliberately no update or delete here;
//! the database refuses them too (triggers in the migrations).

use anyhow::Context;
use sqlx::FromRow;

use super::Conn;
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

pub async fn append(conn: &mut Conn, entry: &NewAuditEntry<'_>) -> anyhow::Result<()> {
    let clean = |s: Option<&str>, max: usize| s.map(|s| sanitize_for_log(s, max));
    let actor_name = entry.actor.map(|(_, name)| sanitize_for_log(name, 64));
    let target_label = entry
        .target
        .as_ref()
        .map(|t| sanitize_for_log(&t.label, 200));
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_username, actor_key, action, target_type, \
         target_id, target_label, target_key, target_user_id, before_value, after_value, reason, \
         ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(entry.at.0)
    .bind(entry.actor.map(|(id, _)| id.0))
    .bind(actor_name.clone())
    .bind(actor_name.map(|n| n.to_lowercase()))
    .bind(entry.action.as_str())
    .bind(entry.target.as_ref().map(|t| t.kind))
    .bind(entry.target.as_ref().map(|t| t.id))
    .bind(target_label.clone())
    .bind(target_label.map(|l| l.to_lowercase()))
    .bind(entry.target.as_ref().and_then(|t| t.user_id).map(|id| id.0))
    .bind(clean(entry.before.as_deref(), 500))
    .bind(clean(entry.after.as_deref(), 500))
    .bind(clean(entry.reason, 1000))
    .bind(clean(entry.ip, 64))
    .bind(clean(entry.user_agent, 300))
    .execute(conn)
    .await
    .with_context(|| {
        format!(
            "could not write the audit row for {}",
            entry.action.as_str()
        )
    })?;
    Ok(())
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

/// One page of rows, newest first, and the number of matches.
pub async fn list(
    conn: &mut Conn,
    filter: &AuditFilter,
    limit: u64,
    offset: u64,
) -> anyhow::Result<(Vec<AuditEntry>, u64)> {
    // Unused filters bind a value that switches their clause off, so one
    // statement serves every combination.
    let actor = filter
        .actor
        .as_deref()
        .map(str::to_lowercase)
        .unwrap_or_default();
    let action = filter.action.map(AuditAction::as_str).unwrap_or("");
    let target = filter
        .target
        .as_deref()
        .map(str::to_lowercase)
        .unwrap_or_default();
    let involving = filter.involving.map_or(-1, |id| id.0);
    let conditions = "($1 = '' OR actor_key = $1) AND ($2 = '' OR action = $2) \
                      AND ($3 = '' OR target_key = $3) \
                      AND ($4 = -1 OR target_user_id = $4 OR actor_id = $4)";
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE {conditions}"
    ))
    .bind(&actor)
    .bind(action)
    .bind(&target)
    .bind(involving)
    .fetch_one(&mut *conn)
    .await
    .context("could not count audit rows")?;
    let rows: Vec<AuditEntry> = sqlx::query_as(&format!(
        "SELECT id, at, actor_id, actor_username, action, target_type, target_id, target_label, \
         target_user_id, before_value, after_value, reason, ip, user_agent FROM audit_log \
         WHERE {conditions} ORDER BY id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(&actor)
    .bind(action)
    .bind(&target)
    .bind(involving)
    .bind(limit as i64)
    .bind(offset as i64)
    .fetch_all(conn)
    .await
    .context("could not list audit rows")?;
    Ok((rows, total.max(0) as u64))
}
