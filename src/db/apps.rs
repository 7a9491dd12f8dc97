//! Applications, their host names and access rules. Every statement binds
//! the scope's organisation but two instance-wide reads, each named: the
//! directory `/auth/verify` keeps of every app (`every_app`), and who owns
//! a host name (`host_owner`: host names are unique across the instance).
//! Roles and groups are checked to be the organisation's own before they
//! are linked.

use std::collections::HashMap;

use anyhow::Context;

use super::{Conn, Scoped};
use crate::domain::{AccessRule, App, AppHost, AppId, AppSlug, GroupId, OrgId, RoleId, Timestamp};

/// What the form gives to store: everything but the id.
#[derive(Debug, Clone)]
pub struct AppFields<'a> {
    pub slug: &'a AppSlug,
    pub name: &'a str,
    pub description: &'a str,
    pub url: &'a str,
}

type AppRow = (i64, i64, String, String, String, String);

/// Every app of `organisation` (all organisations' with `None`), by name,
/// with their hosts and rules: three statements whatever the number of apps.
async fn load(conn: &mut Conn, organisation: Option<i64>) -> anyhow::Result<Vec<(OrgId, App)>> {
    let org = organisation.unwrap_or(-1);
    let rows: Vec<AppRow> = sqlx::query_as(
        "SELECT id, organisation_id, slug, name, description, url FROM apps \
         WHERE ($1 = -1 OR organisation_id = $1) ORDER BY name, id",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await
    .context("could not list the apps")?;
    let hosts: Vec<(i64, String)> = sqlx::query_as(
        "SELECT h.app_id, h.host FROM app_hosts h JOIN apps a ON a.id = h.app_id \
         WHERE ($1 = -1 OR a.organisation_id = $1) ORDER BY h.host",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await
    .context("could not list the apps' host names")?;
    let rule: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT x.app_id, 'role', r.id, r.name FROM app_roles x \
         JOIN apps a ON a.id = x.app_id JOIN roles r ON r.id = x.role_id \
         WHERE ($1 = -1 OR a.organisation_id = $1) \
         UNION ALL SELECT x.app_id, 'group', g.id, g.name FROM app_groups x \
         JOIN apps a ON a.id = x.app_id JOIN user_groups g ON g.id = x.group_id \
         WHERE ($1 = -1 OR a.organisation_id = $1) ORDER BY 1, 2, 4",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await
    .context("could not read the apps' access rules")?;
    let mut apps: Vec<(OrgId, App)> = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    for (id, organisation, slug, name, description, url) in rows {
        index.insert(id, apps.len());
        apps.push((
            OrgId(organisation),
            App {
                id: AppId(id),
                slug: AppSlug::parse(&slug).map_err(|e| anyhow::anyhow!("app {id}: {}", e.0))?,
                name,
                description,
                url,
                hosts: Vec::new(),
                rule: AccessRule::default(),
            },
        ));
    }
    for (app, host) in hosts {
        if let Some(&i) = index.get(&app) {
            apps[i].1.hosts.push(AppHost::stored(host));
        }
    }
    for (app, kind, id, name) in rule {
        let Some(&i) = index.get(&app) else { continue };
        let rule = &mut apps[i].1.rule;
        match kind.as_str() {
            "role" => rule.roles.push((RoleId(id), name)),
            _ => rule.groups.push((GroupId(id), name)),
        }
    }
    Ok(apps)
}

/// The organisation's apps, by name.
pub async fn list(scoped: Scoped<'_>) -> anyhow::Result<Vec<App>> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    Ok(load(conn, Some(organisation))
        .await?
        .into_iter()
        .map(|(_, app)| app)
        .collect())
}

pub async fn find(scoped: Scoped<'_>, id: AppId) -> anyhow::Result<Option<App>> {
    Ok(list(scoped).await?.into_iter().find(|a| a.id == id))
}

/// Every organisation's apps: the directory `/auth/verify` keeps in memory.
pub async fn every_app(scoped: Scoped<'_>) -> anyhow::Result<Vec<(OrgId, App)>> {
    // Instance-wide: a host name leads to its app whatever the organisation;
    // the decision then compares the app's organisation with the user's.
    let (conn, _instance) = scoped.parts();
    load(conn, None).await
}

/// The app (and its organisation) that a host name belongs to, if any.
pub async fn host_owner(
    scoped: Scoped<'_>,
    host: &AppHost,
) -> anyhow::Result<Option<(OrgId, AppId)>> {
    // Instance-wide: host names are unique across organisations, so a new
    // one is checked against every app; only "taken" is told, never whose.
    let (conn, _instance) = scoped.parts();
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT a.organisation_id, a.id FROM app_hosts h JOIN apps a ON a.id = h.app_id \
         WHERE h.host = $1",
    )
    .bind(host.as_str())
    .fetch_optional(conn)
    .await
    .context("could not look up a host name")?;
    Ok(row.map(|(org, app)| (OrgId(org), AppId(app))))
}

