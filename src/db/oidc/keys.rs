//! The instance's signing keys (instance-wide by nature).

use anyhow::Context;
use sqlx::FromRow;

use crate::db::Conn;
use crate::domain::Timestamp;

/// A stored signing key.
#[derive(Debug, Clone, FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub sealed_private_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// The instance's signing keys still published (retired after `since`, or
/// current), oldest first. Instance-wide: the keys are the instance's.
pub async fn keys(conn: &mut Conn, since: Timestamp) -> anyhow::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, alg, sealed_private_key, created_at, retired_at FROM oidc_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at, alg DESC, kid",
    )
    .bind(since.0)
    .fetch_all(conn)
    .await
    .context("could not read the signing keys")
}

/// Adds a key of `alg`, retiring the current one(s) of that algorithm.
pub async fn add_key(
    conn: &mut Conn,
    kid: &str,
    alg: &str,
    sealed: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE oidc_keys SET retired_at = $1 WHERE alg = $2 AND retired_at IS NULL")
        .bind(now.0)
        .bind(alg)
        .execute(&mut *conn)
        .await
        .context("could not retire the signing key")?;
    sqlx::query(
        "INSERT INTO oidc_keys (kid, alg, sealed_private_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(kid)
    .bind(alg)
    .bind(sealed)
    .bind(now.0)
    .execute(conn)
    .await
    .context("could not store the signing key")?;
    Ok(())
}
