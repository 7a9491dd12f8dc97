//! What every page needs: the signed-in user for the navigation, the flash
//! message, and the CSRF token for its forms.

use actix_web::{HttpMessage, HttpRequest};

use super::flash::{Flash, IncomingFlash};
use crate::auth::csrf::CsrfToken;
use crate::db::Conn;
use crate::db::users::AuthUser;
use crate::domain::{Permission, UserStatus};
use crate::services::{RequestMeta, ServiceError, queries};

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
    /// Pending accounts, shown next to "Users" for those who may approve
    /// them; `None` when there is nothing to show.
    pub pending_users: Option<u64>,
    /// Open role requests, shown next to "Role requests" for reviewers.
    pub open_requests: Option<u64>,
}

/// The queue sizes behind the reviewers' navigation badges. The user
/// extractor loads them (it already holds a connection) and leaves them in
/// the request's extensions, so building a layout stays synchronous.
#[derive(Debug, Clone, Copy)]
pub struct QueueCounts {
    pub pending_users: u64,
    pub open_requests: u64,
}

/// Whether this user's navigation can show a queue badge (see `for_user`).
fn reviews_a_queue(user: &AuthUser) -> bool {
    let has = |p| user.permissions.contains(p);
    user.status == UserStatus::Active
        && ((has(Permission::UsersRead) && has(Permission::UsersApprove))
            || has(Permission::RoleRequestsReview))
}

/// Loads the queue counts for the navigation when the request will render a
/// page (GET) for a reviewer; everyone else costs no query.
pub async fn load_queue_counts(
    req: &HttpRequest,
    conn: &mut Conn,
    user: &AuthUser,
) -> Result<(), ServiceError> {
    if req.method() != actix_web::http::Method::GET || !reviews_a_queue(user) {
        return Ok(());
    }
    let (pending_users, open_requests) = queries::queue_counts(conn).await?;
    req.extensions_mut().insert(QueueCounts {
        pending_users,
        open_requests,
    });
    Ok(())
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

    pub fn for_user(req: &HttpRequest, user: &AuthUser) -> Layout {
        let can = |p| user.status == UserStatus::Active && user.permissions.contains(p);
        let counts = req.extensions().get::<QueueCounts>().copied();
        let badge = |allowed: bool, n: Option<u64>| n.filter(|&n| allowed && n > 0);
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
                pending_users: badge(
                    can(Permission::UsersRead) && can(Permission::UsersApprove),
                    counts.map(|c| c.pending_users),
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

/// The client's address (behind a trusted proxy, the client it names) and
/// browser, for audit rows.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    RequestMeta {
        ip: super::client_ip::client_ip(req).map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            // Bytes beyond ASCII are kept (lossily) rather than dropping the
            // whole header; the audit log strips control characters.
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        session: crate::auth::session_store::current_session_id(req),
    }
}
