//! Per-account sign-in failure counters (`login_throttle`).

use anyhow::Context;

use super::Scoped;
use crate::domain::{ThrottleState, UserId};

type Row = (i64, i64, i64, Option<i64>, i64);

fn to_state((failures, first, last, locked_until, since_login): Row) -> ThrottleState {
    ThrottleState {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        first_failure_at: first,
        last_failure_at: last,
        locked_until,
        since_login: u32::try_from(since_login).unwrap_or(u32::MAX),
    }
}

/// The account's counters; the default (nothing failed) when it has no row.
pub async fn get(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<ThrottleState> {
    let (conn, scope) = scoped.parts();
    let row: Option<Row> = sqlx::query_as(
        "SELECT failures, first_failure_at, last_failure_at, locked_until, since_login \
         FROM login_throttle WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .fetch_optional(conn)
    .await
    .with_context(|| format!("could not read the sign-in failures of user {user}"))?;
    Ok(row.map(to_state).unwrap_or_default())
}

/// Stores the account's counters (insert or replace).
pub async fn put(scoped: Scoped<'_>, user: UserId, state: &ThrottleState) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "INSERT INTO login_throttle (user_id, failures, first_failure_at, last_failure_at, \
         locked_until, since_login, organisation_id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (user_id) DO UPDATE SET failures = $2, first_failure_at = $3, \
         last_failure_at = $4, locked_until = $5, since_login = $6",
    )
    .bind(user.0)
    .bind(i64::from(state.failures))
    .bind(state.first_failure_at)
    .bind(state.last_failure_at)
    .bind(state.locked_until)
    .bind(i64::from(state.since_login))
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not store the sign-in failures of user {user}"))?;
    Ok(())
}

/// Forgets the account's counters (after a successful sign-in or an unlock).
pub async fn clear(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query("DELETE FROM login_throttle WHERE user_id = $1 AND organisation_id = $2")
        .bind(user.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not clear the sign-in failures of user {user}"))?;
    Ok(())
}

/// Ends a lockout but keeps the count the user will be told about.
pub async fn unlock(scoped: Scoped<'_>, user: UserId) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE login_throttle SET failures = 0, locked_until = NULL \
         WHERE user_id = $1 AND organisation_id = $2",
    )
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not unlock user {user}"))?;
    Ok(())
}
