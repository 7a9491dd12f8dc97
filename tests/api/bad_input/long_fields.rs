//! Ten thousand characters in any field: a field message or the usual answer,
//! never a 500, and nothing stored.

use super::*;

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

        let page = rerendered(app.register_with(&fields).await).await;

        form_error(&page);
        required_field_error(&page, field);
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
        let page = rerendered(app.login_with(&fields).await).await;
        assert!(!form_error(&page).is_empty());
    }

    assert_eq!(app.count("sessions").await, 0);
    let text = |v: &Option<String>| v.as_deref().map_or(0, |s| s.chars().count());
    let longest: Option<usize> = app
        .all_audit_rows()
        .await
        .iter()
        .map(|r| {
            text(&r.target_label) + text(&r.reason) + text(&r.before_value) + text(&r.after_value)
        })
        .max();
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
        let page = rerendered(alice.change_password_with(&fields).await).await;
        form_error(&page);
        required_field_error(&page, field);
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
        let page = rerendered(app.submit_role_request_with(&fields).await).await;
        form_error(&page);
        required_field_error(&page, field);
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
        (paths::approve_user(bob), vec![("reason", long.clone())]),
        (paths::reject_user(bob), vec![("reason", long.clone())]),
        (paths::disable_user(alice), vec![("reason", long.clone())]),
        (paths::enable_user(carol), vec![("reason", long.clone())]),
        (
            paths::change_role(alice),
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
            paths::approve_role_request(request),
            vec![("note", long.clone())],
        ),
        (
            paths::deny_role_request(request),
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
        error_flash_after(app, app.create_role_with(&fields).await).await;
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
