//! Brute force and enumeration: the per-account lockout (in the database),
//! the per-address rate limit, trusted proxies, and identical answers for
//! every kind of failed sign-in. Time is moved by shifting rows into the past.

use gatehouse::config::Settings;
use gatehouse::domain::{AuditAction, Timestamp, UserId, UserStatus};
use reqwest::StatusCode;

use crate::helpers::*;

const GENERIC: &str = "The username, email or password is not correct.";

/// The lockout row of `user`: (failures, locked_until, since_login).
async fn throttle_row(app: &TestApp, user: UserId) -> Option<(i64, Option<i64>, i64)> {
    // Raw: tells a deleted row (None) from a zeroed one; login_throttle::get returns the default for both.
    sqlx::query_as(
        "SELECT failures, locked_until, since_login FROM login_throttle WHERE user_id = $1",
    )
    .bind(user.0)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap()
}

/// Moves the account's failure history `ms` milliseconds into the past.
async fn shift_into_past(app: &TestApp, user: UserId, ms: i64) {
    // Raw on purpose: ages the lockout, which no endpoint can do.
    sqlx::query(
        "UPDATE login_throttle SET first_failure_at = first_failure_at - $1, \
         last_failure_at = last_failure_at - $1, locked_until = locked_until - $1 \
         WHERE user_id = $2",
    )
    .bind(ms)
    .bind(user.0)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

async fn fail_times(app: &TestApp, login: &str, n: usize) {
    for _ in 0..n {
        let response = app.login(login, "not-the-right-password").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// The login page's error message.
async fn login_error(response: reqwest::Response) -> String {
    texts(&html(response).await, "#login-error").join(" ")
}

/// Reason codes of the failed sign-ins, oldest first.
async fn failure_reasons(app: &TestApp) -> Vec<String> {
    app.audit_rows(AuditAction::LoginFailed)
        .await
        .iter()
        .map(|r| r.reason.clone().expect("a failed sign-in records a reason"))
        .collect()
}

/// Addresses of the failed sign-ins, oldest first.
async fn failure_ips(app: &TestApp) -> Vec<Option<String>> {
    app.audit_rows(AuditAction::LoginFailed)
        .await
        .iter()
        .map(|r| r.ip.clone())
        .collect()
}

fn minutes_from_now(ms: i64) -> f64 {
    (ms - Timestamp::now().0) as f64 / 60_000.0
}

#[tokio::test]
async fn five_failures_lock_the_account_and_then_even_the_right_password_gets_the_generic_message()
{
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;

    fail_times(&app, "alice", 5).await;
    let response = app.login("alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(login_error(response).await, GENERIC);
    let (failures, locked_until, since_login) = throttle_row(&app, alice.id).await.unwrap();
    assert_eq!((failures, since_login), (5, 6));
    let wait = minutes_from_now(locked_until.unwrap());
    assert!((0.9..=1.0).contains(&wait), "locked for {wait} min");
    assert_eq!(
        failure_reasons(&app).await,
        [
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "wrong_password",
            "locked"
        ]
    );
    let locks: Vec<(Option<String>, Option<String>)> = app
        .audit_rows(AuditAction::AccountLocked)
        .await
        .iter()
        .map(|r| (r.reason.clone(), r.after_value.clone()))
        .collect();
    assert_eq!(
        locks,
        [(
            Some("too_many_failures".to_owned()),
            Some("locked for 1 min after 5 failures".to_owned())
        )]
    );
}

#[tokio::test]
async fn four_failures_do_not_lock_and_failures_spread_beyond_the_window_start_over() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;

    fail_times(&app, "alice", 4).await;
    shift_into_past(&app, alice.id, 16 * 60_000).await;
    fail_times(&app, "alice", 4).await;

    let (failures, locked_until, since_login) = throttle_row(&app, alice.id).await.unwrap();
    assert_eq!((failures, locked_until, since_login), (4, None, 8));
    assert_redirect_to(&app.login("alice", PASSWORD).await, "/");
}

#[tokio::test]
async fn when_a_lock_ends_the_next_failure_locks_twice_as_long() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    fail_times(&app, "alice", 5).await;

    shift_into_past(&app, alice.id, 61_000).await;
    fail_times(&app, "alice", 1).await;
    let (_, locked_until, _) = throttle_row(&app, alice.id).await.unwrap();
    let second = minutes_from_now(locked_until.unwrap());
    shift_into_past(&app, alice.id, 121_000).await;
    fail_times(&app, "alice", 1).await;
    let (failures, locked_until, _) = throttle_row(&app, alice.id).await.unwrap();
    let third = minutes_from_now(locked_until.unwrap());

    assert!((1.9..=2.0).contains(&second), "second lock {second} min");
    assert!((3.9..=4.0).contains(&third), "third lock {third} min");
    assert_eq!(failures, 7);
    assert_eq!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "auth.account_locked")
            .count(),
        3
    );
}

