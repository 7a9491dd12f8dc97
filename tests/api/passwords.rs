//! The password policy on the forms (common list, product name, zxcvbn,
//! the optional character classes), passwords taken exactly as typed, and
//! hashes with weaker parameters replaced at sign-in.

use gatehouse::auth::password::{HashParams, Hasher, OWASP_MINIMUM};
use gatehouse::config::Settings;
use gatehouse::domain::UserStatus;
use gatehouse::startup::Application;
use reqwest::StatusCode;
use scraper::Html;
use secrecy::SecretString;

use crate::helpers::*;

/// Registers frank with `password`.
async fn register_frank(app: &TestApp, password: &str) -> reqwest::Response {
    app.register(
        "frank",
        "frank.castle@example.com",
        "Frank Castle",
        password,
    )
    .await
}

fn strength_hint(page: &Html) -> String {
    texts(page, ".password-strength").join(" ")
}

#[tokio::test]
async fn registration_names_the_rule_that_refused_the_password_and_shows_a_strength_hint() {
    let app = spawn_app().await;

    for (password, message, hint) in [
        (
            "1qaz2wsx3edc",
            "This password is on a list of commonly used passwords; choose another.",
            "Strength: ",
        ),
        (
            "my-GateHouse-login-7",
            "Password must not contain the word \"gatehouse\".",
            "Strength: ",
        ),
        (
            "zzzzzzzzzzzz1",
            "This password is too easy to guess.",
            "Strength: weak (1 of 4; at least 3 needed). Repeats like",
        ),
        (
            "abcdefabcdef12",
            "This password is too easy to guess.",
            "Strength: ",
        ),
    ] {
        let response = register_frank(&app, password).await;

        assert_eq!(response.status(), StatusCode::OK, "{password}");
        let page = html(response).await;
        assert_eq!(field_error(&page, "password"), message, "{password}");
        assert!(
            strength_hint(&page).starts_with(hint),
            "{password}: {}",
            strength_hint(&page)
        );
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_length_refusal_names_the_limit_without_a_strength_hint() {
    let app = spawn_app().await;

    let page = html(register_frank(&app, "Vq7#mZ2!pL").await).await;

    assert_eq!(
        field_error(&page, "password"),
        "Password must be at least 12 characters."
    );
    assert_eq!(strength_hint(&page), "");
}

#[tokio::test]
async fn a_password_is_kept_exactly_as_typed_with_its_spaces_and_unicode() {
    let app = spawn_app().await;
    let typed = "  Żółw jeż 7 ✓ ";

    assert_redirect_to(&register_frank(&app, typed).await, "/pending");
    app.logout().await;

    assert_eq!(
        app.login("frank", typed.trim()).await.status(),
        StatusCode::OK,
        "a trimmed password must not match"
    );
    assert_eq!(
        app.login("frank", &typed.to_uppercase()).await.status(),
        StatusCode::OK,
        "case must matter"
    );
    assert_redirect_to(&app.login("frank", typed).await, "/pending");
}

#[tokio::test]
async fn a_password_change_applies_the_same_rules_and_hint() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;

    let response = app
        .change_password_with(&[
            ("current_password", PASSWORD),
            ("new_password", "qwertyuiop123"),
            ("new_password_confirm", "qwertyuiop123"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "new_password"),
        "This password is on a list of commonly used passwords; choose another."
    );
    assert!(strength_hint(&page).starts_with("Strength: "));
    assert_redirect_to(&app.another_browser().login("alice", PASSWORD).await, "/");
}

#[tokio::test]
async fn character_classes_are_required_only_when_the_preset_is_on() {
    let relaxed = spawn_app().await;
    let strict = spawn_app_with(|s| s.password_require_classes = true).await;
    let passphrase = "velvet otter glacier trumpet";

    assert_redirect_to(&register_frank(&relaxed, passphrase).await, "/pending");
    let page = html(register_frank(&strict, passphrase).await).await;
    assert_eq!(
        field_error(&page, "password"),
        "Password must also contain an upper-case letter, a digit."
    );
    assert_redirect_to(
        &register_frank(&strict, "Velvet otter glacier 7 trumpet").await,
        "/pending",
    );
}

#[tokio::test]
async fn a_hash_with_weaker_parameters_than_configured_is_replaced_at_the_next_sign_in() {
    let app = spawn_app_with(|s| s.argon2_iterations = 3).await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let stored = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            // Raw: the point is the stored hash format.
            sqlx::query_scalar::<_, String>(
                "SELECT password_hash FROM users WHERE username = 'alice'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert!(
        stored(&app)
            .await
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );

    app.login_as(&alice).await;

    assert!(
        stored(&app)
            .await
            .starts_with("$argon2id$v=19$m=19456,t=3,p=1$")
    );
    let actions = app.audit_actions().await;
    let n = actions.len();
    assert_eq!(
        actions[n - 2..],
        ["auth.login_succeeded", "user.password_rehashed"]
    );
    app.logout().await;
    app.login_as(&alice).await;
    assert_eq!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "user.password_rehashed")
            .count(),
        1,
        "a current hash is left alone"
    );
}

#[tokio::test]
async fn argon2_parameters_below_the_owasp_minimum_refuse_to_start_unless_explicitly_allowed() {
    let app = spawn_app().await;
    let weak = |allow_weak: bool| Settings {
        argon2_memory_kib: 8192,
        argon2_allow_weak: allow_weak,
        ..test_settings(app.database_url.clone())
    };

    let refused = Application::build(weak(false))
        .await
        .err()
        .expect("refused");
    let allowed = Application::build(weak(true)).await;

    assert!(
        format!("{refused:#}").contains("below the OWASP minimum"),
        "{refused:#}"
    );
    assert!(allowed.is_ok());
    let hash = Hasher::new(
        HashParams {
            memory_kib: 8192,
            ..OWASP_MINIMUM
        },
        1,
        true,
    )
    .unwrap()
    .hash(SecretString::from("Vq7#mZ2!pLr9@xWt"))
    .await
    .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"));
}
