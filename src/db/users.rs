//! Users: accounts, their status, role and activity counters.

pub use super::search::{IdRange, ListedUser, Matches, UserFilter, UserSort, id_range, list};

use anyhow::Context;
use sqlx::FromRow;

use super::Scoped;
use super::signed_in::{AuthRow, auth_columns, auth_user};
use crate::domain::{
    Credentials, Deletion, Email, FullName, Metadata, OrgId, PermissionSet, Phone, RoleId,
    Timestamp, User, UserId, UserStatus, Username, case_key, login_key, search_key,
};

#[derive(FromRow)]
struct UserRow {
    id: i64,
    username: String,
    email: String,
    full_name: String,
    phone: String,
    status: String,
    status_reason: Option<String>,
    role_id: i64,
    role_name: String,
    created_at: i64,
    updated_at: i64,
    status_changed_at: i64,
    last_login_at: Option<i64>,
    login_count: i64,
    last_active_at: Option<i64>,
    minutes_of_use: i64,
    status_before_delete: Option<String>,
    deleted_at: Option<i64>,
    deleted_reason: Option<String>,
    purged_at: Option<i64>,
    metadata: String,
    email_verified_at: Option<i64>,
}

impl TryFrom<UserRow> for User {
    type Error = anyhow::Error;

    fn try_from(row: UserRow) -> anyhow::Result<User> {
        let deletion = match (row.deleted_at, row.status_before_delete.as_deref()) {
            (Some(at), Some(before)) => Some(Deletion {
                at: Timestamp(at),
                reason: row.deleted_reason,
                status_before: stored_status(row.id, before)?,
                purged_at: row.purged_at.map(Timestamp),
            }),
            _ => None,
        };
        let metadata = Metadata::from_json(&row.metadata)
            .map_err(|e| anyhow::anyhow!("user {}: {e}", row.id))?;
        Ok(User {
            deletion,
            metadata,
            id: UserId(row.id),
            status: stored_status(row.id, &row.status)?,
            username: row.username,
            email: row.email,
            full_name: row.full_name,
            phone: row.phone,
            status_reason: row.status_reason,
            role_id: RoleId(row.role_id),
            role_name: row.role_name,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            status_changed_at: Timestamp(row.status_changed_at),
            last_login_at: row.last_login_at.map(Timestamp),
            login_count: row.login_count,
            last_active_at: row.last_active_at.map(Timestamp),
            minutes_of_use: row.minutes_of_use,
            email_verified_at: row.email_verified_at.map(Timestamp),
        })
    }
}

const USER_COLUMNS: &str = "u.id, u.username, u.email, u.full_name, u.phone, u.status, u.status_reason, \
     u.role_id, r.name AS role_name, u.created_at, u.updated_at, u.status_changed_at, \
     u.last_login_at, u.login_count, u.last_active_at, u.minutes_of_use, u.status_before_delete, u.deleted_at, \
     u.deleted_reason, u.purged_at, u.metadata, u.email_verified_at";

/// A validated account ready to be inserted.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: &'a Email,
    pub full_name: &'a FullName,
    pub password_hash: &'a str,
    pub status: UserStatus,
    pub role_id: RoleId,
    pub now: Timestamp,
}

pub async fn insert(scoped: Scoped<'_>, user: &NewUser<'_>) -> Result<UserId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, username_key, email, email_key, full_name, full_name_key, \
         password_hash, status, role_id, created_at, updated_at, status_changed_at, login_count, \
         search_key, organisation_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10, 0, $11, $12) RETURNING id",
    )
    .bind(user.username.as_str())
    .bind(user.username.key())
    .bind(user.email.as_str())
    .bind(user.email.key())
    .bind(user.full_name.as_str())
    .bind(case_key(user.full_name.as_str()))
    .bind(user.password_hash)
    .bind(user.status.as_str())
    .bind(user.role_id.0)
    .bind(user.now.0)
    .bind(search_key(
        user.username.as_str(),
        user.email.as_str(),
        user.full_name.as_str(),
    ))
    .bind(scope.org()?)
    .fetch_one(conn)
    .await?;
    Ok(UserId(id))
}

/// Which of username and email are already taken (compared case-insensitively).
pub async fn taken(
    scoped: Scoped<'_>,
    username: &Username,
    email: &Email,
) -> anyhow::Result<(bool, bool)> {
    let (conn, scope) = scoped.parts();
    let (user_hits, email_hits): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM users WHERE organisation_id = $3 AND username_key = $1 \
                 AND status <> 'deleted'), \
                (SELECT COUNT(*) FROM users WHERE organisation_id = $3 AND email_key = $2 \
                 AND status <> 'deleted')",
    )
    .bind(username.key())
    .bind(email.key())
    .bind(scope.org()?)
    .fetch_one(conn)
    .await
    .context("could not check whether the username or email is taken")?;
    Ok((user_hits > 0, email_hits > 0))
}

