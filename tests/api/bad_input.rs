//! Bad input: missing, huge, malformed, duplicated and extra fields, forged
//! CSRF tokens, oversized bodies, and markup or SQL in every text field. None
//! of it may cause a 500, show internal text, or change what is stored.

use std::io::{Read, Write};

use gatehouse::db;
use gatehouse::domain::{RoleId, RoleRequestId, UserId, UserStatus};
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

/// The field message under `field`, which must be there and say something.
fn field_error(page: &Html, field: &str) -> String {
    let message = texts(page, &format!("#{field}-error"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no message for {field} in:\n{}", page.html()));
    assert!(!message.is_empty(), "an empty message for {field}");
    message
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
}

async fn snapshot(app: &TestApp) -> Snapshot {
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
    }
}

async fn user(app: &TestApp, id: UserId) -> db::users::User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::users::find(&mut conn, id).await.unwrap().expect("user")
}

async fn role_request(app: &TestApp, id: i64) -> db::role_requests::RoleRequest {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::role_requests::find(&mut conn, RoleRequestId(id))
        .await
        .unwrap()
        .expect("role request")
}

async fn role(app: &TestApp, id: i64) -> db::roles::Role {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::roles::find(&mut conn, RoleId(id))
        .await
        .unwrap()
        .expect("role")
}

/// The newest role request's id.
async fn latest_request(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT MAX(id) FROM role_requests")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
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
            .post_form(
                "/account/role-request",
                &[
                    ("role_id", &pm.to_string()),
                    ("justification", "I plan the roadmap for my team."),
                ],
            )
            .await;
        assert_redirect_to(&response, "/");
        let alice_request = latest_request(&app).await;
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
        }
    }

    /// A browser signed in as alice (Active, with an open request).
    async fn alice_browser(&self) -> TestApp {
        let browser = self.app.another_browser();
        browser.login_as(&self.alice).await;
        browser
    }
}

// ---------------------------------------------------------------------------
// Missing fields
// ---------------------------------------------------------------------------

#[tokio::test]
async fn registering_with_no_fields_marks_each_field_and_stores_nothing() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let page = rerendered(app.post_form("/register", &[]).await).await;

    form_error(&page);
    for field in ["username", "email", "full_name", "password"] {
        field_error(&page, field);
    }
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn signing_in_with_a_missing_field_asks_for_both_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let before = snapshot(&app).await;

    for fields in [
        vec![],
        vec![("login", "alice")],
        vec![("password", PASSWORD)],
    ] {
        let page = rerendered(app.post_form("/login", &fields).await).await;
        assert_eq!(
            form_error(&page),
            "Enter your username or email and your password."
        );
    }

    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn changing_the_password_with_no_fields_marks_the_fields_and_keeps_the_password() {
    let scene = Scene::new().await;
    let alice = scene.alice_browser().await;
    let before = snapshot(&scene.app).await;

    let page = rerendered(alice.post_form("/account/password", &[]).await).await;

    form_error(&page);
    field_error(&page, "current_password");
    field_error(&page, "new_password");
    assert_eq!(snapshot(&scene.app).await, before);
}

#[tokio::test]
async fn a_role_request_with_a_missing_field_marks_it_and_opens_nothing() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let before = snapshot(&app).await;

    let page = rerendered(app.post_form("/account/role-request", &[]).await).await;
    form_error(&page);
    field_error(&page, "role_id");

    let page = rerendered(
        app.post_form("/account/role-request", &[("role_id", &pm)])
            .await,
    )
    .await;
    form_error(&page);
    field_error(&page, "justification");

    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn admin_actions_without_their_reason_or_choice_go_back_with_an_error_and_change_nothing() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let (alice, bob) = (scene.alice.id, scene.bob.id);
    let before = snapshot(app).await;

    // Path, fields, and what the error flash must say.
    type Case<'a> = (String, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("/admin/users/{bob}/reject"),
            vec![],
            "Please give a reason.",
        ),
        (
            format!("/admin/users/{alice}/disable"),
            vec![],
            "Please give a reason.",
        ),
        (
            format!("/admin/users/{alice}/role"),
            vec![],
            "Choose a role.",
        ),
        (
            "/admin/users/bulk".into(),
            vec![("ids", bob.to_string())],
            "Choose approve, reject or disable.",
        ),
        (
            "/admin/users/bulk".into(),
            vec![("action", "approve".into())],
            "Select at least one user.",
        ),
        (
            "/admin/users/bulk".into(),
            vec![("action", "reject".into()), ("ids", bob.to_string())],
            "Please give a reason.",
        ),
        (
            format!("/admin/role-requests/{}/deny", scene.alice_request),
            vec![],
            "Please give a reason.",
        ),
        ("/admin/roles".into(), vec![], "Role name"),
    ];
    for (path, fields, expected) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let message = error_flash_after(app, app.post_form(&path, &fields).await).await;
        assert!(
            message.contains(expected),
            "POST {path}: {message:?} does not say {expected:?}"
        );
        assert_eq!(snapshot(app).await, before, "POST {path} changed something");
    }
}

