//! Email verification at registration: the mailed link confirms the
//! address, the pending page sends a new one, and while mail is on an
//! organisation approves only confirmed addresses unless its settings say
//! otherwise.

use reqwest::StatusCode;

use crate::helpers::*;

/// An app mailing to `sink` with its worker running, and its
/// administrator signed in on the app's own client.
async fn app_with_admin(sink: &SmtpSink) -> TestApp {
    let app = spawn_app_mailing_to(sink).await;
    app.start_mail_worker(sink);
    app.signed_in_admin().await;
    app
}

#[tokio::test]
async fn a_registration_is_confirmed_from_the_mailed_link_then_approved_with_a_working_sign_in_link()
 {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;

    let (_, link) = registered(&app, &sink, "pia").await;
    let opened = app.another_browser().open_link(&link).await;
    let pia = app.user_id("pia").await;
    let user_page = app.user_page(pia).await;
    let approved = app.approve_user(pia).await;

    assert_eq!(opened.status(), StatusCode::OK);
    let outcome = verify_outcome(opened).await;
    assert!(
        outcome.contains("pia@example.com is confirmed"),
        "{outcome}"
    );
    assert!(texts(&user_page, "#email-state .badge").contains(&"confirmed".to_owned()));
    assert!(texts(&user_page, "#approve-waits").is_empty());
    assert_redirect_to(&approved, &format!("/admin/users/{pia}"));
    assert_eq!(app.user_status(pia).await, UserStatus::Active);
    let mail = sink.wait_for_mail_to("pia@example.com", 2).await.remove(1);
    assert_eq!(mail.subject, "Your Gatehouse account was approved");
    let sign_in = mail.link("/login").expect("a sign-in link");
    assert_eq!(sign_in, "/login");
    let browser = app.another_browser();
    let page = browser.get_html(&sign_in).await;
    assert!(first_attr(&page, "input[name=password]", "name").is_some());
    let signed_in = browser.login("pia", PASSWORD).await;
    assert_redirect_to(&signed_in, "/");
    assert_eq!(
        kinds_mailed_to(&app, "pia@example.com").await,
        ["email_verify", "account_approved"]
    );
}

#[tokio::test]
async fn an_unconfirmed_registration_is_not_approved_until_the_setting_is_turned_off() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    registered(&app, &sink, "pia").await;
    let pia = app.user_id("pia").await;

    let refused = app.approve_user(pia).await;

    let page = app.follow(refused).await;
    let said = flash(&page).expect("a flash");
    assert!(
        said.starts_with("pia has not confirmed their email address"),
        "{said}"
    );
    assert_eq!(app.user_status(pia).await, UserStatus::Pending);
    let waits = texts(&app.user_page(pia).await, "#approve-waits");
    assert_eq!(waits.len(), 1, "the approve button says it waits");
    let settings = app.get_html("/admin/settings").await;
    assert!(first_attr(&settings, "#approve_verified_only", "checked").is_some());

    let saved = app.save_settings(false).await;
    // Followed at once: the approval's flash would take the place of its own.
    assert_redirect_to(&saved, "/admin/settings");
    let settings = app.follow(saved).await;
    // The user page follows the setting at once (this instance's copy of
    // its organisation is read again after the change).
    let waits = texts(&app.user_page(pia).await, "#approve-waits");
    let approved = app.approve_user(pia).await;

    assert_eq!(
        flash(&settings).as_deref(),
        Some("The settings have been saved.")
    );
    assert!(first_attr(&settings, "#approve_verified_only", "checked").is_none());
    assert!(waits.is_empty(), "{waits:?}");
    let page = app.follow(approved).await;
    assert_eq!(flash(&page).as_deref(), Some("pia has been approved."));
    assert_eq!(app.user_status(pia).await, UserStatus::Active);
    let mail = sink.wait_for_mail_to("pia@example.com", 2).await.remove(1);
    assert_eq!(mail.subject, "Your Gatehouse account was approved");
}

#[tokio::test]
async fn the_pending_page_sends_a_new_link_and_the_old_one_stops_working() {
    let sink = SmtpSink::start().await;
    let app = app_with_admin(&sink).await;
    let (pia, old) = registered(&app, &sink, "pia").await;
    let pending = pia.get_html("/pending").await;
    assert_eq!(
        first_attr(&pending, "#email-unverified form", "action").as_deref(),
        Some("/email/verify/resend")
    );

    let response = pia.resend_verification_link().await;

    assert_redirect_to(&response, "/pending");
    let said = flash(&pia.follow(response).await).expect("a flash");
    assert!(
        said.starts_with("We sent a new link to pia@example.com"),
        "{said}"
    );
    let new = verify_link(&sink.wait_for_mail_to("pia@example.com", 2).await[1]);
    assert_ne!(old, new);
    let opened_old = pia.open_link(&old).await;
    assert_eq!(opened_old.status(), StatusCode::GONE);
    let gone = html(opened_old).await;
    assert_eq!(texts(&gone, "h1"), ["This link no longer works"]);
    let opened_new = pia.open_link(&new).await;
    assert_eq!(opened_new.status(), StatusCode::OK);
    let pending = pia.get_html("/pending").await;
    assert!(texts(&pending, "#email-unverified").is_empty());
    assert_eq!(texts(&pending, "#email-verified").len(), 1);
}

#[tokio::test]
async fn an_approval_in_another_organisation_links_to_that_organisations_sign_in_page() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    app.start_mail_worker(&sink);
    let acme = app.create_org("acme", "Acme Staff").await;
    let boss = app
        .create_user_in(acme, "boss", "Admin", UserStatus::Active)
        .await;
    let signed_in = app
        .login_with(&[
            ("login", "boss"),
            ("password", &boss.password),
            ("organisation", "acme"),
        ])
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    app.save_settings(false).await;
    let pia = app
        .create_user_in(acme, "pia", "Engineer", UserStatus::Pending)
        .await;

    app.approve_user(pia.id).await;

    let mail = sink.wait_for_one_to("pia@example.com").await;
    assert_eq!(mail.subject, "Your Acme Staff account was approved");
    let sign_in = mail.link("/o/").expect("a sign-in link");
    assert_eq!(sign_in, "/o/acme/login");
    let page = app.another_browser().get_html(&sign_in).await;
    assert!(first_attr(&page, "input[name=password]", "name").is_some());
}
