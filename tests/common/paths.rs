//! The paths of the routes that carry an id, each written once. Tests that
//! post to one of them go through the endpoint's helper on `TestApp`; these
//! are for the places that need the path itself (a redirect's target, a
//! table of routes).

use std::fmt::Display;

pub fn user(id: impl Display) -> String {
    format!("/admin/users/{id}")
}

/// `/admin/users/{id}/{action}`: approve, reject, disable, enable, role,
/// unlock or sessions/revoke.
pub fn user_action(id: impl Display, action: &str) -> String {
    format!("/admin/users/{id}/{action}")
}

pub fn approve_user(id: impl Display) -> String {
    user_action(id, "approve")
}

pub fn reject_user(id: impl Display) -> String {
    user_action(id, "reject")
}

pub fn disable_user(id: impl Display) -> String {
    user_action(id, "disable")
}

pub fn enable_user(id: impl Display) -> String {
    user_action(id, "enable")
}

pub fn delete_user(id: impl Display) -> String {
    user_action(id, "delete")
}

pub fn restore_user(id: impl Display) -> String {
    user_action(id, "restore")
}

pub fn change_role(id: impl Display) -> String {
    user_action(id, "role")
}

pub fn unlock_user(id: impl Display) -> String {
    user_action(id, "unlock")
}

pub fn revoke_user_sessions(id: impl Display) -> String {
    user_action(id, "sessions/revoke")
}

/// The user list with `query` (without its `?`).
pub fn users(query: &str) -> String {
    format!("/admin/users?{query}")
}

pub fn approve_role_request(id: impl Display) -> String {
    format!("/admin/role-requests/{id}/approve")
}

pub fn deny_role_request(id: impl Display) -> String {
    format!("/admin/role-requests/{id}/deny")
}

pub fn withdraw_role_request(id: impl Display) -> String {
    format!("/account/role-request/{id}/withdraw")
}

pub fn role(id: impl Display) -> String {
    format!("/admin/roles/{id}")
}

pub fn revoke_session(public_id: impl Display) -> String {
    format!("/account/sessions/{public_id}/revoke")
}

/// The audit export with `query` (with its `?`, or empty).
pub fn audit_csv(query: &str) -> String {
    format!("/admin/audit.csv{query}")
}

/// The sign-in page with `next` (already encoded).
pub fn login_next(next: &str) -> String {
    format!("/login?next={next}")
}