#[tokio::test]
async fn a_lockout_holds_on_another_instance_of_the_app_sharing_the_database() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    fail_times(&app, "alice", 5).await;

    let other = app.another_instance().await;
    let response = other.login("alice", PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(login_error(response).await, GENERIC);
    assert_eq!(failure_reasons(&app).await.last().unwrap(), "locked");
}

#[tokio::test]
async fn after_the_wait_the_right_password_signs_in_and_the_user_hears_how_many_attempts_failed() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    fail_times(&app, "alice", 5).await;
    app.login("alice", PASSWORD).await;
    shift_into_past(&app, alice.id, 61_000).await;

    let response = app.login("alice", PASSWORD).await;

    assert_redirect_to(&response, "/");
    let home = app.get_html("/").await;
    assert_eq!(
        flash(&home).as_deref(),
        Some("There were 6 failed sign-in attempts on your account since your last sign-in.")
    );
    assert_eq!(throttle_row(&app, alice.id).await, None);
    app.logout().await;
    assert_redirect_to(&app.login("alice", PASSWORD).await, "/");
    assert_eq!(flash(&app.get_html("/").await), None);
}

#[tokio::test]
async fn an_admin_sees_a_lockout_on_the_user_page_and_clears_it_and_that_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let attacker = app.another_browser();
    fail_times(&attacker, "alice", 5).await;
    app.login_as(&admin).await;

    let page = app.user_page(alice.id).await;
    let status = texts(&page, "#lockout").join(" ");
    assert!(status.starts_with("Locked until"), "{status}");
    assert!(status.ends_with("after 5 failures"), "{status}");
    let response = app.unlock_user(alice.id).await;

    assert_redirect_to(&response, &paths::user(alice.id));
    let page = app.user_page(alice.id).await;
    assert_eq!(flash(&page).as_deref(), Some("alice can sign in again."));
    assert_eq!(texts(&page, "#lockout"), ["none"]);
    assert!(
        app.audit_actions()
            .await
            .contains(&"user.lockout_cleared".to_owned())
    );
    let again = app.unlock_user(alice.id).await;
    assert_redirect_to(&again, &paths::user(alice.id));
    let page = app.user_page(alice.id).await;
    assert_eq!(flash(&page).as_deref(), Some("alice is not locked out."));
    let browser = app.another_browser();
    assert_redirect_to(&browser.login("alice", PASSWORD).await, "/");
    assert_eq!(
        flash(&browser.get_html("/").await).as_deref(),
        Some("There were 5 failed sign-in attempts on your account since your last sign-in.")
    );
}

#[tokio::test]
async fn every_failed_sign_in_is_audited_with_its_reason_code() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.create_user("dora", "Engineer", UserStatus::Disabled)
        .await;
    app.create_user("rita", "Engineer", UserStatus::Rejected)
        .await;

    app.login("ghost", PASSWORD).await;
    app.login("alice", "not-the-right-password").await;
    app.login("dora", PASSWORD).await;
    app.login("rita", PASSWORD).await;

    assert_eq!(
        failure_reasons(&app).await,
        [
            "unknown_user",
            "wrong_password",
            "account_disabled",
            "account_rejected"
        ]
    );
    let ips: Vec<Option<String>> = failure_ips(&app).await;
    assert!(
        ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")),
        "{ips:?}"
    );
}

/// Status, body without the CSRF token and the echoed login, and cookies
/// without their values.
async fn comparable(response: reqwest::Response, login: &str, token: &str) -> String {
    let status = response.status();
    let mut cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let v = v.to_str().unwrap();
            let (name, rest) = v.split_once('=').unwrap();
            let attrs = rest.split_once(';').map_or("", |(_, a)| a);
            format!("{name}=…;{attrs}")
        })
        .collect();
    cookies.sort();
    let body = response
        .text()
        .await
        .unwrap()
        .replace(token, "TOKEN")
        .replace(&format!("value=\"{login}\""), "value=\"LOGIN\"");
    format!("{status}\n{cookies:?}\n{body}")
}