/// Adds an app; a unique violation means the slug is taken.
pub async fn insert(
    scoped: Scoped<'_>,
    app: &AppFields<'_>,
    now: Timestamp,
) -> Result<AppId, sqlx::Error> {
    let (conn, scope) = scoped.parts();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO apps (organisation_id, slug, name, description, url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(scope.org()?)
    .bind(app.slug.as_str())
    .bind(app.name)
    .bind(app.description)
    .bind(app.url)
    .bind(now.0)
    .fetch_one(conn)
    .await?;
    Ok(AppId(id))
}

/// Saves an app's slug, name, description and URL; a unique violation
/// means the slug is taken.
pub async fn update(scoped: Scoped<'_>, id: AppId, app: &AppFields<'_>) -> Result<(), sqlx::Error> {
    let (conn, scope) = scoped.parts();
    sqlx::query(
        "UPDATE apps SET slug = $1, name = $2, description = $3, url = $4 \
         WHERE id = $5 AND organisation_id = $6",
    )
    .bind(app.slug.as_str())
    .bind(app.name)
    .bind(app.description)
    .bind(app.url)
    .bind(id.0)
    .bind(scope.org()?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the app's host names (checked free by the caller first).
pub async fn set_hosts(scoped: Scoped<'_>, id: AppId, hosts: &[AppHost]) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    sqlx::query(
        "DELETE FROM app_hosts WHERE app_id IN \
         (SELECT id FROM apps WHERE id = $1 AND organisation_id = $2)",
    )
    .bind(id.0)
    .bind(organisation)
    .execute(&mut *conn)
    .await
    .with_context(|| format!("could not clear the host names of app {id}"))?;
    for host in hosts {
        sqlx::query(
            "INSERT INTO app_hosts (host, app_id) \
             SELECT $1, id FROM apps WHERE id = $2 AND organisation_id = $3",
        )
        .bind(host.as_str())
        .bind(id.0)
        .bind(organisation)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("could not add a host name to app {id}"))?;
    }
    Ok(())
}

/// Replaces the app's access rule, keeping only the organisation's own
/// roles and groups.
pub async fn set_rule(
    scoped: Scoped<'_>,
    id: AppId,
    roles: &[RoleId],
    groups: &[GroupId],
) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    let organisation = scope.org()?;
    for table in ["app_roles", "app_groups"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE app_id IN \
             (SELECT id FROM apps WHERE id = $1 AND organisation_id = $2)"
        ))
        .bind(id.0)
        .bind(organisation)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("could not clear the access rule of app {id}"))?;
    }
    for role in roles {
        sqlx::query(
            "INSERT INTO app_roles (app_id, role_id) SELECT a.id, r.id FROM apps a, roles r \
             WHERE a.id = $1 AND r.id = $2 AND a.organisation_id = $3 AND r.organisation_id = $3",
        )
        .bind(id.0)
        .bind(role.0)
        .bind(organisation)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("could not let role {role} open app {id}"))?;
    }
    for group in groups {
        sqlx::query(
            "INSERT INTO app_groups (app_id, group_id) \
             SELECT a.id, g.id FROM apps a, user_groups g \
             WHERE a.id = $1 AND g.id = $2 AND a.organisation_id = $3 AND g.organisation_id = $3",
        )
        .bind(id.0)
        .bind(group.0)
        .bind(organisation)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("could not let group {group} open app {id}"))?;
    }
    Ok(())
}

/// Deletes an app; its host names and rule go with it, and role requests
/// that named it keep their role and lose the app (the foreign keys).
pub async fn delete(scoped: Scoped<'_>, id: AppId) -> anyhow::Result<()> {
    let (conn, scope) = scoped.parts();
    sqlx::query("DELETE FROM apps WHERE id = $1 AND organisation_id = $2")
        .bind(id.0)
        .bind(scope.org()?)
        .execute(conn)
        .await
        .with_context(|| format!("could not delete app {id}"))?;
    Ok(())
}
