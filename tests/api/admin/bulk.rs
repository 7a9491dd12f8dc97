//! Bulk actions on the user list: all or nothing, naming the user refused.

use super::*;

#[tokio::test]
async fn bulk_approve_approves_every_selected_user_and_names_them() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let p3 = app
        .create_user("pat3", "Engineer", UserStatus::Pending)
        .await;
    let (id1, id2) = (p1.id.to_string(), p2.id.to_string());

    let response = app
        .bulk_action(&[
            ("action", "approve"),
            ("ids", &id1),
            ("ids", &id2),
            ("back", "/admin/users?status=pending"),
        ])
        .await;

    assert_redirect_to(&response, "/admin/users?status=pending");
    let page = app.get_html("/admin/users?status=pending").await;
    let message = success(&page).expect("a success message");
    assert!(
        message.contains("pat1") && message.contains("pat2"),
        "{message}"
    );
    assert!(message.starts_with("2 users"), "{message}");
    assert!(!message.contains("pat3"), "{message}");
    assert_eq!(app.user_status(p1.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p3.id).await, UserStatus::Pending);
    assert_eq!(listed(&page), ["pat3"]);
}

#[tokio::test]
async fn a_bulk_action_with_one_refused_user_changes_nothing_and_names_that_user() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let a1 = app.create_user("amy", "Engineer", UserStatus::Active).await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let ids = [p1.id.to_string(), a1.id.to_string(), p2.id.to_string()];
    let audit_before = app.count("audit_log").await;

    let page = app
        .follow(
            app.bulk_action(&[
                ("action", "reject"),
                ("reason", "Spam wave"),
                ("ids", &ids[0]),
                ("ids", &ids[1]),
                ("ids", &ids[2]),
            ])
            .await,
        )
        .await;

    assert_eq!(
        error(&page).as_deref(),
        Some("Nothing was changed: amy: Cannot reject a user who is Active.")
    );
    assert_eq!(app.user_status(p1.id).await, UserStatus::Pending);
    assert_eq!(app.user_status(a1.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Pending);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn bulk_reject_and_disable_need_a_reason_and_then_apply_to_all() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let (vic, vic_browser) = signed_in(&app, "vic", "Engineer").await;
    let (wes, _wes_browser) = signed_in(&app, "wes", "Engineer").await;
    let (i1, i2) = (p1.id.to_string(), p2.id.to_string());
    let (iv, iw) = (vic.id.to_string(), wes.id.to_string());

    let no_reason = app
        .follow(
            app.bulk_action(&[("action", "reject"), ("ids", &i1), ("ids", &i2)])
                .await,
        )
        .await;
    assert_eq!(error(&no_reason).as_deref(), Some("Please give a reason."));
    assert_eq!(app.user_status(p1.id).await, UserStatus::Pending);

    let rejected = app
        .follow(
            app.bulk_action(&[
                ("action", "reject"),
                ("reason", "Duplicates"),
                ("ids", &i1),
                ("ids", &i2),
            ])
            .await,
        )
        .await;
    let disabled = app
        .follow(
            app.bulk_action(&[
                ("action", "disable"),
                ("reason", "Contract ended"),
                ("ids", &iv),
                ("ids", &iw),
            ])
            .await,
        )
        .await;

    assert!(success(&rejected).is_some_and(|m| m.contains("pat1") && m.contains("pat2")));
    assert!(success(&disabled).is_some_and(|m| m.contains("vic") && m.contains("wes")));
    assert_eq!(app.user_status(p1.id).await, UserStatus::Rejected);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Rejected);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Disabled);
    assert_eq!(app.user_status(wes.id).await, UserStatus::Disabled);
    assert_eq!(app.sessions_of(vic.id).await, 0);
    assert_eq!(app.sessions_of(wes.id).await, 0);
    assert_eq!(vic_browser.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_bulk_action_cannot_include_the_acting_user() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    app.create_user("admin2", "Admin", UserStatus::Active).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let (mine, theirs) = (admin.id.to_string(), vic.id.to_string());

    let page = app
        .follow(
            app.bulk_action(&[
                ("action", "disable"),
                ("reason", "Cleanup"),
                ("ids", &theirs),
                ("ids", &mine),
            ])
            .await,
        )
        .await;

    assert_eq!(
        error(&page).as_deref(),
        Some(
            "Nothing was changed: admin: You cannot change your own status, role or role request."
        )
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
}

#[tokio::test]
async fn a_reviewer_with_only_users_approve_cannot_bulk_disable() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, browser) = signed_in(&app, "hank", "Help desk").await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let id = vic.id.to_string();
    let audit_before = app.count_audit_except_refusals().await;

    let list = browser.get_html("/admin/users").await;
    let response = browser
        .bulk_action(&[("action", "disable"), ("reason", "Because"), ("ids", &id)])
        .await;

    let options: Vec<String> = texts(&list, "#bulk-action option");
    assert_eq!(options, ["Approve", "Reject"]);
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.count_audit_except_refusals().await, audit_before);
    assert_eq!(
        app.audit_actions().await.last().unwrap(),
        "security.access_denied"
    );
}
