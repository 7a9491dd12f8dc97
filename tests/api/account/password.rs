//! Changing one's password: the current password, the policy, and which
//! password signs in afterwards.

use super::*;

#[tokio::test]
async fn a_wrong_current_password_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let new = "a-brand-new-passphrase";

    let response = app.change_password("not-my-password", new, new).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "current_password"),
        "Your current password is not correct."
    );
    assert!(!input_values(&page).iter().any(|v| v == new));
    assert_redirect_to(&app.another_browser().login("alice", PASSWORD).await, "/");
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.password_changed")
    );
}

#[tokio::test]
async fn the_password_policy_applies_to_a_new_password() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let too_long = "z".repeat(129);

    for (new, confirm, field, message) in [
        (
            "tiny-pass",
            "tiny-pass",
            "new_password",
            "Password must be at least 12 characters.",
        ),
        (
            too_long.as_str(),
            too_long.as_str(),
            "new_password",
            "Password must be at most 128 characters.",
        ),
        (
            "xx-Alice-is-my-name",
            "xx-Alice-is-my-name",
            "new_password",
            "Password must not contain your username.",
        ),
        (
            "a-brand-new-passphrase",
            "a-brand-new-passphrasE",
            "new_password_confirm",
            "The two passwords do not match.",
        ),
    ] {
        let response = app.change_password(PASSWORD, new, confirm).await;

        assert_eq!(response.status(), StatusCode::OK, "{message}");
        let page = html(response).await;
        assert_eq!(field_error(&page, field), message);
        assert_eq!(field_error(&page, "current_password"), "");
    }
    assert_redirect_to(&app.another_browser().login("alice", PASSWORD).await, "/");
}

#[tokio::test]
async fn a_new_password_containing_the_email_local_part_is_refused() {
    let app = spawn_app().await;
    app.register(
        "frank",
        "punisher.1974@example.com",
        "Frank Castle",
        PASSWORD,
    )
    .await;

    let response = app
        .change_password(PASSWORD, "my-punisher.1974-pw", "my-punisher.1974-pw")
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "new_password"),
        "Password must not contain the first part of your email address."
    );
}

#[tokio::test]
async fn after_a_password_change_only_the_new_password_signs_in() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let new = "a-brand-new-passphrase";

    let response = app.change_password(PASSWORD, new, new).await;

    assert_redirect_to(&response, "/");
    let home = app.get_html("/").await;
    assert_eq!(
        flash(&home).as_deref(),
        Some("Your password has been changed.")
    );
    let old = app.another_browser().login("alice", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(
        texts(&html(old).await, "#login-error"),
        vec!["The username, email or password is not correct.".to_owned()]
    );
    assert_redirect_to(&app.another_browser().login("alice", new).await, "/");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.password_changed")
    );
}

#[tokio::test]
async fn a_pending_user_can_change_their_password() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let new = "waiting-is-the-hardest-part";

    let response = app.change_password(PASSWORD, new, new).await;

    assert_redirect_to(&response, "/pending");
    let page = app.get_html("/pending").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your password has been changed.")
    );
    assert_eq!(
        app.another_browser()
            .login("patient", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_redirect_to(
        &app.another_browser().login("patient", new).await,
        "/pending",
    );
}
