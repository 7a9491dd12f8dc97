//! What a user does to their own account: register, wait while Pending, sign in
//! and out, see their home page, ask for a role, change their password; and the
//! session and audit rules that come with it.

use gatehouse::db;
use gatehouse::domain::{UserId, UserStatus};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sqlx::{Column, Row};

use crate::helpers::*;

const SESSION_COOKIE: &str = "gatehouse_session";

/// The `Set-Cookie` header a response sends for `name`, if any.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the session cookie a response sets, if any.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie(response, SESSION_COOKIE).map(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default()
    })
}

/// GETs `path` from a brand-new browser that sends only `cookie` as its session.
async fn get_with_session_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    new_client()
        .get(app.url(path))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .expect("GET")
}

async fn find_user(app: &TestApp, id: UserId) -> db::users::User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::users::find(&mut conn, id)
        .await
        .unwrap()
        .expect("user exists")
}

/// Every column of every audit row, as text.
async fn audit_cells(app: &TestApp) -> Vec<String> {
    let rows = sqlx::query("SELECT * FROM audit_log")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let mut cells = Vec::new();
    for row in &rows {
        for column in row.columns() {
            let i = column.ordinal();
            let text = match row.try_get::<Option<String>, _>(i) {
                Ok(value) => value.unwrap_or_default(),
                Err(_) => row
                    .try_get::<Option<i64>, _>(i)
                    .unwrap_or_else(|e| panic!("column {}: {e}", column.name()))
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            };
            cells.push(text);
        }
    }
    assert!(!cells.is_empty(), "the audit log is empty");
    cells
}

/// The `value` attribute of every input on the page.
fn input_values(page: &Html) -> Vec<String> {
    let selector = Selector::parse("input").unwrap();
    page.select(&selector)
        .filter_map(|e| e.value().attr("value"))
        .map(str::to_owned)
        .collect()
}

/// The field error shown under `field`, or "" when there is none.
fn field_error(page: &Html, field: &str) -> String {
    texts(page, &format!("#{field}-error"))
        .into_iter()
        .next()
        .unwrap_or_default()
}

async fn register_with(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form("/register", fields).await
}

async fn submit_role_request(
    app: &TestApp,
    role_id: &str,
    justification: &str,
) -> reqwest::Response {
    app.post_form(
        "/account/role-request",
        &[("role_id", role_id), ("justification", justification)],
    )
    .await
}

async fn change_password(
    app: &TestApp,
    current: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    app.post_form(
        "/account/password",
        &[
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirm", confirm),
        ],
    )
    .await
}

/// Every route pattern with its `{id}` filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
}

const JUSTIFICATION: &str = "I plan the quarterly roadmap for the platform team.";

// ---------------------------------------------------------------- register

#[tokio::test]
async fn registering_creates_a_pending_account_signs_the_user_in_and_shows_the_pending_page() {
    let app = spawn_app().await;

    let response = app
        .register("newbie", "newbie@example.com", "New Bie", PASSWORD)
        .await;

    assert_redirect_to(&response, "/pending");
    assert!(session_cookie(&response).is_some(), "no session cookie");
    let id = app.user_id("newbie").await;
    let user = find_user(&app, id).await;
    assert_eq!(user.status, UserStatus::Pending);
    assert_eq!(user.role_name, "Engineer");
    assert_eq!(user.email, "newbie@example.com");
    assert_eq!(user.full_name, "New Bie");
    assert_eq!(app.count("sessions").await, 1);
    let page = app.get_html("/pending").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your account has been created and is waiting for approval.")
    );
    assert!(
        texts(&page, ".whoami .who")[0].contains("newbie"),
        "the page does not show who is signed in"
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.registered")
    );
}

