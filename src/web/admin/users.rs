//! Admin: the user list, one user's page, and lifecycle actions.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::user_filter::{ListParams, ListQuery};
use super::{Pager, outcome};
use crate::db::{Db, Scope};
use crate::domain::audit_chain::AuditRecord;
use crate::domain::user_list::ListedUser;
use crate::domain::{
    Group, Page, Permission, PermissionSource, Role, RoleId, RoleRequest, StatusAction, Timestamp,
    User, UserId, UserStatus, Writer,
};
use crate::services::auth_settings::AuthSettings;
use crate::services::fields::FieldCopies;
use crate::services::login::LockoutStatus;
use crate::services::queries::{self, PAGE_SIZE};
use crate::services::user_admin::{self, StatusChange};
use crate::services::user_page;
use crate::web::auth::safe_next;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::custom_fields::{self, Values};
use crate::web::error::AppError;
use crate::web::extractors::{PermissionMarker, Require, perm};
use crate::web::forms::{FormErrors, parse_id};
use crate::web::layout::{Layout, overview};
use crate::web::render;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<ListedUser>,
    counts: Vec<(UserStatus, u64)>,
    roles: Vec<(RoleId, String)>,
    /// The search, filters and order, as read from the query string.
    params: ListParams,
    /// This list as CSV.
    export: String,
    pager: Pager,
    can_approve: bool,
    can_manage: bool,
    back: String,
    /// Reviewers approve only confirmed addresses.
    verified_only: bool,
}

pub async fn list(
    ctx: Ctx<Require<perm::UsersRead>>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let fields = field_copies(ctx.request())?
        .get(&ctx.db, &ctx.scope())
        .await?;
    let params = ListParams::parse(&query, &fields);
    let page = Page::parse(Some(&query.page), PAGE_SIZE);
    let overview = overview(ctx.request(), ctx.user()).await?;
    let (users, matches) =
        queries::list_users(&ctx.db, &ctx.scope(), &params.filter, page, &overview).await?;
    let base = params.url("/admin/users", &[]);
    let pager = Pager::open_ended(&base, page.number, matches.counted, matches.more, PAGE_SIZE);
    let back = params.url("/admin/users", &[("page", &page.number.to_string())]);
    let can_approve = ctx.user().permissions.contains(Permission::UsersApprove);
    let verified_only = can_approve && needs_verified(ctx.request(), &ctx.db, &ctx.scope()).await?;
    Ok(render(UsersPage {
        layout: ctx.layout_with(&overview).await?,
        can_approve,
        verified_only,
        can_manage: ctx.user().permissions.contains(Permission::UsersManage),
        users,
        counts: overview.by_status.clone(),
        roles: overview.role_names.clone(),
        export: params.url("/admin/users.csv", &[]),
        params,
        pager,
        back,
    }))
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    account: User,
    requests: Vec<RoleRequest>,
    history: Vec<AuditRecord>,
    roles: Vec<Role>,
    is_self: bool,
    can_approve: bool,
    can_manage: bool,
    /// Mail is on: the reset link is mailed rather than shown.
    mail: bool,
    /// Reviewers approve only confirmed addresses.
    verified_only: bool,
    lockout: LockoutStatus,
    sessions: Vec<crate::services::sessions::SessionView>,
    /// The apps the user is signed in to through OpenID Connect.
    app_sign_ins: Vec<crate::services::oidc::grants::AppSignIn>,
    revoke_base: String,
    /// The user's groups, and where each of their permissions comes from.
    groups: Vec<Group>,
    sources: Vec<PermissionSource>,
    /// The groups the user could join, for those who manage groups.
    joinable: Vec<Group>,
    can_manage_groups: bool,
    /// The end of a deleted user's retention period.
    restorable_until: Timestamp,
    /// When the user's newest live session began.
    session_started: Option<Timestamp>,
    /// The custom fields with a value, as (label, value).
    custom_values: Vec<(String, String)>,
    /// The custom field inputs of the administrator's profile form.
    custom: Vec<crate::web::custom_fields::FieldInput>,
}

