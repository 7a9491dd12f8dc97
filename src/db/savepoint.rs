//! Savepoints: a part of a write transaction that can be undone alone,
//! leaving the rest to commit (`services::oidc::batch`, which writes
//! several requests' tokens in one transaction). Both backends speak the
//! same SQL; on PostgreSQL a failed statement spoils the transaction
//! until it is undone to a savepoint.

use anyhow::Context;

use super::Tx;

/// Starts a part of `tx`.
pub async fn begin_part(tx: &mut Tx) -> anyhow::Result<()> {
    sqlx::query("SAVEPOINT part")
        .execute(&mut **tx)
        .await
        .context("could not mark a savepoint")?;
    Ok(())
}

/// Keeps the part: it commits with the transaction.
pub async fn keep_part(tx: &mut Tx) -> anyhow::Result<()> {
    sqlx::query("RELEASE SAVEPOINT part")
        .execute(&mut **tx)
        .await
        .context("could not release a savepoint")?;
    Ok(())
}

/// Undoes the part, and only the part.
pub async fn undo_part(tx: &mut Tx) -> anyhow::Result<()> {
    sqlx::query("ROLLBACK TO SAVEPOINT part")
        .execute(&mut **tx)
        .await
        .context("could not roll back to a savepoint")?;
    keep_part(tx).await
}
