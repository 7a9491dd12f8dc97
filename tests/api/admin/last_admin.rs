//! Nobody changes their own status or role, and the last holder of an
//! administrator's permission keeps it.

use super::*;

#[tokio::test]
async fn nobody_can_change_their_own_status_or_role() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    app.create_user("admin2", "Admin", UserStatus::Active).await;
    let engineer = app.role_id("Engineer").await.to_string();
    let own_page = app.user_page(admin.id).await;
    assert!(texts(&own_page, ".actions form").is_empty());

    let disable = app
        .follow(app.disable_user(admin.id, &[("reason", "Testing")]).await)
        .await;
    let demote = app
        .follow(app.change_role(admin.id, &[("role_id", &engineer)]).await)
        .await;

    let message = "You cannot change your own status, role or role request.";
    assert_eq!(error(&disable).as_deref(), Some(message));
    assert_eq!(error(&demote).as_deref(), Some(message));
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
    assert_eq!(app.user_role(admin.id).await, "Admin");
}

#[tokio::test]
async fn with_two_admins_one_may_disable_the_other_but_never_themselves() {
    let app = spawn_app().await;
    let ann = app.signed_in_admin().await;
    let ben = app.create_user("ben", "Admin", UserStatus::Active).await;

    let page = app
        .follow(
            app.disable_user(ben.id, &[("reason", "Second account no longer needed")])
                .await,
        )
        .await;
    assert_eq!(success(&page).as_deref(), Some("ben has been disabled."));
    assert_eq!(app.user_status(ben.id).await, UserStatus::Disabled);
    let ben_browser = app.another_browser();
    let refused = ben_browser.login(&ben.username, &ben.password).await;
    assert_ne!(refused.status(), StatusCode::SEE_OTHER);

    let own = app
        .follow(app.disable_user(ann.id, &[("reason", "Oops")]).await)
        .await;

    assert!(error(&own).is_some());
    assert_eq!(app.user_status(ann.id).await, UserStatus::Active);
}

#[tokio::test]
async fn the_last_holder_of_roles_manage_cannot_be_disabled_or_demoted_by_a_user_manager() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let (_manager, browser) = signed_in(&app, "manny", "User manager").await;
    let engineer = app.role_id("Engineer").await.to_string();
    let audit_before = app.count("audit_log").await;

    let disable = browser
        .follow(browser.disable_user(admin.id, &[("reason", "Coup")]).await)
        .await;
    let demote = browser
        .follow(
            browser
                .change_role(admin.id, &[("role_id", &engineer)])
                .await,
        )
        .await;

    let message = "This would leave no active user with the roles.manage permission.";
    assert_eq!(error(&disable).as_deref(), Some(message));
    assert_eq!(error(&demote).as_deref(), Some(message));
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
    assert_eq!(app.user_role(admin.id).await, "Admin");
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn the_admin_role_cannot_lose_an_admin_permission_nobody_else_holds() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let admin_role = app.role_id("Admin").await;
    // A disabled holder elsewhere does not count.
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    app.create_user("gone", "User manager", UserStatus::Disabled)
        .await;
    let without = |dropped: &str| -> Vec<&str> {
        ALL_PERMISSIONS
            .iter()
            .copied()
            .filter(|p| *p != dropped)
            .collect()
    };

    let no_users_manage = set_role_permissions(&app, admin_role, &without("users.manage")).await;
    let no_roles_manage = set_role_permissions(&app, admin_role, &without("roles.manage")).await;

    assert_eq!(
        error(&no_users_manage).as_deref(),
        Some("This would leave no active user with the users.manage permission.")
    );
    assert_eq!(
        error(&no_roles_manage).as_deref(),
        Some("This would leave no active user with the roles.manage permission.")
    );
    let roles = app.get_html("/admin/roles").await;
    for p in ["users.manage", "roles.manage"] {
        assert!(granted(&roles, admin_role, p), "{p} still granted");
    }
}

#[tokio::test]
async fn the_admin_role_may_lose_users_manage_while_another_active_user_holds_it() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let admin_role = app.role_id("Admin").await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let (_manny, browser) = signed_in(&app, "manny", "User manager").await;
    let kept: Vec<&str> = ALL_PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "users.manage")
        .collect();

    let page = set_role_permissions(&app, admin_role, &kept).await;

    assert_eq!(
        success(&page).as_deref(),
        Some("The permissions of Admin have been saved.")
    );
    assert!(!granted(&page, admin_role, "users.manage"));
    // The admin lost users.manage on their very next request; manny still has it.
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let response = app.disable_user(vic.id, &[("reason", "x")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let done = browser
        .follow(browser.disable_user(vic.id, &[("reason", "Left")]).await)
        .await;
    assert_eq!(success(&done).as_deref(), Some("vic has been disabled."));
}
