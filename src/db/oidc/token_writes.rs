//! The token endpoint's writes, set-wise: the codes of a batch exchanged
//! for grants and their first tokens, and refresh tokens rotated.
//!
//! A batch's writes (`services::oidc::batch`) run one after another under
//! the process's writer turn, and every request in the batch waits for its
//! commit. Each statement costs a round trip on PostgreSQL, and on SQLite a
//! hop to the connection's thread and back, which took about 0.1 ms while
//! the cores were busy signing ID tokens (docs/performance.md). So the
//! writes of one organisation in a batch take three statements (codes) or
//! two (refresh tokens), however many there are.
//!
//! The statements change with the number of writes. Those for up to
//! `PREPARED_UP_TO` writes, the usual batches, stay prepared on each
//! connection: unprepared, a statement on PostgreSQL waits for its
//! description before it runs, a second round trip. Larger batches are
//! rarer, and their statements go unprepared rather than push the pages'
//! statements out of the connection's cache (100 statements).

use std::collections::{HashMap, HashSet};

use anyhow::Context;

use crate::db::Scoped;
use crate::domain::{AppId, Timestamp, UserId};

/// The most writes whose statements are kept prepared (see above).
const PREPARED_UP_TO: usize = 8;

/// A grant to store: the code it came from and what it allows.
pub struct NewGrant<'a> {
    pub app: AppId,
    pub user: UserId,
    pub code_hash: &'a str,
    pub scopes: &'a str,
    pub auth_time: i64,
    pub expires_at: Timestamp,
}

/// A grant's new refresh and access tokens, as hashes.
pub struct NewTokenHashes<'a> {
    pub refresh_hash: &'a str,
    pub access_hash: &'a str,
    pub access_expires_at: Timestamp,
}

/// A code exchanged: the grant made from it and the grant's first tokens.
pub struct CodeExchange<'a> {
    pub grant: NewGrant<'a>,
    pub tokens: NewTokenHashes<'a>,
}

/// A refresh token of a grant used up, and its successors.
pub struct Rotation<'a> {
    pub token_hash: &'a str,
    pub grant: i64,
    pub tokens: NewTokenHashes<'a>,
}

