//! Self-registration (`/register`, `/o/{slug}/register`): the account
//! starts Pending; the organisation's fields asked at registration are on
//! the form.

use std::collections::BTreeMap;

use actix_identity::Identity;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use secrecy::SecretString;
use serde::Deserialize;
use validator::Validate;

use super::auth::OrgFields;
use super::custom_fields::{self, FieldInput, Values};
use super::flash::{Flash, redirect_with};
use super::forms::FormErrors;
use super::layout::Layout;
use super::rate_limit::LoginRateLimit;
use super::render;
use crate::db::Db;
use crate::domain::Writer;
use crate::services::accounts::{self, Registration};
use crate::services::auth_settings::AuthSettings;
use crate::services::organisations::OrgRef;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extensions::RotateCsrf;
use crate::web::page_org::{PageOrg, scope_of};
use crate::web::request::request_meta;
use crate::web::state::AppConfig;

#[derive(Template, WebTemplate)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    layout: Layout,
    org: OrgFields,
    form: RegisterValues,
    /// The organisation's fields asked at registration, once it is known.
    custom: Vec<FieldInput>,
    errors: FormErrors,
}

/// The inputs for the custom fields `org` asks at registration.
async fn registration_inputs(
    db: &Db,
    org: Option<&OrgRef>,
    typed: &[(String, String)],
    errors: &FormErrors,
) -> Result<Vec<FieldInput>, AppError> {
    let Some(org) = org else {
        return Ok(Vec::new());
    };
    let fields = crate::services::fields::list(db, &scope_of(org)).await?;
    Ok(custom_fields::inputs(
        &fields,
        Values::Typed(typed),
        errors,
        Writer::Registration,
    ))
}

/// The page again, with what was typed and what is wrong.
async fn register_again(
    req: &HttpRequest,
    db: &Db,
    org: (&PageOrg, Option<&OrgRef>, &str),
    form: RegisterValues,
    custom: &[(String, String)],
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    let (page, known, typed_org) = org;
    let inputs = registration_inputs(db, known, custom, &errors).await?;
    Ok(render(RegisterPage {
        layout: Layout::anonymous(req),
        org: OrgFields::of(page, typed_org, ""),
        form,
        errors: custom_fields::gather_strays(errors, &inputs),
        custom: inputs,
    }))
}

/// What the user typed, echoed back on errors (never the password).
#[derive(Default)]
pub struct RegisterValues {
    username: String,
    email: String,
    full_name: String,
}

pub async fn register_form(req: HttpRequest, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let page = PageOrg::of(&req).await?;
    let errors = FormErrors::default();
    Ok(render(RegisterPage {
        layout: Layout::anonymous(&req),
        org: OrgFields::of(&page, "", ""),
        form: RegisterValues::default(),
        custom: registration_inputs(&db, page.known.as_ref(), &[], &errors).await?,
        errors,
    }))
}

#[derive(Deserialize, Validate)]
pub struct RegisterForm {
    #[serde(default)]
    #[validate(length(max = 32, message = "Username must be 3 to 32 characters."))]
    username: String,
    #[serde(default)]
    #[validate(length(max = 254, message = "Email address must be at most 254 characters."))]
    email: String,
    #[serde(default)]
    #[validate(length(max = 100, message = "Full name must be at most 100 characters."))]
    full_name: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    password: String,
    #[serde(default)]
    #[validate(length(max = 128, message = "Password must be at most 128 characters."))]
    password_confirm: String,
    /// The organisation's slug, when the page asks for it.
    #[serde(default)]
    organisation: String,
    /// The custom fields (`field_{key}`) and the CSRF token.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub async fn register(
    _limit: LoginRateLimit,
    req: HttpRequest,
    db: web::Data<Db>,
    auth: web::Data<AuthSettings>,
    config: web::Data<AppConfig>,
    form: CsrfForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let values = RegisterValues {
        username: form.username.chars().take(100).collect(),
        email: form.email.chars().take(300).collect(),
        full_name: form.full_name.chars().take(200).collect(),
    };
    let custom = custom_fields::typed(&form.rest);
    let page = PageOrg::of(&req).await?;
    let mut errors = FormErrors::of_shape(&form);
    let org = page.for_form(&req, &form.organisation).await?;
    if let Err(message) = &org {
        errors.add("organisation", message.clone());
    }
    let org = match org {
        Ok(org) if errors.is_empty() => org,
        org => {
            let known = org.ok().or(page.known.clone());
            let org = (&page, known.as_ref(), form.organisation.as_str());
            return register_again(&req, &db, org, values, &custom, errors).await;
        }
    };
    let typed_org = form.organisation.clone();
    let registration = Registration {
        username: form.username,
        email: form.email,
        full_name: form.full_name,
        password: SecretString::from(form.password),
        password_confirm: SecretString::from(form.password_confirm),
    };
    let meta = request_meta(&req);
    match accounts::register(
        &db,
        &scope_of(&org),
        &auth,
        registration,
        &custom,
        &config.default_role,
        &meta,
    )
    .await
    {
        Ok(id) => {
            Identity::login(&req.extensions(), id.0.to_string())
                .map_err(|e| anyhow::anyhow!("could not start the session: {e}"))?;
            let mut response = redirect_with(
                "/pending",
                Flash::success("Your account has been created and is waiting for approval."),
            );
            response.extensions_mut().insert(RotateCsrf);
            Ok(response)
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "username")?;
            let org = (&page, Some(&org), typed_org.as_str());
            register_again(&req, &db, org, values, &custom, errors).await
        }
    }
}
