//! Deleting a user, restoring them within the retention period, and the
//! purge that leaves a tombstone once it ends.

use gatehouse::domain::{AuditAction, User};

use super::*;

/// The user's row as the user page reads it.
async fn stored(app: &TestApp, id: UserId) -> User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    gatehouse::db::users::find(app.scope_of(id).await.on(&mut conn), id)
        .await
        .unwrap()
        .expect("the user's row")
}

/// Moves a deletion `days` into the past, as if it had waited that long.
async fn backdate_deletion(app: &TestApp, id: UserId, days: i64) {
    // Raw on purpose: nothing in Gatehouse moves a deletion's date.
    sqlx::query("UPDATE users SET deleted_at = deleted_at - $1 WHERE id = $2")
        .bind(days * 86_400_000)
        .bind(id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn deleting_a_user_signs_them_out_and_moves_them_to_the_deleted_tab() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let vic_browser = app.another_browser();
    vic_browser.login_as(&vic).await;

    let page = app
        .follow(
            app.delete_user(vic.id, &[("reason", "Left the company")])
                .await,
        )
        .await;

    assert_eq!(
        success(&page).as_deref(),
        Some("vic has been deleted and signed out. They can be restored for 30 days.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Deleted);
    assert!(fact(&page, "Deleted").contains("Left the company"));
    assert_eq!(app.sessions_of(vic.id).await, 0);
    assert_redirect_to(&vic_browser.get("/").await, "/login");
    let again = app.another_browser();
    let refused = again.login(&vic.username, &vic.password).await;
    assert_ne!(refused.status(), StatusCode::SEE_OTHER);
    assert!(!listed(&app.admin_users("").await).contains(&"vic".to_owned()));
    assert!(!listed(&app.admin_users("q=vic").await).contains(&"vic".to_owned()));
    let deleted_tab = app.admin_users("status=deleted").await;
    assert_eq!(listed(&deleted_tab), ["vic"]);
    assert_eq!(
        texts(&deleted_tab, ".status-tabs .deleted-tab"),
        ["Deleted 1"]
    );
    let deleted = app.audit_rows(AuditAction::UserDeleted).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0].content.reason.as_deref(),
        Some("Left the company")
    );
}

#[tokio::test]
async fn deleting_needs_a_reason_and_nobody_deletes_themselves() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    app.create_user("admin2", "Admin", UserStatus::Active).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let audit_rows_before = app.count("audit_log").await;

    let without_reason = app
        .follow(app.delete_user(vic.id, &[("reason", "  ")]).await)
        .await;
    let own = app
        .follow(app.delete_user(admin.id, &[("reason", "Testing")]).await)
        .await;

    assert_eq!(
        error(&without_reason).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(
        error(&own).as_deref(),
        Some("You cannot change your own status, role or role request.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
    assert_eq!(app.count("audit_log").await, audit_rows_before);
}

#[tokio::test]
async fn the_last_holder_of_roles_manage_cannot_be_deleted_by_a_user_manager() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let (_manager, browser) = signed_in(&app, "manny", "User manager").await;

    let page = browser
        .follow(
            browser
                .delete_user(admin.id, &[("reason", "Taking over")])
                .await,
        )
        .await;

    assert!(
        error(&page).is_some_and(|e| e.contains("roles.manage")),
        "{:?}",
        error(&page)
    );
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
}

#[tokio::test]
async fn restoring_gives_back_the_status_role_and_groups_the_user_had() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "PM", UserStatus::Active).await;
    let ops = app.create_group("Ops").await;
    app.add_user_to_group(vic.id, ops.0).await;
    app.delete_user(vic.id, &[("reason", "By mistake")]).await;

    let page = app.follow(app.restore_user(vic.id).await).await;

    assert_eq!(success(&page).as_deref(), Some("vic has been restored."));
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_role(vic.id).await, "PM");
    assert_eq!(texts(&page, "#groups ul.groups li a"), ["Ops"]);
    assert!(listed(&app.admin_users("").await).contains(&"vic".to_owned()));
    assert_redirect_to(&app.another_browser().login_as(&vic).await, "/");
    let restored = app.audit_rows(AuditAction::UserRestored).await;
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].content.after_value.as_deref(), Some("active"));
}