// ---------------------------------------------------------------------------
// 10,000 characters
// ---------------------------------------------------------------------------

#[tokio::test]
async fn ten_thousand_characters_in_any_registration_field_get_a_field_message_and_store_nothing() {
    let app = spawn_app().await;
    let long = long_text();
    let before = snapshot(&app).await;

    for field in [
        "username",
        "email",
        "full_name",
        "password",
        "password_confirm",
    ] {
        let mut fields = vec![
            ("username", "newbie"),
            ("email", "newbie@example.com"),
            ("full_name", "New Bie"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        if field == "password" {
            fields.retain(|(k, _)| *k != "password_confirm");
            fields.push(("password_confirm", &long));
        }
        fields.retain(|(k, _)| *k != field);
        fields.push((field, &long));

        let page = rerendered(app.post_form("/register", &fields).await).await;

        form_error(&page);
        field_error(&page, field);
        assert_eq!(snapshot(&app).await, before, "10,000 characters in {field}");
    }
}

#[tokio::test]
async fn ten_thousand_characters_at_sign_in_get_the_generic_message_and_no_session() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let long = long_text();

    for fields in [
        [("login", long.as_str()), ("password", PASSWORD)],
        [("login", "alice"), ("password", long.as_str())],
    ] {
        let page = rerendered(app.post_form("/login", &fields).await).await;
        assert!(!form_error(&page).is_empty());
    }

    assert_eq!(app.count("sessions").await, 0);
    let longest: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(LENGTH(COALESCE(target_label, '') || COALESCE(reason, '') || COALESCE(before_value, '') || COALESCE(after_value, ''))) FROM audit_log",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        longest.unwrap_or(0) < 1_000,
        "the long login was stored in the audit log"
    );
}

#[tokio::test]
async fn ten_thousand_characters_in_the_password_form_get_a_field_message_and_keep_the_password() {
    let scene = Scene::new().await;
    let alice = scene.alice_browser().await;
    let long = long_text();
    let new = "a-brand-new-passphrase-42";
    let before = snapshot(&scene.app).await;

    for (field, fields) in [
        (
            "current_password",
            [
                ("current_password", long.as_str()),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        ),
        (
            "new_password",
            [
                ("current_password", PASSWORD),
                ("new_password", long.as_str()),
                ("new_password_confirm", long.as_str()),
            ],
        ),
        (
            "new_password_confirm",
            [
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_confirm", long.as_str()),
            ],
        ),
    ] {
        let page = rerendered(alice.post_form("/account/password", &fields).await).await;
        form_error(&page);
        field_error(&page, field);
        assert_eq!(
            snapshot(&scene.app).await,
            before,
            "10,000 characters in {field}"
        );
    }
}

#[tokio::test]
async fn ten_thousand_characters_in_a_role_request_get_a_field_message_and_open_nothing() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let long = long_text();
    let digits = "7".repeat(10_000);
    let before = snapshot(&app).await;

    for (field, fields) in [
        (
            "justification",
            [("role_id", pm.as_str()), ("justification", long.as_str())],
        ),
        (
            "role_id",
            [
                ("role_id", digits.as_str()),
                ("justification", "I plan the roadmap for my team."),
            ],
        ),
    ] {
        let page = rerendered(app.post_form("/account/role-request", &fields).await).await;
        form_error(&page);
        field_error(&page, field);
        assert_eq!(snapshot(&app).await, before, "10,000 characters in {field}");
    }
}

