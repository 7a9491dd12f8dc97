//! A notice's way out: queued with the change that causes it, sent by the
//! worker, received by a real SMTP server as a text and HTML message.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;
use crate::texts;

#[tokio::test]
async fn a_password_change_mails_a_notice_in_text_and_html_signed_by_the_organisation() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    signed_in_user(&app, "alice").await;

    let response = app.change_password(PASSWORD, NEW_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "alice@example.com");
    assert_eq!(mail.from, "gatehouse@gatehouse.test");
    // The default organisation, while it keeps its built-in name, signs as
    // the product.
    assert_eq!(mail.subject, "Your Gatehouse password was changed");
    let message_id = mail.message_id.clone().expect("a Message-ID");
    assert!(message_id.ends_with("@gatehouse.test>"), "{message_id}");
    assert_eq!(mail.content_type, "multipart/alternative");
    let text = mail.text.as_deref().expect("a text/plain part");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"Hello alice Tester,"));
    let signature = lines.iter().position(|l| *l == "-- ").expect("a signature");
    assert_eq!(lines.get(signature + 1), Some(&"Gatehouse"));
    let html = Html::parse_document(mail.html.as_deref().expect("a text/html part"));
    let paragraphs = texts(&html, "p");
    assert_eq!(paragraphs.first().map(String::as_str), Some("Gatehouse"));
    assert!(paragraphs.iter().any(|p| p == "Hello alice Tester,"));
    assert_eq!(mail.link("/"), None, "a notice carries no link");
}

#[tokio::test]
async fn a_sent_notice_is_marked_sent_and_its_bodies_are_no_longer_kept() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    signed_in_user(&app, "alice").await;

    app.change_password(PASSWORD, NEW_PASSWORD).await;

    let mail = sink.wait_for(1).await.remove(0);
    let row = app.wait_for_outbox_row(|r| r.status == "sent").await;
    assert_eq!(row.kind, "password_changed");
    assert_eq!(row.recipient, "alice@example.com");
    assert_eq!(Some(row.message_id), mail.message_id);
    assert_eq!(row.subject, mail.subject);
    assert_eq!((row.body_text.as_str(), row.body_html.as_str()), ("", ""));
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error, None);
    assert!(row.sent_at.is_some());
}

#[tokio::test]
async fn a_notice_is_signed_with_the_name_of_the_users_organisation() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    let acme = app.create_org("acme", "Acme Staff").await;
    let bob = app
        .create_user_in(
            acme,
            "bob",
            "Engineer",
            gatehouse::domain::UserStatus::Active,
        )
        .await;
    let signed_in = app
        .login_with(&[
            ("login", "bob"),
            ("password", &bob.password),
            ("organisation", "acme"),
        ])
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);

    app.change_password(PASSWORD, NEW_PASSWORD).await;

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.subject, "Your Acme Staff password was changed");
    let text = mail.text.expect("a text/plain part");
    assert!(text.contains("\n-- \nAcme Staff\n"), "{text}");
}
