//! Invitations, with mail on: each invitee gets a mail from the
//! organisation naming who invited them, with a link that works once, for
//! 7 days; opened, it lets them pick a username and a password, and the
//! account is Active at once with its address confirmed (the link came by
//! mail). Sending it again voids the first link; revoking voids it too.

use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

const GONE_HEADING: &str = "This invitation no longer works";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// An app mailing to `sink`, with its worker running and its administrator
/// signed in on the app's own client.
async fn app_with_admin(sink: &SmtpSink) -> TestApp {
    let app = spawn_app_mailing_to(sink).await;
    app.start_mail_worker(sink);
    app.signed_in_admin().await;
    app
}

/// Invites `address` as an Engineer, expects the page's "mailed" flash,
/// and returns the link that arrived.
async fn invited(app: &TestApp, sink: &SmtpSink, address: &str) -> String {
    let response = app.invite(address, "Engineer").await;
    assert_redirect_to(&response, "/admin/invitations");
    let mail = sink.wait_for_one_to(address).await;
    invitation_link(&mail)
}

/// The id of the account invited at `email`: its invitation's too.
async fn account_at(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .expect("the invited account")
}

/// When the account at `email` had its address confirmed, if it did.
async fn email_verified_at(app: &TestApp, email: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT email_verified_at FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .expect("the account")
}

/// When the invitation links were made and when they expire, oldest first.
async fn invitation_link_times(app: &TestApp) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT created_at, expires_at FROM one_time_links \
         WHERE purpose = 'invitation' ORDER BY created_at",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("the one-time links")
}

/// Expects the "invitation no longer works" page, with its status.
async fn assert_gone(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(texts(&html(response).await, "h1"), vec![GONE_HEADING]);
}

#[tokio::test]
async fn an_invitation_is_mailed_and_accepted_from_its_link_making_a_confirmed_active_account() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let invitee = app.another_browser();

    let link = invited(&app, &sink, "ada@example.com").await;
    let form = invitee.open_link(&link).await;
    let accepted = invitee
        .accept_invitation(token_of(&link), "ada", NEW_PASSWORD)
        .await;

    assert_eq!(form.status(), StatusCode::OK);
    let form = html(form).await;
    assert_eq!(
        first_attr(&form, "input[name=token]", "value").as_deref(),
        Some(token_of(&link))
    );
    assert!(texts(&form, "section strong").contains(&"ada@example.com".to_owned()));
    assert_redirect_to(&accepted, "/login");
    let id = app.user_id("ada").await;
    assert_eq!(app.user_status(id).await, UserStatus::Active);
    assert!(email_verified_at(&app, "ada@example.com").await.is_some());
    let signed_in = invitee.login("ada", NEW_PASSWORD).await;
    assert_redirect_to(&signed_in, "/");
    assert_eq!(invitee.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        kinds_mailed_to(&app, "ada@example.com").await,
        ["invitation"]
    );
}

#[tokio::test]
async fn a_batch_of_three_addresses_mails_one_invitation_to_each_and_nobody_else() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let addresses = ["ada@example.com", "grace@example.com", "edsger@example.com"];

    let response = app.invite(&addresses.join("\n"), "Engineer").await;

    assert_eq!(
        flash(&app.follow(response).await).as_deref(),
        Some("3 invitations were mailed.")
    );
    let mut links = Vec::new();
    for address in addresses {
        let mail = sink.wait_for_one_to(address).await;
        assert_eq!(mail.subject, "You are invited to Gatehouse");
        links.push(invitation_link(&mail));
        assert_eq!(kinds_mailed_to(&app, address).await, ["invitation"]);
    }
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 3, "each invitee has a link of their own");
    assert_no_more_mail(&app, &sink, 3).await;
}

#[tokio::test]
async fn sending_an_invitation_again_mails_a_new_link_and_the_first_one_stops_working() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let first = invited(&app, &sink, "ada@example.com").await;
    let id = account_at(&app, "ada@example.com").await;

    let response = app.resend_invitation(id).await;

    assert_redirect_to(&response, "/admin/invitations");
    let second = invitation_link(&sink.wait_for_mail_to("ada@example.com", 2).await[1]);
    assert_ne!(first, second);
    let invitee = app.another_browser();
    assert_gone(invitee.open_link(&first).await).await;
    assert_gone(
        invitee
            .accept_invitation(token_of(&first), "ada", NEW_PASSWORD)
            .await,
    )
    .await;
    assert_eq!(invitee.open_link(&second).await.status(), StatusCode::OK);
    assert_eq!(
        kinds_mailed_to(&app, "ada@example.com").await,
        ["invitation", "invitation"]
    );
}

#[tokio::test]
async fn a_revoked_invitations_mailed_link_opens_the_gone_page() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let link = invited(&app, &sink, "ada@example.com").await;
    let id = account_at(&app, "ada@example.com").await;

    let response = app.revoke_invitation(id).await;

    assert_redirect_to(&response, "/admin/invitations");
    let invitee = app.another_browser();
    assert_gone(invitee.open_link(&link).await).await;
    assert_gone(
        invitee
            .accept_invitation(token_of(&link), "ada", NEW_PASSWORD)
            .await,
    )
    .await;
}

#[tokio::test]
async fn the_invitation_mail_names_the_inviter_and_the_organisation_in_text_and_html_for_7_days() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let before = gatehouse::domain::Timestamp::now().0;

    app.invite("Ada Lovelace <ada@example.com>", "Engineer")
        .await;

    let mail = sink.wait_for_one_to("ada@example.com").await;
    let after = gatehouse::domain::Timestamp::now().0;
    assert_eq!(mail.subject, "You are invited to Gatehouse");
    assert_eq!(mail.content_type, "multipart/alternative");
    let text = mail.text.as_deref().expect("a text/plain part");
    assert!(text.starts_with("Hello Ada Lovelace,"), "{text}");
    assert!(text.contains("admin invited you to Gatehouse"), "{text}");
    assert!(text.contains("for 7 days"), "{text}");
    let link = invitation_link(&mail);
    let body = Html::parse_document(mail.html.as_deref().expect("a text/html part"));
    let paragraphs = texts(&body, "p");
    assert_eq!(paragraphs.first().map(String::as_str), Some("Gatehouse"));
    assert!(
        paragraphs
            .iter()
            .any(|p| p.contains("admin invited you to Gatehouse")),
        "{paragraphs:?}"
    );
    let button = first_attr(&body, "a", "href").expect("a button");
    assert_eq!(button, format!("{PUBLIC_URL}{link}"));
    let times = invitation_link_times(&app).await;
    assert_eq!(times.len(), 1, "{times:?}");
    let (created, expires) = times[0];
    assert!(before <= created && created <= after, "made at {created}");
    assert_eq!(expires - created, 7 * DAY_MS);
}
