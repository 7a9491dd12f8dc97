//! Administration: the user list and user page, lifecycle actions (one and in
//! bulk), the last-administrator and self-change rules, the role-request queue,
//! roles and their live permissions, and the append-only audit log. One module
//! per page or feature; what several of them read or arrange is here.

mod audit;
mod bulk;
mod deletion;
mod fields;
mod groups;
mod invitations;
mod last_admin;
mod lifecycle;
mod role_requests;
mod roles;
mod settings;
mod user_list;
mod user_page;
mod user_search;

use std::time::Duration;

use gatehouse::db::Backend;
use gatehouse::db::seed::SeedUser;
use gatehouse::domain::{Timestamp, UserId, UserStatus};
use gatehouse::services::search_index::compact;
use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

const ALL_PERMISSIONS: [&str; 6] = [
    "users.read",
    "users.approve",
    "users.manage",
    "role_requests.review",
    "roles.manage",
    "audit.read",
];

fn success(page: &Html) -> Option<String> {
    texts(page, ".flash-success").into_iter().next()
}

fn error(page: &Html) -> Option<String> {
    texts(page, ".flash-error").into_iter().next()
}

/// Audit table rows as lists of cell texts.
fn audit_rows(page: &Html) -> Vec<Vec<String>> {
    let row = scraper::Selector::parse("table.audit tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    page.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

/// Creates a role through the roles page (the signed-in `app` needs roles.manage).
async fn create_role(app: &TestApp, name: &str, permissions: &[&str]) -> i64 {
    let mut fields = vec![("name", name), ("description", "made by a test")];
    fields.extend(permissions.iter().map(|p| ("permissions", *p)));
    let page = app.follow(app.create_role_with(&fields).await).await;
    assert_eq!(
        success(&page),
        Some(format!("The role {name} has been created.")),
        "{:?}",
        error(&page)
    );
    app.role_id(name).await
}

async fn set_role_permissions(app: &TestApp, role: i64, permissions: &[&str]) -> Html {
    let fields: Vec<(&str, &str)> = permissions.iter().map(|p| ("permissions", *p)).collect();
    app.follow(app.update_role(role, &fields).await).await
}

/// Whether the roles page shows `permission` ticked for `role`.
fn granted(page: &Html, role: i64, permission: &str) -> bool {
    first_attr(
        page,
        &format!("input[id='perm-{role}-{permission}']"),
        "checked",
    )
    .is_some()
}

/// Asks for `role` from `browser`, which must be signed in.
async fn request_role(browser: &TestApp, role: i64) {
    let response = browser
        .submit_role_request(&role.to_string(), "I need this role for my daily work.")
        .await;
    assert_redirect_to(&response, "/");
}

async fn open_request_id(app: &TestApp, user: UserId) -> i64 {
    app.open_role_request(user).await.expect("an open request")
}

async fn request_status(app: &TestApp, id: i64) -> String {
    app.role_request(id).await.status.as_str().to_owned()
}
