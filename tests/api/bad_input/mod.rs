//! Bad input: missing, huge, malformed, duplicated and extra fields, forged
//! CSRF tokens, oversized bodies, and markup or SQL in every text field. None
//! of it may cause a 500, show internal text, or change what is stored.

mod body_size;
mod csrf;
mod long_fields;
mod malformed;
mod markup_and_sql;
mod missing_fields;

use std::io::{Read, Write};

use gatehouse::db;
use gatehouse::domain::{OrgStatus, RoleId, RoleRequestId, UserId, UserStatus};
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::helpers::*;

/// Words that only internal error text would contain.
const INTERNAL_TEXT: [&str; 6] = ["sqlx", "SQLITE", "panicked", "/work/", "src/", "Caused by"];

/// Markup, SQL and non-ASCII text that must be stored as typed and shown escaped.
const NASTY: [&str; 5] = [
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\"; DROP TABLE users; --",
    "&amp;",
    "Zoë 山田",
];

/// All of `NASTY` in one value (77 characters, short enough for every field).
fn all_nasty() -> String {
    NASTY.join(" ")
}

fn long_text() -> String {
    "a".repeat(10_000)
}

// ---------------------------------------------------------------------------
// Reading answers
// ---------------------------------------------------------------------------

fn assert_no_internal_text(status: StatusCode, body: &str) {
    let lower = body.to_lowercase();
    for word in INTERNAL_TEXT {
        assert!(
            !lower.contains(&word.to_lowercase()),
            "internal text {word:?} in a {status} answer:\n{body}"
        );
    }
}

/// Status and body of an answer that must be deliberate: no 5xx and no internal text.
async fn answer(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert!(!status.is_server_error(), "got {status}:\n{body}");
    assert_no_internal_text(status, &body);
    (status, body)
}

/// A form re-rendered with 200.
async fn rerendered(response: reqwest::Response) -> Html {
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::OK, "expected the form again:\n{body}");
    Html::parse_document(&body)
}

fn form_error(page: &Html) -> String {
    let message = texts(page, ".form-error")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no form message in:\n{}", page.html()));
    assert!(!message.is_empty());
    message
}

/// Follows a 303 and returns the error flash on the page it leads to.
async fn error_flash_after(app: &TestApp, response: reqwest::Response) -> String {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body) = answer(response).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "expected a redirect:\n{body}"
    );
    let location = location.expect("a Location header");
    let page = rerendered(app.get(&location).await).await;
    let message = texts(&page, ".flash.flash-error")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no error flash in:\n{}", page.html()));
    assert!(!message.is_empty());
    message
}

/// No `<script>` element anywhere in the page (the layout has none of its own).
fn assert_no_script(page: &Html) {
    let script = Selector::parse("script").unwrap();
    assert_eq!(
        page.select(&script).count(),
        0,
        "a script element in:\n{}",
        page.html()
    );
}

fn assert_some_text_contains(page: &Html, selector: &str, needle: &str) {
    let found = texts(page, selector);
    assert!(
        found.iter().any(|t| t.contains(needle)),
        "{needle:?} not in {selector}: {found:?}"
    );
}

// ---------------------------------------------------------------------------
// Sending what a browser would not
// ---------------------------------------------------------------------------

async fn post_bytes(app: &TestApp, path: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST")
}

/// `fields` (already encoded) followed by this browser's valid token.
async fn post_encoded(app: &TestApp, path: &str, fields: &str) -> reqwest::Response {
    let token = app.csrf_token().await;
    let mut body = fields.as_bytes().to_vec();
    body.extend_from_slice(format!("&csrf_token={token}").as_bytes());
    post_bytes(app, path, body).await
}

fn encode(fields: &[(&str, &str)]) -> String {
    serde_html_form::to_string(fields).expect("form")
}

// ---------------------------------------------------------------------------
// What is stored
// ---------------------------------------------------------------------------

type UserRow = (i64, String, i64, String, Option<String>, String);

/// Everything a bad request could have changed.
#[derive(Debug, PartialEq)]
struct Snapshot {
    users: Vec<UserRow>,
    sessions: i64,
    audit_log: i64,
    role_requests: Vec<(i64, String, Option<String>)>,
    roles: Vec<(i64, String, String)>,
    role_permissions: Vec<(i64, String)>,
    custom_fields: Vec<(i64, String, String)>,
    metadata: Vec<(i64, String)>,
}