pub async fn detail(
    ctx: Ctx<Require<perm::UsersRead>>,
    auth: web::Data<AuthSettings>,
    config: web::Data<crate::web::state::AppConfig>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let context = user_page::Context {
        auth: &auth,
        limits: config.session_limits,
        request: &ctx.meta,
    };
    let id = UserId(path.into_inner());
    let data = user_page::load(&ctx.db, &ctx.scope(), id, context).await?;
    let restorable_until = Timestamp(
        data.user.deletion.as_ref().map_or(0, |d| d.at.0)
            + i64::from(config.deleted_retention_days) * 86_400_000,
    );
    let user = ctx.user();
    let can_manage_groups = user.permissions.contains(Permission::GroupsManage);
    let session_started = data.sessions.iter().map(|s| s.created_at).max();
    let app_sign_ins = crate::services::oidc::grants::live(&ctx.db, &ctx.scope(), id).await?;
    let custom = custom_fields::inputs(
        &data.fields,
        Values::Stored(&data.metadata),
        &FormErrors::default(),
        Writer::Administrator,
    );
    Ok(render(UserPage {
        layout: ctx.layout().await?,
        session_started,
        custom_values: custom_fields::shown(&data.fields, &data.metadata),
        custom,
        is_self: data.user.id == user.id,
        can_approve: user.permissions.contains(Permission::UsersApprove),
        can_manage: user.permissions.contains(Permission::UsersManage),
        mail: ctx.db.mail().enabled,
        verified_only: needs_verified(ctx.request(), &ctx.db, &ctx.scope()).await?,
        account: data.user,
        requests: data.requests,
        history: data.history,
        roles: data.roles,
        lockout: data.lockout,
        sessions: data.sessions,
        app_sign_ins,
        revoke_base: format!("/admin/users/{id}/apps"),
        groups: data.groups,
        sources: data.sources,
        joinable: match can_manage_groups {
            true => data.joinable,
            false => Vec::new(),
        },
        can_manage_groups,
        restorable_until,
    }))
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    back: String,
}

fn back_to(form_back: &str, id: i64) -> String {
    match safe_next(form_back) {
        "/" => format!("/admin/users/{id}"),
        other => other.to_owned(),
    }
}

async fn status_action<P: PermissionMarker>(
    ctx: Ctx<Require<P>>,
    id: i64,
    form: ActionForm,
    action: StatusAction,
) -> Result<HttpResponse, AppError> {
    let change = StatusChange {
        action,
        reason: Some(form.reason),
        role: parse_id(&form.role_id).map(RoleId),
    };
    let result =
        user_admin::change_status(&ctx.db, &ctx.actor(), UserId(id), change, &ctx.meta).await;
    outcome(&back_to(&form.back, id), result, |user| {
        format!("{} has been {}.", user.username, action.past_tense())
    })
}

macro_rules! status_handler {
    ($name:ident, $perm:ty, $action:expr) => {
        pub async fn $name(
            ctx: Ctx<Require<$perm>>,
            path: web::Path<i64>,
            form: CsrfForm<ActionForm>,
        ) -> Result<HttpResponse, AppError> {
            status_action(ctx, path.into_inner(), form.into_inner(), $action).await
        }
    };
}

status_handler!(approve, perm::UsersApprove, StatusAction::Approve);
status_handler!(reject, perm::UsersApprove, StatusAction::Reject);
status_handler!(disable, perm::UsersManage, StatusAction::Disable);
status_handler!(enable, perm::UsersManage, StatusAction::Enable);

pub async fn change_role(
    ctx: Ctx<Require<perm::UsersManage>>,
    path: web::Path<i64>,
    form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let back = back_to(&form.back, id);
    let Some(role) = parse_id(&form.role_id).map(RoleId) else {
        return outcome::<()>(
            &back,
            Err(crate::services::ServiceError::Conflict(
                "Choose a role.".into(),
            )),
            |_| String::new(),
        );
    };
    let result =
        user_admin::change_role(&ctx.db, ctx.authorized(), UserId(id), role, &ctx.meta).await;
    outcome(&back, result, |(user, role)| {
        format!("{} now has the role {role}.", user.username)
    })
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

pub async fn bulk(
    ctx: Ctx<Require<perm::UsersApprove>>,
    form: CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let back = match safe_next(&form.back) {
        "/" => "/admin/users".to_owned(),
        other => other.to_owned(),
    };
    let action = StatusAction::parse(&form.action).filter(|a| *a != StatusAction::Enable);
    let Some(action) = action else {
        return outcome::<()>(
            &back,
            Err(crate::services::ServiceError::Conflict(
                "Choose approve, reject or disable.".into(),
            )),
            |_| String::new(),
        );
    };
    let ids: Vec<UserId> = form
        .ids
        .iter()
        .filter_map(|raw| parse_id(raw))
        .map(UserId)
        .collect();
    let change = StatusChange {
        action,
        reason: Some(form.reason),
        role: None,
    };
    let result =
        user_admin::change_status_bulk(&ctx.db, &ctx.actor(), &ids, change, &ctx.meta).await;
    outcome(&back, result, |users| {
        let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        let noun = if users.len() == 1 { "user" } else { "users" };
        format!(
            "{} {noun} {}: {}.",
            users.len(),
            action.past_tense(),
            names.join(", ")
        )
    })
}

/// Whether the organisation's reviewers approve only confirmed addresses.
async fn needs_verified(ctx: &HttpRequest, db: &Db, scope: &Scope) -> Result<bool, AppError> {
    let directory = crate::web::page_org::directory(ctx)?;
    Ok(crate::services::email_verification::approval_needs_verified(db, directory, scope).await?)
}

fn field_copies(req: &HttpRequest) -> Result<&FieldCopies, AppError> {
    Ok(req
        .app_data::<web::Data<FieldCopies>>()
        .ok_or_else(|| anyhow::anyhow!("field copies missing from app data"))?)
}
