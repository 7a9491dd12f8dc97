//! The core journey: register → pending → approve → log in → request a role → decision.

use gatehouse::domain::UserStatus;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_new_registration_is_pending_and_lands_on_the_pending_page() {
    let app = spawn_app().await;

    let response = app
        .register("newbie", "newbie@example.com", "New Bie", PASSWORD)
        .await;

    assert_redirect_to(&response, "/pending");
    let id = app.user_id("newbie").await;
    assert_eq!(app.user_status(id).await, UserStatus::Pending);
    assert_eq!(app.user_role(id).await, "Engineer");
    let page = app.get_html("/pending").await;
    assert!(texts(&page, "h1")[0].contains("awaiting approval"));
    assert_redirect_to(&app.get("/").await, "/pending");
    assert_redirect_to(&app.get("/admin/users").await, "/pending");
}

#[tokio::test]
async fn the_whole_journey_from_registration_to_a_decided_role_request_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let staff = app.another_browser();
    staff
        .register("carol", "carol@example.com", "Carol Danvers", PASSWORD)
        .await;
    let carol = app.user_id("carol").await;

    app.login_as(&admin).await;
    let response = app.approve_user(carol, &[]).await;
    assert_redirect_to(&response, &paths::user(carol));
    let page = app.user_page(carol).await;
    assert_eq!(flash(&page).as_deref(), Some("carol has been approved."));

    staff.logout().await;
    assert_redirect_to(&staff.login("CAROL@example.com", PASSWORD).await, "/");
    let home = staff.get_html("/").await;
    assert!(texts(&home, ".facts dd").iter().any(|t| t == "Active"));

    let pm = app.role_id("PM").await.to_string();
    let response = staff
        .submit_role_request_with(&[
            ("role_id", &pm),
            (
                "justification",
                "I plan the quarterly roadmap for the platform team.",
            ),
        ])
        .await;
    assert_redirect_to(&response, "/");

    let queue = app.get_html("/admin/role-requests").await;
    let action = first_attr(&queue, "form[action$='/approve']", "action").expect("an approve form");
    let response = app.post_form(&action, &[("note", "Welcome aboard")]).await;
    assert_redirect_to(&response, "/admin/role-requests");

    assert_eq!(app.user_role(carol).await, "PM");
    let home = staff.get_html("/").await;
    let facts = texts(&home, ".facts dd");
    assert!(facts.iter().any(|t| t == "Approved"), "{facts:?}");
    assert!(facts.iter().any(|t| t == "Welcome aboard"), "{facts:?}");

    let actions = app.audit_actions().await;
    for expected in [
        "user.created",
        "user.registered",
        "auth.login_succeeded",
        "user.approved",
        "role_request.submitted",
        "role_request.approved",
        "user.role_changed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "missing {expected} in {actions:?}"
        );
    }
    let audit = app.get_html("/admin/audit?target=carol").await;
    assert!(
        texts(&audit, "table.audit td")
            .iter()
            .any(|t| t == "pending → active")
    );
}

#[tokio::test]
async fn health_answers_ok_while_the_database_answers() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.db.pool.close().await;
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
