//! Requests and responses: security headers on every kind of response,
//! cross-site POSTs refused, tampered cookies treated as anonymous, `next`
//! kept local, GET never changing state, and log lines that cannot be forged.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{LazyLock, Mutex};

use gatehouse::domain::{AuditAction, UserStatus};
use gatehouse::routes::ROUTES;
use gatehouse::web::security::{CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY};
use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

// ------------------------------------------------------------------ headers

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Asserts the headers every response must carry; returns what failed.
fn missing_headers(what: &str, response: &reqwest::Response, https: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let mut expect = |name: &str, value: &str| {
        if header(response, name) != Some(value) {
            failures.push(format!("{what}: {name} is {:?}", header(response, name)));
        }
    };
    expect("content-security-policy", CONTENT_SECURITY_POLICY);
    expect("x-frame-options", "DENY");
    expect("x-content-type-options", "nosniff");
    expect("referrer-policy", "same-origin");
    expect("permissions-policy", PERMISSIONS_POLICY);
    for banner in ["server", "x-powered-by", "x-aspnet-version", "via"] {
        if let Some(value) = header(response, banner) {
            failures.push(format!("{what}: reveals {banner}: {value}"));
        }
    }
    let hsts = header(response, "strict-transport-security");
    if https != hsts.is_some() {
        failures.push(format!("{what}: Strict-Transport-Security is {hsts:?}"));
    }
    failures
}

/// One response of each kind: page, redirect, 400, 403 (CSRF, permission,
/// cross-site), 404, 405, 413, the stylesheet, the CSV export.
async fn one_of_each(app: &TestApp) -> Vec<(String, reqwest::Response)> {
    let admin = app.admin().await;
    let engineer = app.create_user("eve", "Engineer", UserStatus::Active).await;
    let signed_in = app.another_browser();
    signed_in.login_as(&admin).await;
    let staff = app.another_browser();
    staff.login_as(&engineer).await;
    let anonymous = app.another_browser();
    let mut out = Vec::new();
    out.push(("GET /login".into(), anonymous.get("/login").await));
    out.push(("GET / anonymous".into(), anonymous.get("/").await));
    out.push(("GET / signed in".into(), signed_in.get("/").await));
    out.push((
        "GET /admin/users".into(),
        signed_in.get("/admin/users").await,
    ));
    out.push((
        "GET /admin/audit.csv".into(),
        signed_in.get("/admin/audit.csv").await,
    ));
    out.push((
        "GET /static/app.css".into(),
        anonymous.get("/static/app.css").await,
    ));
    out.push(("GET /healthz".into(), anonymous.get("/healthz").await));
    out.push(("GET /nope (404)".into(), anonymous.get("/nope").await));
    out.push((
        "GET /admin/audit?page=%FF (400 or page)".into(),
        signed_in.get("/admin/audit?actor=%FF%FE").await,
    ));
    out.push((
        "DELETE /login (405)".into(),
        anonymous
            .client
            .delete(app.url("/login"))
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "POST /logout without a token (403)".into(),
        signed_in.post_raw("/logout", &[]).await,
    ));
    out.push((
        "GET /admin/users as an engineer (403)".into(),
        staff.get("/admin/users").await,
    ));
    out.push((
        "POST /login from another site (403)".into(),
        anonymous
            .client
            .post(app.url("/login"))
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("login=a&password=b")
            .send()
            .await
            .unwrap(),
    ));
    out.push((
        "POST /login with 70 KiB (413)".into(),
        anonymous
            .client
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 70 * 1024])
            .send()
            .await
            .unwrap(),
    ));
    out
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers_and_no_version_banner() {
    let app = spawn_app().await;

    let responses = one_of_each(&app).await;

    let statuses: Vec<u16> = responses.iter().map(|(_, r)| r.status().as_u16()).collect();
    for code in [200, 303, 403, 404, 405, 413] {
        assert!(statuses.contains(&code), "no {code} among {statuses:?}");
    }
    let failures: Vec<String> = responses
        .iter()
        .flat_map(|(what, response)| missing_headers(what, response, false))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn pages_for_signed_in_users_and_the_login_page_are_never_cached() {
    let app = spawn_app().await;

    let responses = one_of_each(&app).await;

    for (what, response) in &responses {
        let cache = header(response, "cache-control");
        if what.contains("app.css") {
            assert_eq!(cache, Some("public, max-age=3600"), "{what}");
        } else {
            assert_eq!(cache, Some("no-store"), "{what}");
        }
    }
}

#[tokio::test]
async fn hsts_is_sent_on_every_response_when_cookies_are_secure() {
    let app = spawn_app_with(|s| s.cookie_secure = true).await;

    let login = app.get("/login").await;
    let missing = app.get("/nope").await;
    let redirect = app.get("/").await;

    for (what, response) in [("login", &login), ("404", &missing), ("303", &redirect)] {
        assert_eq!(
            header(response, "strict-transport-security"),
            Some("max-age=31536000; includeSubDomains"),
            "{what}"
        );
        assert!(missing_headers(what, response, true).is_empty());
    }
}

#[tokio::test]
async fn server_errors_carry_the_security_headers_and_hide_their_cause() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let other = app.another_browser();
    other.login_as(&alice).await;

    // A handler's query fails...
    // Raw on purpose: breaks the schema to force a failure.
    sqlx::query("DROP TABLE role_requests")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let handler_error = app.get("/").await;
    // ...and the session store itself fails (inside its middleware).
    // Raw on purpose: breaks the schema to force a failure.
    sqlx::query("DROP TABLE sessions")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let middleware_error = other.get("/").await;

    for (what, response) in [("handler", handler_error), ("middleware", middleware_error)] {
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{what}"
        );
        let failures = missing_headers(what, &response, false);
        assert!(failures.is_empty(), "{failures:#?}");
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{what}"
        );
        let body = response.text().await.unwrap().to_lowercase();
        for leak in ["role_requests", "sessions", "sqlite", "relation", "sqlx"] {
            assert!(!body.contains(leak), "{what} error page mentions {leak}");
        }
    }
}

