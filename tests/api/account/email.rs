//! A user's email address while mail is off (as in these tests): changing
//! it on the profile, the verification link's page, the pending page's
//! "send the link again", and how the administrators' pages show whether
//! an address is confirmed. With mail on, see tests/mail/.

use gatehouse::domain::{AuditAction, Email};

use super::*;

const NEW_ADDRESS: &str = "alice.new@example.com";

/// The profile's "Email address" line, e.g. "a@b.c — not confirmed".
fn email_state(page: &Html) -> String {
    texts(page, "#email-state").concat()
}

/// Whether `login` and the test password sign in, on a browser of its own.
async fn signs_in(app: &TestApp, login: &str) -> bool {
    let response = app.another_browser().login(login, PASSWORD).await;
    response.status() == StatusCode::SEE_OTHER
}

/// Sets `users.email_verified_at` directly, as opening a mailed link would.
async fn mark_verified(app: &TestApp, user: UserId) {
    sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
        .bind(gatehouse::domain::Timestamp::now().0)
        .bind(user.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn with_mail_off_a_user_changes_their_address_at_once_and_it_is_not_confirmed() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;

    let response = browser.change_email(NEW_ADDRESS).await;

    assert_redirect_to(&response, "/account/profile");
    let page = browser.follow(response).await;
    assert_eq!(
        flash(&page),
        Some(format!("Your email address is now {NEW_ADDRESS}."))
    );
    assert_eq!(email_state(&page), format!("{NEW_ADDRESS} — not confirmed"));
    assert_eq!(
        first_attr(&page, "#email", "value").as_deref(),
        Some(NEW_ADDRESS)
    );
    assert_eq!(texts(&page, "#email-awaiting"), Vec::<String>::new());
    let user = find_user(&app, alice.id).await;
    assert_eq!(user.email, NEW_ADDRESS);
    assert_eq!(user.email_verified_at, None);
    let rows = app.audit_rows(AuditAction::EmailChanged).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].content.actor_username.as_deref(), Some("alice"));
    assert_eq!(rows[0].content.target_label.as_deref(), Some("alice"));
    assert_eq!(
        rows[0].content.before_value.as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(rows[0].content.after_value.as_deref(), Some(NEW_ADDRESS));
    assert_eq!(app.count("one_time_links").await, 0);
    assert_eq!(app.count("mail_outbox").await, 0);
    assert!(signs_in(&app, NEW_ADDRESS).await);
    assert!(!signs_in(&app, "alice@example.com").await);
}

#[tokio::test]
async fn an_address_another_account_uses_is_refused_on_the_re_rendered_profile_and_nothing_changes()
{
    let app = spawn_app().await;
    app.create_user("bob", "Engineer", UserStatus::Active).await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let audit_before = app.count("audit_log").await;

    // Another case of bob's address is still bob's address.
    let response = browser.change_email("Bob@Example.COM").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "email"),
        "Another account uses that email address."
    );
    assert_eq!(
        first_attr(&page, "#email", "value").as_deref(),
        Some("Bob@Example.COM")
    );
    assert_eq!(email_state(&page), "alice@example.com — not confirmed");
    assert_eq!(find_user(&app, alice.id).await.email, "alice@example.com");
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn a_malformed_address_gets_the_email_parsers_message_and_nothing_changes() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let audit_before = app.count("audit_log").await;

    let response = browser.change_email("alice at example.com").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    let expected = Email::parse("alice at example.com").unwrap_err().0;
    assert_eq!(field_error(&page, "email"), expected);
    assert_eq!(
        first_attr(&page, "#email", "value").as_deref(),
        Some("alice at example.com")
    );
    assert_eq!(find_user(&app, alice.id).await.email, "alice@example.com");
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn giving_ones_own_address_again_says_so_and_writes_no_audit_row() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let audit_before = app.count("audit_log").await;

    for same in ["alice@example.com", " Alice@EXAMPLE.com "] {
        let response = browser.change_email(same).await;

        assert_redirect_to(&response, "/account/profile");
        let page = browser.follow(response).await;
        assert_eq!(
            flash(&page).as_deref(),
            Some("That is your address already."),
            "{same:?}"
        );
    }
    assert_eq!(find_user(&app, alice.id).await.email, "alice@example.com");
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn a_missing_garbled_or_unknown_verification_token_answers_410_without_a_referrer() {
    let app = spawn_app().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let unknown = "A".repeat(43);
    let browser = app.another_browser();
    let audit_before = app.count("audit_log").await;

    for token in [None, Some("not a token!"), Some(unknown.as_str())] {
        let response = browser.open_verification_link(token).await;

        assert_eq!(response.status(), StatusCode::GONE, "{token:?}");
        assert_eq!(
            response
                .headers()
                .get("referrer-policy")
                .and_then(|v| v.to_str().ok()),
            Some("no-referrer"),
            "{token:?}"
        );
        let page = html(response).await;
        assert_eq!(texts(&page, "#verify-outcome").len(), 1, "{token:?}");
        assert_eq!(texts(&page, "main h1"), ["This link no longer works"]);
    }
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn with_mail_off_the_pending_page_offers_no_resend_and_asking_anyway_sends_nothing() {
    let app = spawn_app().await;
    app.register("patient", "patient@example.com", "Pat Ient", PASSWORD)
        .await;
    let audit_before = app.count("audit_log").await;

    let pending = app.get_html("/pending").await;
    let response = app.resend_verification_link().await;

    assert_eq!(texts(&pending, "#email-unverified"), Vec::<String>::new());
    assert_eq!(
        first_attr(&pending, "form[action='/email/verify/resend']", "action"),
        None
    );
    assert_redirect_to(&response, "/pending");
    let page = app.follow(response).await;
    assert_eq!(
        texts(&page, ".flash-error"),
        ["This Gatehouse sends no mail, so there is no link to send."]
    );
    assert_eq!(app.count("one_time_links").await, 0);
    assert_eq!(app.count("mail_outbox").await, 0);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn the_user_page_and_list_show_an_address_as_not_confirmed_until_it_is() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let dana = app
        .create_user("dana", "Engineer", UserStatus::Pending)
        .await;
    let email_cells = |page: &Html| texts(page, "table.users tbody td[data-label='Email']");

    let page = app.user_page(dana.id).await;
    let list = app.admin_users("q=dana").await;
    mark_verified(&app, dana.id).await;
    let confirmed = app.user_page(dana.id).await;
    let confirmed_list = app.admin_users("q=dana").await;

    assert_eq!(texts(&page, "#email-state .badge"), ["not confirmed"]);
    assert_eq!(email_cells(&list), ["dana@example.com not confirmed"]);
    assert_eq!(texts(&confirmed, "#email-state .badge"), ["confirmed"]);
    assert!(
        fact(&confirmed, "Email").starts_with("dana@example.com confirmed "),
        "{:?}",
        facts(&confirmed)
    );
    assert_eq!(email_cells(&confirmed_list), ["dana@example.com"]);
}
