//! Invitations: the Invited accounts of an organisation, who invited them,
//! and accepting or revoking one.

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use crate::domain::{FullName, Timestamp, UserId, Username, case_key, search_key};

/// A new invitation's stored fields.
pub struct NewInvitation {
    pub user: UserId,
    pub invited_by: UserId,
    pub username_chosen: bool,
    pub now: Timestamp,
}

pub async fn insert(scoped: Scoped<'_>, new: &NewInvitation) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO invitations (user_id, organisation_id, invited_by, username_chosen, \
         created_at, last_sent_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(new.user.0)
    .bind(scope.org()?)
    .bind(new.invited_by.0)
    .bind(i64::from(new.username_chosen))
    .bind(new.now.0)
    .execute(conn)
    .await
    .context("could not store the invitation")?;
    Ok(())
}

/// An invitation still open (its account Invited).
#[derive(Debug, Clone, FromRow)]
pub struct OpenInvitation {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub role_name: String,
    pub invited_by: Option<String>,
    pub username_chosen: i64,
    pub created_at: i64,
    pub last_sent_at: i64,
}

const OPEN_COLUMNS: &str = "u.id AS user_id, u.username, u.email, u.full_name, \
     r.name AS role_name, b.username AS invited_by, i.username_chosen, i.created_at, \
     i.last_sent_at";

/// The organisation's open invitations, newest first.
pub async fn list_open(scoped: Scoped<'_>) -> anyhow::Result<Vec<OpenInvitation>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_as(&format!(
        "SELECT {OPEN_COLUMNS} FROM invitations i JOIN users u ON u.id = i.user_id \
         JOIN roles r ON r.id = u.role_id LEFT JOIN users b ON b.id = i.invited_by \
         WHERE i.organisation_id = $1 AND u.status = 'invited' \
         ORDER BY i.created_at DESC, u.id DESC LIMIT 500"
    ))
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not list the invitations")
}

/// One open invitation.
pub async fn find_open(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<Option<OpenInvitation>> {
    let (conn, scope) = scoped.parts();
    sqlx::query_as(&format!(
        "SELECT {OPEN_COLUMNS} FROM invitations i JOIN users u ON u.id = i.user_id \
         JOIN roles r ON r.id = u.role_id LEFT JOIN users b ON b.id = i.invited_by \
         WHERE i.organisation_id = $1 AND i.user_id = $2 AND u.status = 'invited'"
    ))
    .bind(scope.org()?)
    .bind(user.0)
    .fetch_optional(conn)
    .await
    .context("could not read the invitation")
}

pub async fn touch_sent(scoped: Scoped<'_>, user: UserId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE invitations SET last_sent_at = $1 WHERE user_id = $2 AND organisation_id = $3",
    )
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not record the invitation's mail")?;
    Ok(())
}

/// Deletes a revoked invitation's account: its links, memberships and
/// invitation go with it; mail already written keeps its row, without
/// the account. Only an Invited account is deleted.
pub async fn delete_invited(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    for statement in [
        "DELETE FROM one_time_links WHERE user_id = $1 AND organisation_id = $2",
        "UPDATE mail_outbox SET user_id = NULL WHERE user_id = $1 AND organisation_id = $2",
        "DELETE FROM group_members WHERE user_id = $1 \
         AND EXISTS (SELECT 1 FROM users WHERE id = $1 AND organisation_id = $2)",
        "DELETE FROM invitations WHERE user_id = $1 AND organisation_id = $2",
    ] {
        sqlx::query(statement)
            .bind(user.0)
            .bind(org)
            .execute(&mut *conn)
            .await
            .context("could not remove the invitation")?;
    }
    let done = sqlx::query(
        "DELETE FROM users WHERE id = $1 AND organisation_id = $2 AND status = 'invited'",
    )
    .bind(user.0)
    .bind(org)
    .execute(conn)
    .await
    .context("could not delete the invited account")?;
    Ok(done.rows_affected() == 1)
}

/// What the invitee chose when accepting.
pub struct Acceptance<'a> {
    pub user: UserId,
    pub username: &'a Username,
    pub full_name: &'a FullName,
    pub email: &'a str,
    pub password_hash: &'a str,
    /// The link came by mail, which proves the address.
    pub email_verified: bool,
    pub now: Timestamp,
}

/// Makes the Invited account Active with the invitee's choices.
pub async fn accept(scoped: Scoped<'_>, a: &Acceptance<'_>) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE users SET username = $1, username_key = $2, full_name = $3, full_name_key = $4, \
         search_key = $5, password_hash = $6, status = 'active', status_changed_at = $7, \
         updated_at = $7, email_verified_at = $8 \
         WHERE id = $9 AND organisation_id = $10 AND status = 'invited'",
    )
    .bind(a.username.as_str())
    .bind(a.username.key())
    .bind(a.full_name.as_str())
    .bind(case_key(a.full_name.as_str()))
    .bind(search_key(
        a.username.as_str(),
        a.email,
        a.full_name.as_str(),
    ))
    .bind(a.password_hash)
    .bind(a.now.0)
    .bind(a.email_verified.then_some(a.now.0))
    .bind(a.user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .context("could not accept the invitation")?;
    Ok(done.rows_affected() == 1)
}