async fn snapshot(app: &TestApp) -> Snapshot {
    // Raw: every stored column (password_hash too) of whole tables, so any change shows.
    let pool = &app.db.pool;
    Snapshot {
        users: sqlx::query_as(
            "SELECT id, status, role_id, password_hash, status_reason, full_name FROM users ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        sessions: app.count("sessions").await,
        // A refusal's own `security.*` row is expected; nothing else.
        audit_log: app.count_audit_except_refusals().await,
        role_requests: sqlx::query_as("SELECT id, status, note FROM role_requests ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
        roles: sqlx::query_as("SELECT id, name, description FROM roles ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
        role_permissions: sqlx::query_as(
            "SELECT role_id, permission FROM role_permissions ORDER BY role_id, permission",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        custom_fields: sqlx::query_as("SELECT id, label, choices FROM custom_fields ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
        metadata: sqlx::query_as("SELECT id, metadata FROM users ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
    }
}

async fn user(app: &TestApp, id: UserId) -> gatehouse::domain::User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::users::find(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
        id,
    )
    .await
    .unwrap()
    .expect("user")
}

async fn role_request(app: &TestApp, id: i64) -> gatehouse::domain::RoleRequest {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::role_requests::find(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
        RoleRequestId(id),
    )
    .await
    .unwrap()
    .expect("role request")
}

async fn role(app: &TestApp, id: i64) -> gatehouse::domain::Role {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::roles::find(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
        RoleId(id),
    )
    .await
    .unwrap()
    .expect("role")
}

/// The newest role request's id.
async fn latest_request(app: &TestApp) -> i64 {
    let requests = app.all_role_requests().await;
    requests
        .iter()
        .map(|r| r.id.0)
        .max()
        .expect("a role request")
}

// ---------------------------------------------------------------------------
// A populated app with a signed-in admin
// ---------------------------------------------------------------------------

struct Scene {
    app: TestApp,
    admin: TestUser,
    /// Active Engineer with an open request for PM.
    alice: TestUser,
    alice_request: i64,
    /// Pending.
    bob: TestUser,
    /// Disabled.
    carol: TestUser,
    pm: i64,
    engineer: i64,
    /// A second organisation, active.
    acme: i64,
    /// A third, disabled.
    dormant: i64,
    /// A group granting nothing, without members.
    group: i64,
    /// A custom choice field (Sales, Ops) users may edit.
    field: i64,
    /// An app open to Engineers.
    tool: i64,
    /// alice's sign-in to the tool through OpenID Connect.
    alice_grant: i64,
    /// alice's personal token, and a service token of the admin's.
    alice_token: i64,
    service_token: i64,
}

impl Scene {
    async fn new() -> Scene {
        let app = spawn_app().await;
        let admin = app.admin().await;
        let alice = app
            .create_user("alice", "Engineer", UserStatus::Active)
            .await;
        let bob = app
            .create_user("bob", "Engineer", UserStatus::Pending)
            .await;
        let carol = app
            .create_user("carol", "Engineer", UserStatus::Disabled)
            .await;
        let pm = app.role_id("PM").await;
        let engineer = app.role_id("Engineer").await;
        let staff = app.another_browser();
        staff.login_as(&alice).await;
        let response = staff
            .submit_role_request_with(&[
                ("role_id", &pm.to_string()),
                ("justification", "I plan the roadmap for my team."),
            ])
            .await;
        assert_redirect_to(&response, "/");
        let alice_request = latest_request(&app).await;
        let acme = app.create_org("acme", "Acme").await;
        let dormant = app.create_org("dormant", "Dormant").await;
        let mut conn = app.db.pool.acquire().await.unwrap();
        gatehouse::db::organisations::set_status(&mut conn, dormant, OrgStatus::Disabled)
            .await
            .unwrap();
        drop(conn);
        let group = app.create_group("Ops").await.0;
        let field = app
            .create_field("team", "choice", "Sales\nOps", (false, false, true))
            .await
            .0;
        let tool = app
            .register_app("tool", "tool.example.com", &["Engineer"], &[])
            .await
            .id
            .0;
        app.token_for("alice", &[]).await;
        app.token_for(&admin.username, &["users.read"]).await;
        let ids: Vec<(i64, String)> = sqlx::query_as("SELECT id, kind FROM api_tokens ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        let (alice_token, service_token) = (ids[0].0, ids[1].0);
        // Raw: a sign-in to the tool without the code flow, which tests/api/oidc.rs walks.
        let now = gatehouse::domain::Timestamp::now().0;
        let alice_grant: i64 = sqlx::query_scalar(
            "INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
             auth_time, created_at, expires_at) VALUES (1, $1, $2, 'scene-code', 'openid', $3, $3, $4) \
             RETURNING id",
        )
        .bind(tool)
        .bind(alice.id.0)
        .bind(now)
        .bind(now + 86_400_000)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        app.login_as(&admin).await;
        Scene {
            app,
            admin,
            alice,
            alice_request,
            bob,
            carol,
            pm,
            engineer,
            acme: acme.0,
            dormant: dormant.0,
            group,
            field,
            tool,
            alice_grant,
            alice_token,
            service_token,
        }
    }

    /// A browser signed in as alice (Active, with an open request).
    async fn alice_browser(&self) -> TestApp {
        let browser = self.app.another_browser();
        browser.login_as(&self.alice).await;
        browser
    }
}
