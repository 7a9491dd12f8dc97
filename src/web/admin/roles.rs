//! Admin: roles and the permissions they grant.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::outcome;
use crate::domain::RoleUsage;
use crate::domain::{Permission, PermissionSet, RoleId};
use crate::services::{queries, roles};
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::layout::Layout;
use crate::web::render;

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<RoleUsage>,
    permissions: Vec<Permission>,
}

pub async fn list(ctx: Ctx<Require<perm::RolesManage>>) -> Result<HttpResponse, AppError> {
    let roles = queries::role_usage(&ctx.db, &ctx.scope()).await?;
    Ok(render(RolesPage {
        layout: ctx.layout().await?,
        roles,
        permissions: Permission::grantable_in(ctx.user().organisation).collect(),
    }))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
}

fn permission_set(raw: &[String]) -> PermissionSet {
    PermissionSet::from_strs(raw.iter().map(String::as_str))
}

pub async fn create(
    ctx: Ctx<Require<perm::RolesManage>>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result = roles::create(
        &ctx.db,
        ctx.authorized(),
        &form.name,
        &form.description,
        permission_set(&form.permissions),
        &ctx.meta,
    )
    .await;
    outcome("/admin/roles", result, |_| {
        format!("The role {} has been created.", form.name.trim())
    })
}

pub async fn update(
    ctx: Ctx<Require<perm::RolesManage>>,
    path: web::Path<i64>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result = roles::set_permissions(
        &ctx.db,
        ctx.authorized(),
        RoleId(path.into_inner()),
        permission_set(&form.permissions),
        &ctx.meta,
    )
    .await;
    outcome("/admin/roles", result, |name| {
        format!("The permissions of {name} have been saved.")
    })
}
