//! What the notification centre mails: a kind a user turned off is told in
//! the app only, a security notice is mailed whatever they chose; reviewers
//! get one digest of what waits at most every 15 minutes; and a bulk
//! approval queues its mail with its notices, so a dead SMTP server slows
//! nothing and loses nothing.

use std::time::{Duration, Instant};

use gatehouse::db::Scope;
use gatehouse::db::seed::{Hashes, SeedUser, insert_users};
use gatehouse::domain::{DEFAULT_ORGANISATION, RoleId, Timestamp};
use gatehouse::services::notifications::send_digests;
use reqwest::StatusCode;

use crate::helpers::*;

/// The unread notices on a centre page, newest first.
fn unread(page: &scraper::Html) -> Vec<String> {
    texts(page, "#notices li.unread p strong")
}

fn text_of(mail: &ReceivedMail) -> &str {
    mail.text.as_deref().expect("a text/plain part")
}

/// `n` Pending users written straight into the database (registering 500
/// through the form would hash 500 passwords); returns their ids.
async fn pending_users(app: &TestApp, n: usize) -> Vec<String> {
    let role = RoleId(app.role_id("Engineer").await);
    let users: Vec<SeedUser> = (0..n)
        .map(|i| SeedUser {
            username: format!("bulk{i:03}"),
            email: format!("bulk{i:03}@example.com"),
            full_name: format!("Bulk {i}"),
            status: UserStatus::Pending,
            role,
            created_at: Timestamp::now(),
            last_login_at: None,
            login_count: 0,
        })
        .collect();
    let mut conn = app.db.pool.acquire().await.unwrap();
    insert_users(
        Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
        &users,
        Hashes::Shared("not-a-password-hash"),
    )
    .await
    .unwrap();
    // Raw: their ids, which no page lists 500 at a time.
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM users WHERE status = 'pending'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), n);
    ids.iter().map(i64::to_string).collect()
}

#[tokio::test]
async fn an_approval_a_user_turned_off_for_mail_is_told_in_the_app_only() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    app.signed_in_admin().await;
    // pia never confirms her address: that is not what this is about.
    app.save_settings(false).await;
    let pia = app
        .create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    let browser = app.another_browser();
    browser.login_as(&pia).await;
    let saved = browser
        .save_notification_settings(&[
            "registration_received",
            "account_rejected",
            "role_request_decided",
        ])
        .await;
    assert_redirect_to(&saved, "/account/notifications");

    let approved = app.approve_user(pia.id).await;

    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.user_status(pia.id).await, UserStatus::Active);
    assert_eq!(
        unread(&browser.notifications_page().await),
        ["Your account was approved."]
    );
    assert_no_more_mail(&app, &sink, 0).await;
}

#[tokio::test]
async fn a_password_change_is_mailed_even_to_a_user_who_turned_every_mail_off() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    signed_in_user(&app, "pia").await;
    // Nothing ticked, and the security kinds sent as if not disabled.
    let saved = app.save_notification_settings(&[]).await;
    assert_redirect_to(&saved, "/account/notifications");

    let changed = app.change_password(PASSWORD, NEW_PASSWORD).await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let mail = sink.wait_for_one_to("pia@example.com").await;
    assert_eq!(mail.subject, "Your Gatehouse password was changed");
    assert_eq!(
        unread(&app.notifications_page().await),
        ["Your password was changed on your account page."]
    );
    assert_no_more_mail(&app, &sink, 1).await;
}

