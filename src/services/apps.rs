//! Applications: an administrator with `apps.manage` registers the
//! organisation's tools, the host names they are served on and who may
//! open them; the command line does the same for provisioning scripts.
//! Every change is audited with before → after, the access rule in rows
//! of its own (`app.access_changed`).

use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError};
use crate::db::apps::AppFields;
use crate::db::audit::AuditTarget;
use crate::db::{self, Db, Scope};
use crate::domain::app::{parse_app_description, parse_app_hosts, parse_app_name, parse_app_url};
use crate::domain::permission::perm;
use crate::domain::{
    App, AppHost, AppId, AppSlug, AuditAction, FieldError, GroupId, RoleId, Timestamp,
};

/// The most apps an organisation registers: each is a row of the launcher.
pub const APPS_MAX: usize = 200;

/// The app form as typed; roles and groups by id.
#[derive(Debug, Clone, Default)]
pub struct AppForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub url: String,
    /// One host name per line (or separated by commas or spaces).
    pub hosts: String,
    pub roles: Vec<RoleId>,
    pub groups: Vec<GroupId>,
}

/// What the form describes, checked.
struct Parsed {
    slug: AppSlug,
    name: String,
    description: String,
    url: String,
    hosts: Vec<AppHost>,
}

impl Parsed {
    fn fields(&self) -> AppFields<'_> {
        AppFields {
            slug: &self.slug,
            name: &self.name,
            description: &self.description,
            url: &self.url,
        }
    }
}

