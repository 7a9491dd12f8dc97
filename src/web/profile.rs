//! Profiles: the signed-in user's own page (`/account/profile`) and an
//! administrator's form on the user page (`users.manage`). Both hold the
//! organisation's custom fields their writer may fill in.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::context::Ctx;
use super::custom_fields::{self, FieldInput, Values};
use super::flash::{Flash, redirect_with};
use super::forms::FormErrors;
use super::layout::Layout;
use super::render;
use crate::domain::{UserId, Writer};
use crate::services::ServiceError;
use crate::services::profile::{self, ProfileForm};
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
    custom: Vec<FieldInput>,
    errors: FormErrors,
}

/// The form as posted. The lengths only bound what is echoed back; the
/// domain types say what is valid. `rest` holds the custom fields
/// (`field_{key}`) and the CSRF token.
#[derive(Deserialize, Validate)]
pub struct ProfileFields {
    #[serde(default)]
    #[validate(length(max = 1000, message = "Full name must be at most 100 characters."))]
    full_name: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "Enter a phone number of at most 32 characters."))]
    phone: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

impl ProfileFields {
    fn into_form(self) -> ProfileForm {
        ProfileForm {
            fields: custom_fields::typed(&self.rest),
            full_name: self.full_name,
            phone: self.phone,
        }
    }
}

/// Pending users may fill in their profile too.
pub async fn form(ctx: Ctx<CurrentUser>) -> Result<HttpResponse, AppError> {
    let view = profile::view(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    let form = profile::form_of(&view.user);
    let custom = custom_fields::inputs(
        &view.fields,
        Values::Stored(&view.user.metadata),
        &FormErrors::default(),
        Writer::User,
    );
    page(&ctx, view.user.email, form, custom, FormErrors::default()).await
}

async fn page(
    ctx: &Ctx<CurrentUser>,
    email: String,
    form: ProfileForm,
    custom: Vec<FieldInput>,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    Ok(render(ProfilePage {
        layout: ctx.layout().await?,
        username: ctx.user().username.clone(),
        email,
        full_name: form.full_name,
        phone: form.phone,
        custom,
        errors,
    }))
}

pub async fn save(
    ctx: Ctx<CurrentUser>,
    form: CsrfForm<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let shape = FormErrors::of_shape(&fields);
    let form = fields.into_form();
    let result = match shape.is_empty() {
        true => profile::update_own(&ctx.db, &ctx.actor(), &form, &ctx.meta).await,
        false => Err(ServiceError::Invalid(Vec::new())),
    };
    let errors = match result {
        Ok(changed) => {
            let text = match changed {
                true => "Your profile has been saved.",
                false => "Nothing to save: your profile is as it was.",
            };
            return Ok(redirect_with("/account/profile", Flash::success(text)));
        }
        Err(_) if !shape.is_empty() => shape,
        Err(err) => FormErrors::from_service(err, "full_name")?,
    };
    let view = profile::view(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    let custom = custom_fields::inputs(
        &view.fields,
        Values::Typed(&form.fields),
        &errors,
        Writer::User,
    );
    let errors = custom_fields::gather_strays(errors, &custom);
    page(&ctx, view.user.email, form, custom, errors).await
}

/// An administrator's change to another user's profile, from the user page.
pub async fn save_for(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    form: CsrfForm<ProfileFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner().into_form();
    let result = profile::update_for(&ctx.db, ctx.authorized(), UserId(id), &form, &ctx.meta).await;
    super::admin::outcome(&format!("/admin/users/{id}"), result, |name| {
        format!("{name}'s profile has been saved.")
    })
}