#[tokio::test]
async fn a_registration_with_errors_keeps_what_was_typed_but_never_the_password() {
    let app = spawn_app().await;
    let password = "a-secret-nobody-should-see";

    let response = register_with(
        &app,
        &[
            ("username", "dana"),
            ("email", "not-an-email"),
            ("full_name", "Dana Scully"),
            ("password", password),
            ("password_confirm", "a-different-secret-entirely"),
        ],
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(session_cookie(&response).is_none());
    let page = html(response).await;
    assert_eq!(
        first_attr(&page, "input[name=username]", "value").as_deref(),
        Some("dana")
    );
    assert_eq!(
        first_attr(&page, "input[name=email]", "value").as_deref(),
        Some("not-an-email")
    );
    assert_eq!(
        first_attr(&page, "input[name=full_name]", "value").as_deref(),
        Some("Dana Scully")
    );
    for name in ["password", "password_confirm"] {
        let value = first_attr(&page, &format!("input[name={name}]"), "value");
        assert!(
            value.as_deref().unwrap_or_default().is_empty(),
            "{name} echoed {value:?}"
        );
    }
    let values = input_values(&page);
    assert!(
        !values
            .iter()
            .any(|v| v == password || v == "a-different-secret-entirely"),
        "a password was echoed: {values:?}"
    );
    assert!(!field_error(&page, "email").is_empty());
    assert_eq!(
        field_error(&page, "password_confirm"),
        "The two passwords do not match."
    );
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_username_already_taken_in_any_case_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let response = app
        .register("ALICE", "someone.else@example.com", "Alice Again", PASSWORD)
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "username"),
        "This username is already taken."
    );
    assert_eq!(field_error(&page, "email"), "");
    assert_eq!(
        first_attr(&page, "input[name=email]", "value").as_deref(),
        Some("someone.else@example.com")
    );
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn an_email_already_registered_in_any_case_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let response = app
        .register("alice2", "Alice@EXAMPLE.com", "Alice Again", PASSWORD)
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "email"),
        "An account with this email address already exists."
    );
    assert_eq!(field_error(&page, "username"), "");
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn each_password_policy_violation_is_refused_with_its_own_message() {
    let app = spawn_app().await;
    let too_long = "x".repeat(129);
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "short-pass1",
            "short-pass1",
            "password",
            "Password must be at least 12 characters.",
        ),
        (
            &too_long,
            &too_long,
            "password",
            "Password must be at most 128 characters.",
        ),
        (
            "frank.castle",
            "frank.castle",
            "password",
            "Password must not contain your username.",
        ),
        (
            "my-FRANK.CASTLE-secret",
            "my-FRANK.CASTLE-secret",
            "password",
            "Password must not contain your username.",
        ),
        (
            "xx-punisher.1974-xx",
            "xx-punisher.1974-xx",
            "password",
            "Password must not contain the first part of your email address.",
        ),
        (
            PASSWORD,
            "correct-horse-battery-stapler",
            "password_confirm",
            "The two passwords do not match.",
        ),
    ];

    for (password, confirm, field, message) in cases {
        let response = register_with(
            &app,
            &[
                ("username", "frank.castle"),
                ("email", "punisher.1974@example.com"),
                ("full_name", "Frank Castle"),
                ("password", password),
                ("password_confirm", confirm),
            ],
        )
        .await;

        assert_eq!(response.status(), StatusCode::OK, "{message}");
        let page = html(response).await;
        assert_eq!(field_error(&page, field), message);
        for name in ["password", "password_confirm"] {
            let value = first_attr(&page, &format!("input[name={name}]"), "value");
            assert!(value.unwrap_or_default().is_empty(), "{name} was echoed");
        }
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_password_of_exactly_twelve_and_of_exactly_128_characters_is_accepted() {
    let app = spawn_app().await;

    // Random enough for zxcvbn: the length limits are what is tested here.
    let twelve = app
        .register("twelve", "twelve@example.com", "Twelve", "Vq7#mZ2!pLr9")
        .await;
    let other = app.another_browser();
    let long = other
        .register(
            "longpw",
            "longpw@example.com",
            "Long",
            &"Vq7#mZ2!pLr9@xWt".repeat(8),
        )
        .await;

    assert_redirect_to(&twelve, "/pending");
    assert_redirect_to(&long, "/pending");
    assert_eq!(app.count("users").await, 2);
}

// ---------------------------------------------------------------- pending

#[tokio::test]
async fn the_pending_page_says_since_when_the_account_has_waited() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let user = find_user(&app, app.user_id("patient").await).await;

    let page = app.get_html("/pending").await;

    assert_eq!(
        first_attr(&page, "main time", "datetime"),
        Some(user.created_at.iso())
    );
    assert_eq!(texts(&page, "main time"), vec![user.created_at.to_string()]);
}

