//! Custom field definitions and the users' values (`users.metadata`, one
//! JSON object per user). Every statement binds the scope's organisation.
//! The two dialects differ only in how they reach into the JSON: SQLite's
//! `json_extract`/`json_remove` with a path, PostgreSQL's `->>`/`-` on the
//! text cast to jsonb; keys are checked (`FieldKey`) and always bound.

use anyhow::Context;

use super::{Conn, Scoped};
use crate::domain::{
    FieldDefinition, FieldId, FieldKey, FieldKind, Metadata, Timestamp, UserId, case_key,
};

type FieldRow = (i64, String, String, String, String, i64, i64, i64);

fn definition(row: FieldRow) -> anyhow::Result<FieldDefinition> {
    let (id, key, label, kind, choices, required, at_registration, user_editable) = row;
    Ok(FieldDefinition {
        id: FieldId(id),
        key: FieldKey::parse(&key).map_err(|e| anyhow::anyhow!("field {id}: {e}"))?,
        label,
        kind: FieldKind::parse(&kind)
            .with_context(|| format!("field {id} has the unknown type {kind:?}"))?,
        choices: choices.lines().map(str::to_owned).collect(),
        required: required != 0,
        at_registration: at_registration != 0,
        user_editable: user_editable != 0,
    })
}

/// The organisation's fields, in the order they were created.
pub async fn list(scoped: Scoped<'_>) -> anyhow::Result<Vec<FieldDefinition>> {
    let (conn, scope) = scoped.parts();
    let rows: Vec<FieldRow> = sqlx::query_as(
        "SELECT id, field_key, label, kind, choices, required, at_registration, user_editable \
         FROM custom_fields WHERE organisation_id = $1 ORDER BY id",
    )
    .bind(scope.org()?)
    .fetch_all(conn)
    .await
    .context("could not list the custom fields")?;
    rows.into_iter().map(definition).collect()
}

pub async fn find(scoped: Scoped<'_>, id: FieldId) -> anyhow::Result<Option<FieldDefinition>> {
    Ok(list(scoped).await?.into_iter().find(|f| f.id == id))
}

/// Adds a field; a unique violation means its key or label is taken.
pub async fn insert(
    scoped: Scoped<'_>,
    field: &FieldDefinition,
    now: Timestamp,
) -> Result<FieldId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO custom_fields (organisation_id, field_key, label, label_key, kind, choices, \
         required, at_registration, user_editable, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(scope.org()?)
    .bind(field.key.as_str())
    .bind(&field.label)
    .bind(case_key(&field.label))
    .bind(field.kind.as_str())
    .bind(field.choices.join("\n"))
    .bind(i64::from(field.required))
    .bind(i64::from(field.at_registration))
    .bind(i64::from(field.user_editable))
    .bind(now.0)
    .fetch_one(conn)
    .await?;
    Ok(FieldId(id))
}

/// Saves what may change of a field: everything but its key and type.
pub async fn update(scoped: Scoped<'_>, field: &FieldDefinition) -> Result<(), sqlx::Error> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE custom_fields SET label = $1, label_key = $2, choices = $3, required = $4, \
         at_registration = $5, user_editable = $6 WHERE id = $7 AND organisation_id = $8",
    )
    .bind(&field.label)
    .bind(case_key(&field.label))
    .bind(field.choices.join("\n"))
    .bind(i64::from(field.required))
    .bind(i64::from(field.at_registration))
    .bind(i64::from(field.user_editable))
    .bind(field.id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a field and takes its value away from every user; returns how
/// many users had one.
pub async fn delete(scoped: Scoped<'_>, field: &FieldDefinition) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    let remove = match super::is_sqlite(conn) {
        true => "json_remove(metadata, $1)",
        false => "(metadata::jsonb - $1)::text",
    };
    let holds = format!("{} IS NOT NULL", value_of(conn, "metadata", "$1"));
    let key = json_key(conn, &field.key);
    let cleared = sqlx::query(&format!(
        "UPDATE users SET metadata = {remove} WHERE organisation_id = $2 AND {holds}"
    ))
    .bind(&key)
    .bind(organisation)
    .execute(&mut *conn)
    .await
    .with_context(|| format!("could not clear the values of field {}", field.key))?;
    sqlx::query("DELETE FROM custom_fields WHERE id = $1 AND organisation_id = $2")
        .bind(field.id.0)
        .bind(organisation)
        .execute(conn)
        .await
        .with_context(|| format!("could not delete field {}", field.key))?;
    Ok(cleared.rows_affected())
}

/// How many of the organisation's users hold `value` in the field `key`.
pub async fn holders_of(scoped: Scoped<'_>, key: &FieldKey, value: &str) -> anyhow::Result<u64> {
    let (conn, scope) = scoped.parts();
    let sql = format!(
        "SELECT COUNT(*) FROM users WHERE organisation_id = $3 AND {} = $2",
        value_of(conn, "metadata", "$1")
    );
    let (n,): (i64,) = sqlx::query_as(&sql)
        .bind(json_key(conn, key))
        .bind(value)
        .bind(scope.org()?)
        .fetch_one(conn)
        .await
        .with_context(|| format!("could not count the users holding a value of {key}"))?;
    Ok(n.max(0) as u64)
}

/// SQL for the text value at the key bound as `param` in the JSON column
/// `column`, on `conn`'s backend; the key is bound as `json_key` makes it.
fn value_of(conn: &Conn, column: &str, param: &str) -> String {
    value_sql(super::is_sqlite(conn), column, param)
}

pub(super) fn value_sql(sqlite: bool, column: &str, param: &str) -> String {
    match sqlite {
        true => format!("json_extract({column}, {param})"),
        false => format!("({column}::jsonb ->> {param})"),
    }
}

/// The key as `value_of` binds it: a JSON path on SQLite, the bare key on
/// PostgreSQL.
fn json_key(conn: &Conn, key: &FieldKey) -> String {
    key_bind(super::is_sqlite(conn), key)
}

pub(super) fn key_bind(sqlite: bool, key: &FieldKey) -> String {
    match sqlite {
        true => format!("$.{}", key.as_str()),
        false => key.as_str().to_owned(),
    }
}

/// Stores a user's values (already checked by `Metadata::apply`).
pub async fn set_metadata(
    scoped: Scoped<'_>,
    user: UserId,
    metadata: &Metadata,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE users SET metadata = $1, updated_at = $2 WHERE id = $3 AND organisation_id = $4",
    )
    .bind(metadata.to_json())
    .bind(now.0)
    .bind(user.0)
    .bind(scope.org()?)
    .execute(conn)
    .await
    .with_context(|| format!("could not store the custom fields of user {user}"))?;
    Ok(())
}