pub async fn find(scoped: Scoped<'_>, id: UserId) -> anyhow::Result<Option<User>> {
    let (conn, scope) = scoped.parts();
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.id = $1 AND u.organisation_id = $2"
    );
    let row: Option<UserRow> = sqlx::query_as(&sql)
        .bind(id.0)
        .bind(scope.org()?)
        .fetch_optional(conn)
        .await
        .with_context(|| format!("could not load user {id}"))?;
    row.map(User::try_from).transpose()
}

/// Looks a user up by username or email, case-insensitively.
pub async fn find_credentials(
    scoped: Scoped<'_>,
    login: &str,
) -> anyhow::Result<Option<Credentials>> {
    let (conn, scope) = scoped.parts();
    let key = login_key(login);
    let organisation = scope.org()?;
    // A username never holds "@" and an email always does, so the login is
    // one or the other and one index answers. Asked as `username_key = $1
    // OR email_key = $1`, SQLite read the whole organisation for it.
    let sql = match key.contains('@') {
        true => {
            "SELECT id, username, status, password_hash FROM users \
             WHERE organisation_id = $2 AND email_key = $1 AND status <> 'deleted'"
        }
        false => {
            "SELECT id, username, status, password_hash FROM users \
             WHERE organisation_id = $2 AND username_key = $1 AND status <> 'deleted'"
        }
    };
    let row: Option<(i64, String, String, String)> = sqlx::query_as(sql)
        .bind(&key)
        .bind(organisation)
        .fetch_optional(conn)
        .await
        .context("could not look up the login")?;
    row.map(|(id, username, status, password_hash)| {
        Ok(Credentials {
            id: UserId(id),
            organisation: OrgId(organisation),
            status: UserStatus::parse(&status).context("unknown user status")?,
            username,
            password_hash,
        })
    })
    .transpose()
}

pub async fn password_hash(scoped: Scoped<'_>, id: UserId) -> anyhow::Result<String> {
    let (conn, scope) = scoped.parts();
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND organisation_id = $2")
        .bind(id.0)
        .bind(scope.org()?)
        .fetch_one(conn)
        .await
        .with_context(|| format!("could not load the password hash of user {id}"))
}

/// A status as stored in a user row, refused with the row's id if unknown.
pub(super) fn stored_status(id: i64, status: &str) -> anyhow::Result<UserStatus> {
    UserStatus::parse(status).with_context(|| format!("user {id} has unknown status {status:?}"))
}

pub async fn set_status(
    scoped: Scoped<'_>,
    id: UserId,
    status: UserStatus,
    reason: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET status = $1, status_reason = $2, status_changed_at = $3, updated_at = $3 \
         WHERE id = $4 AND organisation_id = $5",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not set the status of user {id}"))?;
    Ok(())
}

/// Sets a user's name and phone, and the search key made with the name.
pub async fn set_profile(
    scoped: Scoped<'_>,
    user: &User,
    full_name: &FullName,
    phone: &Phone,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET full_name = $1, full_name_key = $2, search_key = $3, phone = $4, \
         updated_at = $5 WHERE id = $6 AND organisation_id = $7",
    )
    .bind(full_name.as_str())
    .bind(case_key(full_name.as_str()))
    .bind(search_key(&user.username, &user.email, full_name.as_str()))
    .bind(phone.as_str())
    .bind(now.0)
    .bind(user.id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not change the profile of user {}", user.id))?;
    Ok(())
}

pub async fn set_role(
    scoped: Scoped<'_>,
    id: UserId,
    role: RoleId,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET role_id = $1, updated_at = $2 WHERE id = $3 AND organisation_id = $4",
    )
    .bind(role.0)
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not set the role of user {id}"))?;
    Ok(())
}

/// Whether another account of the organisation uses `email` (a deleted
/// account's address is free, as the unique index says).
pub async fn email_taken(
    scoped: Scoped<'_>,
    email: &Email,
    other_than: UserId,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let hits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND email_key = $2 AND id <> $3 \
         AND status <> 'deleted'",
    )
    .bind(scope.org()?)
    .bind(email.key())
    .bind(other_than.0)
    .fetch_one(conn)
    .await
    .context("could not check whether the email is taken")?;
    Ok(hits > 0)
}

