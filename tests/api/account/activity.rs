//! Sign-in activity (when and how often), and passwords kept out of audit rows.

use super::*;

#[tokio::test]
async fn signing_in_records_when_and_how_often() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let fresh = find_user(&app, alice.id).await;
    assert_eq!(
        (fresh.login_count, fresh.last_login_at, fresh.last_active_at),
        (0, None, None)
    );

    app.login_as(&alice).await;
    let once = find_user(&app, alice.id).await;
    app.another_browser().login_as(&alice).await;
    app.another_browser()
        .login("alice", "a-wrong-password")
        .await;
    let twice = find_user(&app, alice.id).await;

    assert_eq!(once.login_count, 1);
    let first_login = once.last_login_at.expect("last_login_at");
    assert!(first_login >= fresh.created_at);
    assert!(once.last_active_at.is_some());
    assert_eq!(twice.login_count, 2, "a failed attempt is not a login");
    assert!(twice.last_login_at.expect("last_login_at") >= first_login);
}

#[tokio::test]
async fn activity_is_written_at_most_once_a_minute_per_session() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    app.get("/").await;
    assert!(find_user(&app, alice.id).await.last_active_at.is_some());
    // Raw on purpose: sets last_active_at into the past, which no endpoint can do.
    sqlx::query("UPDATE users SET last_active_at = 1000 WHERE id = $1")
        .bind(alice.id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();

    app.get("/").await;
    app.get("/account/role-request").await;
    let same_session = find_user(&app, alice.id).await.last_active_at;
    let other = app.another_browser();
    other.login_as(&alice).await;
    // Raw on purpose: sets last_active_at into the past, which no endpoint can do.
    sqlx::query("UPDATE users SET last_active_at = 1000 WHERE id = $1")
        .bind(alice.id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
    other.get("/").await;
    let new_session = find_user(&app, alice.id).await.last_active_at;

    assert_eq!(same_session.map(|t| t.millis()), Some(1000));
    assert!(new_session.expect("last_active_at").millis() > 1000);
}

#[tokio::test]
async fn passwords_never_appear_in_audit_rows() {
    let app = spawn_app().await;
    let first = "first-secret-passphrase";
    let typo = "typo-secret-passphrase";
    let second = "second-secret-passphrase";
    let refused = "refused-secret-pass";
    app.register_with(&[
        ("username", "quiet"),
        ("email", "quiet@example.com"),
        ("full_name", "Quiet One"),
        ("password", refused),
        ("password_confirm", "refused-secret-pasz"),
    ])
    .await;
    app.register("quiet", "quiet@example.com", "Quiet One", first)
        .await;
    app.logout().await;
    app.login("quiet", typo).await;
    app.login("quiet", first).await;
    app.change_password(typo, second, second).await;
    app.change_password(first, second, second).await;
    app.logout().await;
    assert_redirect_to(&app.login("quiet", second).await, "/pending");

    let cells = audit_cells(&app).await;

    let actions = app.audit_actions().await;
    for expected in [
        "user.registered",
        "auth.login_failed",
        "auth.login_succeeded",
        "user.password_changed",
        "auth.logout",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{actions:?}");
    }
    for secret in [first, typo, second, refused] {
        let leaks: Vec<&String> = cells.iter().filter(|c| c.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "{secret:?} found in the audit log: {leaks:?}"
        );
    }
}