#[tokio::test]
async fn a_pending_user_reaches_only_the_pending_page_their_password_and_their_sessions() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let open = ["/pending", "/account/password", "/account/sessions"];
    let own_sessions = [
        "/account/sessions/revoke-others",
        "/account/sessions/{id}/revoke",
    ];
    let public = [
        "/login",
        "/register",
        "/logout",
        "/healthz",
        "/static/app.css",
        "/favicon.ico",
    ];

    for path in open {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "GET {path}");
    }
    let mut checked = 0;
    for (method, pattern) in gatehouse::routes::ROUTES {
        if open.contains(pattern) || public.contains(pattern) || own_sessions.contains(pattern) {
            continue;
        }
        let path = concrete(pattern);
        let response = match *method {
            "get" => app.get(&path).await,
            "post" => app.post_form(&path, &[]).await,
            other => panic!("unexpected method {other}"),
        };
        assert_redirect_to(&response, "/pending");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} gated routes were tried");
    assert_eq!(app.count("role_requests").await, 0);
    assert_eq!(app.count("roles").await, 4);
}

#[tokio::test]
async fn a_pending_user_can_sign_out() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    assert_eq!(app.count("sessions").await, 1);

    let response = app.logout().await;

    assert_redirect_to(&response, "/login");
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect_to(&app.get("/pending").await, "/login?next=%2Fpending");
}

// ---------------------------------------------------------------- login

#[tokio::test]
async fn an_active_user_signs_in_by_username_or_email_in_any_case() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    for login in ["alice", "ALICE", "alice@example.com", "Alice@Example.COM"] {
        let browser = app.another_browser();
        let response = browser.login(login, PASSWORD).await;
        assert_redirect_to(&response, "/");
        assert_eq!(browser.get("/").await.status(), StatusCode::OK, "{login}");
    }
}

#[tokio::test]
async fn after_sign_in_an_active_user_goes_to_the_same_origin_path_in_next() {
    let app = spawn_app().await;
    app.admin().await;

    let form = app
        .get_html("/login?next=%2Fadmin%2Fusers%3Fpage%3D2")
        .await;
    assert_eq!(
        first_attr(&form, "input[name=next]", "value").as_deref(),
        Some("/admin/users?page=2")
    );
    let response = app
        .post_form(
            "/login",
            &[
                ("login", "admin"),
                ("password", PASSWORD),
                ("next", "/admin/users?page=2"),
            ],
        )
        .await;

    assert_redirect_to(&response, "/admin/users?page=2");
}

