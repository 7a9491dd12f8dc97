//! Forms sent without their fields: each field marked, nothing stored.

use super::*;

#[tokio::test]
async fn registering_with_no_fields_marks_each_field_and_stores_nothing() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let page = rerendered(app.register_with(&[]).await).await;

    form_error(&page);
    for field in ["username", "email", "full_name", "password"] {
        required_field_error(&page, field);
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
        let page = rerendered(app.login_with(&fields).await).await;
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

    let page = rerendered(alice.change_password_with(&[]).await).await;

    form_error(&page);
    required_field_error(&page, "current_password");
    required_field_error(&page, "new_password");
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

    let page = rerendered(app.submit_role_request_with(&[]).await).await;
    form_error(&page);
    required_field_error(&page, "role_id");

    let page = rerendered(app.submit_role_request_with(&[("role_id", &pm)]).await).await;
    form_error(&page);
    required_field_error(&page, "justification");

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
        (paths::reject_user(bob), vec![], "Please give a reason."),
        (paths::disable_user(alice), vec![], "Please give a reason."),
        (paths::change_role(alice), vec![], "Choose a role."),
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
            paths::deny_role_request(scene.alice_request),
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