#[tokio::test]
async fn ten_thousand_character_reasons_and_notes_go_back_with_an_error_and_change_nothing() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let (alice, bob, carol) = (scene.alice.id, scene.bob.id, scene.carol.id);
    let long = long_text();
    let request = scene.alice_request;
    let before = snapshot(app).await;

    let cases: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/admin/users/{bob}/approve"),
            vec![("reason", long.clone())],
        ),
        (
            format!("/admin/users/{bob}/reject"),
            vec![("reason", long.clone())],
        ),
        (
            format!("/admin/users/{alice}/disable"),
            vec![("reason", long.clone())],
        ),
        (
            format!("/admin/users/{carol}/enable"),
            vec![("reason", long.clone())],
        ),
        (
            format!("/admin/users/{alice}/role"),
            vec![("role_id", "7".repeat(10_000))],
        ),
        (
            "/admin/users/bulk".into(),
            vec![
                ("action", "reject".into()),
                ("ids", bob.to_string()),
                ("reason", long.clone()),
            ],
        ),
        (
            "/admin/users/bulk".into(),
            vec![("action", long.clone()), ("ids", bob.to_string())],
        ),
        (
            format!("/admin/role-requests/{request}/approve"),
            vec![("note", long.clone())],
        ),
        (
            format!("/admin/role-requests/{request}/deny"),
            vec![("note", long.clone())],
        ),
    ];
    for (path, fields) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        error_flash_after(app, app.post_form(&path, &fields).await).await;
        assert_eq!(snapshot(app).await, before, "POST {path} changed something");
    }
}

#[tokio::test]
async fn ten_thousand_character_role_names_and_descriptions_are_refused_and_create_nothing() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let long = long_text();
    let before = snapshot(app).await;

    for fields in [
        [
            ("name", long.as_str()),
            ("description", "Front line support"),
        ],
        [("name", "Help desk"), ("description", long.as_str())],
    ] {
        error_flash_after(app, app.post_form("/admin/roles", &fields).await).await;
        assert_eq!(snapshot(app).await, before);
    }
}

#[tokio::test]
async fn ten_thousand_characters_in_the_search_box_and_audit_filters_answer_normally() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let long = long_text();

    for (path, field) in [
        ("/admin/users", "q"),
        ("/admin/users", "status"),
        ("/admin/users", "role"),
        ("/admin/users", "sort"),
        ("/admin/users", "page"),
        ("/admin/audit", "actor"),
        ("/admin/audit", "action"),
        ("/admin/audit", "target"),
        ("/admin/audit", "page"),
        ("/admin/role-requests", "status"),
        ("/login", "next"),
    ] {
        let url = format!("{path}?{}", encode(&[(field, &long)]));
        let (status, _) = answer(app.get(&url).await).await;
        assert_eq!(status, StatusCode::OK, "GET {path} with a long {field}");
    }
}

// ---------------------------------------------------------------------------
// Invalid UTF-8 and duplicated fields
// ---------------------------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_in_a_form_body_gets_400_and_changes_nothing() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let alice = scene.alice_browser().await;
    let anonymous = app.another_browser();
    let bob = scene.bob.id;
    let before = snapshot(app).await;

    let cases: Vec<(&TestApp, String, &str)> = vec![
        (
            &anonymous,
            "/register".into(),
            "username=BAD&email=BAD%40example.com&full_name=BAD&password=BAD&password_confirm=BAD",
        ),
        (&anonymous, "/login".into(), "login=BAD&password=BAD"),
        (
            &alice,
            "/account/password".into(),
            "current_password=BAD&new_password=BAD&new_password_confirm=BAD",
        ),
        (
            &alice,
            "/account/role-request".into(),
            "role_id=BAD&justification=BAD",
        ),
        (app, format!("/admin/users/{bob}/reject"), "reason=BAD"),
        (app, "/admin/users/bulk".into(), "action=BAD&ids=BAD"),
        (app, "/admin/roles".into(), "name=BAD&description=BAD"),
        (
            app,
            format!("/admin/role-requests/{}/deny", scene.alice_request),
            "note=BAD",
        ),
    ];
    for (browser, path, template) in cases {
        // Percent-encoded bytes, raw bytes, and Latin-1 "Zoë" as an old client would send it.
        for bad in [
            b"%FF%FE".as_slice(),
            b"\xFF\xFE\xC3(".as_slice(),
            b"Zo%EB".as_slice(),
        ] {
            let mut body = Vec::new();
            for (i, piece) in template.split("BAD").enumerate() {
                if i > 0 {
                    body.extend_from_slice(bad);
                }
                body.extend_from_slice(piece.as_bytes());
            }
            let token = browser.csrf_token().await;
            body.extend_from_slice(format!("&csrf_token={token}").as_bytes());

            let (status, body) = answer(post_bytes(browser, &path, body).await).await;

            assert_eq!(status, StatusCode::BAD_REQUEST, "POST {path}:\n{body}");
            let page = Html::parse_document(&body);
            assert_eq!(texts(&page, "main h1"), ["Bad request"]);
            assert!(texts(&page, "main p")[0].contains("UTF-8"));
            assert_eq!(snapshot(app).await, before, "POST {path} changed something");
        }
    }
}

