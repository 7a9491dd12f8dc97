//! Admin: the organisation's custom fields (`fields.manage`): define them,
//! change their label, choices and rules, delete them.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::outcome;
use crate::domain::{FieldDefinition, FieldId, FieldKind};
use crate::services::fields::{self, FieldForm};
use crate::web::auth::Empty;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::FieldsManage>>;

/// The definition form as posted; checkboxes are absent when unticked.
#[derive(Default, Deserialize)]
pub struct FieldFields {
    #[serde(default)]
    key: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    choices: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    at_registration: Option<String>,
    #[serde(default)]
    user_editable: Option<String>,
}

impl FieldFields {
    fn form(&self) -> FieldForm {
        FieldForm {
            key: self.key.clone(),
            label: self.label.clone(),
            kind: self.kind.clone(),
            choices: self.choices.clone(),
            required: self.required.is_some(),
            at_registration: self.at_registration.is_some(),
            user_editable: self.user_editable.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/fields.html")]
struct FieldsPage {
    layout: Layout,
    fields: Vec<FieldDefinition>,
    kinds: [FieldKind; 6],
    /// The new-field form as typed (bounded), and what is wrong with it.
    form: FieldForm,
    errors: FormErrors,
}

async fn list_page(
    ctx: &Manage,
    form: FieldForm,
    errors: FormErrors,
) -> Result<HttpResponse, AppError> {
    Ok(render(FieldsPage {
        layout: ctx.layout().await?,
        fields: fields::list(&ctx.db, &ctx.scope()).await?,
        kinds: FieldKind::ALL,
        form,
        errors,
    }))
}

pub async fn list(ctx: Manage) -> Result<HttpResponse, AppError> {
    let form = FieldForm {
        user_editable: true,
        ..FieldForm::default()
    };
    list_page(&ctx, form, FormErrors::default()).await
}

pub async fn create(ctx: Manage, form: CsrfForm<FieldFields>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner().form();
    match fields::create(&ctx.db, ctx.authorized(), &form, &ctx.meta).await {
        Ok(label) => Ok(redirect_with(
            "/admin/fields",
            Flash::success(format!("The field {label} has been created.")),
        )),
        Err(err) => {
            let errors = FormErrors::from_service(err, "label")?;
            let echoed = FieldForm {
                key: form.key.chars().take(60).collect(),
                label: form.label.chars().take(100).collect(),
                kind: form.kind.chars().take(20).collect(),
                choices: form.choices.chars().take(4000).collect(),
                ..form
            };
            list_page(&ctx, echoed, errors).await
        }
    }
}

pub async fn update(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<FieldFields>,
) -> Result<HttpResponse, AppError> {
    let id = FieldId(path.into_inner());
    let form = form.into_inner().form();
    let result = fields::update(&ctx.db, ctx.authorized(), id, &form, &ctx.meta).await;
    outcome("/admin/fields", result, |label| {
        format!("The field {label} has been saved.")
    })
}

pub async fn delete(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = FieldId(path.into_inner());
    let result = fields::delete(&ctx.db, ctx.authorized(), id, &ctx.meta).await;
    outcome("/admin/fields", result, |(label, cleared)| {
        format!(
            "The field {label} has been deleted, and its values with it ({cleared} user(s) had one)."
        )
    })
}