fn parse(form: &AppForm) -> Result<Parsed, ServiceError> {
    let mut errors: Vec<(std::borrow::Cow<'static, str>, String)> = Vec::new();
    let mut note = |name: &'static str, e: FieldError| errors.push((name.into(), e.0));
    let slug = AppSlug::parse(&form.slug).map_err(|e| note("slug", e)).ok();
    let name = parse_app_name(&form.name).map_err(|e| note("name", e)).ok();
    let description = parse_app_description(&form.description)
        .map_err(|e| note("description", e))
        .ok();
    let url = parse_app_url(&form.url).map_err(|e| note("url", e)).ok();
    let hosts = parse_app_hosts(&form.hosts)
        .map_err(|e| note("hosts", e))
        .ok();
    match (slug, name, description, url, hosts) {
        (Some(slug), Some(name), Some(description), Some(url), Some(hosts)) => Ok(Parsed {
            slug,
            name,
            description,
            url,
            hosts,
        }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

fn target(app: &App) -> AuditTarget {
    AuditTarget {
        kind: "app",
        id: app.id.0,
        label: app.name.clone(),
        user_id: None,
    }
}

/// "wiki: Team wiki, https://wiki.example.com/, on wiki.example.com" for audit rows.
fn describe(app: &App) -> String {
    let mut text = format!(
        "{}: {}, {}, on {}",
        app.slug,
        app.name,
        app.url,
        app.hosts_text()
    );
    if !app.description.is_empty() {
        text.push_str(&format!(" ({})", app.description));
    }
    text
}

/// Refuses a host name another app holds; says which, never whose.
async fn ensure_hosts_free(
    work: &mut Work<'_>,
    hosts: &[AppHost],
    app: Option<AppId>,
) -> Result<(), ServiceError> {
    for host in hosts {
        let owner = db::apps::host_owner(Scope::instance().on(work.transaction()), host).await?;
        if let Some((_, owner)) = owner
            && Some(owner) != app
        {
            return Err(ServiceError::field(
                "hosts",
                FieldError::new(format!("{host} is already the host name of another app.")),
            ));
        }
    }
    Ok(())
}

/// Checks that every role and group of the rule is the organisation's own.
async fn check_rule(work: &mut Work<'_>, form: &AppForm) -> Result<(), ServiceError> {
    let roles = db::roles::list(work.tx()).await?;
    if form.roles.iter().any(|r| !roles.iter().any(|x| x.id == *r)) {
        return Err(ServiceError::field(
            "roles",
            FieldError::new("Choose roles from the list."),
        ));
    }
    let groups = db::groups::list(work.tx()).await?;
    if form
        .groups
        .iter()
        .any(|g| !groups.iter().any(|x| x.id == *g))
    {
        return Err(ServiceError::field(
            "groups",
            FieldError::new("Choose groups from the list."),
        ));
    }
    Ok(())
}

/// The refusal for a unique violation on the slug.
fn slug_taken() -> ServiceError {
    ServiceError::field(
        "slug",
        FieldError::new("Another app of your organisation has this slug."),
    )
}

/// The organisation's apps, by name.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<App>, ServiceError> {
    let mut conn = db.acquire_read().await?;
    let apps = db::apps::list(scope.on(&mut conn)).await?;
    conn.done();
    Ok(apps)
}

pub async fn find(db: &Db, scope: &Scope, id: AppId) -> Result<App, ServiceError> {
    let mut conn = db.acquire().await?;
    db::apps::find(scope.on(&mut conn), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Registers an app inside `work`; returns it as stored.
async fn register(work: &mut Work<'_>, form: &AppForm) -> Result<App, ServiceError> {
    let parsed = parse(form)?;
    check_rule(work, form).await?;
    if db::apps::list(work.tx()).await?.len() >= APPS_MAX {
        return Err(ServiceError::Conflict(format!(
            "An organisation registers at most {APPS_MAX} apps; delete one first."
        )));
    }
    ensure_hosts_free(work, &parsed.hosts, None).await?;
    let id = match db::apps::insert(work.tx(), &parsed.fields(), Timestamp::now()).await {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => return Err(slug_taken()),
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not register the app")
                .into());
        }
    };
    db::apps::set_hosts(work.tx(), id, &parsed.hosts).await?;
    db::apps::set_rule(work.tx(), id, &form.roles, &form.groups).await?;
    let app = db::apps::find(work.tx(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("app {id} vanished while it was registered"))?;
    work.audit(AuditAction::AppCreated, Some(target(&app)))
        .after(Some(describe(&app)));
    work.audit(AuditAction::AppAccessChanged, Some(target(&app)))
        .change("nobody", app.rule.describe());
    Ok(app)
}

/// Registers an app; returns its name.
pub async fn create(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    form: &AppForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let app = register(&mut work, form).await?;
    work.commit("the new app").await?;
    Ok(app.name)
}

/// Changes an app: its fields, host names and access rule; returns its name.
pub async fn update(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    id: AppId,
    form: &AppForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let before = db::apps::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let parsed = parse(form)?;
    check_rule(&mut work, form).await?;
    ensure_hosts_free(&mut work, &parsed.hosts, Some(id)).await?;
    match db::apps::update(work.tx(), id, &parsed.fields()).await {
        Ok(()) => {}
        Err(err) if db::is_unique_violation(&err) => return Err(slug_taken()),
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not change the app")
                .into());
        }
    }
    db::apps::set_hosts(work.tx(), id, &parsed.hosts).await?;
    db::apps::set_rule(work.tx(), id, &form.roles, &form.groups).await?;
    let after = db::apps::find(work.tx(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("app {id} vanished while it was changed"))?;
    let (described_before, described_after) = (describe(&before), describe(&after));
    let (rule_before, rule_after) = (before.rule.describe(), after.rule.describe());
    if described_before == described_after && rule_before == rule_after {
        return Err(ServiceError::Conflict(format!(
            "Nothing to save: {} is as it was.",
            before.name
        )));
    }
    if described_before != described_after {
        work.audit(AuditAction::AppChanged, Some(target(&before)))
            .change(described_before, described_after);
    }
    if rule_before != rule_after {
        work.audit(AuditAction::AppAccessChanged, Some(target(&after)))
            .change(rule_before, rule_after);
    }
    work.commit("the app change").await?;
    Ok(after.name)
}

/// Deletes an app; returns its name.
pub async fn delete(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    id: AppId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let app = db::apps::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::apps::delete(work.tx(), id).await?;
    work.audit(AuditAction::AppDeleted, Some(target(&app)))
        .before(Some(format!(
            "{}; open to {}",
            describe(&app),
            app.rule.describe()
        )));
    work.commit("the app's deletion").await?;
    Ok(app.name)
}

/// An app as the command line describes it: roles and groups by name.
#[derive(Debug, Clone, Default)]
pub struct AppByNames {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub url: String,
    pub hosts: Vec<String>,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
    /// Redirect URIs: when given, the app is also an OpenID Connect client.
    pub redirect_uris: Vec<String>,
    /// A public client (PKCE, no secret) rather than a confidential one.
    pub public_client: bool,
}

/// `gatehouse app create`: registers an app in `scope`'s organisation,
/// audited as done by nobody signed in (the command line).
pub async fn create_from_command_line(
    db: &Db,
    scope: Scope,
    app: &AppByNames,
) -> Result<App, ServiceError> {
    Ok(create_with_client_from_command_line(db, scope, app)
        .await?
        .0)
}

/// `create_from_command_line`, which also makes the app an OpenID Connect
/// client in the same write when redirect URIs are given; returns the
/// registration with its secret (shown once).
pub async fn create_with_client_from_command_line(
    db: &Db,
    scope: Scope,
    app: &AppByNames,
) -> Result<(App, Option<super::oidc::clients::Saved>), ServiceError> {
    let meta = RequestMeta::default();
    let mut work = Work::in_scope(db, scope, &meta).await?;
    let roles = db::roles::list(work.tx()).await?;
    let groups = db::groups::list(work.tx()).await?;
    let mut form = AppForm {
        slug: app.slug.clone(),
        name: app.name.clone(),
        description: app.description.clone(),
        url: app.url.clone(),
        hosts: app.hosts.join("\n"),
        ..AppForm::default()
    };
    for name in app.roles.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let role = roles.iter().find(|r| r.name.eq_ignore_ascii_case(name));
        let role = role.ok_or_else(|| {
            ServiceError::field(
                "roles",
                FieldError::new(format!("There is no role {name:?}.")),
            )
        })?;
        form.roles.push(role.id);
    }
    for name in app
        .groups
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let group = groups.iter().find(|g| g.name.eq_ignore_ascii_case(name));
        let group = group.ok_or_else(|| {
            ServiceError::field(
                "groups",
                FieldError::new(format!("There is no group {name:?}.")),
            )
        })?;
        form.groups.push(group.id);
    }
    let made = register(&mut work, &form).await?;
    let client = match app.redirect_uris.is_empty() {
        true => None,
        false => {
            let form = super::oidc::clients::ClientForm {
                kind: if app.public_client {
                    "public"
                } else {
                    "confidential"
                }
                .into(),
                redirect_uris: app.redirect_uris.join("\n"),
                ..super::oidc::clients::ClientForm::blank()
            };
            Some(super::oidc::clients::save_in(&mut work, made.id, &form).await?)
        }
    };
    work.commit("the new app").await?;
    Ok((made, client))
}

impl AppForm {
    /// The form filled in with `app` as stored, for its page.
    pub fn of(app: &App) -> AppForm {
        AppForm {
            slug: app.slug.to_string(),
            name: app.name.clone(),
            description: app.description.clone(),
            url: app.url.clone(),
            hosts: app.hosts_lines(),
            roles: app.rule.roles.iter().map(|(id, _)| *id).collect(),
            groups: app.rule.groups.iter().map(|(id, _)| *id).collect(),
        }
    }

    /// Whether the rule names `role` (templates hold references).
    pub fn has_role(&self, role: &RoleId) -> bool {
        self.roles.contains(role)
    }

    pub fn has_group(&self, group: &GroupId) -> bool {
        self.groups.contains(group)
    }

    /// The form as typed, cut to lengths a page may echo.
    pub fn bounded(self) -> AppForm {
        let cut = |s: String, n: usize| s.chars().take(n).collect::<String>();
        AppForm {
            slug: cut(self.slug, 60),
            name: cut(self.name, 120),
            description: cut(self.description, 400),
            url: cut(self.url, 2000),
            hosts: cut(self.hosts, 3000),
            ..self
        }
    }
}