#[tokio::test]
async fn invalid_utf8_in_a_query_string_never_causes_a_server_error() {
    let scene = Scene::new().await;
    for path in [
        "/admin/users?q=%FF%FE&status=%C3(",
        "/admin/audit?actor=%FF&target=%FE&action=%FF",
        "/admin/role-requests?status=%FF",
        "/login?next=%FF%FE",
    ] {
        let (status, body) = answer(scene.app.get(path).await).await;
        assert!(
            [StatusCode::OK, StatusCode::BAD_REQUEST].contains(&status),
            "GET {path}: {status}\n{body}"
        );
    }
}

#[tokio::test]
async fn duplicated_fields_get_a_clear_answer_and_change_nothing() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let alice = scene.alice_browser().await;
    let anonymous = app.another_browser();
    let bob = scene.bob.id;
    let before = snapshot(app).await;

    let cases: Vec<(&TestApp, String, String)> = vec![
        (
            &anonymous,
            "/register".into(),
            format!(
                "username=dave&username=erin&email=dave%40example.com&full_name=Dave&password={PASSWORD}&password_confirm={PASSWORD}"
            ),
        ),
        (
            &anonymous,
            "/login".into(),
            format!("login=alice&login=bob&password={PASSWORD}"),
        ),
        (
            &alice,
            "/account/password".into(),
            format!(
                "current_password={PASSWORD}&new_password=first-new-passphrase&new_password=second-new-passphrase&new_password_confirm=first-new-passphrase"
            ),
        ),
        (
            &alice,
            "/account/role-request".into(),
            format!(
                "role_id={}&role_id={}&justification=I+plan+the+roadmap.",
                scene.pm, scene.engineer
            ),
        ),
        (
            app,
            format!("/admin/users/{bob}/reject"),
            "reason=one&reason=two".into(),
        ),
        (
            app,
            "/admin/roles".into(),
            "name=Help+desk&name=Other+desk".into(),
        ),
    ];
    for (browser, path, fields) in cases {
        let (status, body) = answer(post_encoded(browser, &path, &fields).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "POST {path}:\n{body}");
        let page = Html::parse_document(&body);
        assert_eq!(texts(&page, "main h1"), ["Bad request"]);
        assert!(!texts(&page, "main p")[0].is_empty());
        assert_eq!(snapshot(app).await, before, "POST {path} changed something");
    }
}

// ---------------------------------------------------------------------------
// Extra fields
// ---------------------------------------------------------------------------

