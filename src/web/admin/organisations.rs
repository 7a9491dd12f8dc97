//! Admin: organisations, for the instance's administrators
//! (`organisations.manage`, held only in the default organisation).

use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::outcome;
use crate::domain::{OrgId, OrgStatus, Organisation};
use crate::services::accounts::Registration;
use crate::services::auth_settings::AuthSettings;
use crate::services::organisations::{self, OrganisationForm};
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::OrganisationsManage>>;

/// What the organisation forms echo back on errors.
#[derive(Default, Deserialize)]
pub struct OrgValues {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    host: String,
}

impl OrgValues {
    fn form(&self) -> OrganisationForm {
        OrganisationForm {
            slug: self.slug.clone(),
            name: self.name.clone(),
            host: self.host.clone(),
        }
    }

    fn echoed(&self) -> OrgValues {
        let cut = |s: &str, n| s.chars().take(n).collect();
        OrgValues {
            slug: cut(&self.slug, 60),
            name: cut(&self.name, 120),
            host: cut(&self.host, 260),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/organisations.html")]
struct ListPage {
    layout: Layout,
    organisations: Vec<Organisation>,
    form: OrgValues,
    errors: FormErrors,
}

pub async fn list(ctx: Manage) -> Result<HttpResponse, AppError> {
    list_page(&ctx, OrgValues::default(), FormErrors::default()).await
}

async fn list_page(
    ctx: &Manage,
    form: OrgValues,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    Ok(render(ListPage {
        layout: ctx.layout().await?,
        organisations: organisations::list(&ctx.db, ctx.authorized()).await?,
        form,
        errors,
    }))
}

pub async fn create(ctx: Manage, form: CsrfForm<OrgValues>) -> Result<HttpResponse, AppError> {
    let values = form.into_inner();
    match organisations::create(&ctx.db, ctx.authorized(), &values.form(), &ctx.meta).await {
        Ok(id) => Ok(redirect_with(
            &format!("/admin/organisations/{id}"),
            Flash::success(format!(
                "{} has been created; its people sign in at /o/{}/login. Give it its first administrator below.",
                values.name.trim(),
                values.slug.trim()
            )),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "slug")?;
            list_page(&ctx, values.echoed(), errors).await
        }
    }
}

/// What the administrator form echoes back on errors (never the password).
#[derive(Default)]
struct AdminValues {
    username: String,
    email: String,
    full_name: String,
}

#[derive(Template)]
#[template(path = "admin/organisation.html")]
struct DetailPage {
    layout: Layout,
    org: Organisation,
    rename: OrgValues,
    rename_errors: FormErrors,
    admin: AdminValues,
    errors: FormErrors,
}

impl DetailPage {
    fn disabled(&self) -> bool {
        self.org.status == OrgStatus::Disabled
    }
}

async fn detail_page(
    ctx: &Manage,
    id: OrgId,
    rename: Option<(OrgValues, FormErrors)>,
    admin: Option<(AdminValues, FormErrors)>,
) -> Result<HttpResponse, AppError> {
    let org = organisations::find(&ctx.db, ctx.authorized(), id).await?;
    let (rename, rename_errors) = rename.unwrap_or_else(|| {
        let values = OrgValues {
            slug: org.slug.to_string(),
            name: org.name.clone(),
            host: org.host.clone().unwrap_or_default(),
        };
        (values, FormErrors::default())
    });
    let (admin, errors) = admin.unwrap_or_default();
    Ok(render(DetailPage {
        layout: ctx.layout().await?,
        org,
        rename,
        rename_errors,
        admin,
        errors,
    }))
}

pub async fn detail(ctx: Manage, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    detail_page(&ctx, OrgId(path.into_inner()), None, None).await
}

pub async fn rename(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<OrgValues>,
) -> Result<HttpResponse, AppError> {
    let id = OrgId(path.into_inner());
    let values = form.into_inner();
    match organisations::rename(&ctx.db, ctx.authorized(), id, &values.form(), &ctx.meta).await {
        Ok(name) => Ok(redirect_with(
            &format!("/admin/organisations/{id}"),
            Flash::success(format!("The organisation is now called {name}.")),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "name")?;
            detail_page(&ctx, id, Some((values.echoed(), errors)), None).await
        }
    }
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

async fn set_status(ctx: Manage, id: i64, status: OrgStatus) -> Result<HttpResponse, AppError> {
    let result =
        organisations::set_status(&ctx.db, ctx.authorized(), OrgId(id), status, &ctx.meta).await;
    outcome(
        &format!("/admin/organisations/{id}"),
        result,
        |name| match status {
            OrgStatus::Disabled => format!("{name} is disabled: nobody in it can sign in."),
            OrgStatus::Active => format!("{name} is enabled again."),
        },
    )
}

pub async fn disable(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    set_status(ctx, path.into_inner(), OrgStatus::Disabled).await
}

pub async fn enable(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    set_status(ctx, path.into_inner(), OrgStatus::Active).await
}

#[derive(Deserialize)]
pub struct AdminForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn create_admin(
    ctx: Manage,
    path: web::Path<i64>,
    auth: web::Data<AuthSettings>,
    form: CsrfForm<AdminForm>,
) -> Result<HttpResponse, AppError> {
    let id = OrgId(path.into_inner());
    let form = form.into_inner();
    let cut = |s: &str, n| s.chars().take(n).collect::<String>();
    let values = AdminValues {
        username: cut(&form.username, 100),
        email: cut(&form.email, 300),
        full_name: cut(&form.full_name, 200),
    };
    let too_long = [&form.password, &form.password_confirm]
        .iter()
        .any(|p| p.chars().count() > 128);
    if too_long {
        let mut errors = FormErrors::default();
        errors.add("password", "Password must be at most 128 characters.");
        return detail_page(&ctx, id, None, Some((values, errors))).await;
    }
    let registration = Registration {
        username: form.username,
        email: form.email,
        full_name: form.full_name,
        password: SecretString::from(form.password),
        password_confirm: SecretString::from(form.password_confirm),
    };
    let created = organisations::create_admin(
        &ctx.db,
        &auth,
        ctx.authorized(),
        id,
        registration,
        &ctx.meta,
    )
    .await;
    match created {
        Ok(_) => Ok(redirect_with(
            &format!("/admin/organisations/{id}"),
            Flash::success(format!(
                "{} is an administrator of this organisation and can sign in now.",
                values.username.trim()
            )),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "username")?;
            detail_page(&ctx, id, None, Some((values, errors))).await
        }
    }
}
