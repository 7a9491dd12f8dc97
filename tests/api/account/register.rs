//! Registering: a Pending account signed in at once, the form kept on errors
//! (never the password), taken usernames and emails, and the password policy.

use super::*;

#[tokio::test]
async fn registering_creates_a_pending_account_signs_the_user_in_and_shows_the_pending_page() {
    let app = spawn_app().await;

    let response = app
        .register("newbie", "newbie@example.com", "New Bie", PASSWORD)
        .await;

    assert_redirect_to(&response, "/pending");
    assert!(session_cookie(&response).is_some(), "no session cookie");
    let id = app.user_id("newbie").await;
    let user = find_user(&app, id).await;
    assert_eq!(user.status, UserStatus::Pending);
    assert_eq!(user.role_name, "Engineer");
    assert_eq!(user.email, "newbie@example.com");
    assert_eq!(user.full_name, "New Bie");
    assert_eq!(app.count("sessions").await, 1);
    let page = app.get_html("/pending").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your account has been created and is waiting for approval.")
    );
    assert!(
        texts(&page, ".whoami .who")[0].contains("newbie"),
        "the page does not show who is signed in"
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "user.registered")
    );
}

#[tokio::test]
async fn a_registration_with_errors_keeps_what_was_typed_but_never_the_password() {
    let app = spawn_app().await;
    let password = "a-secret-nobody-should-see";

    let response = app
        .register_with(&[
            ("username", "dana"),
            ("email", "not-an-email"),
            ("full_name", "Dana Scully"),
            ("password", password),
            ("password_confirm", "a-different-secret-entirely"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(session_cookie(&response).is_none());
    let page = html(response).await;
    assert_eq!(
        first_attr(&page, "input[name=username]", "value").as_deref(),
        Some("dana")
    );
    assert_eq!(
        first_attr(&page, "input[name=email]", "value").as_deref(),
        Some("not-an-email")
    );
    assert_eq!(
        first_attr(&page, "input[name=full_name]", "value").as_deref(),
        Some("Dana Scully")
    );
    for name in ["password", "password_confirm"] {
        let value = first_attr(&page, &format!("input[name={name}]"), "value");
        assert!(
            value.as_deref().unwrap_or_default().is_empty(),
            "{name} echoed {value:?}"
        );
    }
    let values = input_values(&page);
    assert!(
        !values
            .iter()
            .any(|v| v == password || v == "a-different-secret-entirely"),
        "a password was echoed: {values:?}"
    );
    assert!(!field_error(&page, "email").is_empty());
    assert_eq!(
        field_error(&page, "password_confirm"),
        "The two passwords do not match."
    );
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn a_username_already_taken_in_any_case_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let response = app
        .register("ALICE", "someone.else@example.com", "Alice Again", PASSWORD)
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "username"),
        "This username is already taken."
    );
    assert_eq!(field_error(&page, "email"), "");
    assert_eq!(
        first_attr(&page, "input[name=email]", "value").as_deref(),
        Some("someone.else@example.com")
    );
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn an_email_already_registered_in_any_case_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let response = app
        .register("alice2", "Alice@EXAMPLE.com", "Alice Again", PASSWORD)
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "email"),
        "An account with this email address already exists."
    );
    assert_eq!(field_error(&page, "username"), "");
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn each_password_policy_violation_is_refused_with_its_own_message() {
    let app = spawn_app().await;
    let too_long = "x".repeat(129);
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "short-pass1",
            "short-pass1",
            "password",
            "Password must be at least 12 characters.",
        ),
        (
            &too_long,
            &too_long,
            "password",
            "Password must be at most 128 characters.",
        ),
        (
            "frank.castle",
            "frank.castle",
            "password",
            "Password must not contain your username.",
        ),
        (
            "my-FRANK.CASTLE-secret",
            "my-FRANK.CASTLE-secret",
            "password",
            "Password must not contain your username.",
        ),
        (
            "xx-punisher.1974-xx",
            "xx-punisher.1974-xx",
            "password",
            "Password must not contain the first part of your email address.",
        ),
        (
            PASSWORD,
            "correct-horse-battery-stapler",
            "password_confirm",
            "The two passwords do not match.",
        ),
    ];

    for (password, confirm, field, message) in cases {
        let response = app
            .register_with(&[
                ("username", "frank.castle"),
                ("email", "punisher.1974@example.com"),
                ("full_name", "Frank Castle"),
                ("password", password),
                ("password_confirm", confirm),
            ])
            .await;

        assert_eq!(response.status(), StatusCode::OK, "{message}");
        let page = html(response).await;
        assert_eq!(field_error(&page, field), message);
        for name in ["password", "password_confirm"] {
            let value = first_attr(&page, &format!("input[name={name}]"), "value");
            assert!(value.unwrap_or_default().is_empty(), "{name} was echoed");
        }
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_password_of_exactly_twelve_and_of_exactly_128_characters_is_accepted() {
    let app = spawn_app().await;

    // Random enough for zxcvbn: the length limits are what is tested here.
    let twelve = app
        .register("twelve", "twelve@example.com", "Twelve", "Vq7#mZ2!pLr9")
        .await;
    let other = app.another_browser();
    let long = other
        .register(
            "longpw",
            "longpw@example.com",
            "Long",
            &"Vq7#mZ2!pLr9@xWt".repeat(8),
        )
        .await;

    assert_redirect_to(&twelve, "/pending");
    assert_redirect_to(&long, "/pending");
    assert_eq!(app.count("users").await, 2);
}