#[tokio::test]
async fn extra_fields_on_registration_are_ignored_and_the_account_stays_pending_with_the_default_role()
 {
    let app = spawn_app().await;
    let admin_role = app.role_id("Admin").await.to_string();

    let response = app
        .post_form(
            "/register",
            &[
                ("username", "sneaky"),
                ("email", "sneaky@example.com"),
                ("full_name", "Sneaky Pete"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("status", "active"),
                ("role_id", &admin_role),
                ("role", "Admin"),
                ("id", "1"),
                ("login_count", "99"),
                ("permissions", "users.manage"),
            ],
        )
        .await;

    assert_redirect_to(&response, "/pending");
    let id = app.user_id("sneaky").await;
    let stored = user(&app, id).await;
    assert_eq!(stored.status, UserStatus::Pending);
    assert_eq!(stored.role_name, "Engineer");
    assert_eq!(stored.login_count, 0);
    assert_redirect_to(&app.get("/admin/users").await, "/pending");
}

// ---------------------------------------------------------------------------
// CSRF
// ---------------------------------------------------------------------------

/// A concrete path and fields that succeed for `pattern` with a valid token.
fn request_for(scene: &Scene, pattern: &str) -> (String, Vec<(String, String)>) {
    let id = |n: i64| pattern.replace("{id}", &n.to_string());
    let fields: &[(&str, String)] = match pattern {
        "/login" => &[
            ("login", scene.admin.username.clone()),
            ("password", PASSWORD.into()),
        ],
        "/logout" => &[],
        "/register" => &[
            ("username", "dave".into()),
            ("email", "dave@example.com".into()),
            ("full_name", "Dave Lister".into()),
            ("password", PASSWORD.into()),
            ("password_confirm", PASSWORD.into()),
        ],
        "/account/password" => &[
            ("current_password", PASSWORD.into()),
            ("new_password", "a-brand-new-passphrase-42".into()),
            ("new_password_confirm", "a-brand-new-passphrase-42".into()),
        ],
        "/account/role-request" => &[
            ("role_id", scene.pm.to_string()),
            ("justification", "I write the automation scripts.".into()),
        ],
        "/admin/users/bulk" => &[
            ("action", "approve".into()),
            ("ids", scene.bob.id.to_string()),
        ],
        "/admin/users/{id}/reject" => &[("reason", "Not a member of staff".into())],
        "/admin/users/{id}/disable" => &[("reason", "Left the company".into())],
        "/admin/users/{id}/role" => &[("role_id", scene.pm.to_string())],
        "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
            &[("note", "Discussed with the team".into())]
        }
        "/admin/roles" => &[
            ("name", "Help desk".into()),
            ("permissions", "users.read".into()),
        ],
        "/admin/roles/{id}" => &[("permissions", "users.read".into())],
        _ => &[],
    };
    let path = match pattern {
        "/account/role-request/{id}/withdraw" => id(scene.alice_request),
        "/admin/users/{id}/approve" | "/admin/users/{id}/reject" => id(scene.bob.id.0),
        "/admin/users/{id}/disable" | "/admin/users/{id}/role" => id(scene.alice.id.0),
        "/admin/users/{id}/enable" => id(scene.carol.id.0),
        "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
            id(scene.alice_request)
        }
        "/admin/roles/{id}" => id(scene.engineer),
        "/admin/users/{id}/sessions/revoke" => id(scene.alice.id.0),
        // Locked by the test first, so the valid POST has something to do.
        "/admin/users/{id}/unlock" => id(scene.alice.id.0),
        // Filled in by `with_session` once the admin's sessions exist.
        "/account/sessions/{id}/revoke" => "/account/sessions/{session}/revoke".to_owned(),
        "/account/sessions/revoke-others" => pattern.to_owned(),
        "/login"
        | "/logout"
        | "/register"
        | "/account/password"
        | "/account/role-request"
        | "/admin/users/bulk"
        | "/admin/roles" => pattern.to_owned(),
        other => panic!("no request for the POST route {other}: add it to this test"),
    };
    let fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    (path, fields)
}

/// Puts the public id of the admin's oldest session (the scene's own
/// browser, not the one posting) where `path` says `{session}`.
async fn with_session(scene: &Scene, path: &str) -> String {
    if !path.contains("{session}") {
        return path.to_owned();
    }
    let id: String = sqlx::query_scalar(
        "SELECT public_id FROM sessions WHERE user_id = $1 ORDER BY created_at, public_id LIMIT 1",
    )
    .bind(scene.admin.id.0)
    .fetch_one(&scene.app.db.pool)
    .await
    .unwrap();
    path.replace("{session}", &id)
}

/// The browser that may use `pattern`: alice for her own request, else the admin.
async fn browser_for(scene: &Scene, pattern: &str) -> TestApp {
    if pattern.starts_with("/account/role-request") {
        let browser = scene.alice_browser().await;
        if pattern == "/account/role-request" {
            let response = browser
                .post_form(
                    &format!("/account/role-request/{}/withdraw", scene.alice_request),
                    &[],
                )
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        browser
    } else {
        {
            let browser = scene.app.another_browser();
            browser.login_as(&scene.admin).await;
            browser
        }
    }
}

async fn assert_csrf_refused(
    scene: &Scene,
    browser: &TestApp,
    path: &str,
    fields: &[(String, String)],
    variant: &str,
    token: Option<Vec<&str>>,
) {
    let before = snapshot(&scene.app).await;
    let mut body: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for t in token.unwrap_or_default() {
        body.push(("csrf_token", t));
    }

    let (status, html) = answer(browser.post_raw(path, &body).await).await;

    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{variant} token on POST {path}"
    );
    let page = Html::parse_document(&html);
    assert_eq!(
        texts(&page, "main h1"),
        ["Form expired"],
        "{variant} token on POST {path}"
    );
    assert_eq!(
        snapshot(&scene.app).await,
        before,
        "{variant} token on POST {path} changed something"
    );
}