#[tokio::test]
async fn an_off_site_next_is_ignored_and_the_user_lands_on_home() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    for next in ["//evil.example", "https://evil.example", "/\\evil"] {
        let browser = app.another_browser();
        let query: String = url_encode(next);
        let form = browser.get_html(&format!("/login?next={query}")).await;
        assert_eq!(
            first_attr(&form, "input[name=next]", "value").as_deref(),
            Some("/"),
            "{next}"
        );
        let response = browser
            .post_form(
                "/login",
                &[("login", "alice"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_redirect_to(&response, "/");
    }
}

fn url_encode(s: &str) -> String {
    serde_html_form::to_string([("v", s)])
        .unwrap()
        .trim_start_matches("v=")
        .to_owned()
}

#[tokio::test]
async fn a_pending_user_who_signs_in_lands_on_the_pending_page_whatever_next_says() {
    let app = spawn_app().await;
    app.create_user("patient", "Engineer", UserStatus::Pending)
        .await;

    let response = app
        .post_form(
            "/login",
            &[
                ("login", "patient"),
                ("password", PASSWORD),
                ("next", "/account/role-request"),
            ],
        )
        .await;

    assert_redirect_to(&response, "/pending");
    assert_eq!(app.get("/pending").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn rejected_and_disabled_accounts_see_the_login_form_with_a_clear_message_and_get_no_session()
{
    let app = spawn_app().await;
    app.create_user("rejected", "Engineer", UserStatus::Rejected)
        .await;
    app.create_user("disabled", "Engineer", UserStatus::Disabled)
        .await;

    for (login, expected) in [
        ("rejected", "Your registration was not approved."),
        ("disabled", "Your account has been disabled."),
    ] {
        let browser = app.another_browser();
        let response = browser.login(login, PASSWORD).await;

        assert_eq!(response.status(), StatusCode::OK, "{login}");
        assert!(session_cookie(&response).is_none(), "{login} got a cookie");
        let page = html(response).await;
        let error = texts(&page, "#login-error").join(" ");
        assert!(error.starts_with(expected), "{login}: {error:?}");
        assert_eq!(
            first_attr(&page, "input[name=login]", "value").as_deref(),
            Some(login)
        );
        assert!(!input_values(&page).iter().any(|v| v == PASSWORD));
        assert_redirect_to(&browser.get("/").await, "/login");
    }
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_message() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let wrong = app.login("alice", "not-the-right-password").await;
    let wrong_status = wrong.status();
    let wrong_cookie = session_cookie(&wrong);
    let wrong_page = html(wrong).await;
    let unknown = app.login("nobody-here", "not-the-right-password").await;
    let unknown_status = unknown.status();
    let unknown_cookie = session_cookie(&unknown);
    let unknown_page = html(unknown).await;

    assert_eq!(wrong_status, StatusCode::OK);
    assert_eq!(wrong_status, unknown_status);
    let wrong_error = texts(&wrong_page, "#login-error");
    assert_eq!(
        wrong_error,
        vec!["The username, email or password is not correct.".to_owned()]
    );
    assert_eq!(wrong_error, texts(&unknown_page, "#login-error"));
    assert_eq!((wrong_cookie, unknown_cookie), (None, None));
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn every_sign_in_attempt_writes_an_audit_row() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.create_user("rejected", "Engineer", UserStatus::Rejected)
        .await;
    app.create_user("disabled", "Engineer", UserStatus::Disabled)
        .await;
    let before = app.count("audit_log").await;

    app.another_browser()
        .login("alice", "wrong-password-here")
        .await;
    app.another_browser()
        .login("nobody", "wrong-password-here")
        .await;
    app.another_browser().login("rejected", PASSWORD).await;
    app.another_browser().login("disabled", PASSWORD).await;
    app.another_browser().login("alice", PASSWORD).await;

    assert_eq!(app.count("audit_log").await, before + 5);
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT action, reason, target_label FROM audit_log \
         WHERE action LIKE 'auth.%' ORDER BY id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let expected = [
        ("auth.login_failed", Some("wrong_password"), "alice"),
        ("auth.login_failed", Some("unknown_user"), "nobody"),
        ("auth.login_failed", Some("account_rejected"), "rejected"),
        ("auth.login_failed", Some("account_disabled"), "disabled"),
        ("auth.login_succeeded", None, "alice"),
    ];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (row, (action, reason, target)) in rows.iter().zip(expected) {
        assert_eq!(row.0, action);
        assert_eq!(row.1.as_deref(), reason);
        assert_eq!(row.2.as_deref(), Some(target));
    }
}

// ---------------------------------------------------------------- sessions

#[tokio::test]
async fn signing_in_again_renews_the_session_cookie_and_kills_the_old_one() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let first = session_cookie(&app.login_as(&alice).await).expect("a session cookie");
    let second = session_cookie(&app.login_as(&alice).await).expect("a session cookie");

    assert_ne!(first, second, "the session was not renewed");
    assert_eq!(app.count("sessions").await, 1);
    assert_redirect_to(&get_with_session_cookie(&app, "/", &first).await, "/login");
    assert_eq!(
        get_with_session_cookie(&app, "/", &second).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_deletes_the_session_and_a_replayed_cookie_is_dead() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let cookie = session_cookie(&app.login_as(&alice).await).expect("a session cookie");
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(
        get_with_session_cookie(&app, "/", &cookie).await.status(),
        StatusCode::OK
    );

    let response = app.logout().await;

    assert_redirect_to(&response, "/login");
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect_to(&get_with_session_cookie(&app, "/", &cookie).await, "/login");
    assert_redirect_to(&app.get("/").await, "/login");
    assert_eq!(app.count("sessions").await, 0);
    assert!(app.audit_actions().await.iter().any(|a| a == "auth.logout"));
}

#[tokio::test]
async fn anonymous_visitors_cause_no_session_rows() {
    let app = spawn_app().await;

    for path in ["/login", "/register", "/login?next=%2Fadmin"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(session_cookie(&response).is_none(), "{path} set a session");
    }
    for path in ["/", "/pending", "/account/password"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(session_cookie(&response).is_none(), "{path} set a session");
    }
    app.login("nobody", "whatever-password").await;

    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let response = app.login_as(&alice).await;

    let header = set_cookie(&response, SESSION_COOKIE).expect("a session cookie");
    let attributes: Vec<String> = header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{header}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{header}");
    assert!(
        !attributes.iter().any(|a| a == "secure"),
        "Secure without TLS configured: {header}"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_configured() {
    let app = spawn_app_with(|s| s.cookie_secure = true).await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;

    // The client will not send a Secure cookie over plain HTTP, so only the
    // sign-in response is looked at.
    let response = app.login_as(&alice).await;

    let header = set_cookie(&response, SESSION_COOKIE).expect("a session cookie");
    assert!(
        header
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{header}"
    );
}

// ---------------------------------------------------------------- home

#[tokio::test]
async fn the_home_page_shows_name_role_status_and_that_no_role_was_requested() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;

    let page = app.get_html("/").await;

    assert_eq!(texts(&page, "h1"), vec!["Welcome, alice Tester".to_owned()]);
    let facts = texts(&page, ".facts dd");
    assert_eq!(&facts[..3], ["alice", "Engineer", "Active"], "{facts:?}");
    assert!(
        texts(&page, "main p")
            .iter()
            .any(|t| t == "You have not asked for another role."),
    );
}

// ---------------------------------------------------------------- role requests

#[tokio::test]
async fn a_submitted_role_request_shows_as_open_on_home_and_on_the_request_page() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();

    let form = app.get_html("/account/role-request").await;
    let offered = texts(&form, "select[name=role_id] option");
    assert!(offered.iter().any(|o| o == "PM"), "{offered:?}");
    assert!(!offered.iter().any(|o| o == "Engineer"), "{offered:?}");
    let response = submit_role_request(&app, &pm, JUSTIFICATION).await;

    assert_redirect_to(&response, "/");
    let home = app.get_html("/").await;
    assert_eq!(
        flash(&home).as_deref(),
        Some("Your role request has been sent to the reviewers.")
    );
    let facts = texts(&home, ".facts dd");
    assert!(facts.iter().any(|t| t == "PM"), "{facts:?}");
    assert!(facts.iter().any(|t| t == "Open"), "{facts:?}");
    let page = app.get_html("/account/role-request").await;
    assert!(
        first_attr(&page, "form[action$='/withdraw']", "action").is_some(),
        "no withdraw button"
    );
    assert_eq!(app.count("role_requests").await, 1);
    assert_eq!(app.user_role(alice.id).await, "Engineer");
}

#[tokio::test]
async fn a_too_short_justification_is_refused_with_a_field_message_and_kept() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();

    let response = submit_role_request(&app, &pm, "   because ").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "justification"),
        "Please explain why you need this role (at least 10 characters)."
    );
    assert_eq!(
        texts(&page, "textarea[name=justification]"),
        vec!["because"]
    );
    assert_eq!(
        first_attr(&page, "select[name=role_id] option[selected]", "value"),
        Some(pm)
    );
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn asking_for_the_role_one_already_has_is_refused() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let engineer = app.role_id("Engineer").await.to_string();

    let response = submit_role_request(&app, &engineer, JUSTIFICATION).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(field_error(&page, "role_id"), "You already have this role.");
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn a_request_without_a_chosen_role_is_refused() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;

    for role_id in ["", "999999"] {
        let response = submit_role_request(&app, role_id, JUSTIFICATION).await;

        assert_eq!(response.status(), StatusCode::OK, "{role_id:?}");
        let page = html(response).await;
        assert_eq!(field_error(&page, "role_id"), "Choose the role you need.");
        assert_eq!(
            texts(&page, "textarea[name=justification]"),
            vec![JUSTIFICATION]
        );
    }
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn a_second_request_is_refused_with_a_message_while_the_first_is_open() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let manager = app.role_id("Automation Manager").await.to_string();
    assert_redirect_to(&submit_role_request(&app, &pm, JUSTIFICATION).await, "/");

    let response = submit_role_request(&app, &manager, JUSTIFICATION).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "role_id"),
        "You already have an open role request. Withdraw it before asking for another role."
    );
    assert_eq!(app.count("role_requests").await, 1);
}

