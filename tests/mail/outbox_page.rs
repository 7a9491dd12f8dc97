//! /admin/outbox: what was mailed, to whom and how it went, filtered by
//! status and recipient; never a body, which may carry a one-time link.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

/// The cells of each listed message: queued at, recipient, subject (with
/// its kind), status, attempts, last error.
fn listed_messages(page: &Html) -> Vec<Vec<String>> {
    let rows = texts(page, "#outbox tbody tr").len();
    (1..=rows)
        .map(|n| texts(page, &format!("#outbox tbody tr:nth-child({n}) td")))
        .collect()
}

/// The recipients listed, newest first.
fn recipients(page: &Html) -> Vec<String> {
    listed_messages(page)
        .into_iter()
        .map(|row| row[1].clone())
        .collect()
}

async fn outbox_html(app: &TestApp, query: &str) -> (StatusCode, String) {
    let response = app.outbox_page(query).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_outbox_lists_a_sent_message_with_its_recipient_subject_status_and_attempts() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    app.signed_in_admin().await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;
    app.send_reset_link(bob.id).await;
    sink.wait_for(1).await;
    app.wait_for_outbox_row(|r| r.status == "sent").await;

    let (status, body) = outbox_html(&app, "").await;

    assert_eq!(status, StatusCode::OK);
    let page = Html::parse_document(&body);
    let messages = listed_messages(&page);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message[1], "bob@example.com");
    assert_eq!(message[2], "Reset your Gatehouse password (password_reset)");
    assert_eq!(texts(&page, "#outbox tbody .badge"), ["sent"]);
    assert_eq!((message[4].as_str(), message[5].as_str()), ("1", ""));
}

#[tokio::test]
async fn the_outbox_never_shows_a_body_even_while_the_message_still_keeps_one() {
    let sink = SmtpSink::start().await;
    // No worker: the message stays queued with its bodies, link and all.
    let app = spawn_app_mailing_to(&sink).await;
    app.signed_in_admin().await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;
    app.send_reset_link(bob.id).await;
    let row = app.only_outbox_row().await;
    let link = row
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/password/reset?token="))
        .expect("the queued body keeps its link")
        .to_owned();

    let (status, body) = outbox_html(&app, "").await;

    assert_eq!(status, StatusCode::OK);
    // Substring checks on purpose: neither may appear anywhere at all.
    assert!(!body.contains(token_of(&link)), "the page shows the token");
    assert!(
        !body.contains("Choose a new password"),
        "the page shows a body"
    );
    let page = Html::parse_document(&body);
    assert_eq!(recipients(&page), ["bob@example.com"]);
    assert_eq!(texts(&page, "#outbox tbody .badge"), ["queued"]);
}

#[tokio::test]
async fn the_outbox_filters_by_status_and_by_part_of_the_recipient() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    app.signed_in_admin().await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;
    let carol = app
        .create_user("carol", "Engineer", UserStatus::Active)
        .await;
    app.send_reset_link(bob.id).await;
    sink.wait_for(1).await;
    sink.stop();
    app.send_reset_link(carol.id).await;
    // Bob's message went out; carol's was tried once, with the server down.
    app.wait_for_outbox(|rows| {
        rows.len() == 2 && rows[0].status == "sent" && rows[1].last_error.is_some()
    })
    .await;

    let sent = Html::parse_document(&outbox_html(&app, "status=sent").await.1);
    let queued = Html::parse_document(&outbox_html(&app, "status=queued").await.1);
    let failed = Html::parse_document(&outbox_html(&app, "status=failed").await.1);
    let to_carol = Html::parse_document(&outbox_html(&app, "recipient=caro").await.1);
    let any = Html::parse_document(&outbox_html(&app, "").await.1);

    assert_eq!(recipients(&sent), ["bob@example.com"]);
    assert_eq!(recipients(&queued), ["carol@example.com"]);
    let carols = &listed_messages(&queued)[0];
    assert_eq!(carols[4], "1");
    assert!(!carols[5].is_empty(), "the last error is shown: {carols:?}");
    assert!(recipients(&failed).is_empty());
    assert_eq!(
        texts(&failed, "#outbox-empty"),
        ["No messages match these filters."]
    );
    assert_eq!(recipients(&to_carol), ["carol@example.com"]);
    assert_eq!(recipients(&any), ["carol@example.com", "bob@example.com"]);
}

#[tokio::test]
async fn an_organisations_outbox_lists_only_its_own_mail() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    let acme = app.create_org("acme", "Acme Staff").await;
    let boss = app
        .create_user_in(acme, "boss", "Admin", UserStatus::Active)
        .await;
    let carol = app
        .create_user_in(acme, "carol", "Engineer", UserStatus::Active)
        .await;
    app.login_with(&[
        ("login", "boss"),
        ("password", &boss.password),
        ("organisation", "acme"),
    ])
    .await;
    let default_admin = app.another_browser();
    default_admin.signed_in_admin().await;
    let bob = app.create_user("bob", "Engineer", UserStatus::Active).await;
    default_admin.send_reset_link(bob.id).await;
    app.send_reset_link(carol.id).await;
    sink.wait_for(2).await;

    let acme_outbox = Html::parse_document(&outbox_html(&app, "").await.1);
    let default_outbox = Html::parse_document(&outbox_html(&default_admin, "").await.1);

    assert_eq!(recipients(&acme_outbox), ["carol@example.com"]);
    assert_eq!(recipients(&default_outbox), ["bob@example.com"]);
}
