//! While Pending: the waiting page, and the few pages a Pending user may open.

use super::*;

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
async fn a_pending_user_reaches_only_the_pending_page_their_password_profile_and_sessions() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let open = [
        "/pending",
        "/account/password",
        "/account/profile",
        "/account/sessions",
        "/notifications",
        "/account/notifications",
        // Says why they may not open an app yet.
        "/auth/denied",
    ];
    // Their own sessions and their own address (a pending user confirms
    // it, or corrects it, while they wait).
    let own_sessions = [
        "/account/sessions/revoke-others",
        "/account/sessions/{id}/revoke",
        "/email/verify/resend",
        "/account/email",
        "/notifications/read-all",
        "/notifications/{id}/read",
        "/account/notifications",
    ];
    let public = [
        "/login",
        "/register",
        "/o/{slug}/login",
        "/o/{slug}/register",
        "/password/forgot",
        "/o/{slug}/password/forgot",
        "/password/reset",
        "/email/verify",
        "/invitations/accept",
        "/logout",
        "/healthz",
        "/static/app.css",
        "/favicon.ico",
        // The proxy's question: answers 403 "pending" itself.
        "/auth/verify",
    ];

    for path in open {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "GET {path}");
    }
    let mut checked = 0;
    for (method, pattern) in gatehouse::routes::ROUTES {
        if open.contains(pattern) || public.contains(pattern) || own_sessions.contains(pattern) {
            continue;
        }
        // The API never looks at a session: it answers 401 to a cookie
        // (tests/api/tokens.rs).
        if pattern.starts_with("/api/") {
            continue;
        }
        // OpenID Connect answers for a client or a token, not the session;
        // its authorization endpoint sends a Pending user to /pending
        // itself (tests/api/oidc.rs).
        if pattern.starts_with("/oauth/") || pattern.ends_with("/.well-known/openid-configuration")
        {
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
