//! The session cookie: renewed at sign-in, dead after sign-out, never made for
//! anonymous visitors, and its attributes.

use super::*;

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