// ------------------------------------------------------ cross-site requests

async fn post_with(
    browser: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    header: (&str, &str),
) -> reqwest::Response {
    let token = browser.csrf_token().await;
    let mut body = fields.to_vec();
    body.push(("csrf_token", &token));
    browser
        .client
        .post(browser.url(path))
        .header(header.0, header.1)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(&body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_post_from_another_origin_or_marked_cross_site_is_refused_despite_a_valid_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    app.login_as(&admin).await;
    let approve = paths::approve_user(pat.id);

    for header in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("origin", "http://127.0.0.1:1"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = post_with(&app, &approve, &[], header).await;

        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header:?}");
        let page = html(response).await;
        assert_eq!(texts(&page, "main h1"), ["Request refused"], "{header:?}");
        assert_eq!(app.user_status(pat.id).await, UserStatus::Pending);
    }
    let refused = app.audit_rows(AuditAction::CsrfRejected).await;
    let first = refused.first().expect("a refusal row");
    let row = (
        first.target_label.clone(),
        first.reason.clone(),
        first.ip.clone(),
        first.actor_username.clone(),
    );
    assert_eq!(row.0, Some(format!("POST {approve}")));
    assert_eq!(row.1.as_deref(), Some("Origin: https://evil.example"));
    assert_eq!(row.2.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        row.3.as_deref(),
        Some("admin"),
        "the signed-in victim is named"
    );
}

#[tokio::test]
async fn a_post_from_this_origin_or_without_an_origin_goes_through() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    let sam = app
        .create_user("sam", "Engineer", UserStatus::Pending)
        .await;
    let tom = app
        .create_user("tom", "Engineer", UserStatus::Pending)
        .await;
    app.login_as(&admin).await;
    let own_origin = app.address.clone();

    let same = post_with(
        &app,
        &paths::approve_user(pat.id),
        &[],
        ("origin", &own_origin),
    )
    .await;
    let fetch = post_with(
        &app,
        &paths::approve_user(sam.id),
        &[],
        ("sec-fetch-site", "same-origin"),
    )
    .await;
    let none = app.approve_user(tom.id, &[]).await;

    for response in [&same, &fetch, &none] {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    for user in [&pat, &sam, &tom] {
        assert_eq!(app.user_status(user.id).await, UserStatus::Active);
    }
}

