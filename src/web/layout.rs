//! What every page needs: the signed-in user for the navigation, the flash
//! message, and the CSRF token for its forms.

use actix_web::{HttpMessage, HttpRequest};

use super::flash::{Flash, IncomingFlash};
use crate::auth::csrf::CsrfToken;
use crate::db::users::AuthUser;
use crate::domain::{Permission, UserStatus};
use crate::services::RequestMeta;

/// The navigation's view of the signed-in user: only links they may open.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub username: String,
    pub full_name: String,
    pub role_name: String,
    pub status: UserStatus,
    pub active: bool,
    pub can_see_users: bool,
    pub can_review_requests: bool,
    pub can_manage_roles: bool,
    pub can_read_audit: bool,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub user: Option<NavUser>,
    pub flash: Option<Flash>,
    pub csrf_token: String,
}

impl Layout {
    /// For pages rendered without a request (error pages).
    pub fn bare() -> Layout {
        Layout {
            user: None,
            flash: None,
            csrf_token: String::new(),
        }
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
        }
    }

    pub fn for_user(req: &HttpRequest, user: &AuthUser) -> Layout {
        let can = |p| user.status == UserStatus::Active && user.permissions.contains(p);
        Layout {
            user: Some(NavUser {
                username: user.username.clone(),
                full_name: user.full_name.clone(),
                role_name: user.role_name.clone(),
                status: user.status,
                active: user.status == UserStatus::Active,
                can_see_users: can(Permission::UsersRead),
                can_review_requests: can(Permission::RoleRequestsReview),
                can_manage_roles: can(Permission::RolesManage),
                can_read_audit: can(Permission::AuditRead),
            }),
            ..Layout::anonymous(req)
        }
    }
}

/// The client's address and browser, for audit rows.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    RequestMeta {
        ip: req.peer_addr().map(|addr| addr.ip().to_string()),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}
