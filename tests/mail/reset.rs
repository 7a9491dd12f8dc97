//! A forgotten password, with mail on: the sign-in page's "forgot" form
//! mails a link to an Active account only, at most three an hour; the link
//! sets a new password once, ends every session and sends a notice.

use reqwest::StatusCode;

use crate::helpers::*;

const GONE_HEADING: &str = "This link no longer works";

/// The flash the forgot-password page answers with, whoever was asked for.
async fn answer_to(app: &TestApp, login: &str) -> String {
    let response = app.ask_for_reset_link(login).await;
    assert_redirect_to(&response, "/password/forgot");
    flash(&app.follow(response).await).expect("a flash")
}

/// Expects the "link no longer works" page, with its status.
async fn assert_gone(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(texts(&html(response).await, "h1"), vec![GONE_HEADING]);
}

/// Whether `password` signs bob in to the organisation `slug`, on a
/// browser of its own.
async fn signs_in(app: &TestApp, slug: &str, password: &str) -> bool {
    let fields = [
        ("login", "bob"),
        ("password", password),
        ("organisation", slug),
    ];
    let response = app.another_browser().login_with(&fields).await;
    response.status() == StatusCode::SEE_OTHER
}

/// An app mailing to `sink`, with its worker running.
async fn app_and_sink() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    (app, sink)
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mailed_link_ending_every_session_with_a_notice() {
    let (app, sink) = app_and_sink().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let signed_in_before = app.another_browser();
    signed_in_before.login_as(&alice).await;
    let forgetful = app.another_browser();

    forgetful.ask_for_reset_link("alice").await;
    let mail = sink.wait_for_one_to("alice@example.com").await;
    let link = reset_link(&mail);
    let form = forgetful.open_link(&link).await;
    let reset = forgetful
        .reset_password(token_of(&link), NEW_PASSWORD)
        .await;

    assert_eq!(mail.subject, "Reset your Gatehouse password");
    assert_eq!(form.status(), StatusCode::OK);
    let form = html(form).await;
    assert_eq!(
        first_attr(&form, "input[name=token]", "type").as_deref(),
        Some("hidden")
    );
    assert!(texts(&form, "section strong").contains(&"alice".to_owned()));
    assert_redirect_to(&reset, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 0);
    let home = signed_in_before.get("/").await;
    assert!(
        location_of(&home).is_some_and(|l| l.starts_with("/login")),
        "the old session still opens {:?}",
        location_of(&home)
    );
    assert_ne!(
        forgetful.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        forgetful.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let notice = sink
        .wait_for_mail_to("alice@example.com", 2)
        .await
        .remove(1);
    assert_eq!(notice.subject, "Your Gatehouse password was changed");
    assert!(
        notice
            .text
            .unwrap_or_default()
            .contains("from a reset link")
    );
    assert_eq!(
        kinds_mailed_to(&app, "alice@example.com").await,
        ["password_reset", "password_changed"]
    );
}

#[tokio::test]
async fn a_reset_link_can_be_asked_for_by_email_address() {
    let (app, sink) = app_and_sink().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;

    app.ask_for_reset_link("Alice@Example.com").await;

    let mail = sink.wait_for_one_to("alice@example.com").await;
    let form = app.open_link(&reset_link(&mail)).await;
    assert_eq!(form.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_a_pending_and_a_disabled_account_get_the_same_answer_and_no_mail() {
    let (app, sink) = app_and_sink().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    app.create_user("dan", "Engineer", UserStatus::Disabled)
        .await;

    let for_nobody = answer_to(&app, "nobody").await;
    let for_pending = answer_to(&app, "pia").await;
    let for_disabled = answer_to(&app, "dan@example.com").await;
    let for_active = answer_to(&app, "alice").await;

    assert!(
        for_active.starts_with("If an active account matches"),
        "{for_active}"
    );
    assert_eq!(
        [for_nobody, for_pending, for_disabled],
        [for_active.clone(), for_active.clone(), for_active]
    );
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0].to, "alice@example.com");
    assert_no_more_mail(&app, &sink, 1).await;
}

#[tokio::test]
async fn a_fourth_reset_link_asked_for_within_the_hour_is_not_sent() {
    let (app, sink) = app_and_sink().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    for sent in 1..=3 {
        app.ask_for_reset_link("alice").await;
        sink.wait_for(sent).await;
    }

    let answer = answer_to(&app, "alice").await;

    assert!(
        answer.starts_with("If an active account matches"),
        "{answer}"
    );
    assert_no_more_mail(&app, &sink, 3).await;
    // The refused request voided nothing: the third link still works.
    let third = reset_link(&sink.messages()[2]);
    assert_eq!(app.open_link(&third).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_used_reset_link_opens_the_gone_page() {
    let (app, sink) = app_and_sink().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.ask_for_reset_link("alice").await;
    let link = reset_link(&sink.wait_for(1).await[0]);
    let reset = app.reset_password(token_of(&link), NEW_PASSWORD).await;
    assert_redirect_to(&reset, "/login");

    let opened = app.another_browser().open_link(&link).await;
    let sent_again = app
        .another_browser()
        .reset_password(token_of(&link), "a-second-new-passphrase")
        .await;

    assert_gone(opened).await;
    assert_gone(sent_again).await;
}

#[tokio::test]
async fn a_reset_link_is_voided_by_a_newer_one() {
    let (app, sink) = app_and_sink().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.ask_for_reset_link("alice").await;
    let first = reset_link(&sink.wait_for(1).await[0]);

    app.ask_for_reset_link("alice").await;
    let second = reset_link(&sink.wait_for(2).await[1]);

    assert_ne!(first, second);
    assert_gone(app.open_link(&first).await).await;
    assert_eq!(app.open_link(&second).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_reset_link_is_voided_by_signing_in_with_the_current_password() {
    let (app, sink) = app_and_sink().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.ask_for_reset_link("alice").await;
    let link = reset_link(&sink.wait_for(1).await[0]);
    let works = app.another_browser().open_link(&link).await;
    assert_eq!(works.status(), StatusCode::OK, "opening it does not use it");

    app.another_browser().login_as(&alice).await;

    assert_gone(app.open_link(&link).await).await;
}

#[tokio::test]
async fn a_reset_link_is_voided_by_a_password_change_on_the_account_page() {
    let (app, sink) = app_and_sink().await;
    signed_in_user(&app, "alice").await;
    app.another_browser().ask_for_reset_link("alice").await;
    let link = reset_link(&sink.wait_for(1).await[0]);
    let works = app.another_browser().open_link(&link).await;
    assert_eq!(works.status(), StatusCode::OK, "opening it does not use it");

    app.change_password(PASSWORD, NEW_PASSWORD).await;

    assert_gone(app.another_browser().open_link(&link).await).await;
}

#[tokio::test]
async fn a_reset_link_asked_for_on_an_organisations_page_resets_its_account_and_no_other() {
    let (app, sink) = app_and_sink().await;
    let acme = app.create_org("acme", "Acme Staff").await;
    app.create_user("bob", "Engineer", UserStatus::Active).await;
    app.create_user_in(acme, "bob", "Engineer", UserStatus::Active)
        .await;

    let response = app.ask_for_reset_link_at("acme", "bob").await;

    assert_redirect_to(&response, "/o/acme/password/forgot");
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.subject, "Reset your Acme Staff password");
    let link = reset_link(&mail);
    let reset = app.reset_password(token_of(&link), NEW_PASSWORD).await;
    // Back to the organisation's own sign-in page.
    assert_redirect_to(&reset, "/o/acme/login");
    assert!(signs_in(&app, "acme", NEW_PASSWORD).await);
    assert!(signs_in(&app, "default", PASSWORD).await);
    assert!(!signs_in(&app, "default", NEW_PASSWORD).await);
}

#[tokio::test]
async fn an_administrator_mails_a_reset_link_from_the_user_page() {
    let (app, sink) = app_and_sink().await;
    app.signed_in_admin().await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;

    let response = app.send_reset_link(bob.id).await;

    assert_redirect_to(&response, &format!("/admin/users/{}", bob.id));
    let page = app.follow(response).await;
    let said = flash(&page).expect("a flash");
    assert!(said.contains("bob@example.com"), "{said}");
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "bob@example.com");
    let text = mail.text.clone().unwrap_or_default();
    assert!(text.contains("An administrator sent you a link"), "{text}");
    let browser = app.another_browser();
    let link = reset_link(&mail);
    assert_eq!(browser.open_link(&link).await.status(), StatusCode::OK);
    let reset = browser.reset_password(token_of(&link), NEW_PASSWORD).await;
    assert_redirect_to(&reset, "/login");
    assert_eq!(
        browser.login("bob", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}
