//! The mail outbox. Messages are written by the use case's transaction
//! (`insert`, through `services::work::Work`); the worker claims due ones
//! (`claim`), sends them, and records what happened (`sent`, `retry`,
//! `failed`). Claiming is instance-wide: one worker serves every
//! organisation, as the session purge does.

use anyhow::Context;
use sqlx::FromRow;

use super::{Conn, Scoped, is_sqlite};
use crate::domain::mail::{Letter, MailStatus};
use crate::domain::{Timestamp, UserId};

/// Whether mail is on, the base of its links, and the signal that wakes the
/// worker when a commit wrote messages.
#[derive(Debug, Default)]
pub struct MailSwitch {
    pub enabled: bool,
    /// Gatehouse's public address, without a trailing slash.
    pub public_url: String,
    /// The host name in each message's `Message-ID`.
    pub host: String,
    pub wake: tokio::sync::Notify,
}

/// A claimed message, ready to send.
#[derive(Debug, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// A message as the outbox page lists it: never its bodies.
#[derive(Debug, FromRow)]
pub struct Listed {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// Writes `letters` to the outbox of the scope's organisation, due now.
pub async fn insert(
    scoped: Scoped<'_>,
    letters: &[(String, Letter)],
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    for (message_id, letter) in letters {
        sqlx::query(
            "INSERT INTO mail_outbox (organisation_id, message_id, kind, recipient, user_id, \
             subject, body_text, body_html, status, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $9)",
        )
        .bind(org)
        .bind(message_id)
        .bind(letter.kind)
        .bind(&letter.to)
        .bind(letter.user.map(|u| u.0))
        .bind(&letter.subject)
        .bind(&letter.text)
        .bind(&letter.html)
        .bind(now.0)
        .execute(&mut *conn)
        .await
        .context("could not write the mail to the outbox")?;
    }
    Ok(())
}

/// Claims up to `limit` due messages until `lease_until`, counting the
/// attempt. PostgreSQL skips rows another instance is claiming; SQLite's
/// caller holds its one write lock. A claim that lapses (the instance died
/// while sending) makes the message due again.
pub async fn claim(
    scoped: Scoped<'_>,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> anyhow::Result<Vec<Claimed>> {
    let (conn, _instance) = scoped.parts();
    let lock = if is_sqlite(conn) {
        ""
    } else {
        " FOR UPDATE SKIP LOCKED"
    };
    sqlx::query_as(&format!(
        "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'queued' \
           AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2) \
           ORDER BY next_attempt_at, id LIMIT $3{lock}) \
         RETURNING id, message_id, recipient, subject, body_text, body_html, attempts, created_at"
    ))
    .bind(lease_until.0)
    .bind(now.0)
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("could not claim mail from the outbox")
}

/// The server took the message: its bodies, which may hold a one-time
/// link, are no longer kept.
pub async fn sent(conn: &mut Conn, id: i64, now: Timestamp) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $2, claimed_until = NULL, \
         last_error = NULL, body_text = '', body_html = '' WHERE id = $1",
    )
    .bind(id)
    .bind(now.0)
    .execute(conn)
    .await
    .context("could not mark the mail sent")?;
    Ok(())
}

/// The attempt failed; the message is tried again at `next`.
pub async fn retry(conn: &mut Conn, id: i64, error: &str, next: Timestamp) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET claimed_until = NULL, last_error = $2, next_attempt_at = $3 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(next.0)
    .execute(conn)
    .await
    .context("could not put the mail back in the outbox")?;
    Ok(())
}

/// The message will not be sent: refused for good, or out of time.
pub async fn failed(conn: &mut Conn, id: i64, error: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET status = 'failed', claimed_until = NULL, last_error = $2, \
         body_text = '', body_html = '' WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(conn)
    .await
    .context("could not mark the mail failed")?;
    Ok(())
}

/// When the next queued message is due, if any (the worker sleeps until then).
pub async fn next_due(scoped: Scoped<'_>) -> anyhow::Result<Option<Timestamp>> {
    let (conn, _instance) = scoped.parts();
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM mail_outbox WHERE status = 'queued'")
            .fetch_one(conn)
            .await
            .context("could not read when the next mail is due")?;
    Ok(at.map(Timestamp))
}

/// What the outbox page asks for.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub status: Option<MailStatus>,
    /// Part of the recipient's address.
    pub recipient: &'a str,
    /// Only messages older than this one (the next page).
    pub before: Option<i64>,
}

/// The organisation's messages, newest first, `limit` at most.
pub async fn list(
    scoped: Scoped<'_>,
    filter: &Filter<'_>,
    limit: i64,
) -> anyhow::Result<Vec<Listed>> {
    let (conn, scope) = scoped.parts();
    let pattern = format!(
        "%{}%",
        filter
            .recipient
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_as(
        "SELECT id, kind, recipient, subject, status, attempts, last_error, created_at, sent_at \
         FROM mail_outbox WHERE organisation_id = $1 AND ($2 = '' OR status = $2) \
         AND LOWER(recipient) LIKE $3 ESCAPE '\\' AND id < $4 ORDER BY id DESC LIMIT $5",
    )
    .bind(scope.org()?)
    .bind(filter.status.map_or("", MailStatus::as_str))
    .bind(pattern)
    .bind(filter.before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("could not list the outbox")
}

/// Deletes a purged user's mail: the recipient address is personal data.
pub async fn forget_user(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query("DELETE FROM mail_outbox WHERE user_id = $1 AND organisation_id = $2")
        .bind(user.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .context("could not delete the user's mail")?;
    Ok(done.rows_affected())
}

/// Deletes sent and failed messages written before `before` (the
/// instance's upkeep: their bodies are gone already; the rest is history
/// the outbox page shows for 90 days).
pub async fn purge(scoped: Scoped<'_>, before: Timestamp) -> anyhow::Result<u64> {
    let (conn, _instance) = scoped.parts();
    let done = sqlx::query(
        "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < $1",
    )
    .bind(before.0)
    .execute(conn)
    .await
    .context("could not purge old mail")?;
    Ok(done.rows_affected())
}