#[tokio::test]
async fn unknown_user_wrong_password_locked_account_and_pending_or_disabled_with_a_wrong_password_look_the_same()
 {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.create_user("bob", "Engineer", UserStatus::Active).await;
    app.create_user("carol", "Engineer", UserStatus::Pending)
        .await;
    app.create_user("dave", "Engineer", UserStatus::Disabled)
        .await;
    fail_times(&app.another_browser(), "bob", 5).await;

    let mut seen = Vec::new();
    for (login, password) in [
        ("ghost", "not-the-right-password"),
        ("alice", "not-the-right-password"),
        ("bob", PASSWORD),
        ("carol", "not-the-right-password"),
        ("dave", "not-the-right-password"),
    ] {
        let browser = app.another_browser();
        let token = browser.csrf_token().await;
        let response = browser
            .post_raw(
                "/login",
                &[
                    ("login", login),
                    ("password", password),
                    ("csrf_token", &token),
                ],
            )
            .await;
        seen.push((login, comparable(response, login, &token).await));
    }

    let (first_login, first) = &seen[0];
    assert!(first.starts_with("200 OK"), "{first}");
    assert!(first.contains(GENERIC));
    for (login, other) in &seen[1..] {
        assert_eq!(other, first, "{login} differs from {first_login}");
    }
}

/// POSTs a sign-in with an optional `X-Forwarded-For` header.
async fn login_via(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let token = app.csrf_token().await;
    let body = serde_html_form::to_string([
        ("login", "ghost"),
        ("password", "not-the-right-password"),
        ("csrf_token", token.as_str()),
    ])
    .unwrap();
    let mut request = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    request.body(body).send().await.unwrap()
}

#[tokio::test]
async fn the_twenty_first_sign_in_post_in_a_minute_from_one_address_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.login_ip_limit_per_minute = Settings::default().login_ip_limit_per_minute;
    })
    .await;

    for n in 1..=20 {
        assert_eq!(
            login_via(&app, None).await.status(),
            StatusCode::OK,
            "POST {n}"
        );
    }
    let refused = login_via(&app, None).await;
    let again = login_via(&app, None).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(texts(&html(refused).await, "h1"), ["Too many attempts"]);
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    let actions = app.audit_actions().await;
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.login_failed").count(),
        20
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "auth.login_throttled")
            .count(),
        1
    );
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn registrations_count_towards_the_same_limit_as_sign_ins() {
    let app = spawn_app_with(|s| s.login_ip_limit_per_minute = 3).await;

    app.register("newbie1", "newbie1@example.com", "New Bie", "short")
        .await;
    app.register("newbie2", "newbie2@example.com", "New Bie", "short")
        .await;
    login_via(&app, None).await;
    let refused = app
        .register("newbie3", "newbie3@example.com", "New Bie", PASSWORD)
        .await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_when_the_peer_is_a_trusted_proxy() {
    let behind_proxy = spawn_app_with(|s| {
        s.login_ip_limit_per_minute = 2;
        s.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let direct = spawn_app_with(|s| s.login_ip_limit_per_minute = 2).await;

    for app in [&behind_proxy, &direct] {
        assert_eq!(
            login_via(app, Some("198.51.100.1")).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            login_via(app, Some("198.51.100.1")).await.status(),
            StatusCode::OK
        );
    }
    let proxied_third = login_via(&behind_proxy, Some("198.51.100.1"))
        .await
        .status();
    let proxied_other = login_via(&behind_proxy, Some("6.6.6.6, 198.51.100.2"))
        .await
        .status();
    let direct_other = login_via(&direct, Some("198.51.100.2")).await.status();

    assert_eq!(proxied_third, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(proxied_other, StatusCode::OK);
    assert_eq!(direct_other, StatusCode::TOO_MANY_REQUESTS);
    let proxied: Vec<Option<String>> = failure_ips(&behind_proxy).await;
    assert_eq!(
        proxied,
        [
            Some("198.51.100.1".to_owned()),
            Some("198.51.100.1".to_owned()),
            Some("198.51.100.2".to_owned())
        ]
    );
    let direct_ips = failure_ips(&direct).await;
    assert!(
        direct_ips
            .iter()
            .all(|ip| ip.as_deref() == Some("127.0.0.1"))
    );
}