#[tokio::test]
async fn reviewers_get_one_digest_of_what_waits_and_no_second_within_fifteen_minutes() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.signed_in_admin().await;
    app.create_user("ada", "Admin", UserStatus::Active).await;
    app.create_user("eve", "Engineer", UserStatus::Active).await;
    app.another_browser().register("pia").await;
    app.another_browser().register("quinn").await;
    let told_at_once = unread(&app.notifications_page().await);
    // Another organisation, with an account waiting there too: none of it
    // is the default organisation's reviewers' business, nor theirs of it.
    let acme = app.create_org("acme", "Acme Ltd").await;
    app.create_user_in(acme, "wile", "Admin", UserStatus::Active)
        .await;
    app.create_user_in(acme, "wanda", "Engineer", UserStatus::Pending)
        .await;

    let mailed = send_digests(&app.db).await.expect("the digests");
    let again = send_digests(&app.db).await.expect("the digests");
    // Started only now: it looks for digests as it starts, and would race
    // the calls above. It sends the two verification links.
    app.start_mail_worker(&sink);

    assert_eq!(
        told_at_once,
        [
            "quinn Tester (quinn) registered and waits for approval.",
            "pia Tester (pia) registered and waits for approval.",
        ]
    );
    assert_eq!((mailed, again), (2, 0));
    for reviewer in ["admin@example.com", "ada@example.com"] {
        let digest = sink.wait_for_one_to(reviewer).await;
        assert_eq!(digest.subject, "Waiting for you in Gatehouse");
        assert!(
            text_of(&digest).contains("2 accounts wait for approval, the oldest for "),
            "{reviewer}: {:?}",
            digest.text
        );
    }
    assert_no_more_mail(&app, &sink, 4).await;
    assert_eq!(
        kinds_mailed_to(&app, "admin@example.com").await,
        ["reviewer_digest"]
    );
    assert!(sink.to("wile@example.com").is_empty());
    assert!(sink.to("eve@example.com").is_empty());
}

#[tokio::test]
async fn a_user_who_saved_their_settings_before_becoming_a_reviewer_still_gets_the_digest() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.signed_in_admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as(&alice).await;
    // Every box she is shown ticked: she turned nothing off.
    browser
        .save_notification_settings(&[
            "registration_received",
            "account_approved",
            "account_rejected",
            "role_request_decided",
        ])
        .await;
    app.change_role(alice.id, "Admin").await;
    assert_eq!(app.user_role(alice.id).await, "Admin");
    app.another_browser().register("pia").await;

    send_digests(&app.db).await.expect("the digests");
    app.start_mail_worker(&sink);

    let digest = sink.wait_for_one_to("alice@example.com").await;
    assert!(
        text_of(&digest).contains("1 account waits for approval"),
        "{:?}",
        digest.text
    );
}

#[tokio::test]
async fn a_bulk_approval_of_500_answers_at_once_while_smtp_is_down_and_its_mail_goes_out_later() {
    let mut sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    app.signed_in_admin().await;
    // Seeded users never confirmed an address.
    assert_eq!(
        app.save_settings(false).await.status(),
        StatusCode::SEE_OTHER
    );
    let ids = pending_users(&app, 500).await;
    sink.stop();

    let started = Instant::now();
    let response = app.bulk_approve(&ids).await;
    let took = started.elapsed();

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // About a second on either backend; sending 500 messages through a
    // server that does not answer would take minutes.
    assert!(took < Duration::from_secs(10), "the approval took {took:?}");
    assert_eq!(app.count("notifications").await, 500);
    let queued = app.outbox().await;
    assert_eq!(queued.len(), 500);
    assert!(
        queued
            .iter()
            .all(|row| row.kind == "account_approved" && row.status == "queued"),
        "{:?}",
        queued.iter().find(|row| row.status != "queued")
    );

    // Once the worker has tried each message and is waiting to retry:
    // rows still in its hands would miss being made due, and wait 30 s.
    app.wait_for_outbox(|rows| rows.iter().all(|row| row.last_error.is_some()))
        .await;
    sink.restart().await;
    app.make_queued_mail_due().await;

    let arrived = sink.wait_for_within(500, Duration::from_secs(60)).await;
    assert_eq!(arrived.len(), 500);
    assert!(
        arrived
            .iter()
            .all(|m| m.subject == "Your Gatehouse account was approved")
    );
}

#[tokio::test]
async fn a_bulk_approval_refused_for_one_user_writes_no_notice_and_queues_no_mail() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.signed_in_admin().await;
    app.save_settings(false).await;
    let pia = app
        .create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    let amy = app.create_user("amy", "Engineer", UserStatus::Active).await;
    let quinn = app
        .create_user("quinn", "Engineer", UserStatus::Pending)
        .await;

    let response = app
        .bulk_approve(&[pia.id.to_string(), amy.id.to_string(), quinn.id.to_string()])
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.user_status(pia.id).await, UserStatus::Pending);
    assert_eq!(app.count("notifications").await, 0);
    assert!(app.outbox().await.is_empty());
}
