//! What every page needs: the signed-in user for the navigation, the flash
//! message, and the CSRF token for its forms.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest, web};

use super::extensions::IncomingFlash;
use super::flash::Flash;
use crate::db::Db;
use crate::domain::AuthUser;
use crate::domain::{Permission, UserStatus};
use crate::services::ServiceError;
use crate::services::overview::{Overview, OverviewCache};
use crate::web::extensions::CsrfToken;

/// The navigation's view of the signed-in user: only links they may open.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub username: String,
    pub full_name: String,
    pub role_name: String,
    pub status: UserStatus,
    pub active: bool,
    /// Notices not read yet, shown next to "Notifications".
    pub unread_notices: i64,
    pub can_see_users: bool,
    pub can_review_requests: bool,
    pub can_manage_roles: bool,
    pub can_read_audit: bool,
    pub can_manage_groups: bool,
    pub can_manage_fields: bool,
    pub can_manage_apps: bool,
    pub can_manage_tokens: bool,
    pub can_read_mail: bool,
    pub can_change_settings: bool,
    pub can_manage_organisations: bool,
    /// Pending accounts, shown next to "Users" for those who may approve
    /// them; `None` when there is nothing to show.
    pub pending_users: Option<u64>,
    /// Open role requests, shown next to "Role requests" for reviewers.
    pub open_requests: Option<u64>,
}

/// Whether this user's navigation can show a queue badge (see `for_user`).
fn reviews_a_queue(user: &AuthUser) -> bool {
    let has = |p| user.permissions.contains(p);
    user.status == UserStatus::Active
        && ((has(Permission::UsersRead) && has(Permission::UsersApprove))
            || has(Permission::RoleRequestsReview))
}

/// The instance's copy of the figures behind badges and filters, for
/// `user`'s organisation.
pub async fn overview(req: &HttpRequest, user: &AuthUser) -> Result<Arc<Overview>, ServiceError> {
    let missing = || anyhow::anyhow!("database or overview missing from app data");
    let db = req.app_data::<web::Data<Db>>().ok_or_else(missing)?;
    let cache = req
        .app_data::<web::Data<OverviewCache>>()
        .ok_or_else(missing)?;
    cache.get(db, &user.scope()).await
}

/// The user's unread notices: one indexed count per page.
async fn unread_notices(req: &HttpRequest, user: &AuthUser) -> Result<i64, ServiceError> {
    let db = req
        .app_data::<web::Data<Db>>()
        .ok_or_else(|| anyhow::anyhow!("database missing from app data"))?;
    crate::services::notifications::unread(db, &user.scope(), user.id).await
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub user: Option<NavUser>,
    pub flash: Option<Flash>,
    pub csrf_token: String,
    /// The request path, to mark the navigation entry of the current section.
    pub path: String,
}

impl Layout {
    /// For pages rendered without a request (error pages).
    pub fn bare() -> Layout {
        Layout {
            user: None,
            flash: None,
            csrf_token: String::new(),
            path: String::new(),
        }
    }

    /// Whether the page belongs to the navigation entry `href`: the page
    /// itself or, for sections, a page under it (`/admin/users/7`).
    pub fn in_section(&self, href: &str) -> bool {
        self.path == href || (href != "/" && self.path.starts_with(&format!("{href}/")))
    }

    pub fn anonymous(req: &HttpRequest) -> Layout {
        let extensions = req.extensions();
        Layout {
            user: None,
            flash: extensions.get::<IncomingFlash>().and_then(|f| f.0.clone()),
            csrf_token: extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            path: req.path().to_owned(),
        }
    }

    /// The layout of a signed-in user's page; reviewers' badges cost no
    /// query while the instance's overview is fresh.
    pub async fn for_user(req: &HttpRequest, user: &AuthUser) -> Result<Layout, ServiceError> {
        let counts = match reviews_a_queue(user) {
            true => Some(overview(req, user).await?),
            false => None,
        };
        let unread = unread_notices(req, user).await?;
        Ok(Layout::with_counts(req, user, counts.as_deref(), unread))
    }

    /// `for_user` on a page that has read the overview already.
    pub async fn with_overview(
        req: &HttpRequest,
        user: &AuthUser,
        overview: &Overview,
    ) -> Result<Layout, ServiceError> {
        let unread = unread_notices(req, user).await?;
        Ok(Layout::with_counts(
            req,
            user,
            reviews_a_queue(user).then_some(overview),
            unread,
        ))
    }

    fn with_counts(
        req: &HttpRequest,
        user: &AuthUser,
        counts: Option<&Overview>,
        unread_notices: i64,
    ) -> Layout {
        let can = |p| user.status == UserStatus::Active && user.permissions.contains(p);
        let badge = |allowed: bool, n: Option<u64>| n.filter(|&n| allowed && n > 0);
        Layout {
            user: Some(NavUser {
                username: user.username.clone(),
                full_name: user.full_name.clone(),
                role_name: user.role_name.clone(),
                status: user.status,
                active: user.status == UserStatus::Active,
                unread_notices,
                can_see_users: can(Permission::UsersRead),
                can_review_requests: can(Permission::RoleRequestsReview),
                can_manage_roles: can(Permission::RolesManage),
                can_read_audit: can(Permission::AuditRead),
                can_manage_groups: can(Permission::GroupsManage),
                can_manage_fields: can(Permission::FieldsManage),
                can_manage_apps: can(Permission::AppsManage),
                can_manage_tokens: can(Permission::TokensManage),
                can_read_mail: can(Permission::MailRead),
                can_change_settings: can(Permission::UsersManage),
                can_manage_organisations: can(Permission::OrganisationsManage),
                pending_users: badge(
                    can(Permission::UsersRead) && can(Permission::UsersApprove),
                    counts.map(|c| c.count(UserStatus::Pending)),
                ),
                open_requests: badge(
                    can(Permission::RoleRequestsReview),
                    counts.map(|c| c.open_requests),
                ),
            }),
            ..Layout::anonymous(req)
        }
    }
}
