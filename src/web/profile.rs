//! Profiles: the signed-in user's own page (`/account/profile`) and an
//! administrator's form on the user page (`users.manage`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::admin::outcome;
use super::context::Ctx;
use super::flash::{Flash, redirect_with};
use super::forms::FormErrors;
use super::layout::Layout;
use super::render;
use crate::domain::UserId;
use crate::services::profile::{self, ProfileForm};
use crate::services::queries;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{CurrentUser, Require, perm};

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    layout: Layout,
    username: String,
    email: String,
    full_name: String,
    phone: String,
    errors: FormErrors,
}

/// The form as posted. The lengths only bound what is echoed back; the
/// domain types say what is valid.
#[derive(Deserialize, Validate)]
pub struct ProfileFields {
    #[serde(default)]
    #[validate(length(max = 1000, message = "Full name must be at most 100 characters."))]
    full_name: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "Enter a phone number of at most 32 characters."))]
    phone: String,
}

/// Pending users may fill in their profile too.
pub async fn form(ctx: Ctx<CurrentUser>) -> Result<HttpResponse, AppError> {
    let user = queries::user(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    let fields = profile::form_of(&user);
    page(&ctx, fields.full_name, fields.phone, FormErrors::default()).await
}

async fn page(
    ctx: &Ctx<CurrentUser>,
    full_name: String,
    phone: String,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user();
    Ok(render(ProfilePage {
        layout: ctx.layout().await?,
        username: user.username.clone(),
        email: queries::user(&ctx.db, &ctx.scope(), user.id).await?.email,
        full_name,
        phone,
        errors,
    }))
}

pub async fn save(
    ctx: Ctx<CurrentUser>,
    form: CsrfForm<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let errors = FormErrors::of_shape(&fields);
    if !errors.is_empty() {
        return page(&ctx, fields.full_name, fields.phone, errors).await;
    }
    let form = ProfileForm {
        full_name: fields.full_name,
        phone: fields.phone,
    };
    match profile::update_own(&ctx.db, &ctx.actor(), &form, &ctx.meta).await {
        Ok(changed) => {
            let text = match changed {
                true => "Your profile has been saved.",
                false => "Nothing to save: your profile is as it was.",
            };
            Ok(redirect_with("/account/profile", Flash::success(text)))
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "full_name")?;
            page(&ctx, form.full_name, form.phone, errors).await
        }
    }
}

/// An administrator's change to another user's profile, from the user page.
pub async fn save_for(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    form: CsrfForm<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let fields = form.into_inner();
    let form = ProfileForm {
        full_name: fields.full_name,
        phone: fields.phone,
    };
    let result = profile::update_for(&ctx.db, ctx.authorized(), UserId(id), &form, &ctx.meta).await;
    outcome(&format!("/admin/users/{id}"), result, |name| {
        format!("{name}'s profile has been saved.")
    })
}
