//! Savepoints: a part of a write transaction that can be undone alone,
//! leaving the rest to commit (`services::oidc::batch`, which writes
//! several requests' tokens in one transaction). Both backends speak the
//! same SQL; on PostgreSQL a failed statement spoils the transaction
//! until it is undone to a savepoint.

use anyhow::Context;

use super::Tx;

/// Starts a part of `tx`.
pub async fn begin_part(tx: &mut Tx) -> anyhow::Result<()> {
    run(tx, "SAVEPOINT part", "could not mark a savepoint").await
}

/// Keeps the part: it commits with the transaction.
pub async fn keep_part(tx: &mut Tx) -> anyhow::Result<()> {
    run(
        tx,
        "RELEASE SAVEPOINT part",
        "could not release a savepoint",
    )
    .await
}

/// Undoes the part, and only the part.
pub async fn undo_part(tx: &mut Tx) -> anyhow::Result<()> {
    let undo = "ROLLBACK TO SAVEPOINT part";
    run(tx, undo, "could not roll back to a savepoint").await?;
    keep_part(tx).await
}

async fn run(tx: &mut Tx, statement: &'static str, failed: &'static str) -> anyhow::Result<()> {
    sqlx::query(statement)
        .execute(&mut **tx)
        .await
        .context(failed)?;
    Ok(())
}
