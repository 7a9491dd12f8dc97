//! Organisations: the instance administrators' use cases (create, rename,
//! disable, enable, an organisation's first administrator) and the
//! directory the anonymous pages find an organisation in.

use std::sync::Arc;

use super::accounts::{Registration, insert_account, validate};
use super::auth_settings::AuthSettings;
use super::copies::Copies;
use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db, Scope};
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, DEFAULT_ORGANISATION, FieldError, HostName, OrgId, OrgName, OrgSlug, OrgStatus,
    Organisation, Timestamp, UserId, UserStatus,
};

pub use crate::db::organisations::OrgRef;

/// The role an organisation's first administrator gets: the default Admin.
const FIRST_ADMIN_ROLE: &str = "Admin";

fn target(id: OrgId, slug: &str) -> AuditTarget {
    AuditTarget {
        kind: "organisation",
        id: id.0,
        label: slug.to_owned(),
        user_id: None,
    }
}

/// What the create and rename forms send.
pub struct OrganisationForm {
    pub slug: String,
    pub name: String,
    /// Empty: none.
    pub host: String,
}

fn valid_name_and_host(
    form: &OrganisationForm,
) -> Result<(OrgName, Option<HostName>), ServiceError> {
    let mut errors = super::FieldErrors::default();
    let name = errors.check("name", OrgName::parse(&form.name));
    let host = match form.host.trim() {
        "" => Some(None),
        host => errors.check("host", HostName::parse(host)).map(Some),
    };
    errors.into_result()?;
    match (name, host) {
        (Some(name), Some(host)) => Ok((name, host)),
        _ => Err(anyhow::anyhow!("validation passed without values").into()),
    }
}

/// A unique violation on insert or rename: the slug or the host is taken.
async fn taken(
    db: &Db,
    slug: Option<&str>,
    host: Option<&str>,
) -> Result<ServiceError, ServiceError> {
    let mut conn = db.acquire().await?;
    let mut errors = super::FieldErrors::default();
    if let Some(slug) = slug
        && db::organisations::by_slug(&mut conn, slug).await?.is_some()
    {
        errors.add("slug", "An organisation with this slug already exists.");
    }
    if let Some(host) = host
        && db::organisations::by_host(&mut conn, host).await?.is_some()
    {
        errors.add(
            "host",
            "Another organisation already answers on this host name.",
        );
    }
    Ok(match errors.into_result() {
        Err(err) => err,
        Ok(()) => ServiceError::Conflict("That slug or host name is already taken.".into()),
    })
}

pub async fn list(
    db: &Db,
    _actor: &Authorized<perm::OrganisationsManage>,
) -> Result<Vec<Organisation>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::organisations::list(&mut conn).await?)
}

