//! What a browser would not send: invalid UTF-8, duplicated fields, and extra
//! fields that must be ignored.

use super::*;

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
        (app, paths::reject_user(bob), "reason=BAD"),
        (app, "/admin/users/bulk".into(), "action=BAD&ids=BAD"),
        (app, "/admin/roles".into(), "name=BAD&description=BAD"),
        (
            app,
            paths::deny_role_request(scene.alice_request),
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
        (app, paths::reject_user(bob), "reason=one&reason=two".into()),
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

#[tokio::test]
async fn extra_fields_on_registration_are_ignored_and_the_account_stays_pending_with_the_default_role()
 {
    let app = spawn_app().await;
    let admin_role = app.role_id("Admin").await.to_string();

    let response = app
        .register_with(&[
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
        ])
        .await;

    assert_redirect_to(&response, "/pending");
    let id = app.user_id("sneaky").await;
    let stored = user(&app, id).await;
    assert_eq!(stored.status, UserStatus::Pending);
    assert_eq!(stored.role_name, "Engineer");
    assert_eq!(stored.login_count, 0);
    assert_redirect_to(&app.get("/admin/users").await, "/pending");
}
