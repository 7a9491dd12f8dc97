//! Markup and SQL in every text field: stored intact and shown escaped.

use super::*;

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
        let detail = rerendered(app.get(&paths::user(id)).await).await;
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
    alice.withdraw_role_request(first).await;
    let pm = scene.pm.to_string();
    let texts_to_try: Vec<String> = NASTY
        .iter()
        .map(|s| (*s).to_owned())
        .chain([all_nasty()])
        .collect();

    for text in &texts_to_try {
        let justification = format!("Because {text} matters");
        let response = alice
            .submit_role_request_with(&[("role_id", &pm), ("justification", &justification)])
            .await;
        assert_redirect_to(&response, "/");
        let id = latest_request(app).await;
        assert_eq!(role_request(app, id).await.justification, justification);
        let queue = rerendered(app.get("/admin/role-requests").await).await;
        assert_some_text_contains(&queue, "main .request p", &justification);
        assert_no_script(&queue);

        let response = app.deny_role_request(id, &[("note", text)]).await;
        assert_redirect_to(&response, "/admin/role-requests");
        assert_eq!(
            role_request(app, id).await.note.as_deref(),
            Some(text.as_str())
        );
        let home = rerendered(alice.get("/").await).await;
        assert_some_text_contains(&home, "main .facts dd", text);
        assert_no_script(&home);
        let detail = rerendered(app.get(&paths::user(scene.alice.id)).await).await;
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
        let response = app.reject_user(target.id, &[("reason", reason)]).await;
        assert_redirect_to(&response, &paths::user(target.id));

        let stored = user(app, target.id).await;
        assert_eq!(stored.status, UserStatus::Rejected);
        assert_eq!(stored.status_reason.as_deref(), Some(reason.as_str()));
        let audited: String = app
            .audit_rows(gatehouse::domain::AuditAction::UserRejected)
            .await
            .pop()
            .and_then(|r| r.content.reason)
            .expect("a rejection with its reason");
        assert_eq!(&audited, reason);
        let detail = rerendered(app.get(&paths::user(target.id)).await).await;
        assert_some_text_contains(&detail, "main .facts dd", reason);
        assert_some_text_contains(&detail, "main table.audit td", reason);
        assert_no_script(&detail);
        let audit = rerendered(app.get("/admin/audit").await).await;
        assert_some_text_contains(&audit, "main table.audit td", reason);
        assert_no_script(&audit);
    }

    let reason = all_nasty();
    let response = app
        .disable_user(scene.alice.id, &[("reason", &reason)])
        .await;
    assert_redirect_to(&response, &paths::user(scene.alice.id));
    assert_eq!(
        user(app, scene.alice.id).await.status_reason.as_deref(),
        Some(reason.as_str())
    );
    let detail = rerendered(app.get(&paths::user(scene.alice.id)).await).await;
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
            .create_role_with(&[("name", &name), ("description", description)])
            .await;
        assert_redirect_to(&response, "/admin/roles");

        let id = app.role_id(&name).await;
        assert_eq!(&role(app, id).await.description, description);
        let page = rerendered(app.get("/admin/roles").await).await;
        assert_some_text_contains(&page, "main .card p", description);
        assert_no_script(&page);
    }

    let response = app.create_role_with(&[("name", "Zoë 山田")]).await;
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
        let response = app.create_role_with(&[("name", name)]).await;
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
        app.submit_role_request_with(&[("justification", &value)])
            .await,
    )
    .await;
    assert_eq!(texts(&page, "main textarea[name=justification]"), [value]);
    assert_no_script(&page);
    assert_eq!(app.count("users").await, 1);
}