#[tokio::test]
async fn a_cross_site_sign_in_is_refused_and_starts_no_session() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let response = post_with(
        &app,
        "/login",
        &[("login", "admin"), ("password", &admin.password)],
        ("origin", "https://evil.example"),
    )
    .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect_to(&app.get("/").await, "/login");
}

// ------------------------------------------------------------------- next

#[tokio::test]
async fn after_sign_in_next_is_followed_only_to_local_paths() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        ("/admin/users?page=2", "/admin/users?page=2"),
        ("/account/sessions", "/account/sessions"),
        ("//evil.example", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("https://evil.example/", "/"),
        ("http:evil.example", "/"),
        ("\t//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("", "/"),
    ];

    for (next, expected) in cases {
        let browser = app.another_browser();
        let form = browser
            .get_html(&format!(
                "/login?{}",
                serde_html_form::to_string([("next", next)]).unwrap()
            ))
            .await;
        let response = browser
            .login_with(&[
                ("login", "admin"),
                ("password", &admin.password),
                ("next", next),
            ])
            .await;

        assert_redirect_to(&response, expected);
        assert_eq!(
            first_attr(&form, "input[name=next]", "value").as_deref(),
            Some(expected),
            "{next:?}"
        );
    }
}

// ------------------------------------------------------- GET changes nothing

async fn state(app: &TestApp) -> Vec<String> {
    // Raw: every stored column (password_hash too) of whole tables, so any change shows.
    let pool = &app.db.pool;
    let mut lines = Vec::new();
    let users: Vec<(i64, String, i64, String, i64)> = sqlx::query_as(
        "SELECT id, status, role_id, password_hash, login_count FROM users ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    lines.extend(users.iter().map(|u| format!("{u:?}")));
    let requests: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, status, role_id FROM role_requests ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    lines.extend(requests.iter().map(|r| format!("{r:?}")));
    let grants: Vec<(i64, String)> =
        sqlx::query_as("SELECT role_id, permission FROM role_permissions ORDER BY 1, 2")
            .fetch_all(pool)
            .await
            .unwrap();
    lines.extend(grants.iter().map(|g| format!("{g:?}")));
    for table in ["roles", "audit_log", "sessions"] {
        lines.push(format!("{table}: {}", app.count(table).await));
    }
    lines
}

#[tokio::test]
async fn no_get_request_changes_anything_and_get_on_a_post_route_is_405() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    app.login_as(&admin).await;
    app.get("/").await;
    let before = state(&app).await;
    let concrete = |path: &str| path.replace("{id}", &pat.id.to_string());

    for &(method, route) in ROUTES {
        let path = concrete(route);
        let response = app.get(&path).await;
        let gets_too = ROUTES.contains(&("get", route));
        if method == "post" && !gets_too {
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "GET {path}"
            );
        } else {
            assert!(response.status().as_u16() < 500, "GET {path}");
        }
        assert_eq!(state(&app).await, before, "GET {path} changed something");
    }
}

