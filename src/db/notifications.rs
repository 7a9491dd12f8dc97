//! Notifications, each user's mail preferences, the reviewers' digests and
//! the places users signed in from. Every statement binds the scope's
//! organisation but the purge and the digest scan, which are the
//! instance's upkeep and say so.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::notification::{NoticeKind, parse_mail_off};
use crate::domain::{Permission, Timestamp, UserId};

pub async fn insert(
    scoped: Scoped<'_>,
    user: UserId,
    kind: NoticeKind,
    text: &str,
    link: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO notifications (organisation_id, user_id, kind, text, link, created_at) \
         SELECT organisation_id, id, $1, $2, $3, $4 FROM users WHERE id = $5 AND organisation_id = $6",
    )
    .bind(kind.as_str())
    .bind(text)
    .bind(link)
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not store the notification")?;
    Ok(())
}

/// Tells every Active holder of `permission` in the organisation (through
/// their role or a group's), but `except`; returns how many were told.
pub async fn insert_for_holders(
    scoped: Scoped<'_>,
    permission: Permission,
    except: Option<UserId>,
    kind: NoticeKind,
    text: &str,
    link: &str,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "INSERT INTO notifications (organisation_id, user_id, kind, text, link, created_at) \
         SELECT u.organisation_id, u.id, $1, $2, $3, $4 FROM users u \
         WHERE u.organisation_id = $5 AND u.status = 'active' AND u.id <> $6 AND u.id IN (\
           SELECT u2.id FROM role_permissions rp JOIN users u2 ON u2.role_id = rp.role_id \
           WHERE rp.permission = $7 AND u2.organisation_id = $5 \
           UNION SELECT gm.user_id FROM role_permissions rp \
           JOIN group_roles gr ON gr.role_id = rp.role_id \
           JOIN group_members gm ON gm.group_id = gr.group_id WHERE rp.permission = $7)",
    )
    .bind(kind.as_str())
    .bind(text)
    .bind(link)
    .bind(now.0)
    .bind(scope.org()?)
    .bind(except.map_or(-1, |u| u.0))
    .bind(permission.as_str())
    .execute(conn)
    .await
    .context("could not notify the reviewers")?;
    Ok(done.rows_affected())
}

/// A notice as the centre lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Listed {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The user's notices, newest first, `limit` at most, older than `before`.
pub async fn list(
    scoped: Scoped<'_>,
    user: UserId,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<Listed>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_as(
        "SELECT id, kind, text, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND organisation_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await
    .context("could not list the notifications")
}

pub async fn unread_count(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<i64> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL \
         AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not count the unread notifications")
}

/// Marks one of the user's notices read (`Some`), or all of them; returns
/// how many changed.
pub async fn mark_read(
    scoped: Scoped<'_>,
    user: UserId,
    one: Option<i64>,
    now: Timestamp,
) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND organisation_id = $3 \
         AND read_at IS NULL AND ($4 = -1 OR id = $4)",
    )
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .bind(one.unwrap_or(-1))
    .execute(conn)
    .await
    .context("could not mark the notifications read")?;
    Ok(done.rows_affected())
}

/// Whether `id` is one of the user's notices.
pub async fn is_theirs(scoped: Scoped<'_>, user: UserId, id: i64) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE id = $1 AND user_id = $2 AND organisation_id = $3",
    )
    .bind(id)
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not find the notification")?;
    Ok(n > 0)
}

/// The kinds the user turned off for mail.
pub async fn mail_off(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<Vec<NoticeKind>> {
    let (conn, scope) = scoped.parts();
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT mail_off FROM notification_settings WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .context("could not read the notification settings")?;
    Ok(parse_mail_off(stored.as_deref().unwrap_or("")))
}

pub async fn set_mail_off(scoped: Scoped<'_>, user: UserId, stored: &str) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO notification_settings (user_id, organisation_id, mail_off) \
         SELECT id, organisation_id, $1 FROM users WHERE id = $2 AND organisation_id = $3 \
         ON CONFLICT (user_id) DO UPDATE SET mail_off = excluded.mail_off",
    )
    .bind(stored)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not save the notification settings")?;
    Ok(())
}

/// A reviewer with reviewer notices newer than their last digest.
#[derive(Debug, Clone, FromRow)]
pub struct DigestDue {
    pub user_id: i64,
    pub organisation_id: i64,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub mail_off: Option<String>,
}

