//! Mail outlives outages: an SMTP server that is down, and an instance that
//! dies with mail still queued. Nothing is lost and nobody waits for SMTP.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_notice_waits_while_the_smtp_server_is_down_and_is_sent_when_it_is_back() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    signed_in_user(&app, "alice").await;
    sink.stop();

    let started = Instant::now();
    let response = app.change_password(PASSWORD, NEW_PASSWORD).await;

    // The page does not wait for SMTP (lettre alone would wait 20 s for a
    // server that does not answer); hashing the password is all it does.
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(started.elapsed() < Duration::from_secs(10));
    let row = app
        .wait_for_outbox_row(|r| r.attempts >= 1 && r.last_error.is_some())
        .await;
    assert_eq!(row.status, "queued");
    assert!(!row.body_text.is_empty(), "kept until it is sent");

    sink.restart().await;
    app.make_queued_mail_due().await;

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "alice@example.com");
    assert_eq!(Some(row.message_id), mail.message_id);
    let row = app.wait_for_outbox_row(|r| r.status == "sent").await;
    assert_eq!(row.last_error, None);
}

#[tokio::test]
async fn a_notice_queued_by_an_instance_that_died_is_sent_by_the_next_one() {
    let sink = SmtpSink::start().await;
    // This instance never starts its worker: it stands for a process that
    // was killed after the change committed, before the mail went out.
    let first = spawn_app_mailing_to(&sink).await;
    signed_in_user(&first, "alice").await;
    first.change_password(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(first.only_outbox_row().await.status, "queued");

    let next = first.another_instance_with(mail_through(&sink)).await;
    next.start_mail_worker(&sink);

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "alice@example.com");
    assert_eq!(mail.subject, "Your Gatehouse password was changed");
    let row = next.wait_for_outbox_row(|r| r.status == "sent").await;
    assert_eq!(row.attempts, 1);
    assert_eq!(Some(row.message_id), mail.message_id);
}
