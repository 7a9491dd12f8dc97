//! Reading the audit log's hash chain back for verification.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::audit_chain::ChainContent;

/// An audit row with everything its hash covers.
#[derive(Debug, Clone, FromRow)]
pub struct ChainRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub actor_key: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target_label: Option<String>,
    pub target_key: Option<String>,
    pub target_user_id: Option<i64>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl ChainRow {
    pub fn content(&self) -> ChainContent {
        ChainContent {
            at: self.at,
            actor_id: self.actor_id,
            actor_username: self.actor_username.clone(),
            actor_key: self.actor_key.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            target_id: self.target_id,
            target_label: self.target_label.clone(),
            target_key: self.target_key.clone(),
            target_user_id: self.target_user_id,
            before_value: self.before_value.clone(),
            after_value: self.after_value.clone(),
            reason: self.reason.clone(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// Up to `limit` rows with ids above `after_id`, oldest first.
pub async fn rows_after(
    scoped: Scoped<'_>,
    after_id: i64,
    limit: u64,
) -> anyhow::Result<Vec<ChainRow>> {
    let (conn, _scope) = scoped.parts();
    sqlx::query_as(
        "SELECT id, at, actor_id, actor_username, actor_key, action, target_type, target_id, \
         target_label, target_key, target_user_id, before_value, after_value, reason, ip, \
         user_agent, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit as i64)
    .fetch_all(conn)
    .await
    .context("could not read the audit chain")
}

/// Row `id`, if it exists.
pub async fn row(scoped: Scoped<'_>, id: i64) -> anyhow::Result<Option<ChainRow>> {
    let rows = rows_after(scoped, id - 1, 1).await?;
    Ok(rows.into_iter().next().filter(|r| r.id == id))
}
