//! Admin: the organisation's applications (`apps.manage`): register them,
//! change their host names and who may open them, delete them.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::app_clients::ClientSection;
use super::outcome;
use crate::domain::{App, AppId, Group, GroupId, Role, RoleId};
use crate::services::apps::{self, AppForm};
use crate::services::{ServiceError, groups, queries};
use crate::web::auth::Empty;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::{FormErrors, parse_id};
use crate::web::layout::Layout;
use crate::web::render;

pub(super) type Manage = Ctx<Require<perm::AppsManage>>;

/// The app form as posted; `roles` and `groups` repeat, one per ticked box.
#[derive(Default, Deserialize)]
pub struct AppFields {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    hosts: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl AppFields {
    /// The form for the service; an id that is not a number becomes one no
    /// role or group has, which the service refuses with a message.
    fn form(self) -> AppForm {
        let ids = |raw: &[String]| -> Vec<i64> {
            raw.iter()
                .take(1000)
                .map(|r| parse_id(r).unwrap_or(-1))
                .collect()
        };
        AppForm {
            roles: ids(&self.roles).into_iter().map(RoleId).collect(),
            groups: ids(&self.groups).into_iter().map(GroupId).collect(),
            slug: self.slug,
            name: self.name,
            description: self.description,
            url: self.url,
            hosts: self.hosts,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct AppsPage {
    layout: Layout,
    apps: Vec<App>,
    roles: Vec<Role>,
    groups: Vec<Group>,
    /// The new-app form as typed, and what is wrong with it.
    form: AppForm,
    errors: FormErrors,
}

async fn list_page(
    ctx: &Manage,
    form: AppForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let scope = ctx.scope();
    Ok(render(AppsPage {
        layout: ctx.layout().await?,
        apps: apps::list(&ctx.db, &scope).await?,
        roles: queries::roles(&ctx.db, &scope).await?,
        groups: groups::list(&ctx.db, &scope).await?,
        form,
        errors,
    }))
}

pub async fn list(ctx: Manage) -> Result<HttpResponse, AppError> {
    list_page(&ctx, AppForm::default(), FormErrors::default()).await
}

pub async fn create(ctx: Manage, form: CsrfForm<AppFields>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner().form();
    match apps::create(&ctx.db, ctx.authorized(), &form, &ctx.meta).await {
        Ok(name) => Ok(redirect_with(
            "/admin/apps",
            Flash::success(format!(
                "{name} has been registered. Point your reverse proxy at /auth/verify for it."
            )),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "name")?;
            list_page(&ctx, form.bounded(), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/app.html")]
struct AppPage {
    layout: Layout,
    app: App,
    roles: Vec<Role>,
    groups: Vec<Group>,
    form: AppForm,
    errors: FormErrors,
    client: ClientSection,
}

async fn app_page(
    ctx: &Manage,
    app: App,
    form: AppForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let client = ClientSection::of(ctx, &app).await?;
    client_page(ctx, app, form, errors, client).await
}

/// The app's page with its OpenID Connect section as given.
pub(super) async fn client_page(
    ctx: &Manage,
    app: App,
    form: AppForm,
    errors: FormErrors,
    client: ClientSection,
) -> Result<HttpResponse, AppError> {
    let scope = ctx.scope();
    Ok(render(AppPage {
        layout: ctx.layout().await?,
        app,
        roles: queries::roles(&ctx.db, &scope).await?,
        groups: groups::list(&ctx.db, &scope).await?,
        form,
        errors,
        client,
    }))
}

pub async fn detail(ctx: Manage, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let app = apps::find(&ctx.db, &ctx.scope(), AppId(path.into_inner())).await?;
    let form = AppForm::of(&app);
    app_page(&ctx, app, form, FormErrors::default()).await
}

pub async fn update(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<AppFields>,
) -> Result<HttpResponse, AppError> {
    let id = AppId(path.into_inner());
    let form = form.into_inner().form();
    match apps::update(&ctx.db, ctx.authorized(), id, &form, &ctx.meta).await {
        Ok(name) => Ok(redirect_with(
            &format!("/admin/apps/{id}"),
            Flash::success(format!(
                "{name} has been saved. The proxy applies it from the next request."
            )),
        )),
        Err(err @ (ServiceError::Conflict(_) | ServiceError::NotFound)) => {
            outcome(&format!("/admin/apps/{id}"), Err::<(), _>(err), |_| {
                String::new()
            })
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "name")?;
            let app = apps::find(&ctx.db, &ctx.scope(), id).await?;
            let form = form.bounded();
            app_page(&ctx, app, form, errors).await
        }
    }
}

pub async fn delete(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = AppId(path.into_inner());
    let result = apps::delete(&ctx.db, ctx.authorized(), id, &ctx.meta).await;
    outcome("/admin/apps", result, |name| {
        format!("{name} has been deleted: its host names now let nobody in.")
    })
}
