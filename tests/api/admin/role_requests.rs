//! The role-request queue: listing, approving, denying with a note, and the
//! rules for who may decide and when.

use super::*;

#[tokio::test]
async fn the_role_request_queue_shows_open_requests_unless_asked_for_others() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await;
    let (_erin, erin_browser) = signed_in(&app, "erin", "Engineer").await;
    let (frank, frank_browser) = signed_in(&app, "frank", "Engineer").await;
    request_role(&erin_browser, pm).await;
    request_role(&frank_browser, pm).await;
    let frank_request = open_request_id(&app, frank.id).await;
    let response = frank_browser.withdraw_role_request(frank_request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let default = app.get_html("/admin/role-requests").await;
    let open = app.get_html("/admin/role-requests?status=open").await;
    let withdrawn = app.get_html("/admin/role-requests?status=withdrawn").await;
    let all = app.get_html("/admin/role-requests?status=all").await;

    let who = |page: &Html| texts(page, "article.request h2 .muted");
    assert_eq!(who(&default), ["(erin)"]);
    assert_eq!(who(&open), ["(erin)"]);
    assert_eq!(who(&withdrawn), ["(frank)"]);
    assert_eq!(who(&all).len(), 2);
    assert!(
        texts(&default, "article.request h2")[0].contains("Engineer → PM"),
        "{:?}",
        texts(&default, "article.request h2")
    );
    assert!(first_attr(&withdrawn, "form[action$='/approve']", "action").is_none());
}

#[tokio::test]
async fn approving_a_role_request_changes_the_role_at_once() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    request_role(&browser, pm).await;
    assert_eq!(
        browser.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    let request = open_request_id(&app, erin.id).await;

    let page = app
        .follow(app.approve_role_request(request, &[]).await)
        .await;

    assert_eq!(
        success(&page).as_deref(),
        Some("erin's request for PM has been approved.")
    );
    assert_eq!(app.user_role(erin.id).await, "PM");
    assert_eq!(request_status(&app, request).await, "approved");
    assert_eq!(browser.get("/admin/users").await.status(), StatusCode::OK);
    assert!(texts(&page, "article.request").is_empty());
}

#[tokio::test]
async fn denying_a_role_request_needs_a_note_that_the_user_then_sees() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    request_role(&browser, pm).await;
    let request = open_request_id(&app, erin.id).await;
    let path = paths::deny_role_request(request);

    let without_note = app.act(&path, &[("note", "  ")]).await;
    assert_eq!(
        error(&without_note).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(request_status(&app, request).await, "open");

    let denied = app.act(&path, &[("note", "Not this quarter, sorry")]).await;

    assert_eq!(
        success(&denied).as_deref(),
        Some("erin's request for PM has been denied.")
    );
    assert_eq!(request_status(&app, request).await, "denied");
    assert_eq!(app.user_role(erin.id).await, "Engineer");
    let home = browser.get_html("/").await;
    let facts = facts(&home);
    assert!(
        facts.contains(&("State".into(), "Denied".into())),
        "{facts:?}"
    );
    assert!(
        facts.contains(&("Reviewer's note".into(), "Not this quarter, sorry".into())),
        "{facts:?}"
    );
}

#[tokio::test]
async fn a_reviewer_cannot_decide_their_own_role_request() {
    let app = spawn_app().await;
    create_reviewer_role(&app).await;
    // A reviewer without admin powers asks for a role and tries to decide it.
    let (rex, browser) = signed_in(&app, "rex", "Reviewer").await;
    request_role(&browser, app.role_id("PM").await).await;
    let request = open_request_id(&app, rex.id).await;

    let queue = browser.get_html("/admin/role-requests").await;
    let approve = browser
        .follow(browser.approve_role_request(request, &[]).await)
        .await;
    let deny = browser
        .follow(
            browser
                .deny_role_request(request, &[("note", "Nope")])
                .await,
        )
        .await;

    assert!(first_attr(&queue, "form[action$='/approve']", "action").is_none());
    assert!(
        texts(&queue, "article.request p.muted")
            .iter()
            .any(|t| t.contains("your own request"))
    );
    let message = "You cannot change your own status, role or role request.";
    assert_eq!(error(&approve).as_deref(), Some(message));
    assert_eq!(error(&deny).as_deref(), Some(message));
    assert_eq!(request_status(&app, request).await, "open");
    assert_eq!(app.user_role(rex.id).await, "Reviewer");
}

/// Makes a "Reviewer" role (users.read + role_requests.review) as the admin,
/// in a browser of its own.
async fn create_reviewer_role(app: &TestApp) {
    let admin_browser = app.another_browser();
    let admin = app.admin().await;
    admin_browser.login_as(&admin).await;
    create_role(
        &admin_browser,
        "Reviewer",
        &["users.read", "role_requests.review"],
    )
    .await;
}

#[tokio::test]
async fn a_decided_role_request_cannot_be_decided_again() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    request_role(&browser, pm).await;
    let request = open_request_id(&app, erin.id).await;
    app.follow(app.approve_role_request(request, &[]).await)
        .await;
    // Put erin back, so a second approval would be visible.
    let engineer = app.role_id("Engineer").await.to_string();
    app.follow(app.change_role(erin.id, &[("role_id", &engineer)]).await)
        .await;
    let audit_before = app.count("audit_log").await;

    let again = app
        .follow(app.approve_role_request(request, &[]).await)
        .await;
    let deny = app
        .follow(
            app.deny_role_request(request, &[("note", "Changed my mind")])
                .await,
        )
        .await;

    let message = "This role request is already approved.";
    assert_eq!(error(&again).as_deref(), Some(message));
    assert_eq!(error(&deny).as_deref(), Some(message));
    assert_eq!(request_status(&app, request).await, "approved");
    assert_eq!(app.user_role(erin.id).await, "Engineer");
    assert_eq!(app.count("audit_log").await, audit_before);
}
