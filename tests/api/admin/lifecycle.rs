//! One user's lifecycle: approve, reject, disable, enable, change role, the
//! transitions that are refused, and a status change taking effect at once.

use super::*;

#[tokio::test]
async fn approving_a_pending_user_activates_them_and_says_so() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;

    let response = app.approve_user(paul.id, &[]).await;

    assert_redirect_to(&response, &paths::user(paul.id));
    let page = app.user_page(paul.id).await;
    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(app.user_role(paul.id).await, "Engineer");
    assert_eq!(fact(&page, "Status"), "Active");
}

#[tokio::test]
async fn approving_with_a_role_id_gives_the_user_that_role_too() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let pm = app.role_id("PM").await.to_string();

    let page = app
        .follow(app.approve_user(paul.id, &[("role_id", &pm)]).await)
        .await;

    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(app.user_role(paul.id).await, "PM");
    let actions = app.audit_actions().await;
    assert_eq!(
        actions[actions.len() - 2..],
        ["user.approved", "user.role_changed"]
    );
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_then_rejects_the_user() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let path = paths::reject_user(paul.id);
    let audit_rows_before = app.count("audit_log").await;

    let without_reason = app.act(&path, &[("reason", "   ")]).await;

    assert_eq!(
        error(&without_reason).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Pending);
    assert_eq!(app.count("audit_log").await, audit_rows_before);

    let with_reason = app.act(&path, &[("reason", "Not on the staff list")]).await;

    assert_eq!(
        success(&with_reason).as_deref(),
        Some("paul has been rejected.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Rejected);
    assert_eq!(
        fact(&with_reason, "Status"),
        "Rejected — Not on the staff list"
    );
}

#[tokio::test]
async fn disabling_needs_a_reason_and_enabling_brings_the_user_back() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;

    let without_reason = app.follow(app.disable_user(vic.id, &[]).await).await;
    assert_eq!(
        error(&without_reason).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);

    let disabled = app
        .follow(
            app.disable_user(vic.id, &[("reason", "Left the company")])
                .await,
        )
        .await;
    assert_eq!(
        success(&disabled).as_deref(),
        Some("vic has been disabled.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Disabled);

    let enabled = app.follow(app.enable_user(vic.id).await).await;
    assert_eq!(success(&enabled).as_deref(), Some("vic has been enabled."));
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    let browser = app.another_browser();
    assert_redirect_to(&browser.login_as(&vic).await, "/");
}

#[tokio::test]
async fn changing_a_users_role_redirects_back_with_a_message() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let pm = app.role_id("PM").await.to_string();

    let page = app
        .follow(app.change_role(vic.id, &[("role_id", &pm)]).await)
        .await;
    assert_eq!(success(&page).as_deref(), Some("vic now has the role PM."));
    assert_eq!(app.user_role(vic.id).await, "PM");
    assert_eq!(fact(&page, "Role"), "PM");

    let again = app
        .follow(app.change_role(vic.id, &[("role_id", &pm)]).await)
        .await;
    assert_eq!(error(&again).as_deref(), Some("vic already has this role."));

    let missing = app
        .follow(app.change_role(vic.id, &[("role_id", "999999")]).await)
        .await;
    assert_eq!(
        error(&missing).as_deref(),
        Some("That role does not exist.")
    );
    assert_eq!(app.user_role(vic.id).await, "PM");
}

#[tokio::test]
async fn transitions_outside_the_table_are_refused_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pending = app
        .create_user("pending1", "Engineer", UserStatus::Pending)
        .await;
    let active = app
        .create_user("active1", "Engineer", UserStatus::Active)
        .await;
    let rejected = app
        .create_user("rejected1", "Engineer", UserStatus::Rejected)
        .await;
    let audit_before = app.count("audit_log").await;
    let cases = [
        (&pending, "disable", "Cannot disable a user who is Pending."),
        (&pending, "enable", "Cannot enable a user who is Pending."),
        (&active, "enable", "Cannot enable a user who is Active."),
        (&active, "reject", "Cannot reject a user who is Active."),
        (&active, "approve", "Cannot approve a user who is Active."),
        (&rejected, "reject", "Cannot reject a user who is Rejected."),
        (
            &rejected,
            "disable",
            "Cannot disable a user who is Rejected.",
        ),
    ];

    for (user, action, message) in cases {
        let page = app
            .act(
                &paths::user_action(user.id, action),
                &[("reason", "because")],
            )
            .await;
        assert_eq!(error(&page).as_deref(), Some(message), "{action}");
        assert_eq!(success(&page), None);
    }

    assert_eq!(app.user_status(pending.id).await, UserStatus::Pending);
    assert_eq!(app.user_status(active.id).await, UserStatus::Active);
    assert_eq!(app.user_status(rejected.id).await, UserStatus::Rejected);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn a_rejected_user_can_be_approved_after_all_and_then_sign_in() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let rita = app
        .create_user("rita", "Engineer", UserStatus::Pending)
        .await;
    app.follow(
        app.reject_user(rita.id, &[("reason", "Unknown to us")])
            .await,
    )
    .await;
    assert_eq!(app.user_status(rita.id).await, UserStatus::Rejected);

    let page = app.follow(app.approve_user(rita.id, &[]).await).await;

    assert_eq!(success(&page).as_deref(), Some("rita has been approved."));
    assert_eq!(app.user_status(rita.id).await, UserStatus::Active);
    let browser = app.another_browser();
    assert_redirect_to(&browser.login_as(&rita).await, "/");
}

#[tokio::test]
async fn a_disabled_user_is_refused_on_their_next_request_and_loses_every_session() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (vic, laptop) = signed_in(&app, "vic", "Engineer").await;
    let phone = app.another_browser();
    phone.login_as(&vic).await;
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.sessions_of(vic.id).await, 2);

    app.follow(app.disable_user(vic.id, &[("reason", "Lost laptop")]).await)
        .await;

    assert_eq!(app.sessions_of(vic.id).await, 0);
    let response = laptop.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("/login"), "{location}");
    let login = laptop.get_html(&location).await;
    assert_eq!(
        flash(&login).as_deref(),
        Some("Your session has ended. Please sign in again.")
    );
    assert!(
        phone
            .get("/account/role-request")
            .await
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
    );
    assert_eq!(app.sessions_of(vic.id).await, 0);
}

#[tokio::test]
async fn a_rejected_user_is_signed_out_of_the_pending_page_at_once() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let browser = app.another_browser();
    browser
        .register("newbie", "newbie@example.com", "New Bie", PASSWORD)
        .await;
    let newbie = app.user_id("newbie").await;
    assert_eq!(browser.get("/pending").await.status(), StatusCode::OK);
    assert_eq!(app.sessions_of(newbie).await, 1);

    app.follow(app.reject_user(newbie, &[("reason", "Not staff")]).await)
        .await;

    assert_eq!(app.sessions_of(newbie).await, 0);
    let response = browser.get("/pending").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
    );
}
