//! `/api/v1/users`: the user list (the pages' search and filters, cursor
//! pages of at most 200), one user, creating one, and changing one (a
//! status action, the role, the name, phone and custom fields, the
//! groups), through the pages' services: the same rules, refusals and
//! audit rows.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Api, ApiError, body, json, path_id, query};
use crate::domain::permission::perm;
use crate::domain::user_list::ExportedUser;
use crate::domain::user_list::UserFilter;
use crate::domain::{RoleId, StatusAction, User, UserId, UserStatus, case_key};
use crate::services::accounts::{self, Registration};
use crate::services::auth_settings::AuthSettings;
use crate::services::groups::{self, Member};
use crate::services::profile::{self, ProfileForm};
use crate::services::user_admin::{self, StatusChange};
use crate::services::{ServiceError, queries};

/// A user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    /// Whether the user opened a link mailed to this address.
    pub email_verified: bool,
    pub full_name: String,
    pub phone: String,
    /// invited, pending, active, rejected, disabled or deleted.
    pub status: String,
    /// The role's name.
    pub role: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_active_at: Option<String>,
    /// Custom field values by key.
    pub fields: BTreeMap<String, String>,
}

fn fields_of(metadata: &crate::domain::Metadata) -> BTreeMap<String, String> {
    metadata
        .values()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl From<&User> for UserOut {
    fn from(user: &User) -> UserOut {
        UserOut {
            id: user.id.0,
            username: user.username.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified_at.is_some(),
            full_name: user.full_name.clone(),
            phone: user.phone.clone(),
            status: user.status.as_str().to_owned(),
            role: user.role_name.clone(),
            created_at: user.created_at.iso(),
            last_login_at: user.last_login_at.map(|t| t.iso()),
            last_active_at: user.last_active_at.map(|t| t.iso()),
            fields: fields_of(&user.metadata),
        }
    }
}

impl From<&ExportedUser> for UserOut {
    fn from(user: &ExportedUser) -> UserOut {
        let listed = &user.listed;
        UserOut {
            id: listed.id.0,
            username: listed.username.clone(),
            email: listed.email.clone(),
            email_verified: listed.email_verified,
            full_name: listed.full_name.clone(),
            phone: user.phone.clone(),
            status: listed.status.as_str().to_owned(),
            role: listed.role_name.clone(),
            created_at: listed.created_at.iso(),
            last_login_at: listed.last_login_at.map(|t| t.iso()),
            last_active_at: listed.last_active_at.map(|t| t.iso()),
            fields: fields_of(&user.metadata),
        }
    }
}

/// One page of users, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserOut>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Text to find in username, email or full name.
    #[serde(default)]
    pub q: Option<String>,
    /// invited, pending, active, rejected, disabled or deleted.
    #[serde(default)]
    pub status: Option<String>,
    /// A role's name.
    #[serde(default)]
    pub role: Option<String>,
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: Option<i64>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u64>,
}

const PAGE_MAX: u64 = 200;

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListQuery),
    security(("bearer" = ["users.read"])),
    responses((status = 200, body = UserPage), (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn list(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::UsersRead>()?;
    let params: UserListQuery = query(&req)?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request("limit is 1 to 200."));
    }
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(UserStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "status is invited, pending, active, rejected, disabled or deleted.",
            )
        })?),
        None => None,
    };
    let role = match params.role.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(
            role_named(&api, name)
                .await?
                .ok_or_else(|| ApiError::bad_request(format!("There is no role {name:?}.")))?,
        ),
        None => None,
    };
    let search = params
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| case_key(&q.chars().take(100).collect::<String>()));
    let filter = UserFilter {
        search,
        status,
        role,
        ..UserFilter::default()
    };
    let after = params.after.unwrap_or(0).max(0);
    let mut users = queries::export_page(&api.db, &api.scope(), &filter, after, limit + 1).await?;
    let more = users.len() as u64 > limit;
    users.truncate(limit as usize);
    let next = match more {
        true => users.last().map(|u| u.listed.id.0),
        false => None,
    };
    Ok(json(&UserPage {
        users: users.iter().map(UserOut::from).collect(),
        next,
    }))
}

/// Puts the user in exactly the groups named: every name is checked before
/// anything changes; removals go first, as only they can be refused (the
/// last-administrator rule), each with its own audit row.
async fn set_groups(api: &Api, user: UserId, wanted: &[String]) -> Result<(), ApiError> {
    let proof = api.require::<perm::GroupsManage>()?;
    let groups = groups::of_user(&api.db, &api.scope(), user).await?;
    let mut keep = Vec::new();
    for name in wanted {
        let found = groups
            .iter()
            .find(|(g, _)| g.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ApiError::field("groups", format!("There is no group {name:?}.")))?;
        keep.push(found.0.id);
    }
    for (group, member) in &groups {
        if *member && !keep.contains(&group.id) {
            groups::remove_member(&api.db, &proof, group.id, user, &api.meta).await?;
        }
    }
    for (group, member) in &groups {
        if !*member && keep.contains(&group.id) {
            groups::add_member(&api.db, &proof, group.id, Member::Id(user), &api.meta).await?;
        }
    }
    Ok(())
}

