//! Admin: the organisation's settings (`/admin/settings`, `users.manage`).

use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use crate::services::org_settings::{self, OrgSettings};
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::UsersManage>>;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    settings: OrgSettings,
}

pub async fn show(ctx: Manage) -> Result<HttpResponse, AppError> {
    let settings = org_settings::read(&ctx.db, ctx.authorized()).await?;
    Ok(render(SettingsPage {
        layout: ctx.layout().await?,
        settings,
    }))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// A checkbox: present ("on") when ticked, absent otherwise.
    #[serde(default)]
    approve_verified_only: Option<String>,
}

pub async fn save(ctx: Manage, form: CsrfForm<SettingsForm>) -> Result<HttpResponse, AppError> {
    let only_verified = form.into_inner().approve_verified_only.is_some();
    let changed = org_settings::save(&ctx.db, ctx.authorized(), only_verified, &ctx.meta).await?;
    let text = match changed {
        true => "The settings have been saved.",
        false => "Nothing to save: the settings are as they were.",
    };
    Ok(redirect_with("/admin/settings", Flash::success(text)))
}
