//! `/api/v1/me`, `/roles`, `/groups` and `/apps`: who the token acts for,
//! and the organisation's roles, groups and applications.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Api, ApiError, json};
use crate::domain::permission::perm;
use crate::services::{apps, groups, queries};

/// The token and the user it acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub role: String,
    pub groups: Vec<String>,
    /// The organisation's slug is in `X-Gatehouse-Organisation` of forward
    /// auth; here, its id.
    pub organisation_id: i64,
    pub token: TokenOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub name: String,
    /// personal or service.
    pub kind: String,
    pub scopes: Vec<String>,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeOut), (status = 401, body = super::ErrorBody)))]
pub async fn me(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let (user, token) = (&api.caller.user, &api.caller.token);
    Ok(json(&MeOut {
        id: user.id.0,
        username: user.username.clone(),
        email: user.email.clone(),
        full_name: user.full_name.clone(),
        role: user.role_name.clone(),
        groups: user.groups.iter().map(|(_, n)| n.clone()).collect(),
        organisation_id: user.organisation.0,
        token: TokenOut {
            name: token.name.clone(),
            kind: token.kind.as_str().to_owned(),
            scopes: token.scopes.iter().map(|p| p.as_str().to_owned()).collect(),
            expires_at: token.expires_at.iso(),
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/roles", tag = "directory",
    security(("bearer" = ["users.read"])),
    responses((status = 200, body = [RoleOut]), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody)))]
pub async fn roles(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::UsersRead>()?;
    let roles = queries::roles(&api.db, &api.scope()).await?;
    let out: Vec<RoleOut> = roles
        .iter()
        .map(|r| RoleOut {
            id: r.id.0,
            name: r.name.clone(),
            description: r.description.clone(),
            permissions: r
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
        })
        .collect();
    Ok(json(&out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The roles it grants, by name.
    pub grants: Vec<String>,
    pub members: u64,
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "directory",
    security(("bearer" = ["users.read"])),
    responses((status = 200, body = [GroupOut]), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody)))]
pub async fn groups(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::UsersRead>()?;
    let groups = groups::list(&api.db, &api.scope()).await?;
    let out: Vec<GroupOut> = groups
        .iter()
        .map(|g| GroupOut {
            id: g.id.0,
            name: g.name.clone(),
            description: g.description.clone(),
            grants: g.roles.iter().map(|(_, n)| n.clone()).collect(),
            members: g.member_count,
        })
        .collect();
    Ok(json(&out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppOut {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub url: String,
    pub hosts: Vec<String>,
    /// Roles whose members may open it.
    pub roles: Vec<String>,
    /// Groups whose members may open it.
    pub groups: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/apps", tag = "directory",
    security(("bearer" = ["apps.manage"])),
    responses((status = 200, body = [AppOut]), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody)))]
pub async fn apps(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::AppsManage>()?;
    let apps = apps::list(&api.db, &api.scope()).await?;
    let out: Vec<AppOut> = apps
        .iter()
        .map(|a| AppOut {
            id: a.id.0,
            slug: a.slug.to_string(),
            name: a.name.clone(),
            description: a.description.clone(),
            url: a.url.clone(),
            hosts: a.hosts.iter().map(|h| h.to_string()).collect(),
            roles: a.rule.roles.iter().map(|(_, n)| n.clone()).collect(),
            groups: a.rule.groups.iter().map(|(_, n)| n.clone()).collect(),
        })
        .collect();
    Ok(json(&out))
}
