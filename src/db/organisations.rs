//! Organisations: the tenants every other row belongs to. This table is
//! the instance's, not any one organisation's, so its functions take a
//! plain connection; the use cases that change it need
//! `organisations.manage` (`services::organisations`).

use anyhow::Context;
use sqlx::FromRow;

use super::Conn;
use crate::domain::{OrgId, OrgSlug, OrgStatus, Organisation, Timestamp};

#[derive(FromRow)]
struct Row {
    id: i64,
    slug: String,
    name: String,
    host: Option<String>,
    status: String,
    created_at: i64,
    user_count: i64,
}

impl TryFrom<Row> for Organisation {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Organisation> {
        Ok(Organisation {
            id: OrgId(row.id),
            status: OrgStatus::parse(&row.status)
                .with_context(|| format!("organisation {} has unknown status", row.id))?,
            slug: OrgSlug::stored(row.slug),
            name: row.name,
            host: row.host,
            created_at: Timestamp(row.created_at),
            user_count: row.user_count.max(0) as u64,
        })
    }
}

/// Users per organisation come from the counters the triggers keep, so the
/// list costs the same at a million users.
const SELECT: &str = "SELECT o.id, o.slug, o.name, o.host, o.status, o.created_at, \
     CAST(COALESCE((SELECT SUM(n) FROM user_status_counts c WHERE c.organisation_id = o.id), 0) \
     AS BIGINT) \
     AS user_count FROM organisations o";

/// Every organisation, the default first, then by slug.
pub async fn list(conn: &mut Conn) -> anyhow::Result<Vec<Organisation>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} ORDER BY CASE WHEN o.id = 1 THEN 0 ELSE 1 END, o.slug"
    ))
    .fetch_all(conn)
    .await
    .context("could not list organisations")?;
    rows.into_iter().map(Organisation::try_from).collect()
}

pub async fn find(conn: &mut Conn, id: OrgId) -> anyhow::Result<Option<Organisation>> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE o.id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .with_context(|| format!("could not load organisation {id}"))?;
    row.map(Organisation::try_from).transpose()
}

/// An organisation as the anonymous pages find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub host: Option<String>,
    pub status: OrgStatus,
    /// Whether reviewers approve only confirmed addresses (`None`: the
    /// default, which is yes while mail is on).
    pub approve_verified_only: Option<bool>,
}

type RefRow = (i64, String, String, Option<String>, String, Option<i64>);

const REF_COLUMNS: &str = "id, slug, name, host, status, approve_verified_only";

fn to_ref((id, slug, name, host, status, verified): RefRow) -> anyhow::Result<OrgRef> {
    Ok(OrgRef {
        id: OrgId(id),
        slug,
        name,
        host,
        status: OrgStatus::parse(&status).context("unknown organisation status")?,
        approve_verified_only: verified.map(|v| v != 0),
    })
}

/// `column` is one of this module's own column names, never input.
async fn find_ref(conn: &mut Conn, column: &str, value: &str) -> anyhow::Result<Option<OrgRef>> {
    let row: Option<RefRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS} FROM organisations WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(conn)
    .await
    .context("could not look up an organisation")?;
    row.map(to_ref).transpose()
}

/// Every organisation as the anonymous pages find it, by id.
pub async fn refs(conn: &mut Conn) -> anyhow::Result<Vec<OrgRef>> {
    let rows: Vec<RefRow> = sqlx::query_as(&format!(
        "SELECT {REF_COLUMNS} FROM organisations ORDER BY id"
    ))
    .fetch_all(conn)
    .await
    .context("could not read the organisations")?;
    rows.into_iter().map(to_ref).collect()
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> anyhow::Result<Option<OrgRef>> {
    find_ref(conn, "slug", slug).await
}

/// The organisation whose host name is `host` (lower-cased, no port).
pub async fn by_host(conn: &mut Conn, host: &str) -> anyhow::Result<Option<OrgRef>> {
    find_ref(conn, "host", host).await
}

/// How many organisations there are.
pub async fn count(conn: &mut Conn) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(conn)
        .await
        .context("could not count organisations")?;
    Ok(n.max(0) as u64)
}

pub async fn insert(
    conn: &mut Conn,
    slug: &OrgSlug,
    name: &str,
    host: Option<&str>,
    now: Timestamp,
) -> Result<OrgId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (slug, name, host, status, created_at) \
         VALUES ($1, $2, $3, 'active', $4) RETURNING id",
    )
    .bind(slug.as_str())
    .bind(name)
    .bind(host)
    .bind(now.0)
    .fetch_one(conn)
    .await?;
    Ok(OrgId(id))
}

/// Renames an organisation and sets (or clears) its host name.
pub async fn rename(
    conn: &mut Conn,
    id: OrgId,
    name: &str,
    host: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET name = $1, host = $2 WHERE id = $3")
        .bind(name)
        .bind(host)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_status(conn: &mut Conn, id: OrgId, status: OrgStatus) -> anyhow::Result<()> {
    sqlx::query("UPDATE organisations SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id.0)
        .execute(conn)
        .await
        .with_context(|| format!("could not set the status of organisation {id}"))?;
    Ok(())
}

/// What an organisation's mail and approvals need: its slug, its name, and
/// whether reviewers approve only verified addresses (`None`: the default).
#[derive(Debug, Clone)]
pub struct MailFacts {
    pub slug: String,
    pub name: String,
    pub approve_verified_only: Option<bool>,
}

pub async fn mail_facts(conn: &mut Conn, id: OrgId) -> anyhow::Result<Option<MailFacts>> {
    let row: Option<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT slug, name, approve_verified_only FROM organisations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await
            .with_context(|| format!("could not read the settings of organisation {id}"))?;
    Ok(row.map(|(slug, name, verified)| MailFacts {
        slug,
        name,
        approve_verified_only: verified.map(|v| v != 0),
    }))
}

/// Sets whether reviewers approve only verified addresses.
pub async fn set_approve_verified_only(
    conn: &mut Conn,
    id: OrgId,
    only_verified: bool,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE organisations SET approve_verified_only = $1 WHERE id = $2")
        .bind(i64::from(only_verified))
        .bind(id.0)
        .execute(conn)
        .await
        .with_context(|| format!("could not change the settings of organisation {id}"))?;
    Ok(())
}
