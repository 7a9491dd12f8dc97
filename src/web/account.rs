//! The signed-in user's own pages: home, password, role request.

use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::auth::Empty;
use super::context::Ctx;
use super::flash::{Flash, redirect_with};
use super::forms::{FormErrors, parse_id};
use super::layout::Layout;
use super::render;
use crate::domain::{
    App, AppId, Role, RoleId, RoleRequest, RoleRequestId, RoleRequestStatus, User,
};
use crate::services::accounts::{self, PasswordChange};
use crate::services::app_directory::AppDirectory;
use crate::services::auth_settings::AuthSettings;
use crate::services::role_requests::Wanted;
use crate::services::{apps, queries, role_requests};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{ActiveUser, CurrentUser};

#[derive(Template)]
#[template(path = "account/home.html")]
struct HomePage {
    layout: Layout,
    account: User,
    latest: Option<RoleRequest>,
    /// The apps the user may open, by name.
    apps: Vec<App>,
}

pub async fn home(
    ctx: Ctx<ActiveUser>,
    directory: web::Data<AppDirectory>,
) -> Result<HttpResponse, AppError> {
    let (id, scope) = (ctx.user().id, ctx.scope());
    let apps = directory.get(&ctx.db).await?;
    let apps = apps.open_to(ctx.user()).cloned().collect();
    let account = queries::user(&ctx.db, &scope, id).await?;
    let latest = queries::requests_of(&ctx.db, &scope, id, 1)
        .await?
        .into_iter()
        .next();
    Ok(render(HomePage {
        layout: ctx.layout().await?,
        account,
        latest,
        apps,
    }))
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: FormErrors,
    /// An administrator asked for a new password before anything else.
    required: bool,
}

/// Pending users may change their password too.
pub async fn password_form(ctx: Ctx<CurrentUser>) -> Result<HttpResponse, AppError> {
    Ok(render(PasswordPage {
        layout: ctx.layout().await?,
        errors: FormErrors::default(),
        required: ctx.user().must_change_password,
    }))
}

#[derive(Deserialize, Validate)]
pub struct PasswordForm {
    #[serde(default)]
    #[validate(length(max = 1024, message = "Your current password is not correct."))]
    current_password: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    new_password: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    new_password_confirm: String,
}

pub async fn change_password(
    ctx: Ctx<CurrentUser>,
    auth: web::Data<AuthSettings>,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let errors = FormErrors::of_shape(&form);
    if !errors.is_empty() {
        return Ok(render(PasswordPage {
            layout: ctx.layout().await?,
            errors,
            required: ctx.user().must_change_password,
        }));
    }
    let change = PasswordChange {
        current: SecretString::from(form.current_password),
        new: SecretString::from(form.new_password),
        confirm: SecretString::from(form.new_password_confirm),
    };
    let user = ctx.user();
    match accounts::change_password(&ctx.db, &ctx.scope(), &auth, user.id, change, &ctx.meta).await
    {
        Ok(()) => {
            let home = if user.status == crate::domain::UserStatus::Active {
                "/"
            } else {
                "/pending"
            };
            Ok(redirect_with(
                home,
                Flash::success("Your password has been changed."),
            ))
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "current_password")?;
            Ok(render(PasswordPage {
                layout: ctx.layout().await?,
                errors,
                required: ctx.user().must_change_password,
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "account/role_request.html")]
struct RoleRequestPage {
    layout: Layout,
    current_role: RoleId,
    roles: Vec<Role>,
    open: Option<RoleRequest>,
    history: Vec<RoleRequest>,
    selected: i64,
    /// The organisation's apps, for "for which app", and the one chosen.
    apps: Vec<App>,
    selected_app: i64,
    justification: String,
    errors: FormErrors,
}

async fn role_request_page(
    ctx: &Ctx<ActiveUser>,
    (selected, selected_app): (i64, i64),
    justification: String,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let (user, scope) = (ctx.user(), ctx.scope());
    let history = queries::requests_of(&ctx.db, &scope, user.id, 20).await?;
    let open = history
        .iter()
        .find(|r| r.status == RoleRequestStatus::Open)
        .cloned();
    let roles = queries::roles(&ctx.db, &scope).await?;
    Ok(render(RoleRequestPage {
        layout: ctx.layout().await?,
        current_role: user.role_id,
        roles,
        open,
        history,
        selected,
        apps: apps::list(&ctx.db, &scope).await?,
        selected_app,
        justification,
        errors,
    }))
}

#[derive(Deserialize)]
pub struct RoleRequestQuery {
    /// An app's slug: the refusal page offers to ask for the role it needs.
    #[serde(default)]
    app: String,
}

/// The form; `?app=slug` chooses that app and the first role of its rule
/// the user does not hold.
pub async fn role_request_form(
    ctx: Ctx<ActiveUser>,
    query: web::Query<RoleRequestQuery>,
) -> Result<HttpResponse, AppError> {
    let mut chosen = (0, 0);
    if !query.app.is_empty() {
        let found = apps::list(&ctx.db, &ctx.scope())
            .await?
            .into_iter()
            .find(|a| a.slug.as_str() == query.app);
        if let Some(app) = found {
            let role = app
                .rule
                .roles
                .iter()
                .find(|(r, _)| *r != ctx.user().role_id);
            chosen = (role.map_or(0, |(r, _)| r.0), app.id.0);
        }
    }
    role_request_page(&ctx, chosen, String::new(), FormErrors::default()).await
}

#[derive(Deserialize, Validate)]
pub struct RoleRequestForm {
    #[serde(default)]
    role_id: String,
    /// Optional: the app the role is for.
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    #[validate(length(
        max = 2000,
        message = "Please keep your explanation to at most 2000 characters."
    ))]
    justification: String,
}

pub async fn submit_role_request(
    ctx: Ctx<ActiveUser>,
    form: CsrfForm<RoleRequestForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let role = parse_id(&form.role_id).map(RoleId);
    // Anything but empty names an app: a value that is no id is refused.
    let app = match form.app_id.trim() {
        "" => None,
        raw => Some(AppId(parse_id(raw).unwrap_or(-1))),
    };
    let selected = (role.map_or(0, |r| r.0), app.map_or(0, |a| a.0));
    let errors = FormErrors::of_shape(&form);
    if !errors.is_empty() {
        let justification = form.justification.chars().take(2000).collect();
        return role_request_page(&ctx, selected, justification, errors).await;
    }
    let wanted = Wanted { role, app };
    let submitted = role_requests::submit(
        &ctx.db,
        &ctx.actor(),
        wanted,
        &form.justification,
        &ctx.meta,
    )
    .await;
    match submitted {
        Ok(_) => Ok(redirect_with(
            "/",
            Flash::success("Your role request has been sent to the reviewers."),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "role_id")?;
            role_request_page(&ctx, selected, form.justification, errors).await
        }
    }
}

pub async fn withdraw_role_request(
    ctx: Ctx<ActiveUser>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = RoleRequestId(path.into_inner());
    match role_requests::withdraw(&ctx.db, &ctx.actor(), id, &ctx.meta).await {
        Ok(()) => Ok(redirect_with(
            "/account/role-request",
            Flash::info("Your role request has been withdrawn."),
        )),
        Err(crate::services::ServiceError::Rule(rule)) => Ok(redirect_with(
            "/account/role-request",
            Flash::error(rule.to_string()),
        )),
        Err(err) => Err(err.into()),
    }
}