pub async fn find(
    db: &Db,
    _actor: &Authorized<perm::OrganisationsManage>,
    id: OrgId,
) -> Result<Organisation, ServiceError> {
    let mut conn = db.acquire().await?;
    db::organisations::find(&mut conn, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Creates an organisation with the four default roles; the audit row is
/// in the instance administrator's log.
pub async fn create(
    db: &Db,
    actor: &Authorized<perm::OrganisationsManage>,
    form: &OrganisationForm,
    meta: &RequestMeta,
) -> Result<OrgId, ServiceError> {
    let valid = valid_organisation(form)?;
    let work = Work::begin(db, actor, meta).await?;
    insert_organisation(db, work, valid).await
}

/// The same from the command line (`gatehouse org create`), whose operator
/// runs the instance; recorded in the default organisation's log.
pub async fn create_from_command_line(
    db: &Db,
    form: &OrganisationForm,
) -> Result<OrgId, ServiceError> {
    let valid = valid_organisation(form)?;
    let meta = RequestMeta {
        user_agent: Some("gatehouse command line".into()),
        ..RequestMeta::default()
    };
    let work = Work::in_scope(db, Scope::organisation(DEFAULT_ORGANISATION), &meta).await?;
    insert_organisation(db, work, valid).await
}

type ValidOrganisation = (OrgSlug, OrgName, Option<HostName>);

fn valid_organisation(form: &OrganisationForm) -> Result<ValidOrganisation, ServiceError> {
    let slug = OrgSlug::parse(&form.slug).map_err(|e| ServiceError::field("slug", e));
    match (slug, valid_name_and_host(form)) {
        (Ok(slug), Ok((name, host))) => Ok((slug, name, host)),
        (Err(ServiceError::Invalid(mut a)), Err(ServiceError::Invalid(b))) => {
            a.extend(b);
            Err(ServiceError::Invalid(a))
        }
        (Err(err), _) | (_, Err(err)) => Err(err),
    }
}

async fn insert_organisation(
    db: &Db,
    mut work: Work<'_>,
    (slug, name, host): ValidOrganisation,
) -> Result<OrgId, ServiceError> {
    let host = host.as_ref().map(HostName::as_str);
    let now = Timestamp::now();
    let inserted =
        db::organisations::insert(work.transaction(), &slug, name.as_str(), host, now).await;
    let id = match inserted {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => {
            work.rollback("the new organisation").await?;
            return Err(taken(db, Some(slug.as_str()), host).await?);
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not create the organisation")
                .into());
        }
    };
    let scope = Scope::organisation(id);
    db::roles::seed_defaults(scope.on(work.transaction())).await?;
    let after = format!("{} ({})", name.as_str(), host.unwrap_or("no host name"));
    work.audit(
        AuditAction::OrganisationCreated,
        Some(target(id, slug.as_str())),
    )
    .after(Some(after));
    work.commit("the new organisation").await?;
    Ok(id)
}

/// Renames an organisation and sets or clears its host name.
pub async fn rename(
    db: &Db,
    actor: &Authorized<perm::OrganisationsManage>,
    id: OrgId,
    form: &OrganisationForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let (name, host) = valid_name_and_host(form)?;
    let host = host.as_ref().map(HostName::as_str);
    let mut work = Work::begin(db, actor, meta).await?;
    let current = db::organisations::find(work.transaction(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.name == name.as_str() && current.host.as_deref() == host {
        return Err(ServiceError::Conflict(format!(
            "{} already has this name and host name.",
            current.name
        )));
    }
    match db::organisations::rename(work.transaction(), id, name.as_str(), host).await {
        Ok(()) => {}
        Err(err) if db::is_unique_violation(&err) => {
            work.rollback("the organisation's new name").await?;
            return Err(taken(db, None, host).await?);
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not rename the organisation")
                .into());
        }
    }
    let describe =
        |name: &str, host: Option<&str>| format!("{name} ({})", host.unwrap_or("no host name"));
    work.audit(
        AuditAction::OrganisationRenamed,
        Some(target(id, current.slug.as_str())),
    )
    .change(
        describe(&current.name, current.host.as_deref()),
        describe(name.as_str(), host),
    );
    work.commit("the organisation's new name").await?;
    Ok(name.as_str().to_owned())
}

/// Disables (everyone in it is signed out and cannot sign in) or enables
/// an organisation. The default organisation holds the instance's
/// administrators and is never disabled.
pub async fn set_status(
    db: &Db,
    actor: &Authorized<perm::OrganisationsManage>,
    id: OrgId,
    status: OrgStatus,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let current = db::organisations::find(work.transaction(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if current.is_default() && status == OrgStatus::Disabled {
        return Err(ServiceError::Conflict(
            "The default organisation holds the instance's administrators and cannot be disabled."
                .into(),
        ));
    }
    if current.status == status {
        return Err(ServiceError::Conflict(format!(
            "{} is already {}.",
            current.name,
            status.as_str()
        )));
    }
    db::organisations::set_status(work.transaction(), id, status).await?;
    let mut after = status.as_str().to_owned();
    let action = match status {
        OrgStatus::Disabled => {
            let ended = db::sessions::delete_for_organisation(
                Scope::organisation(id).on(work.transaction()),
            )
            .await?;
            after = format!("disabled; {ended} sessions ended");
            AuditAction::OrganisationDisabled
        }
        OrgStatus::Active => AuditAction::OrganisationEnabled,
    };
    work.audit(action, Some(target(id, current.slug.as_str())))
        .change(current.status.as_str(), after);
    work.commit("the organisation's status").await?;
    Ok(current.name)
}

/// Creates an Active administrator (the default Admin role) in
/// organisation `id`: its first, or another. The audit row is in that
/// organisation's log, naming the instance administrator.
pub async fn create_admin(
    db: &Db,
    auth: &AuthSettings,
    actor: &Authorized<perm::OrganisationsManage>,
    id: OrgId,
    form: Registration,
    meta: &RequestMeta,
) -> Result<UserId, ServiceError> {
    {
        let mut conn = db.acquire().await?;
        db::organisations::find(&mut conn, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
    }
    let account = validate(&form, &auth.password_policy)?;
    let hash = auth.hasher.hash(form.password).await?;
    let mut work = Work::begin_in(db, actor, Scope::organisation(id), meta).await?;
    let role = db::roles::find_by_name(work.tx(), FIRST_ADMIN_ROLE)
        .await?
        .ok_or_else(|| {
            ServiceError::field(
                "username",
                FieldError(format!(
                    "This organisation has no role named {FIRST_ADMIN_ROLE}; create one first."
                )),
            )
        })?;
    let user = insert_account(
        &mut work,
        &account,
        &hash,
        UserStatus::Active,
        role,
        AuditAction::UserCreated,
    )
    .await?;
    work.commit("the organisation's administrator").await?;
    Ok(user)
}

/// Every organisation's slug, host name, status and settings, as the
/// anonymous pages (sign-in, registration) look them up on every view: each
/// instance keeps one copy (`services::copies`). It decides nothing about
/// access: a signed-in user's organisation is read with them on every
/// request, its status included.
#[derive(Default)]
pub struct Directory {
    copy: Copies<(), Vec<OrgRef>>,
}

impl Directory {
    pub async fn get(&self, db: &Db) -> Result<Arc<Vec<OrgRef>>, ServiceError> {
        self.copy
            .get(db, (), || async {
                let mut conn = db.acquire().await?;
                Ok(db::organisations::refs(&mut conn).await?)
            })
            .await
    }
}

/// An organisation by slug, for the command line's `--org`.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<OrgRef>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::organisations::by_slug(&mut conn, slug).await?)
}