#[tokio::test]
async fn a_wrong_missing_or_duplicated_csrf_token_on_any_post_route_gets_403_and_changes_nothing() {
    for (method, pattern) in gatehouse::routes::ROUTES {
        if *method != "post" {
            continue;
        }
        let scene = Scene::new().await;
        if *pattern == "/admin/users/{id}/unlock" {
            sqlx::query(
                "INSERT INTO login_throttle (user_id, failures, first_failure_at, \
                 last_failure_at, locked_until, since_login) VALUES ($1, 5, 0, 0, $2, 5)",
            )
            .bind(scene.alice.id.0)
            .bind(gatehouse::domain::Timestamp::now().0 + 3_600_000)
            .execute(&scene.app.db.pool)
            .await
            .unwrap();
        }
        let browser = browser_for(&scene, pattern).await;
        let (path, fields) = request_for(&scene, pattern);
        let path = with_session(&scene, &path).await;
        let own = browser.csrf_token().await;
        let foreign = scene.app.another_browser().csrf_token().await;
        let forged = "0".repeat(64);

        for (variant, token) in [
            ("a missing", None),
            ("an empty", Some(vec![""])),
            ("another browser's", Some(vec![foreign.as_str()])),
            ("a forged", Some(vec![forged.as_str()])),
            ("a truncated", Some(vec![&own[..63]])),
            ("a duplicated", Some(vec![own.as_str(), own.as_str()])),
            (
                "a valid then a wrong",
                Some(vec![own.as_str(), forged.as_str()]),
            ),
        ] {
            assert_csrf_refused(&scene, &browser, &path, &fields, variant, token).await;
        }

        // The same request with the right token does go through (and is audited).
        let audit_before = scene.app.count("audit_log").await;
        let mut body: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.push(("csrf_token", &own));
        let (status, html) = answer(browser.post_raw(&path, &body).await).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "valid POST {path}:\n{html}");
        assert!(
            scene.app.count("audit_log").await > audit_before,
            "the valid POST {path} did nothing, so its refusals proved nothing"
        );
    }
}

#[tokio::test]
async fn a_browser_without_a_csrf_cookie_cannot_sign_in_or_register() {
    let scene = Scene::new().await;
    let before = snapshot(&scene.app).await;
    let signed_in_token = scene.app.csrf_token().await;

    for pattern in ["/login", "/register"] {
        let (path, fields) = request_for(&scene, pattern);
        let mut body: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.push(("csrf_token", &signed_in_token));
        let fresh = new_client();

        let response = fresh
            .post(scene.app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&body))
            .send()
            .await
            .unwrap();

        let (status, _) = answer(response).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}");
        assert_eq!(snapshot(&scene.app).await, before);
    }
}

// ---------------------------------------------------------------------------
// Body size
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_body_over_64_kib_with_a_content_length_gets_413() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let huge = "a".repeat(70 * 1024);

    for path in ["/login", "/register"] {
        let response = app
            .post_form(path, &[("login", &huge), ("username", &huge)])
            .await;
        let (status, body) = answer(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "POST {path}");
        let page = Html::parse_document(&body);
        assert_eq!(texts(&page, "main h1"), ["Too much data"]);
    }

    // Just under the limit is read (and refused for its content, not its size).
    let page = rerendered(
        app.post_form("/register", &[("username", &"a".repeat(60 * 1024))])
            .await,
    )
    .await;
    field_error(&page, "username");
    assert_eq!(snapshot(&app).await, before);
}