/// Whether an account of the organisation (deleted ones aside) has this
/// username.
pub async fn username_taken(scoped: Scoped<'_>, username: &Username) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let hits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND username_key = $2 \
         AND status <> 'deleted'",
    )
    .bind(scope.org()?)
    .bind(username.key())
    .fetch_one(conn)
    .await
    .context("could not check whether the username is taken")?;
    Ok(hits > 0)
}

/// Marks `email` verified for the user, if it is still their address.
pub async fn set_email_verified(
    scoped: Scoped<'_>,
    id: UserId,
    email: &Email,
    now: Timestamp,
) -> anyhow::Result<bool> {
    let (conn, scope) = scoped.parts();
    let done = sqlx::query(
        "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND organisation_id = $3 \
         AND email_key = $4",
    )
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .bind(email.key())
    .execute(conn)
    .await
    .with_context(|| format!("could not mark the email of user {id} verified"))?;
    Ok(done.rows_affected() == 1)
}

/// Gives the user a new address, verified at `verified_at` (or not yet).
pub async fn set_email(
    scoped: Scoped<'_>,
    user: &User,
    email: &Email,
    verified_at: Option<Timestamp>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET email = $1, email_key = $2, search_key = $3, email_verified_at = $4, \
         updated_at = $5 WHERE id = $6 AND organisation_id = $7",
    )
    .bind(email.as_str())
    .bind(email.key())
    .bind(search_key(&user.username, email.as_str(), &user.full_name))
    .bind(verified_at.map(|t| t.0))
    .bind(now.0)
    .bind(user.id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not change the email of user {}", user.id))?;
    Ok(())
}

/// Sets whether the user must choose a new password at their next page.
pub async fn set_must_change_password(
    scoped: Scoped<'_>,
    id: UserId,
    must: bool,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET must_change_password = $1 WHERE id = $2 AND organisation_id = $3",
    )
    .bind(i64::from(must))
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not mark user {id} to change their password"))?;
    Ok(())
}

pub async fn set_password_hash(
    scoped: Scoped<'_>,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND organisation_id = $4",
    )
    .bind(hash)
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not store the password of user {id}"))?;
    Ok(())
}

pub async fn record_login(scoped: Scoped<'_>, id: UserId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET last_login_at = $1, last_active_at = $1, login_count = login_count + 1 \
         WHERE id = $2 AND organisation_id = $3",
    )
    .bind(now.0)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not record the login of user {id}"))?;
    Ok(())
}

/// By id in any organisation, like `find_auth`: the signed-in user's own row.
pub async fn touch_active(scoped: Scoped<'_>, id: UserId, now: Timestamp) -> anyhow::Result<()> {
    let (conn, _instance) = scoped.parts();
    sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
        .bind(now.0)
        .bind(id.0)
        .execute(conn)
        .await
        .with_context(|| format!("could not record activity of user {id}"))?;
    Ok(())
}

/// A user's permissions from every source, as `find_auth` reads them.
pub async fn permissions_of(scoped: Scoped<'_>, id: UserId) -> anyhow::Result<PermissionSet> {
    let (conn, scope) = scoped.parts();
    let sql = format!(
        "SELECT {} FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.id = $1 AND u.organisation_id = $2",
        auth_columns(conn)
    );
    let row: Option<AuthRow> = sqlx::query_as(&sql)
        .bind(id.0)
        .bind(scope.org()?)
        .fetch_optional(conn)
        .await
        .with_context(|| format!("could not read the permissions of user {id}"))?;
    Ok(row
        .map(auth_user)
        .transpose()?
        .flatten()
        .map(|user| user.permissions)
        .unwrap_or_default())
}

/// How many users have `status`, and when the oldest of them registered.
pub async fn oldest_with_status(
    scoped: Scoped<'_>,
    status: UserStatus,
) -> anyhow::Result<(i64, Option<Timestamp>)> {
    let (conn, scope) = scoped.parts();
    let (n, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM users WHERE organisation_id = $1 AND status = $2",
    )
    .bind(scope.org()?)
    .bind(status.as_str())
    .fetch_one(conn)
    .await
    .context("could not read the users waiting")?;
    Ok((n, oldest.map(Timestamp)))
}

/// Number of users in each status, for the admin list's tabs. Read from a
/// counter table that triggers keep exact, so no page view counts every row.
pub async fn count_by_status(scoped: Scoped<'_>) -> anyhow::Result<Vec<(UserStatus, u64)>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, n FROM user_status_counts WHERE organisation_id = $1")
            .bind(scope.org()?)
            .fetch_all(conn)
            .await
            .context("could not count users by status")?;
    Ok(UserStatus::ALL
        .iter()
        .map(|status| {
            let n = rows
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| *n);
            (*status, n.max(0) as u64)
        })
        .collect())
}
