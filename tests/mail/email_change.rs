//! A new email address, with mail on: it takes effect only when the link
//! mailed to it is opened, and the old address is told meanwhile.

use reqwest::StatusCode;

use crate::helpers::*;

const OLD: &str = "alice@example.com";
const NEW: &str = "alice.new@example.com";

/// Whether `email` and the test password sign alice in, on a browser of
/// its own.
async fn signs_in_as(app: &TestApp, email: &str) -> bool {
    let response = app.another_browser().login(email, PASSWORD).await;
    response.status() == reqwest::StatusCode::SEE_OTHER
}

#[tokio::test]
async fn a_new_address_replaces_the_old_one_only_once_its_link_is_opened_and_the_old_one_is_told() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    signed_in_user(&app, "alice").await;

    let response = app.change_email(NEW).await;

    assert_redirect_to(&response, "/account/profile");
    let waiting = app.follow(response).await;
    let state = texts(&waiting, "#email-state").remove(0);
    assert!(
        state.starts_with(OLD) && state.contains("not confirmed"),
        "{state}"
    );
    let awaiting = texts(&waiting, "#email-awaiting");
    assert!(
        awaiting.first().is_some_and(|a| a.contains(NEW)),
        "{awaiting:?}"
    );
    let link = verify_link(&sink.wait_for_one_to(NEW).await);
    let notice = sink.wait_for_one_to(OLD).await;
    assert_eq!(
        notice.subject,
        "The email address of your Gatehouse account is changing"
    );
    assert!(notice.text.as_deref().unwrap_or_default().contains(NEW));
    assert_eq!(
        notice.link("/email/verify"),
        None,
        "the link goes to the new address only"
    );
    assert_eq!(kinds_mailed_to(&app, NEW).await, ["email_verify"]);
    assert_eq!(kinds_mailed_to(&app, OLD).await, ["email_change_notice"]);
    assert!(
        !signs_in_as(&app, NEW).await,
        "not the account's address yet"
    );

    let opened = app.another_browser().open_link(&link).await;

    assert_eq!(opened.status(), StatusCode::OK);
    let outcome = verify_outcome(opened).await;
    assert!(outcome.contains(&format!("now uses {NEW}")), "{outcome}");
    let changed = app.profile_page().await;
    let state = texts(&changed, "#email-state").remove(0);
    assert!(
        state.starts_with(NEW) && state.ends_with(" confirmed"),
        "{state}"
    );
    assert!(texts(&changed, "#email-awaiting").is_empty());
    assert!(signs_in_as(&app, NEW).await);
    assert!(!signs_in_as(&app, OLD).await);
}