#[tokio::test]
async fn a_deleted_users_role_and_groups_stay_as_they_were_until_a_restore() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let ops = app.create_group("Ops").await;
    let pm = app.role_id("PM").await.to_string();
    app.delete_user(vic.id, &[("reason", "Left")]).await;

    let role = app
        .follow(app.change_role(vic.id, &[("role_id", &pm)]).await)
        .await;
    let group = app.follow(app.add_user_to_group(vic.id, ops.0).await).await;
    let again = app
        .follow(app.delete_user(vic.id, &[("reason", "Twice")]).await)
        .await;

    let message = "vic is deleted: restore them first.";
    assert_eq!(error(&role).as_deref(), Some(message));
    assert_eq!(error(&group).as_deref(), Some(message));
    assert_eq!(error(&again).as_deref(), Some("vic is deleted already."));
    assert_eq!(app.user_role(vic.id).await, "Engineer");
    assert!(texts(&group, "#groups ul.groups li").is_empty());
}

#[tokio::test]
async fn a_restore_is_refused_when_the_username_or_email_was_taken_since() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    app.delete_user(vic.id, &[("reason", "Left")]).await;
    let newcomer = app.create_user("vic", "Engineer", UserStatus::Active).await;

    let both = app.follow(app.restore_user(vic.id).await).await;
    assert_eq!(
        error(&both).as_deref(),
        Some(
            "vic cannot be restored: the username vic and the email vic@example.com \
             are now taken by another account."
        )
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Deleted);

    app.delete_user(newcomer.id, &[("reason", "Duplicate")])
        .await;
    app.create_user("victor", "Engineer", UserStatus::Active)
        .await;
    // Raw on purpose: no page changes an email yet; the newcomer takes vic's.
    sqlx::query("UPDATE users SET email = 'vic@example.com', email_key = 'vic@example.com' WHERE username = 'victor'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let email = app.follow(app.restore_user(vic.id).await).await;
    assert_eq!(
        error(&email).as_deref(),
        Some("vic cannot be restored: the email vic@example.com is now taken by another account.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Deleted);
}

#[tokio::test]
async fn the_purge_erases_a_deleted_users_personal_data_once_the_retention_ends() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let ann = app.create_user("ann", "Engineer", UserStatus::Active).await;
    app.delete_user(vic.id, &[("reason", "Left")]).await;
    app.delete_user(ann.id, &[("reason", "Left too")]).await;
    backdate_deletion(&app, vic.id, 31).await;
    backdate_deletion(&app, ann.id, 29).await;

    let purged = gatehouse::services::deletion::purge_due(&app.db, 30)
        .await
        .unwrap();

    assert_eq!(purged, 1);
    let tomb = stored(&app, vic.id).await;
    assert_eq!(tomb.username, format!("deleted-{}", vic.id.0));
    assert_eq!(tomb.email, format!("deleted-{}@purged.invalid", vic.id.0));
    assert_eq!(tomb.full_name, "Deleted user");
    assert!(
        tomb.deletion
            .as_ref()
            .is_some_and(|d| d.purged_at.is_some())
    );
    assert_eq!(stored(&app, ann.id).await.full_name, "ann Tester");
    let restore = app.follow(app.restore_user(vic.id).await).await;
    assert!(
        error(&restore).is_some_and(|e| e.contains("purged")),
        "{:?}",
        error(&restore)
    );
    // The audit rows keep the snapshot they recorded.
    let deleted = app.audit_rows(AuditAction::UserDeleted).await;
    assert_eq!(deleted[0].content.target_label.as_deref(), Some("vic"));
    assert_eq!(app.audit_rows(AuditAction::UserPurged).await.len(), 1);
    let again = gatehouse::services::deletion::purge_due(&app.db, 30)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

#[tokio::test]
async fn gatehouse_purge_now_purges_from_the_command_line_and_needs_its_flag() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    app.delete_user(vic.id, &[("reason", "Left")]).await;
    backdate_deletion(&app, vic.id, 31).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(args)
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .output()
            .expect("the command runs")
    };

    let without_flag = cli(&["purge"]);
    assert!(!without_flag.status.success());
    assert_eq!(stored(&app, vic.id).await.username, "vic");

    let now = cli(&["purge", "--now"]);

    assert!(now.status.success(), "{now:?}");
    assert_eq!(
        String::from_utf8_lossy(&now.stdout).trim(),
        "Purged 1 deleted users whose 30-day retention had ended."
    );
    assert_eq!(
        stored(&app, vic.id).await.username,
        format!("deleted-{}", vic.id.0)
    );
}
