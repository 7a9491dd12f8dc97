//! Roles and their live permissions.

use super::*;

#[tokio::test]
async fn a_help_desk_role_can_approve_accounts_but_nothing_more() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let help_desk = create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let roles = app.get_html("/admin/roles").await;
    assert!(
        texts(&roles, "section.card h2")
            .iter()
            .any(|t| t == "Help desk (0 users)")
    );
    assert!(granted(&roles, help_desk, "users.approve"));
    assert!(!granted(&roles, help_desk, "users.manage"));
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let pm = app.role_id("PM").await.to_string();

    let approved = desk.follow(desk.approve_user(paul.id, &[]).await).await;
    let disable = desk.disable_user(vic.id, &[("reason", "x")]).await;
    let change_role = desk.change_role(vic.id, &[("role_id", &pm)]).await;

    assert_eq!(
        success(&approved).as_deref(),
        Some("paul has been approved.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(disable.status(), StatusCode::FORBIDDEN);
    assert_eq!(change_role.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_role(vic.id).await, "Engineer");
    for path in ["/admin/roles", "/admin/audit", "/admin/role-requests"] {
        assert_eq!(
            desk.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let vic_page = desk.user_page(vic.id).await;
    assert!(first_attr(&vic_page, "form[action$='/disable']", "action").is_none());
    assert!(first_attr(&vic_page, "form[action$='/role']", "action").is_none());
}

#[tokio::test]
async fn a_help_desk_approver_cannot_choose_a_role_while_approving() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let admin_role = app.role_id("Admin").await.to_string();

    let response = desk
        .approve_user(paul.id, &[("role_id", &admin_role)])
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(paul.id).await, UserStatus::Pending);
    assert_eq!(app.user_role(paul.id).await, "Engineer");
}

#[tokio::test]
async fn editing_a_roles_permissions_takes_effect_on_the_holders_next_request() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let help_desk = create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    assert_eq!(
        desk.get("/admin/audit").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(desk.get("/admin/users").await.status(), StatusCode::OK);

    let granted = set_role_permissions(
        &app,
        help_desk,
        &["users.read", "users.approve", "audit.read"],
    )
    .await;
    assert_eq!(
        success(&granted).as_deref(),
        Some("The permissions of Help desk have been saved.")
    );
    assert_eq!(desk.get("/admin/audit").await.status(), StatusCode::OK);

    set_role_permissions(&app, help_desk, &["audit.read"]).await;
    assert_eq!(
        desk.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(desk.get("/admin/audit").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_role_name_that_already_exists_is_refused() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    create_role(&app, "Help desk", &["users.read"]).await;
    let roles_before = app.count("roles").await;

    let same = app
        .follow(
            app.create_role_with(&[("name", "Help desk"), ("permissions", "users.approve")])
                .await,
        )
        .await;
    let other_case = app
        .follow(app.create_role_with(&[("name", "  ENGINEER ")]).await)
        .await;

    let message = "A role with this name already exists.";
    assert_eq!(error(&same).as_deref(), Some(message));
    assert_eq!(error(&other_case).as_deref(), Some(message));
    assert_eq!(app.count("roles").await, roles_before);
    let help_desk = app.role_id("Help desk").await;
    let roles = app.get_html("/admin/roles").await;
    assert!(!granted(&roles, help_desk, "users.approve"));
}