/// Every Active reviewer, in any organisation, with an unread reviewer
/// notice of the last day newer than their last digest, whose last digest
/// is older than `quiet_since` (the instance's upkeep, over all
/// organisations). Driven by the recent notices (an index range), not by
/// the users, so it costs the same at a million users.
pub async fn digests_due(
    scoped: Scoped<'_>,
    quiet_since: Timestamp,
    recent_since: Timestamp,
) -> anyhow::Result<Vec<DigestDue>> {
    let (conn, _instance) = scoped.parts();
    sqlx::query_as(
        "SELECT u.id AS user_id, u.organisation_id, u.username, u.full_name, u.email, s.mail_off \
         FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE u.id IN (SELECT n.user_id FROM notifications n \
           LEFT JOIN notification_settings x ON x.user_id = n.user_id \
           WHERE n.created_at > $2 AND n.read_at IS NULL \
           AND n.kind IN ('new_pending_account', 'new_role_request') \
           AND n.created_at > COALESCE(x.digest_sent_at, 0)) \
         AND u.status = 'active' AND (s.digest_sent_at IS NULL OR s.digest_sent_at <= $1) \
         LIMIT 500",
    )
    .bind(quiet_since.0)
    .bind(recent_since.0)
    .fetch_all(conn)
    .await
    .context("could not find the reviewers due a digest")
}

/// The reviewer notice kinds the user has unread (what their digest
/// covers: they were told because they hold the permission).
pub async fn unread_reviewer_kinds(
    scoped: Scoped<'_>,
    user: UserId,
) -> anyhow::Result<Vec<NoticeKind>> {
    let (conn, scope) = scoped.parts();
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT kind FROM notifications WHERE user_id = $1 AND organisation_id = $2 \
         AND read_at IS NULL AND kind IN ('new_pending_account', 'new_role_request')",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not read the reviewer's notices")?;
    Ok(kinds.iter().filter_map(|k| NoticeKind::parse(k)).collect())
}

/// When the user was last mailed a digest.
pub async fn digest_sent_at(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<Option<i64>> {
    let (conn, scope) = scoped.parts();
    let at: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT digest_sent_at FROM notification_settings WHERE user_id = $1 \
         AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .context("could not read when the digest was sent")?;
    Ok(at.flatten())
}

pub async fn set_digest_sent(
    scoped: Scoped<'_>,
    user: UserId,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO notification_settings (user_id, organisation_id, digest_sent_at) \
         SELECT id, organisation_id, $1 FROM users WHERE id = $2 AND organisation_id = $3 \
         ON CONFLICT (user_id) DO UPDATE SET digest_sent_at = excluded.digest_sent_at",
    )
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not record the digest")?;
    Ok(())
}

/// Records a sign-in from `browser` on `network`; returns whether the user
/// had signed in from there in the last `window_ms` (else it is new).
pub async fn seen_sign_in(
    scoped: Scoped<'_>,
    user: UserId,
    browser: &str,
    network: &str,
    now: Timestamp,
    window_ms: i64,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_seen_at FROM known_sign_ins WHERE user_id = $1 AND organisation_id = $2 \
         AND browser = $3 AND network = $4",
    )
    .bind(user.0)
    .bind(org)
    .bind(browser)
    .bind(network)
    .fetch_optional(&mut *conn)
    .await
    .context("could not read where the user signed in before")?;
    sqlx::query(
        "INSERT INTO known_sign_ins (user_id, organisation_id, browser, network, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, browser, network) \
         DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(user.0)
    .bind(org)
    .bind(browser)
    .bind(network)
    .bind(now.0)
    .execute(conn)
    .await
    .context("could not record where the user signed in")?;
    Ok(last.is_some_and(|at| at > now.0 - window_ms))
}

/// Deletes notices older than `before` and sign-in places unseen since
/// (the instance's upkeep); returns how many notices went.
pub async fn purge(scoped: Scoped<'_>, before: Timestamp) -> anyhow::Result<u64> {
    let (conn, _instance) = scoped.parts();
    let done = sqlx::query("DELETE FROM notifications WHERE created_at < $1")
        .bind(before.0)
        .execute(&mut *conn)
        .await
        .context("could not purge old notifications")?;
    sqlx::query("DELETE FROM known_sign_ins WHERE last_seen_at < $1")
        .bind(before.0)
        .execute(conn)
        .await
        .context("could not purge old sign-in places")?;
    Ok(done.rows_affected())
}

/// Deletes a purged user's notices and sign-in places.
pub async fn forget_user(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    for statement in [
        "DELETE FROM notifications WHERE user_id = $1 AND organisation_id = $2",
        "DELETE FROM known_sign_ins WHERE user_id = $1 AND organisation_id = $2",
    ] {
        sqlx::query(statement)
            .bind(user.0)
            .bind(org)
            .execute(&mut *conn)
            .await
            .context("could not delete the user's notices")?;
    }
    Ok(())
}