#[tokio::test]
async fn a_withdrawn_request_makes_room_for_a_new_one() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let manager = app.role_id("Automation Manager").await.to_string();
    submit_role_request(&app, &pm, JUSTIFICATION).await;
    let page = app.get_html("/account/role-request").await;
    let withdraw =
        first_attr(&page, "form[action$='/withdraw']", "action").expect("a withdraw form");

    let response = app.post_form(&withdraw, &[]).await;

    assert_redirect_to(&response, "/account/role-request");
    let page = app.get_html("/account/role-request").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your role request has been withdrawn.")
    );
    assert!(first_attr(&page, "form[action$='/withdraw']", "action").is_none());
    assert!(texts(&page, "table td").iter().any(|t| t == "Withdrawn"));
    assert_redirect_to(
        &submit_role_request(&app, &manager, JUSTIFICATION).await,
        "/",
    );
    assert_eq!(app.count("role_requests").await, 2);
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "role_request.withdrawn"));
}

#[tokio::test]
async fn nobody_can_withdraw_someone_elses_request() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let mallory = app
        .create_user("mallory", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    submit_role_request(&app, &pm, JUSTIFICATION).await;
    let page = app.get_html("/account/role-request").await;
    let withdraw =
        first_attr(&page, "form[action$='/withdraw']", "action").expect("a withdraw form");
    let other = app.another_browser();
    other.login_as(&mallory).await;

    let response = other.post_form(&withdraw, &[]).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let home = app.get_html("/").await;
    assert!(texts(&home, ".facts dd").iter().any(|t| t == "Open"));
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "role_request.withdrawn")
    );
}