async fn role_named(api: &Api, name: &str) -> Result<Option<RoleId>, ApiError> {
    let roles = queries::roles(&api.db, &api.scope()).await?;
    Ok(roles
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name.trim()))
        .map(|r| r.id))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = ["users.read"])),
    responses((status = 200, body = UserOut), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn get(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::UsersRead>()?;
    let id = UserId(path_id(&path)?);
    let user = queries::user(&api.db, &api.scope(), id).await?;
    Ok(json(&UserOut::from(&user)))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    pub username: String,
    pub email: String,
    pub full_name: String,
    /// Checked against the password policy; stored as argon2id.
    pub password: String,
    /// pending (default) or active.
    #[serde(default)]
    pub status: Option<String>,
    /// A role's name; the default role when absent.
    #[serde(default)]
    pub role: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserIn,
    security(("bearer" = ["users.manage"])),
    responses((status = 201, body = UserOut), (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 413, body = super::ErrorBody),
        (status = 415, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    auth: web::Data<AuthSettings>,
    config: web::Data<crate::web::state::AppConfig>,
) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let proof = api.require::<perm::UsersManage>()?;
    let new: NewUserIn = body(&req, payload).await?;
    let status = match new.status.as_deref().unwrap_or("pending") {
        "pending" => UserStatus::Pending,
        "active" => UserStatus::Active,
        _ => return Err(ApiError::field("status", "Use pending or active.")),
    };
    let form = Registration {
        username: new.username,
        email: new.email,
        full_name: new.full_name,
        password: SecretString::from(new.password.clone()),
        password_confirm: SecretString::from(new.password),
    };
    let role = new.role.unwrap_or_else(|| config.default_role.clone());
    let created =
        accounts::create_by_admin(&api.db, &proof, &auth, form, status, &role, &api.meta).await;
    let id = match created {
        Ok(id) => id,
        // A taken username or email is a conflict, not a malformed field.
        Err(ServiceError::Invalid(fields)) if fields.iter().any(|(_, m)| m.contains("already")) => {
            let mut error = ApiError::from(ServiceError::Invalid(fields));
            error.conflict();
            return Err(error);
        }
        Err(err) => return Err(err.into()),
    };
    let user = queries::user(&api.db, &api.scope(), id).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(UserOut::from(&user)))
}

/// What to change; every member is optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeIn {
    /// approve, reject, disable or enable.
    #[serde(default)]
    pub action: Option<String>,
    /// Required to reject or disable.
    #[serde(default)]
    pub reason: Option<String>,
    /// A role's name.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Custom field values by key, merged into the user's (an empty string
    /// clears one).
    #[serde(default)]
    pub fields: Option<BTreeMap<String, String>>,
    /// Every group the user is to be in, by name (needs `groups.manage`).
    #[serde(default)]
    pub groups: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserChangeIn,
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = ["users.approve", "users.manage", "groups.manage"])),
    responses((status = 200, body = UserOut), (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody),
        (status = 404, body = super::ErrorBody), (status = 409, body = super::ErrorBody),
        (status = 413, body = super::ErrorBody), (status = 415, body = super::ErrorBody),
        (status = 422, body = super::ErrorBody)))]
pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let id = UserId(path_id(&path)?);
    let change: UserChangeIn = body(&req, payload).await?;
    // Exists in the caller's organisation (404 otherwise), before anything.
    let before = queries::user(&api.db, &api.scope(), id).await?;
    if let Some(action) = change.action.as_deref() {
        let action = StatusAction::parse(action)
            .ok_or_else(|| ApiError::field("action", "Use approve, reject, disable or enable."))?;
        let status = StatusChange {
            action,
            reason: change.reason.clone(),
            role: None,
        };
        user_admin::change_status(&api.db, &api.actor(), id, status, &api.meta).await?;
    }
    if let Some(name) = change.role.as_deref() {
        let proof = api.require::<perm::UsersManage>()?;
        let role = role_named(&api, name)
            .await?
            .ok_or_else(|| ApiError::field("role", format!("There is no role {name:?}.")))?;
        user_admin::change_role(&api.db, &proof, id, role, &api.meta).await?;
    }
    if change.full_name.is_some() || change.phone.is_some() || change.fields.is_some() {
        let proof = api.require::<perm::UsersManage>()?;
        // The custom fields as held, with the ones sent replacing them.
        let mut fields = fields_of(&before.metadata);
        fields.extend(change.fields.unwrap_or_default());
        let form = ProfileForm {
            full_name: change.full_name.unwrap_or(before.full_name),
            phone: change.phone.unwrap_or(before.phone),
            fields: fields.into_iter().collect(),
        };
        profile::update_for(&api.db, &proof, id, &form, &api.meta).await?;
    }
    if let Some(wanted) = change.groups {
        set_groups(&api, id, &wanted).await?;
    }
    let user = queries::user(&api.db, &api.scope(), id).await?;
    Ok(json(&UserOut::from(&user)))
}