/// Sends `total` bytes of form body in chunks, without a Content-Length,
/// and returns the status line of the answer.
fn post_chunked(address: &str, path: &str, total: usize) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes());
    let chunk = format!("login={}", "a".repeat(8 * 1024 - 6));
    let mut sent = 0;
    while sent < total {
        let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(frame.as_bytes()).is_err() {
            break; // the server has already answered and stopped reading
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_chunked_body_over_64_kib_gets_413() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    for path in ["/login", "/register"] {
        let address = app.address.clone();
        let status_line =
            tokio::task::spawn_blocking(move || post_chunked(&address, path, 80 * 1024))
                .await
                .unwrap();
        assert!(
            status_line.starts_with("HTTP/1.1 413"),
            "POST {path} chunked: {status_line:?}"
        );
    }

    // The same request under the limit gets past the size check (to the CSRF check).
    let address = app.address.clone();
    let status_line =
        tokio::task::spawn_blocking(move || post_chunked(&address, "/login", 16 * 1024))
            .await
            .unwrap();
    assert!(status_line.starts_with("HTTP/1.1 403"), "{status_line:?}");
    assert_eq!(snapshot(&app).await, before);
}

// ---------------------------------------------------------------------------
// Markup and SQL: stored intact, shown escaped
// ---------------------------------------------------------------------------

#[tokio::test]
async fn markup_and_sql_in_a_full_name_are_stored_intact_and_shown_escaped() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.login_as(&admin).await;
    let names: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for (i, name) in names.iter().enumerate() {
        let username = format!("person{i}");
        let browser = app.another_browser();
        let response = browser
            .register(
                &username,
                &format!("{username}@example.com"),
                name,
                PASSWORD,
            )
            .await;
        assert_redirect_to(&response, "/pending");
        let id = app.user_id(&username).await;

        assert_eq!(&user(&app, id).await.full_name, name);
        let detail = rerendered(app.get(&format!("/admin/users/{id}")).await).await;
        assert_some_text_contains(&detail, "main h1", name);
        assert_no_script(&detail);
        let list = rerendered(app.get("/admin/users").await).await;
        assert_some_text_contains(&list, "main td", name);
        assert_no_script(&list);
    }
    assert_eq!(app.count("users").await, 1 + names.len() as i64);
}

#[tokio::test]
async fn markup_and_sql_in_a_justification_and_a_reviewers_note_are_stored_intact_and_shown_escaped()
 {
    let scene = Scene::new().await;
    let app = &scene.app;
    let alice = scene.alice_browser().await;
    let first = scene.alice_request;
    alice
        .post_form(&format!("/account/role-request/{first}/withdraw"), &[])
        .await;
    let pm = scene.pm.to_string();
    let texts_to_try: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for text in &texts_to_try {
        let justification = format!("Because {text} matters");
        let response = alice
            .post_form(
                "/account/role-request",
                &[("role_id", &pm), ("justification", &justification)],
            )
            .await;
        assert_redirect_to(&response, "/");
        let id = latest_request(app).await;
        assert_eq!(role_request(app, id).await.justification, justification);
        let queue = rerendered(app.get("/admin/role-requests").await).await;
        assert_some_text_contains(&queue, "main .request p", &justification);
        assert_no_script(&queue);

        let response = app
            .post_form(
                &format!("/admin/role-requests/{id}/deny"),
                &[("note", text)],
            )
            .await;
        assert_redirect_to(&response, "/admin/role-requests");
        assert_eq!(
            role_request(app, id).await.note.as_deref(),
            Some(text.as_str())
        );
        let home = rerendered(alice.get("/").await).await;
        assert_some_text_contains(&home, "main .facts dd", text);
        assert_no_script(&home);
        let detail = rerendered(app.get(&format!("/admin/users/{}", scene.alice.id)).await).await;
        assert_some_text_contains(&detail, "main td", &justification);
        assert_some_text_contains(&detail, "main td", text);
        assert_no_script(&detail);
    }
}

#[tokio::test]
async fn markup_and_sql_in_reasons_are_stored_intact_and_shown_escaped() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let reasons: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for (i, reason) in reasons.iter().enumerate() {
        let target = app
            .create_user(&format!("pending{i}"), "Engineer", UserStatus::Pending)
            .await;
        let response = app
            .post_form(
                &format!("/admin/users/{}/reject", target.id),
                &[("reason", reason)],
            )
            .await;
        assert_redirect_to(&response, &format!("/admin/users/{}", target.id));

        let stored = user(app, target.id).await;
        assert_eq!(stored.status, UserStatus::Rejected);
        assert_eq!(stored.status_reason.as_deref(), Some(reason.as_str()));
        let audited: String = sqlx::query_scalar(
            "SELECT reason FROM audit_log WHERE action = 'user.rejected' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert_eq!(&audited, reason);
        let detail = rerendered(app.get(&format!("/admin/users/{}", target.id)).await).await;
        assert_some_text_contains(&detail, "main .facts dd", reason);
        assert_some_text_contains(&detail, "main table.audit td", reason);
        assert_no_script(&detail);
        let audit = rerendered(app.get("/admin/audit").await).await;
        assert_some_text_contains(&audit, "main table.audit td", reason);
        assert_no_script(&audit);
    }

    let reason = all_nasty();
    let response = app
        .post_form(
            &format!("/admin/users/{}/disable", scene.alice.id),
            &[("reason", &reason)],
        )
        .await;
    assert_redirect_to(&response, &format!("/admin/users/{}", scene.alice.id));
    assert_eq!(
        user(app, scene.alice.id).await.status_reason.as_deref(),
        Some(reason.as_str())
    );
    let detail = rerendered(app.get(&format!("/admin/users/{}", scene.alice.id)).await).await;
    assert_some_text_contains(&detail, "main .facts dd", &reason);
    assert_no_script(&detail);
}

