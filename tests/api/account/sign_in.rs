//! Signing in: by username or email in any case, where `next` may lead, the
//! messages for refused accounts, and the audit row of every attempt.

use super::*;

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
        .login_with(&[
            ("login", "admin"),
            ("password", PASSWORD),
            ("next", "/admin/users?page=2"),
        ])
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
        let form = browser.get_html(&paths::login_next(&query)).await;
        assert_eq!(
            first_attr(&form, "input[name=next]", "value").as_deref(),
            Some("/"),
            "{next}"
        );
        let response = browser
            .login_with(&[("login", "alice"), ("password", PASSWORD), ("next", next)])
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
        .login_with(&[
            ("login", "patient"),
            ("password", PASSWORD),
            ("next", "/account/role-request"),
        ])
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
    let rows: Vec<(String, Option<String>, Option<String>)> = app
        .all_audit_rows()
        .await
        .iter()
        .filter(|r| r.action.starts_with("auth."))
        .map(|r| (r.action.clone(), r.reason.clone(), r.target_label.clone()))
        .collect();
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
