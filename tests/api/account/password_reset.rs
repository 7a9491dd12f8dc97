//! Getting back in with a forgotten password while mail is off (as in these
//! tests): an administrator hands over a one-time reset link, the user sets
//! a new password with it; and an administrator can require a new password.

use super::*;

const NEW: &str = "a-brand-new-passphrase";
const GONE_HEADING: &str = "This link no longer works";

/// The administrator on `admin` makes a reset link for `user` and reads the
/// token out of the link the page shows to hand over.
async fn hand_over_token(admin: &TestApp, user: UserId) -> String {
    let response = admin.make_reset_link(user).await;
    assert_eq!(response.status(), StatusCode::OK);
    let link = first_attr(&html(response).await, "#reset-link", "value").expect("a link");
    let (path, token) = link.split_once("?token=").expect("a token in the link");
    assert!(path.ends_with("/password/reset"), "{link}");
    token.to_owned()
}

/// An admin signed in on the app's own client, and alice, Active, signed in nowhere.
async fn admin_and_alice() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    (app, alice)
}

/// Expects the "link no longer works" page, which must not repeat `token`.
async fn assert_gone(response: reqwest::Response, token: &str) {
    assert_eq!(response.status(), StatusCode::GONE);
    let body = response.text().await.unwrap();
    // A substring check on purpose: the secret must appear nowhere at all.
    assert!(!token.is_empty() && !body.contains(token), "{body}");
    let page = Html::parse_document(&body);
    assert_eq!(texts(&page, "h1"), vec![GONE_HEADING.to_owned()]);
}

/// Whether `password` signs alice in, on a browser of its own.
async fn signs_in(app: &TestApp, password: &str) -> bool {
    let response = app.another_browser().login("alice", password).await;
    response.status() == StatusCode::SEE_OTHER
}

#[tokio::test]
async fn a_handed_over_link_sets_a_new_password_once_and_only_the_new_one_signs_in() {
    let (app, alice) = admin_and_alice().await;
    let token = hand_over_token(&app, alice.id).await;
    let browser = app.another_browser();

    let form = browser.open_reset_link(&token).await;
    let response = browser.reset_password(&token, NEW, NEW).await;
    // From another browser: on this one, its form would take the flash.
    let again = app
        .another_browser()
        .reset_password(&token, "a-second-new-passphrase", "a-second-new-passphrase")
        .await;

    assert_eq!(form.status(), StatusCode::OK);
    let form = html(form).await;
    assert!(texts(&form, "section strong").contains(&"alice".to_owned()));
    assert_redirect_to(&response, "/login");
    let login = browser.follow(response).await;
    assert!(
        flash(&login)
            .unwrap()
            .starts_with("Your password was changed")
    );
    assert_gone(again, &token).await;
    assert!(!signs_in(&app, PASSWORD).await);
    assert!(!signs_in(&app, "a-second-new-passphrase").await);
    assert!(signs_in(&app, NEW).await);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user.password_reset_link_made".to_owned()));
    assert!(actions.contains(&"user.password_reset".to_owned()));
}

#[tokio::test]
async fn setting_a_password_from_a_link_ends_every_session_and_clears_the_lockout() {
    let (app, alice) = admin_and_alice().await;
    let (laptop, phone) = (app.another_browser(), app.another_browser());
    laptop.login_as(&alice).await;
    phone.login_as(&alice).await;
    // Made after the sign-ins, each of which voids a link.
    let token = hand_over_token(&app, alice.id).await;
    for _ in 0..5 {
        assert!(!signs_in(&app, "not-the-right-password").await);
    }
    assert!(!signs_in(&app, PASSWORD).await, "alice is locked out");

    let response = app.another_browser().reset_password(&token, NEW, NEW).await;

    assert_redirect_to(&response, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 0);
    assert_redirect_to(&laptop.get("/").await, "/login");
    assert_redirect_to(&phone.get("/").await, "/login");
    assert!(signs_in(&app, NEW).await, "the lockout is gone");
}