#[tokio::test]
async fn markup_and_sql_in_a_role_description_are_stored_intact_and_shown_escaped() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let descriptions: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for (i, description) in descriptions.iter().enumerate() {
        let name = format!("Desk {i}");
        let response = app
            .post_form(
                "/admin/roles",
                &[("name", &name), ("description", description)],
            )
            .await;
        assert_redirect_to(&response, "/admin/roles");

        let id = app.role_id(&name).await;
        assert_eq!(&role(app, id).await.description, description);
        let page = rerendered(app.get("/admin/roles").await).await;
        assert_some_text_contains(&page, "main .card p", description);
        assert_no_script(&page);
    }

    let response = app.post_form("/admin/roles", &[("name", "Zoë 山田")]).await;
    assert_redirect_to(&response, "/admin/roles");
    let id = app.role_id("Zoë 山田").await;
    assert_eq!(role(app, id).await.name, "Zoë 山田");
    let page = rerendered(app.get("/admin/roles").await).await;
    assert_some_text_contains(&page, "main h2", "Zoë 山田");
}

#[tokio::test]
async fn markup_and_sql_in_a_role_name_are_refused_with_an_escaped_message() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let before = snapshot(app).await;

    for name in NASTY.iter().take(4) {
        let response = app.post_form("/admin/roles", &[("name", name)]).await;
        let message = error_flash_after(app, response).await;
        assert!(message.contains("Role name"), "{message:?}");
        let page = rerendered(app.get("/admin/roles").await).await;
        assert_no_script(&page);
        assert_eq!(snapshot(app).await, before);
    }
}

#[tokio::test]
async fn markup_and_sql_in_the_search_box_and_audit_filters_are_echoed_escaped() {
    let scene = Scene::new().await;
    let app = &scene.app;
    let users_before = app.count("users").await;
    let values: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for value in &values {
        // Each filter keeps at most `limit` characters of what was typed.
        for (path, field, limit) in [
            ("/admin/users", "q", 100),
            ("/admin/audit", "actor", 64),
            ("/admin/audit", "target", 200),
        ] {
            let url = format!("{path}?{}", encode(&[(field, value)]));
            let page = rerendered(app.get(&url).await).await;
            let kept: String = value.chars().take(limit).collect();
            assert_eq!(
                first_attr(&page, &format!("main input#{field}"), "value"),
                Some(kept),
                "GET {url}"
            );
            assert_no_script(&page);
        }
    }
    assert_eq!(app.count("users").await, users_before);
}

#[tokio::test]
async fn markup_and_sql_typed_into_forms_are_echoed_back_escaped() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let anonymous = app.another_browser();
    let value = all_nasty();

    let page = rerendered(anonymous.login(&value, PASSWORD).await).await;
    assert_eq!(
        first_attr(&page, "main input[name=login]", "value").as_deref(),
        Some(value.as_str())
    );
    assert_no_script(&page);

    let page = rerendered(
        anonymous
            .register(&value, "nobody@example.com", &value, "short")
            .await,
    )
    .await;
    assert_eq!(
        first_attr(&page, "main input#full_name", "value").as_deref(),
        Some(value.as_str())
    );
    assert_eq!(
        first_attr(&page, "main input#username", "value").as_deref(),
        Some(value.as_str())
    );
    assert_no_script(&page);

    app.login_as(&alice).await;
    let page = rerendered(
        app.post_form("/account/role-request", &[("justification", &value)])
            .await,
    )
    .await;
    assert_eq!(texts(&page, "main textarea[name=justification]"), [value]);
    assert_no_script(&page);
    assert_eq!(app.count("users").await, 1);
}

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

fn file_names(folder: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migration_folders_hold_the_same_file_names() {
    let sqlite = file_names("sqlite");
    let postgres = file_names("postgres");
    assert!(!sqlite.is_empty(), "no SQLite migrations");
    assert_eq!(sqlite, postgres);
}