// ------------------------------------------------------------------ cookies

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookies(response: &reqwest::Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| {
            let (name, value) = c.split(';').next()?.split_once('=')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// Signs `user` in without a cookie jar; returns the cookies it was given.
async fn cookies_of_a_sign_in(app: &TestApp, user: &TestUser) -> HashMap<String, String> {
    let client = plain_client();
    let form = client.get(app.url("/login")).send().await.unwrap();
    let csrf = set_cookies(&form)["gatehouse_csrf"].clone();
    let page = Html::parse_document(&form.text().await.unwrap());
    let token = first_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let body = serde_html_form::to_string([
        ("login", user.username.as_str()),
        ("password", user.password.as_str()),
        ("csrf_token", &token),
    ])
    .unwrap();
    let response = client
        .post(app.url("/login"))
        .header("cookie", format!("gatehouse_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    set_cookies(&response)
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    plain_client()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Variants of a signed cookie value that must not verify here.
fn spoiled(value: &str, foreign: &str) -> Vec<(&'static str, String)> {
    let mut flipped: Vec<char> = value.chars().collect();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == 'a' { 'b' } else { 'a' };
    let mut bad_signature: Vec<char> = value.chars().collect();
    bad_signature[0] = if bad_signature[0] == 'A' { 'B' } else { 'A' };
    vec![
        ("tampered value", flipped.into_iter().collect()),
        ("tampered signature", bad_signature.into_iter().collect()),
        ("truncated", value[..value.len() / 2].to_owned()),
        ("signature only", value[..44].to_owned()),
        ("signed with another key", foreign.to_owned()),
        ("empty", String::new()),
        ("garbage", "%%%not-a-cookie".to_owned()),
    ]
}

#[tokio::test]
async fn a_tampered_truncated_or_foreign_session_cookie_is_treated_as_anonymous() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let foreign_app = spawn_app_with(|s| {
        s.secret_key = Some(
            "another-secret-key-that-is-long-enough-98765"
                .to_owned()
                .into(),
        )
    })
    .await;
    let foreign_admin = foreign_app.admin().await;
    // Same key, other database: a well-signed key this database never issued.
    let sibling = spawn_app().await;
    let sibling_admin = sibling.admin().await;
    let real = cookies_of_a_sign_in(&app, &admin).await["gatehouse_session"].clone();
    let foreign =
        cookies_of_a_sign_in(&foreign_app, &foreign_admin).await["gatehouse_session"].clone();
    let unknown = cookies_of_a_sign_in(&sibling, &sibling_admin).await["gatehouse_session"].clone();
    let ok = get_with_cookie(&app, "/", &format!("gatehouse_session={real}")).await;
    assert_eq!(ok.status(), StatusCode::OK, "the real cookie works");
    let sessions = app.count("sessions").await;

    let mut variants = spoiled(&real, &foreign);
    variants.push(("never issued here", unknown));
    for (what, value) in variants {
        let cookie = format!("gatehouse_session={value}");
        let home = get_with_cookie(&app, "/", &cookie).await;
        let admin_page = get_with_cookie(&app, "/admin/users", &cookie).await;
        let login = get_with_cookie(&app, "/login", &cookie).await;

        assert_eq!(home.status(), StatusCode::SEE_OTHER, "{what}");
        assert!(
            header(&home, "location").unwrap().starts_with("/login"),
            "{what}"
        );
        assert_eq!(admin_page.status(), StatusCode::SEE_OTHER, "{what}");
        assert_eq!(login.status(), StatusCode::OK, "{what}");
        assert_eq!(app.count("sessions").await, sessions, "{what}");
    }
}

#[tokio::test]
async fn a_tampered_or_foreign_csrf_cookie_gets_a_fresh_token_and_never_passes_a_form() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let foreign_app = spawn_app_with(|s| {
        s.secret_key = Some(
            "another-secret-key-that-is-long-enough-98765"
                .to_owned()
                .into(),
        )
    })
    .await;
    let form = plain_client().get(app.url("/login")).send().await.unwrap();
    let real = set_cookies(&form)["gatehouse_csrf"].clone();
    let token = first_attr(
        &Html::parse_document(&form.text().await.unwrap()),
        "input[name=csrf_token]",
        "value",
    )
    .unwrap();
    let foreign_form = plain_client()
        .get(foreign_app.url("/login"))
        .send()
        .await
        .unwrap();
    let foreign = set_cookies(&foreign_form)["gatehouse_csrf"].clone();

    for (what, value) in spoiled(&real, &foreign) {
        let cookie = format!("gatehouse_csrf={value}");
        let page = get_with_cookie(&app, "/login", &cookie).await;
        let body = serde_html_form::to_string([
            ("login", "admin"),
            ("password", admin.password.as_str()),
            ("csrf_token", &token),
        ])
        .unwrap();
        let post = plain_client()
            .post(app.url("/login"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(page.status(), StatusCode::OK, "{what}");
        let fresh = set_cookies(&page).get("gatehouse_csrf").cloned();
        assert!(
            fresh.is_some_and(|f| f != value),
            "{what}: a new token cookie"
        );
        assert_eq!(post.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_tampered_or_foreign_flash_cookie_shows_no_message_and_no_error() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let foreign_app = spawn_app_with(|s| {
        s.secret_key = Some(
            "another-secret-key-that-is-long-enough-98765"
                .to_owned()
                .into(),
        )
    })
    .await;
    let foreign_admin = foreign_app.admin().await;
    // Signing out leaves a flash ("You have been signed out.") in a cookie.
    let flash_of = |target: &TestApp, user: &TestUser| {
        let (target, user) = (target.another_browser(), user.clone());
        async move {
            let cookies = cookies_of_a_sign_in(&target, &user).await;
            let cookie = format!(
                "gatehouse_session={}; gatehouse_csrf={}",
                cookies["gatehouse_session"], cookies["gatehouse_csrf"]
            );
            let page = get_with_cookie(&target, "/login", &cookie).await;
            let token = first_attr(&html(page).await, "input[name=csrf_token]", "value").unwrap();
            let out = plain_client()
                .post(target.url("/logout"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf_token={token}"))
                .send()
                .await
                .unwrap();
            set_cookies(&out)["gatehouse_flash"].clone()
        }
    };
    let real = flash_of(&app, &admin).await;
    let foreign = flash_of(&foreign_app, &foreign_admin).await;
    let shown =
        html(get_with_cookie(&app, "/login", &format!("gatehouse_flash={real}")).await).await;
    assert_eq!(flash(&shown).as_deref(), Some("You have been signed out."));

    for (what, value) in spoiled(&real, &foreign) {
        let response = get_with_cookie(&app, "/login", &format!("gatehouse_flash={value}")).await;

        assert_eq!(response.status(), StatusCode::OK, "{what}");
        assert_eq!(flash(&html(response).await), None, "{what}");
    }
}

// --------------------------------------------------------------- log lines

const PROBE: &str = "forgery-probe";
static CAPTURED: LazyLock<Mutex<Vec<String>>> = LazyLock::new(Mutex::default);

/// Keeps the log writes that mention the probe.
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if text.contains(PROBE) {
            CAPTURED.lock().unwrap().push(text.into_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends raw bytes as an HTTP request and returns the raw answer.
fn raw_request(app: &TestApp, request: &[u8]) -> String {
    let address = app.address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn line_breaks_and_control_characters_in_a_request_cannot_forge_a_log_line() {
    static INSTALLED: LazyLock<bool> =
        LazyLock::new(|| gatehouse::telemetry::init_with_writer("info", || Capture));
    assert!(*INSTALLED, "another test installed a log subscriber first");
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let request = format!(
        "GET /{PROBE}%0D%0A2026-01-01T00:00:00Z%20INFO%20admin%20signed%20in HTTP/1.1\r\n\
         Host: {host}\r\nUser-Agent: {PROBE}\u{85}FAKE\u{2028}LINE\tTAB\r\nConnection: close\r\n\r\n"
    );

    // A bare CR or LF inside a header cannot even be sent: the parser
    // refuses the request before anything is logged about it.
    let bare = format!(
        "GET /{PROBE}-bare HTTP/1.1\r\nHost: {host}\r\n\
         User-Agent: x\rBARE-CR-FAKE\r\nConnection: close\r\n\r\n"
    );

    let (answer, refused) = tokio::task::spawn_blocking({
        let app = app.another_browser();
        move || {
            (
                raw_request(&app, request.as_bytes()),
                raw_request(&app, bare.as_bytes()),
            )
        }
    })
    .await
    .unwrap();

    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    let lines = CAPTURED.lock().unwrap().clone();
    assert!(
        !lines.iter().any(|l| l.contains("BARE-CR-FAKE")),
        "{lines:?}"
    );
    let first: Vec<&String> = lines.iter().filter(|l| l.contains("FAKE")).collect();
    assert!(!first.is_empty(), "the request was logged: {lines:?}");
    for line in &lines {
        let body = line.strip_suffix('\n').expect("each write ends one line");
        assert!(
            !body
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
            "a control character reached the log: {line:?}"
        );
    }
    assert!(
        first[0].contains("%0D%0A2026-01-01T00:00:00Z%20INFO"),
        "{first:?}"
    );
}