#[tokio::test]
async fn a_newer_link_voids_the_older_one() {
    let (app, alice) = admin_and_alice().await;
    let older = hand_over_token(&app, alice.id).await;

    let newer = hand_over_token(&app, alice.id).await;

    assert_gone(app.another_browser().open_reset_link(&older).await, &older).await;
    let response = app.another_browser().open_reset_link(&newer).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_successful_sign_in_voids_an_unused_link() {
    let (app, alice) = admin_and_alice().await;
    let token = hand_over_token(&app, alice.id).await;

    app.another_browser().login_as(&alice).await;

    let browser = app.another_browser();
    assert_gone(browser.open_reset_link(&token).await, &token).await;
    assert_gone(browser.reset_password(&token, NEW, NEW).await, &token).await;
    assert!(signs_in(&app, PASSWORD).await);
}

#[tokio::test]
async fn changing_the_password_on_the_account_page_voids_an_unused_link() {
    let (app, alice) = admin_and_alice().await;
    let browser = app.another_browser();
    browser.login_as(&alice).await;
    let token = hand_over_token(&app, alice.id).await;

    let response = browser.change_password(PASSWORD, NEW, NEW).await;

    assert_redirect_to(&response, "/");
    let stranger = app.another_browser();
    assert_gone(stranger.open_reset_link(&token).await, &token).await;
    let other = "an-attackers-passphrase";
    assert_gone(stranger.reset_password(&token, other, other).await, &token).await;
    assert!(signs_in(&app, NEW).await);
}

#[tokio::test]
async fn an_expired_link_gets_the_link_gone_page_and_changes_nothing() {
    let (app, alice) = admin_and_alice().await;
    let token = hand_over_token(&app, alice.id).await;
    // Raw on purpose: ages the link past its 30 minutes, which no endpoint can do.
    sqlx::query("UPDATE one_time_links SET expires_at = $1")
        .bind(gatehouse::domain::Timestamp::now().0 - 1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let browser = app.another_browser();

    let opened = browser.open_reset_link(&token).await;
    let sent = browser.reset_password(&token, NEW, NEW).await;

    assert_gone(opened, &token).await;
    assert_gone(sent, &token).await;
    assert!(signs_in(&app, PASSWORD).await);
}

#[tokio::test]
async fn a_forged_or_garbled_token_gets_the_link_gone_page() {
    let app = spawn_app().await;
    let unknown = "A".repeat(43);
    let misshapen = format!("{}!", "B".repeat(42));
    let overlong = "forged-token-".repeat(10);

    for token in [&unknown, &misshapen, &overlong] {
        let opened = app.open_reset_link(token).await;
        let sent = app.reset_password(token, NEW, NEW).await;

        assert_gone(opened, token).await;
        assert_gone(sent, token).await;
    }
}

#[tokio::test]
async fn a_reset_links_token_never_reaches_the_audit_log() {
    let (app, alice) = admin_and_alice().await;
    let token = hand_over_token(&app, alice.id).await;

    let response = app.another_browser().reset_password(&token, NEW, NEW).await;

    assert_redirect_to(&response, "/login");
    let hash = gatehouse::auth::token::hash(&token);
    let cells = audit_cells(&app).await;
    assert!(
        !cells
            .iter()
            .any(|c| c.contains(&token) || c.contains(&hash))
    );
}

#[tokio::test]
async fn a_refused_new_password_shows_field_messages_and_the_link_still_works() {
    let (app, alice) = admin_and_alice().await;
    let token = hand_over_token(&app, alice.id).await;
    let browser = app.another_browser();
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
            NEW,
            "a-brand-new-passphrasE",
            "new_password_confirm",
            "The two passwords do not match.",
        ),
    ] {
        let response = browser.reset_password(&token, new, confirm).await;

        assert_eq!(response.status(), StatusCode::OK, "{message}");
        let page = html(response).await;
        assert_eq!(field_error(&page, field), message);
        assert!(!input_values(&page).iter().any(|v| v == new));
    }
    assert_redirect_to(&browser.reset_password(&token, NEW, NEW).await, "/login");
    assert!(signs_in(&app, NEW).await);
}

#[tokio::test]
async fn only_an_active_account_gets_a_reset_link() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    for status in [UserStatus::Pending, UserStatus::Disabled] {
        let name = status.as_str();
        let user = app.create_user(name, "Engineer", status).await;

        let response = app.make_reset_link(user.id).await;

        assert_redirect_to(&response, &paths::user(user.id));
        let page = app.follow(response).await;
        let expected = format!(
            "{name} is {}: only an active account can reset its password.",
            status.label().to_lowercase()
        );
        assert_eq!(flash(&page), Some(expected));
    }
    assert_eq!(app.count("one_time_links").await, 0);
    let actions = app.audit_actions().await;
    assert!(!actions.contains(&"user.password_reset_link_made".to_owned()));
}

#[tokio::test]
async fn without_mail_there_is_no_forgot_link_and_the_forgot_page_says_to_ask_an_administrator() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    let login = app.get_html("/login").await;
    let forgot = app.forgot_password_page().await;
    let asked = app.ask_for_reset_link("alice").await;

    assert!(first_attr(&login, "a[href$='/password/forgot']", "href").is_none());
    assert_eq!(asked.status(), StatusCode::OK);
    for page in [forgot, html(asked).await] {
        let says = texts(&page, "section p").join(" ");
        assert!(says.contains("does not send mail"), "{says}");
        assert!(says.contains("Ask an administrator"), "{says}");
        assert!(first_attr(&page, "input[name=login]", "name").is_none());
    }
    assert_eq!(app.count("one_time_links").await, 0);
}

#[tokio::test]
async fn a_required_password_change_comes_before_every_other_page_until_it_is_made() {
    let (app, alice) = admin_and_alice().await;
    let browser = app.another_browser();

    let response = app.require_password_change(alice.id).await;
    browser.login_as(&alice).await;

    assert_redirect_to(&response, &paths::user(alice.id));
    assert_redirect_to(&browser.get("/").await, "/account/password");
    let form = browser.get_html("/account/password").await;
    assert_eq!(texts(&form, "#password-required").len(), 1);
    assert_redirect_to(&browser.change_password(PASSWORD, NEW, NEW).await, "/");
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let form = browser.get_html("/account/password").await;
    assert!(texts(&form, "#password-required").is_empty());
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user.password_change_required".to_owned()));
}

#[tokio::test]
async fn a_password_set_from_a_reset_link_also_meets_a_required_change() {
    let (app, alice) = admin_and_alice().await;
    app.require_password_change(alice.id).await;
    let token = hand_over_token(&app, alice.id).await;
    let browser = app.another_browser();

    let reset = browser.reset_password(&token, NEW, NEW).await;

    assert_redirect_to(&reset, "/login");
    assert_redirect_to(&browser.login("alice", NEW).await, "/");
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
}