#[tokio::test]
async fn the_decision_and_the_reviewers_note_appear_on_home() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let staff = app.another_browser();
    staff.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    submit_role_request(&staff, &pm, JUSTIFICATION).await;
    app.login_as(&admin).await;
    let queue = app.get_html("/admin/role-requests").await;
    let deny = first_attr(&queue, "form[action$='/deny']", "action").expect("a deny form");

    let response = app
        .post_form(&deny, &[("note", "PM seats are full this quarter.")])
        .await;

    assert_redirect_to(&response, "/admin/role-requests");
    let home = staff.get_html("/").await;
    let facts = texts(&home, ".facts dd");
    assert!(facts.iter().any(|t| t == "Denied"), "{facts:?}");
    assert!(
        facts.iter().any(|t| t == "PM seats are full this quarter."),
        "{facts:?}"
    );
    assert!(
        facts.iter().any(|t| t.starts_with("admin on ")),
        "{facts:?}"
    );
    assert_eq!(app.user_role(alice.id).await, "Engineer");
}

// ---------------------------------------------------------------- password

#[tokio::test]
async fn a_wrong_current_password_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let new = "a-brand-new-passphrase";

    let response = change_password(&app, "not-my-password", new, new).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "current_password"),
        "Your current password is not correct."
    );
    assert!(!input_values(&page).iter().any(|v| v == new));
    assert_redirect_to(&app.another_browser().login("alice", PASSWORD).await, "/");
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.password_changed")
    );
}

#[tokio::test]
async fn the_password_policy_applies_to_a_new_password() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let too_long = "z".repeat(129);

    for (new, confirm, field, message) in [
        (
            "tiny-pass",
            "tiny-pass",
            "new_password",
            "Password must be at least 12 characters.",
        ),
        (
            too_long.as_str(),
            too_long.as_str(),
            "new_password",
            "Password must be at most 128 characters.",
        ),
        (
            "xx-Alice-is-my-name",
            "xx-Alice-is-my-name",
            "new_password",
            "Password must not contain your username.",
        ),
        (
            "a-brand-new-passphrase",
            "a-brand-new-passphrasE",
            "new_password_confirm",
            "The two passwords do not match.",
        ),
    ] {
        let response = change_password(&app, PASSWORD, new, confirm).await;

        assert_eq!(response.status(), StatusCode::OK, "{message}");
        let page = html(response).await;
        assert_eq!(field_error(&page, field), message);
        assert_eq!(field_error(&page, "current_password"), "");
    }
    assert_redirect_to(&app.another_browser().login("alice", PASSWORD).await, "/");
}

#[tokio::test]
async fn a_new_password_containing_the_email_local_part_is_refused() {
    let app = spawn_app().await;
    app.register(
        "frank",
        "punisher.1974@example.com",
        "Frank Castle",
        PASSWORD,
    )
    .await;

    let response =
        change_password(&app, PASSWORD, "my-punisher.1974-pw", "my-punisher.1974-pw").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "new_password"),
        "Password must not contain the first part of your email address."
    );
}