/// `$first, $first+1, …` for `count` values, comma-separated.
fn list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($first, …), (…)`: `rows` rows of `width` parameters each.
fn rows(first: usize, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", list(first + row * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// For each of `presented`, whether a statement used it (`used`, what its
/// `RETURNING` named): a code or token presented twice counts once, for
/// its first place.
fn first_of_each<'a>(used: Vec<String>, presented: impl Iterator<Item = &'a str>) -> Vec<bool> {
    let mut unclaimed: HashSet<String> = used.into_iter().collect();
    presented.map(|key| unclaimed.remove(key)).collect()
}

/// Uses the organisation's codes and stores the grant made from each with
/// its first tokens; for each exchange, its grant's id, or `None` when its
/// code was used already (a race lost, to another batch or to an exchange
/// earlier in this list).
pub async fn grants_from_codes(
    scoped: Scoped<'_>,
    exchanges: &[CodeExchange<'_>],
    now: Timestamp,
) -> anyhow::Result<Vec<Option<i64>>> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    if exchanges.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE oidc_codes SET used_at = $1 WHERE organisation_id = $2 AND used_at IS NULL \
         AND code_hash IN ({}) RETURNING code_hash",
        list(3, exchanges.len())
    );
    let mut used = sqlx::query_scalar::<_, String>(&sql)
        .persistent(exchanges.len() <= PREPARED_UP_TO)
        .bind(now.0)
        .bind(org);
    for exchange in exchanges {
        used = used.bind(exchange.grant.code_hash);
    }
    let used = used
        .fetch_all(&mut *conn)
        .await
        .context("could not use the authorization codes")?;
    let won = first_of_each(used, exchanges.iter().map(|e| e.grant.code_hash));
    let winners: Vec<&CodeExchange> = exchanges
        .iter()
        .zip(&won)
        .filter_map(|(e, won)| won.then_some(e))
        .collect();
    if winners.is_empty() {
        return Ok(vec![None; exchanges.len()]);
    }

    let sql = format!(
        "INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
         auth_time, created_at, expires_at) VALUES {} RETURNING id, code_hash",
        rows(1, winners.len(), 8)
    );
    let mut insert =
        sqlx::query_as::<_, (i64, String)>(&sql).persistent(winners.len() <= PREPARED_UP_TO);
    for e in &winners {
        let grant = &e.grant;
        insert = insert
            .bind(org)
            .bind(grant.app.0)
            .bind(grant.user.0)
            .bind(grant.code_hash)
            .bind(grant.scopes)
            .bind(grant.auth_time)
            .bind(now.0)
            .bind(grant.expires_at.0);
    }
    // The grants' code hashes are unique (and the order RETURNING gives
    // its rows in is not promised), so each grant is found by its code.
    let ids: HashMap<String, i64> = insert
        .fetch_all(&mut *conn)
        .await
        .context("could not store the grants")?
        .into_iter()
        .map(|(id, code_hash)| (code_hash, id))
        .collect();
    let id_of = |e: &CodeExchange| {
        ids.get(e.grant.code_hash)
            .copied()
            .context("a stored grant was not returned")
    };
    let tokens = winners
        .iter()
        .map(|e| Ok((id_of(e)?, &e.tokens)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    insert_tokens(conn, &tokens, now).await?;
    exchanges
        .iter()
        .zip(won)
        .map(|(e, won)| won.then(|| id_of(e)).transpose())
        .collect()
}

/// Uses each refresh token of the organisation's grants and stores its
/// successors; for each rotation, false when its token was used already
/// (a race lost, to another batch or to a rotation earlier in this list).
pub async fn rotate_refreshes(
    scoped: Scoped<'_>,
    rotations: &[Rotation<'_>],
    now: Timestamp,
) -> anyhow::Result<Vec<bool>> {
    let (conn, scope) = scoped.parts();
    let org = scope.org()?;
    if rotations.is_empty() {
        return Ok(Vec::new());
    }
    // Parameters from $3 in pairs: a token's hash, then its grant. The list
    // of hashes finds the tokens by their key, the pairs hold each to its
    // grant, and the grant (by its key, for each token found) to the
    // organisation.
    let hashes = (0..rotations.len())
        .map(|i| format!("${}", 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE oidc_refresh_tokens SET used_at = $1 WHERE used_at IS NULL \
         AND token_hash IN ({hashes}) AND (token_hash, grant_id) IN (VALUES {pairs}) \
         AND EXISTS (SELECT 1 FROM oidc_grants g WHERE g.id = oidc_refresh_tokens.grant_id \
          AND g.organisation_id = $2) \
         RETURNING token_hash",
        pairs = rows(3, rotations.len(), 2),
    );
    let mut used = sqlx::query_scalar::<_, String>(&sql)
        .persistent(rotations.len() <= PREPARED_UP_TO)
        .bind(now.0)
        .bind(org);
    for rotation in rotations {
        used = used.bind(rotation.token_hash).bind(rotation.grant);
    }
    let used = used
        .fetch_all(&mut *conn)
        .await
        .context("could not use the refresh tokens")?;
    let won = first_of_each(used, rotations.iter().map(|r| r.token_hash));
    let tokens: Vec<(i64, &NewTokenHashes)> = rotations
        .iter()
        .zip(&won)
        .filter(|(_, won)| **won)
        .map(|(r, _)| (r.grant, &r.tokens))
        .collect();
    insert_tokens(conn, &tokens, now).await?;
    Ok(won)
}

/// Stores grants' new refresh and access tokens, a row each. The grants
/// were read or made in the caller's organisation just before.
async fn insert_tokens(
    conn: &mut crate::db::Conn,
    tokens: &[(i64, &NewTokenHashes<'_>)],
    now: Timestamp,
) -> anyhow::Result<()> {
    if tokens.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO oidc_refresh_tokens (token_hash, access_hash, grant_id, created_at, \
         access_expires_at) VALUES {}",
        rows(1, tokens.len(), 5)
    );
    let mut insert = sqlx::query(&sql).persistent(tokens.len() <= PREPARED_UP_TO);
    for (grant, hashes) in tokens {
        insert = insert
            .bind(hashes.refresh_hash)
            .bind(hashes.access_hash)
            .bind(*grant)
            .bind(now.0)
            .bind(hashes.access_expires_at.0);
    }
    insert
        .execute(conn)
        .await
        .context("could not store the tokens")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_presented_twice_counts_once_for_its_first_place() {
        let used = vec!["b".to_owned(), "a".to_owned()];
        assert_eq!(
            first_of_each(used, ["a", "c", "a", "b"].into_iter()),
            [true, false, false, true]
        );
    }

    #[test]
    fn parameters_are_numbered_in_rows_from_the_first() {
        assert_eq!(list(3, 2), "$3, $4");
        assert_eq!(rows(1, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(rows(3, 1, 2), "($3, $4)");
    }
}
