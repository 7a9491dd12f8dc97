//! The API's access matrix: every `/api/v1/` route in
//! `gatehouse::routes::ROUTES` × tokens holding no scope or exactly one,
//! asserting that only the scope the route needs lets it through (403
//! `missing_scope` otherwise) and that no answer is a 5xx. `SCOPES` is
//! written out here, independent of the handlers; a route without an entry
//! fails the suite.

use gatehouse::domain::{Permission, UserStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

/// What each API route needs: `None` for any working token (or none at
/// all, for the document).
const SCOPES: &[(&str, &str, Option<&str>)] = &[
    ("get", "/api/v1/openapi.json", None),
    ("get", "/api/v1/me", None),
    ("get", "/api/v1/users", Some("users.read")),
    ("post", "/api/v1/users", Some("users.manage")),
    ("get", "/api/v1/users/{id}", Some("users.read")),
    ("patch", "/api/v1/users/{id}", Some("users.manage")),
    ("get", "/api/v1/roles", Some("users.read")),
    ("get", "/api/v1/groups", Some("users.read")),
    ("get", "/api/v1/apps", Some("apps.manage")),
    ("get", "/api/v1/role-requests", Some("role_requests.review")),
    (
        "post",
        "/api/v1/role-requests/{id}/approve",
        Some("role_requests.review"),
    ),
    (
        "post",
        "/api/v1/role-requests/{id}/deny",
        Some("role_requests.review"),
    ),
    ("get", "/api/v1/audit", Some("audit.read")),
];

#[tokio::test]
async fn every_api_route_lets_through_exactly_the_tokens_holding_its_scope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let target = app
        .create_user("target", "Engineer", UserStatus::Pending)
        .await;
    let (asker, browser) = signed_in(&app, "asker", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();
    browser
        .submit_role_request(&pm, "I plan the releases.")
        .await;
    let request = app.open_role_request(asker.id).await.unwrap();
    let mut tokens = vec![(
        "no scope".to_owned(),
        app.token_for(&admin.username, &[]).await,
    )];
    for permission in Permission::ALL {
        let token = app.token_for(&admin.username, &[permission.as_str()]).await;
        tokens.push((permission.as_str().to_owned(), token));
    }

    let mut failures = Vec::new();
    for (method, route) in gatehouse::routes::ROUTES {
        if !route.starts_with("/api/") {
            continue;
        }
        let Some(&(_, _, needs)) = SCOPES.iter().find(|(m, r, _)| m == method && r == route) else {
            failures.push(format!("{method} {route} is missing from SCOPES"));
            continue;
        };
        let path = route
            .replace("/users/{id}", &format!("/users/{}", target.id))
            .replace("{id}", &request.to_string());
        for (label, token) in &tokens {
            let (verb, body) = match *method {
                "get" => (Method::GET, None),
                "patch" => (Method::PATCH, Some(json!({"full_name": "Target Renamed"}))),
                // A body that fails validation: the scope is checked first,
                // and nothing is written by either answer.
                _ if route.ends_with("/deny") => (Method::POST, Some(json!({"note": ""}))),
                _ if route.ends_with("/approve") => {
                    (Method::POST, Some(json!({"note": "x".repeat(3000)})))
                }
                _ => (Method::POST, Some(json!({"username": "x"}))),
            };
            let status = app.api(verb, &path, Some(token), body).await.status();
            let holds = needs.is_none_or(|scope| scope == label);
            let ok = match holds {
                true => status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                false => status == StatusCode::FORBIDDEN,
            };
            if !ok || status.is_server_error() {
                failures.push(format!(
                    "{} {path} with a token holding {label}: got {status}",
                    method.to_uppercase()
                ));
            }
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.open_role_request(asker.id).await, Some(request));
}