#[tokio::test]
async fn after_a_password_change_only_the_new_password_signs_in() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let new = "a-brand-new-passphrase";

    let response = change_password(&app, PASSWORD, new, new).await;

    assert_redirect_to(&response, "/");
    let home = app.get_html("/").await;
    assert_eq!(
        flash(&home).as_deref(),
        Some("Your password has been changed.")
    );
    let old = app.another_browser().login("alice", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(
        texts(&html(old).await, "#login-error"),
        vec!["The username, email or password is not correct.".to_owned()]
    );
    assert_redirect_to(&app.another_browser().login("alice", new).await, "/");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.password_changed")
    );
}

#[tokio::test]
async fn a_pending_user_can_change_their_password() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let new = "waiting-is-the-hardest-part";

    let response = change_password(&app, PASSWORD, new, new).await;

    assert_redirect_to(&response, "/pending");
    let page = app.get_html("/pending").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your password has been changed.")
    );
    assert_eq!(
        app.another_browser()
            .login("patient", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_redirect_to(
        &app.another_browser().login("patient", new).await,
        "/pending",
    );
}

// ---------------------------------------------------------------- activity

#[tokio::test]
async fn signing_in_records_when_and_how_often() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let fresh = find_user(&app, alice.id).await;
    assert_eq!(
        (fresh.login_count, fresh.last_login_at, fresh.last_active_at),
        (0, None, None)
    );

    app.login_as(&alice).await;
    let once = find_user(&app, alice.id).await;
    app.another_browser().login_as(&alice).await;
    app.another_browser()
        .login("alice", "a-wrong-password")
        .await;
    let twice = find_user(&app, alice.id).await;

    assert_eq!(once.login_count, 1);
    let first_login = once.last_login_at.expect("last_login_at");
    assert!(first_login >= fresh.created_at);
    assert!(once.last_active_at.is_some());
    assert_eq!(twice.login_count, 2, "a failed attempt is not a login");
    assert!(twice.last_login_at.expect("last_login_at") >= first_login);
}

#[tokio::test]
async fn activity_is_written_at_most_once_a_minute_per_session() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    app.get("/").await;
    assert!(find_user(&app, alice.id).await.last_active_at.is_some());
    sqlx::query("UPDATE users SET last_active_at = 1000 WHERE id = $1")
        .bind(alice.id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();

    app.get("/").await;
    app.get("/account/role-request").await;
    let same_session = find_user(&app, alice.id).await.last_active_at;
    let other = app.another_browser();
    other.login_as(&alice).await;
    sqlx::query("UPDATE users SET last_active_at = 1000 WHERE id = $1")
        .bind(alice.id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
    other.get("/").await;
    let new_session = find_user(&app, alice.id).await.last_active_at;

    assert_eq!(same_session.map(|t| t.millis()), Some(1000));
    assert!(new_session.expect("last_active_at").millis() > 1000);
}

// ---------------------------------------------------------------- audit

#[tokio::test]
async fn passwords_never_appear_in_audit_rows() {
    let app = spawn_app().await;
    let first = "first-secret-passphrase";
    let typo = "typo-secret-passphrase";
    let second = "second-secret-passphrase";
    let refused = "refused-secret-pass";
    register_with(
        &app,
        &[
            ("username", "quiet"),
            ("email", "quiet@example.com"),
            ("full_name", "Quiet One"),
            ("password", refused),
            ("password_confirm", "refused-secret-pasz"),
        ],
    )
    .await;
    app.register("quiet", "quiet@example.com", "Quiet One", first)
        .await;
    app.logout().await;
    app.login("quiet", typo).await;
    app.login("quiet", first).await;
    change_password(&app, typo, second, second).await;
    change_password(&app, first, second, second).await;
    app.logout().await;
    assert_redirect_to(&app.login("quiet", second).await, "/pending");

    let cells = audit_cells(&app).await;

    let actions = app.audit_actions().await;
    for expected in [
        "user.registered",
        "auth.login_failed",
        "auth.login_succeeded",
        "user.password_changed",
        "auth.logout",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{actions:?}");
    }
    for secret in [first, typo, second, refused] {
        let leaks: Vec<&String> = cells.iter().filter(|c| c.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "{secret:?} found in the audit log: {leaks:?}"
        );
    }
}
