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
use crate::domain::{User, UserId, Writer};
use crate::services::ServiceError;
use crate::services::email_verification::{self, Change};
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
    /// Whether the current address is verified.
    verified: bool,
    /// A new address waiting for its link to be opened.
    awaiting: Option<String>,
    /// What the email form shows: the current address, or what was typed.
    email_typed: String,
    /// Mail is on: a new address is confirmed by a link.
    mail: bool,
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
    page(&ctx, &view.user, form, custom, FormErrors::default(), None).await
}

async fn page(
    ctx: &Ctx<CurrentUser>,
    user: &User,
    form: ProfileForm,
    custom: Vec<FieldInput>,
    errors: FormErrors,
    email_typed: Option<String>,
) -> Result<HttpResponse, AppError> {
    Ok(render(ProfilePage {
        layout: ctx.layout().await?,
        username: ctx.user().username.clone(),
        email: user.email.clone(),
        verified: user.email_verified_at.is_some(),
        awaiting: email_verification::awaiting(&ctx.db, &ctx.actor()).await?,
        email_typed: email_typed.unwrap_or_else(|| user.email.clone()),
        mail: ctx.db.mail().enabled,
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
    page(&ctx, &view.user, form, custom, errors, None).await
}

#[derive(Deserialize, Validate)]
pub struct EmailFields {
    #[serde(default)]
    #[validate(length(max = 1000, message = "An email address is at most 254 characters."))]
    email: String,
}

/// The user asks to use another address: with mail on it changes once the
/// link sent there is opened; with mail off at once.
pub async fn change_email(
    ctx: Ctx<CurrentUser>,
    form: CsrfForm<EmailFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let shape = FormErrors::of_shape(&fields);
    let result = match shape.is_empty() {
        true => {
            email_verification::request_change(&ctx.db, &ctx.actor(), &fields.email, &ctx.meta)
                .await
        }
        false => Err(ServiceError::Invalid(Vec::new())),
    };
    let errors = match result {
        Ok(Change::Unchanged) => {
            return Ok(redirect_with(
                "/account/profile",
                Flash::info("That is your address already."),
            ));
        }
        Ok(Change::AwaitingConfirmation(email)) => {
            return Ok(redirect_with(
                "/account/profile",
                Flash::success(format!(
                    "We sent a link to {email}. Your address changes when you open it; until then we keep using the old one, which we told of the change."
                )),
            ));
        }
        Ok(Change::Changed(email)) => {
            return Ok(redirect_with(
                "/account/profile",
                Flash::success(format!("Your email address is now {email}.")),
            ));
        }
        Err(_) if !shape.is_empty() => shape,
        Err(err) => FormErrors::from_service(err, "email")?,
    };
    let view = profile::view(&ctx.db, &ctx.scope(), ctx.user().id).await?;
    let form = profile::form_of(&view.user);
    let custom = custom_fields::inputs(
        &view.fields,
        Values::Stored(&view.user.metadata),
        &FormErrors::default(),
        Writer::User,
    );
    let typed = fields.email.chars().take(254).collect();
    page(&ctx, &view.user, form, custom, errors, Some(typed)).await
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
