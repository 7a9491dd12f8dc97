//! What an administrator decides about an account is mailed to that
//! account, and only to it: a rejection and a disabling with their reason,
//! an enabling as a notice.

use crate::helpers::*;

/// An app mailing to `sink` with its worker running, and its
/// administrator signed in on the app's own client.
async fn app_with_admin(sink: &SmtpSink) -> TestApp {
    let app = spawn_app_mailing_to(sink).await;
    app.start_mail_worker(sink);
    app.signed_in_admin().await;
    app
}

/// The text part of `mail`, which every notice has.
fn text_of(mail: &ReceivedMail) -> &str {
    mail.text.as_deref().expect("a text/plain part")
}

#[tokio::test]
async fn a_rejection_mails_the_reason_to_the_registrant() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let pia = app
        .create_user("pia", "Engineer", UserStatus::Pending)
        .await;

    let response = app.reject_user(pia.id, "Not on the staff list").await;

    assert_eq!(
        flash(&app.follow(response).await).as_deref(),
        Some("pia has been rejected.")
    );
    let mail = sink.wait_for_one_to("pia@example.com").await;
    assert_eq!(mail.subject, "Your Gatehouse registration was not approved");
    assert!(text_of(&mail).contains("Not on the staff list"), "{mail:?}");
    assert_eq!(
        kinds_mailed_to(&app, "pia@example.com").await,
        ["account_rejected"]
    );
}

#[tokio::test]
async fn disabling_an_account_mails_the_reason_to_its_owner() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;

    let response = app.disable_user(bob.id, "Left the company").await;

    assert_eq!(
        flash(&app.follow(response).await).as_deref(),
        Some("bob has been disabled.")
    );
    let mail = sink.wait_for_one_to("bob@example.com").await;
    assert_eq!(mail.subject, "Your Gatehouse account was disabled");
    assert!(text_of(&mail).contains("Left the company"), "{mail:?}");
    assert_eq!(
        kinds_mailed_to(&app, "bob@example.com").await,
        ["account_disabled"]
    );
}

#[tokio::test]
async fn enabling_an_account_again_mails_its_owner_a_notice() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let bob = app
        .create_user("bob", "Engineer", UserStatus::Disabled)
        .await;

    let response = app.enable_user(bob.id).await;

    assert_eq!(
        flash(&app.follow(response).await).as_deref(),
        Some("bob has been enabled.")
    );
    let mail = sink.wait_for_one_to("bob@example.com").await;
    assert_eq!(mail.subject, "Your Gatehouse account was enabled");
    assert_eq!(mail.link("/login").as_deref(), Some("/login"));
    assert_eq!(
        kinds_mailed_to(&app, "bob@example.com").await,
        ["account_enabled"]
    );
}

#[tokio::test]
async fn an_approval_is_mailed_only_to_the_approved_user() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let (_, pia_link) = registered(&app, &sink, "pia").await;
    registered(&app, &sink, "quinn").await;
    let opened = app.another_browser().open_link(&pia_link).await;
    assert_eq!(opened.status(), reqwest::StatusCode::OK);

    let approved = app.approve_user(app.user_id("pia").await).await;

    assert_eq!(approved.status(), reqwest::StatusCode::SEE_OTHER);
    let pia = sink.wait_for_mail_to("pia@example.com", 2).await;
    let subjects: Vec<&str> = pia.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Confirm your email address for Gatehouse",
            "Your Gatehouse account was approved"
        ]
    );
    assert_no_more_mail(&app, &sink, 3).await;
    assert_eq!(
        kinds_mailed_to(&app, "quinn@example.com").await,
        ["email_verify"]
    );
    assert!(sink.to("admin@example.com").is_empty());
}
