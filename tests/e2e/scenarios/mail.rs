//! What people do from a mailed link, clicked through with mail on: a user
//! who forgot their password resets it from the sign-in page, and a
//! colleague an administrator invited joins from the invitation. Each new
//! page they pass through is checked with axe.

use gatehouse::domain::UserStatus;

use super::People;
use crate::axe;
use crate::browser::Result;
use crate::harness::PASSWORD;
use crate::mailing::{SmtpSink, first_mail_to, spawn_app_mailing_to};

/// A password the policy takes, other than the one every user starts with.
const NEW_PASSWORD: &str = "lantern-orchard-violet-1987";

pub async fn a_user_who_forgot_their_password_resets_it_from_the_mailed_link_and_signs_in(
    people: &mut People,
) -> Result {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    people.on(&app).await?;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let user = &people.user;

    user.open("/login").await?;
    user.click("main a[href='/password/forgot']").await?;
    assert_eq!(user.text("main h1").await?, "Forgot your password?");
    axe::check(user, "forgot-password").await?;
    user.fill("#login", "alice").await?;
    user.click("form[action='/password/forgot'] button[type=submit]")
        .await?;
    let answer = user.flash().await?;
    assert!(
        answer.starts_with("If an active account matches"),
        "{answer}"
    );
    axe::check(user, "forgot-password-sent").await?;

    let mail = first_mail_to(&sink, "alice@example.com").await?;
    assert_eq!(mail.subject, "Reset your Gatehouse password");
    user.open_mailed_link(&mail, "/password/reset?token=")
        .await?;
    assert_eq!(user.text("main h1").await?, "Choose a new password");
    assert!(user.text("main strong").await?.contains("alice"));
    axe::check(user, "reset-password").await?;
    user.fill("#new_password", NEW_PASSWORD).await?;
    user.fill("#new_password_confirm", NEW_PASSWORD).await?;
    user.click("form[action='/password/reset'] button[type=submit]")
        .await?;
    assert_eq!(user.path().await?, "/login", "{}", user.text("main").await?);

    user.fill("#login", "alice").await?;
    user.fill("#password", NEW_PASSWORD).await?;
    user.click("form[action='/login'] button[type=submit]")
        .await?;
    assert_eq!(user.path().await?, "/");
    assert_eq!(
        user.text("h1").await?,
        format!("Welcome, {}", alice.full_name)
    );
    user.screenshot("a_user_who_forgot_their_password_resets_it_from_the_mailed_link_and_signs_in")
        .await
}

pub async fn an_invited_colleague_joins_from_the_mailed_link_and_signs_in(
    people: &mut People,
) -> Result {
    let sink = SmtpSink::start().await;
    let app = spawn_app_mailing_to(&sink).await;
    people.on(&app).await?;
    let root = app.admin().await;
    let (admin, ada) = (&people.admin, &people.user);

    admin.sign_in(&root.username, PASSWORD).await?;
    admin.click("nav a[href='/admin/invitations']").await?;
    assert_eq!(admin.text("main h1").await?, "Invitations");
    axe::check(admin, "admin-invitations").await?;
    admin
        .fill("#addresses", "Ada Lovelace <ada@example.com>")
        .await?;
    admin
        .click("form[action='/admin/invitations'] button[type=submit]")
        .await?;
    assert_eq!(
        admin.flash().await?,
        "An invitation was mailed to ada@example.com."
    );
    let open = admin.texts("#invitations tbody tr").await?;
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].contains("ada@example.com"), "{open:?}");
    axe::check(admin, "admin-invitations-open").await?;

    let mail = first_mail_to(&sink, "ada@example.com").await?;
    assert_eq!(mail.subject, "You are invited to Gatehouse");
    ada.open_mailed_link(&mail, "/invitations/accept?token=")
        .await?;
    assert_eq!(ada.text("main h1").await?, "Join Gatehouse");
    axe::check(ada, "accept-invitation").await?;
    ada.fill("#username", "ada").await?;
    ada.fill("#password", NEW_PASSWORD).await?;
    ada.fill("#password_confirm", NEW_PASSWORD).await?;
    ada.click("form[action='/invitations/accept'] button[type=submit]")
        .await?;
    assert_eq!(ada.path().await?, "/login", "{}", ada.text("main").await?);
    let welcome = ada.flash().await?;
    assert!(welcome.contains("Your account ada is ready"), "{welcome}");

    ada.fill("#login", "ada").await?;
    ada.fill("#password", NEW_PASSWORD).await?;
    ada.click("form[action='/login'] button[type=submit]")
        .await?;
    assert_eq!(ada.path().await?, "/");
    assert_eq!(ada.text("h1").await?, "Welcome, Ada Lovelace");
    let facts = ada.text(".facts").await?;
    assert!(facts.contains("Status Active"), "{facts}");
    ada.screenshot("an_invited_colleague_joins_from_the_mailed_link_and_signs_in")
        .await
}
