//! Invitations: an administrator invites colleagues by address with a role,
//! groups and custom field values; each gets an Invited account, which
//! cannot sign in, and (mail being off in these tests) a link to hand over.
//! The invitee picks a username and a password and is Active at once. A
//! link works once, and stops working when it is sent again, revoked or
//! too old; another organisation's administrator cannot touch it.

use gatehouse::db::{self, Scope};
use gatehouse::domain::{AuditAction, DEFAULT_ORGANISATION, User};
use scraper::Selector;

use super::*;

const NEW_PASSWORD: &str = "a-brand-new-passphrase";
const GONE_HEADING: &str = "This invitation no longer works";

/// The links the page hands over, as (address, token).
fn handed_links(page: &Html) -> Vec<(String, String)> {
    let row = Selector::parse("#handed-links tbody tr").unwrap();
    let cell = Selector::parse("td").unwrap();
    let input = Selector::parse("input").unwrap();
    page.select(&row)
        .map(|row| {
            let email = row.select(&cell).next().expect("an address cell");
            let url = row
                .select(&input)
                .next()
                .and_then(|i| i.value().attr("value"))
                .expect("a link");
            let (path, token) = url.split_once("?token=").expect("a token in the link");
            assert!(path.ends_with("/invitations/accept"), "{url}");
            (
                email.text().collect::<String>().trim().to_owned(),
                token.to_owned(),
            )
        })
        .collect()
}

/// The Engineer role's id, as the form sends it.
async fn engineer(app: &TestApp) -> String {
    app.role_id("Engineer").await.to_string()
}

/// Invites `addresses` as Engineers with `extra` fields; expects the page
/// of links to hand over.
async fn invite(app: &TestApp, addresses: &str, extra: &[(&str, &str)]) -> Html {
    let role = engineer(app).await;
    let mut fields = vec![("addresses", addresses), ("role_id", role.as_str())];
    fields.extend_from_slice(extra);
    let response = app.invite(&fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(field_error(&page, "addresses"), "", "{}", page.html());
    page
}

/// Invites one address as an Engineer and returns its link's token.
async fn invite_one(app: &TestApp, address: &str) -> String {
    let links = handed_links(&invite(app, address, &[]).await);
    assert_eq!(links.len(), 1, "{links:?}");
    links[0].1.clone()
}

/// The id of the account with `email`, in any organisation.
async fn account_of(app: &TestApp, email: &str) -> Option<UserId> {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
        .map(UserId)
}

async fn stored(app: &TestApp, id: UserId) -> User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::users::find(Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn), id)
        .await
        .unwrap()
        .expect("the account")
}

/// The names of the groups `id` is in.
async fn groups_of(app: &TestApp, id: UserId) -> Vec<String> {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::groups::list_for(Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn), id)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, member)| *member)
        .map(|(group, _)| group.name)
        .collect()
}

/// The addresses under "Open invitations" (each cell may add the chosen
/// username after the address).
fn open_invitations(page: &Html) -> Vec<String> {
    texts(page, "#invitations tbody tr td:first-child")
}

/// The text of the addresses box, as the page holds it.
fn typed_addresses(page: &Html) -> String {
    let selector = Selector::parse("textarea#addresses").unwrap();
    let area = page.select(&selector).next().expect("the addresses box");
    area.text().collect()
}

/// How many audit rows of any organisation record `action`.
async fn audited(app: &TestApp, action: AuditAction) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action.as_str())
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// The acceptance form, filled in as Ada Lovelace.
fn acceptance<'a>(token: &'a str, username: &'a str, password: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("token", token),
        ("username", username),
        ("full_name", "Ada Lovelace"),
        ("password", password),
        ("password_confirm", password),
    ]
}

/// Accepts with `username` and `password` on a browser of its own.
async fn accept(app: &TestApp, token: &str, username: &str, password: &str) -> reqwest::Response {
    app.another_browser()
        .accept_invitation(&acceptance(token, username, password))
        .await
}

/// Expects the "invitation no longer works" page.
async fn assert_gone(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(texts(&html(response).await, "h1"), [GONE_HEADING]);
}

async fn link_works(app: &TestApp, token: &str) -> bool {
    let response = app.another_browser().open_invitation_link(token).await;
    response.status() == StatusCode::OK
}

#[tokio::test]
async fn an_administrator_invites_one_address_with_a_role_and_a_group_and_gets_one_link_to_hand_over()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let group = app.create_group("Night shift").await;

    let page = invite(&app, "ada@example.com", &[("groups", &group.0.to_string())]).await;

    let links = handed_links(&page);
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "ada@example.com");
    let ada = account_of(&app, "ada@example.com")
        .await
        .expect("an account");
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
    assert_eq!(app.user_role(ada).await, "Engineer");
    assert_eq!(groups_of(&app, ada).await, ["Night shift"]);
    let listing = app.invitations_page().await;
    assert_eq!(open_invitations(&listing), ["ada@example.com"]);
    let invited = app.audit_rows(AuditAction::UserInvited).await;
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0].actor_username.as_deref(), Some("admin"));
    assert_eq!(invited[0].target_user_id, Some(ada.0));
    assert_eq!(
        invited[0].after_value.as_deref(),
        Some("ada@example.com as Engineer")
    );
}

#[tokio::test]
async fn the_invitee_picks_a_username_and_password_and_is_active_at_once_but_not_email_verified() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;
    let browser = app.another_browser();

    let form = browser.open_invitation_link(&token).await;
    let response = browser
        .accept_invitation(&acceptance(&token, "ada", NEW_PASSWORD))
        .await;

    assert_eq!(form.status(), StatusCode::OK);
    let form = html(form).await;
    assert!(texts(&form, "section strong").contains(&"ada@example.com".to_owned()));
    assert_eq!(
        first_attr(&form, "#full_name", "value").as_deref(),
        Some("ada")
    );
    assert_redirect_to(&response, "/login");
    let login = browser.follow(response).await;
    assert_eq!(
        flash(&login).as_deref(),
        Some("Welcome! Your account ada is ready: sign in with your new password.")
    );
    let ada = app.user_id("ada").await;
    let account = stored(&app, ada).await;
    assert_eq!(account.status, UserStatus::Active);
    assert_eq!(account.full_name, "Ada Lovelace");
    // Mail is off: the link was handed over, which proves nothing of the address.
    assert_eq!(account.email_verified_at, None);
    assert_redirect_to(&browser.login("ada", NEW_PASSWORD).await, "/");
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let accepted = app.audit_rows(AuditAction::InvitationAccepted).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor_username.as_deref(), Some("ada"));
    assert_eq!(accepted[0].actor_id, Some(ada.0));
    assert_gone(app.another_browser().open_invitation_link(&token).await).await;
    assert_gone(accept(&app, &token, "ada2", NEW_PASSWORD).await).await;
    assert!(open_invitations(&app.invitations_page().await).is_empty());
}

#[tokio::test]
async fn a_batch_of_lines_with_and_without_names_invites_each_address() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let page = invite(
        &app,
        "ada@example.com\n\n  Grace Hopper <grace@example.com>  \n\"Lin, Mae\" <mae@example.com>\n",
        &[],
    )
    .await;

    let addresses: Vec<String> = handed_links(&page).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        addresses,
        ["ada@example.com", "grace@example.com", "mae@example.com"]
    );
    let mut names = Vec::new();
    for address in &addresses {
        let id = account_of(&app, address).await.expect("an account");
        assert_eq!(app.user_status(id).await, UserStatus::Invited, "{address}");
        names.push(stored(&app, id).await.full_name);
    }
    assert_eq!(names, ["ada", "Grace Hopper", "Lin, Mae"]);
    assert_eq!(app.audit_rows(AuditAction::UserInvited).await.len(), 3);
}

#[tokio::test]
async fn a_batch_with_a_malformed_or_repeated_line_is_refused_whole_with_a_message_per_bad_line_and_the_text_kept()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let users = app.count("users").await;
    let typed = "ok@example.com\nnot an address\nok@example.com\nnew@example.com";

    let response = app
        .invite(&[("addresses", typed), ("role_id", &engineer(&app).await)])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "addresses"),
        "Line 2: Email address must not contain spaces or control characters. \
         Line 3: ok@example.com is on an earlier line already."
    );
    assert!(handed_links(&page).is_empty());
    assert_eq!(typed_addresses(&page), typed);
    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("invitations").await, 0);
    assert!(app.audit_rows(AuditAction::UserInvited).await.is_empty());
}

#[tokio::test]
async fn a_taken_address_is_named_in_the_same_answer_as_a_malformed_line() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let typed = "not an address\nalice@example.com";

    let response = app
        .invite(&[("addresses", typed), ("role_id", &engineer(&app).await)])
        .await;

    // Every bad line has its message in one answer, so the administrator
    // does not mend the batch only to be refused again for another line.
    let message = required_field_error(&html(response).await, "addresses");
    assert!(message.contains("Line 1: "), "{message}");
    assert!(
        message.contains("Line 2: an account with alice@example.com exists already."),
        "{message}"
    );
}

#[tokio::test]
async fn an_address_an_account_already_uses_refuses_the_batch_and_creates_nothing() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let users = app.count("users").await;
    let typed = "new@example.com\nAlice@Example.com";

    let response = app
        .invite(&[("addresses", typed), ("role_id", &engineer(&app).await)])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "addresses"),
        "Line 2: an account with Alice@Example.com exists already."
    );
    assert_eq!(typed_addresses(&page), typed);
    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("invitations").await, 0);
    assert!(app.audit_rows(AuditAction::UserInvited).await.is_empty());
}

#[tokio::test]
async fn a_username_the_administrator_chose_is_kept_whatever_the_invitee_posts() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let page = invite(&app, "ada@example.com", &[("username", "ada.l")]).await;
    let token = handed_links(&page)[0].1.clone();

    let form = html(app.another_browser().open_invitation_link(&token).await).await;
    let response = accept(&app, &token, "someone-else", NEW_PASSWORD).await;

    assert_eq!(
        texts(&form, "#chosen-username strong"),
        ["ada.l"],
        "{}",
        form.html()
    );
    assert_eq!(first_attr(&form, "input[name=username]", "name"), None);
    assert_redirect_to(&response, "/login");
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    assert_eq!(stored(&app, ada).await.username, "ada.l");
    let browser = app.another_browser();
    assert_redirect_to(&browser.login("ada.l", NEW_PASSWORD).await, "/");
    assert_ne!(
        app.another_browser()
            .login("someone-else", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn choosing_a_username_for_several_addresses_or_a_taken_one_is_refused() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_user("bob", "Engineer", UserStatus::Active).await;
    let users = app.count("users").await;
    let role = engineer(&app).await;

    let several = html(
        app.invite(&[
            ("addresses", "ada@example.com\ngrace@example.com"),
            ("role_id", &role),
            ("username", "ada.l"),
        ])
        .await,
    )
    .await;
    let taken = html(
        app.invite(&[
            ("addresses", "ada@example.com"),
            ("role_id", &role),
            ("username", "BOB"),
        ])
        .await,
    )
    .await;

    assert!(
        required_field_error(&several, "username")
            .starts_with("Choose a username only when inviting one address"),
        "{}",
        field_error(&several, "username")
    );
    assert_eq!(
        field_error(&taken, "username"),
        "This username is already taken."
    );
    assert_eq!(
        first_attr(&taken, "#username", "value").as_deref(),
        Some("BOB")
    );
    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("invitations").await, 0);
}

#[tokio::test]
async fn a_username_taken_by_the_time_of_acceptance_is_refused_and_the_link_still_works() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;
    app.create_user("bob", "Engineer", UserStatus::Active).await;

    let refused = accept(&app, &token, "Bob", NEW_PASSWORD).await;

    assert_eq!(refused.status(), StatusCode::OK);
    let page = html(refused).await;
    assert_eq!(
        field_error(&page, "username"),
        "This username is already taken."
    );
    assert_eq!(
        first_attr(&page, "#username", "value").as_deref(),
        Some("Bob")
    );
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
    assert!(link_works(&app, &token).await);
    assert_redirect_to(&accept(&app, &token, "ada", NEW_PASSWORD).await, "/login");
}

#[tokio::test]
async fn an_invited_account_cannot_sign_in_even_with_the_right_password() {
    let app = spawn_app().await;
    // An invited account with a password, which the invitation flow never
    // gives one: the status alone must keep it out.
    let ivy = app
        .create_user("ivy", "Engineer", UserStatus::Invited)
        .await;

    let right = app.another_browser().login("ivy", &ivy.password).await;
    let wrong = app
        .another_browser()
        .login("ivy", "not-the-right-password")
        .await;

    assert_eq!(right.status(), wrong.status());
    assert_eq!(right.status(), StatusCode::OK);
    let (right, wrong) = (html(right).await, html(wrong).await);
    assert_eq!(texts(&right, "#login-error"), texts(&wrong, "#login-error"));
    assert!(!texts(&right, "#login-error").is_empty());
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn sending_an_invitation_again_makes_a_new_link_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let old = invite_one(&app, "ada@example.com").await;
    let ada = account_of(&app, "ada@example.com").await.unwrap();

    let response = app.resend_invitation(ada).await;

    assert_eq!(response.status(), StatusCode::OK);
    let links = handed_links(&html(response).await);
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "ada@example.com");
    let new = &links[0].1;
    assert_ne!(new, &old);
    assert_gone(app.another_browser().open_invitation_link(&old).await).await;
    assert_gone(accept(&app, &old, "ada", NEW_PASSWORD).await).await;
    assert!(link_works(&app, new).await);
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
    assert_eq!(app.audit_rows(AuditAction::InvitationResent).await.len(), 1);
}

#[tokio::test]
async fn revoking_an_invitation_deletes_its_account_and_its_link_and_cannot_be_done_twice() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let group = app.create_group("Night shift").await;
    let page = invite(&app, "ada@example.com", &[("groups", &group.0.to_string())]).await;
    let token = handed_links(&page)[0].1.clone();
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    let users_before = texts(&app.admin_users("").await, "table.users tbody tr").join("\n");

    let revoked = app.follow(app.revoke_invitation(ada).await).await;
    let again = app.follow(app.revoke_invitation(ada).await).await;

    assert_eq!(
        success(&revoked).as_deref(),
        Some("The invitation to ada@example.com was revoked and its account deleted.")
    );
    assert!(open_invitations(&revoked).is_empty());
    assert_eq!(account_of(&app, "ada@example.com").await, None);
    assert!(users_before.contains("ada@example.com"), "{users_before}");
    let users_after = texts(&app.admin_users("").await, "table.users tbody tr").join("\n");
    assert!(!users_after.contains("ada@example.com"), "{users_after}");
    assert_eq!(app.count("invitations").await, 0);
    assert_eq!(app.count("group_members").await, 0);
    assert_gone(app.another_browser().open_invitation_link(&token).await).await;
    let rows = app.audit_rows(AuditAction::InvitationRevoked).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].target_user_id, Some(ada.0));
    assert_eq!(
        error(&again).as_deref(),
        Some("That invitation is no longer open: it was accepted or revoked.")
    );
}

#[tokio::test]
async fn an_accepted_invitation_can_no_longer_be_revoked_or_sent_again() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;
    assert_redirect_to(&accept(&app, &token, "ada", NEW_PASSWORD).await, "/login");
    let ada = app.user_id("ada").await;

    let revoke = app.follow(app.revoke_invitation(ada).await).await;
    let resend = app.follow(app.resend_invitation(ada).await).await;

    // Both buttons give the same answer.
    for page in [&revoke, &resend] {
        assert_eq!(
            error(page).as_deref(),
            Some("That invitation is no longer open: it was accepted or revoked.")
        );
    }
    assert_eq!(app.user_status(ada).await, UserStatus::Active);
}

#[tokio::test]
async fn an_invitation_link_past_its_seven_days_answers_410() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;
    sqlx::query("UPDATE one_time_links SET expires_at = $1 WHERE purpose = 'invitation'")
        .bind(gatehouse::domain::Timestamp::now().0 - 1_000)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let opened = app.another_browser().open_invitation_link(&token).await;
    let posted = accept(&app, &token, "ada", NEW_PASSWORD).await;

    assert_gone(opened).await;
    assert_gone(posted).await;
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
}

#[tokio::test]
async fn a_weak_password_at_acceptance_re_renders_with_the_password_message_and_the_link_still_works()
 {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;

    let short = html(accept(&app, &token, "ada", "Vq7#mZ2!pL").await).await;
    let common = html(accept(&app, &token, "ada", "1qaz2wsx3edc").await).await;

    assert_eq!(
        field_error(&short, "password"),
        "Password must be at least 12 characters."
    );
    assert_eq!(
        field_error(&common, "password"),
        "This password is on a list of commonly used passwords; choose another."
    );
    assert_eq!(
        first_attr(&short, "#username", "value").as_deref(),
        Some("ada")
    );
    assert_eq!(
        first_attr(&short, "input[name=token]", "value").as_deref(),
        Some(token.as_str())
    );
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
    assert!(link_works(&app, &token).await);
}

#[tokio::test]
async fn custom_field_values_given_at_invitation_are_stored_on_each_account() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_field("department", "choice", "Sales\nOps", (false, false, true))
        .await;
    app.create_field("badge", "text", "", (false, false, false))
        .await;

    let page = invite(
        &app,
        "ada@example.com\ngrace@example.com",
        &[("field_department", "Ops"), ("field_badge", "B-42")],
    )
    .await;

    assert_eq!(handed_links(&page).len(), 2);
    for address in ["ada@example.com", "grace@example.com"] {
        let id = account_of(&app, address).await.unwrap();
        assert_eq!(
            app.metadata_of(id).await,
            r#"{"badge":"B-42","department":"Ops"}"#,
            "{address}"
        );
    }
}

#[tokio::test]
async fn a_wrong_custom_field_value_refuses_the_invitation_naming_the_field() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_field("department", "choice", "Sales\nOps", (false, false, true))
        .await;

    let response = app
        .invite(&[
            ("addresses", "ada@example.com"),
            ("role_id", &engineer(&app).await),
            ("field_department", "Marketing"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "field_department"),
        "department: choose one of Sales, Ops."
    );
    assert_eq!(account_of(&app, "ada@example.com").await, None);
}

/// The administrator of a second organisation, signed in on a browser of their own.
async fn acme_admin(app: &TestApp) -> TestApp {
    let acme = app.create_org("acme", "Acme Ltd").await;
    let wile = app
        .create_user_in(acme, "wile", "Admin", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as_at("acme", &wile).await;
    browser
}

#[tokio::test]
async fn another_organisations_administrator_cannot_send_again_or_revoke_an_invitation() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let token = invite_one(&app, "ada@example.com").await;
    let ada = account_of(&app, "ada@example.com").await.unwrap();
    let wile = acme_admin(&app).await;

    let resend = wile.follow(wile.resend_invitation(ada).await).await;
    let revoke = wile.revoke_invitation(ada).await;

    // To another organisation the invitation is not there at all.
    assert_eq!(
        error(&resend).as_deref(),
        Some("That invitation is no longer open: it was accepted or revoked.")
    );
    let revoke = wile.follow(revoke).await;
    assert_eq!(
        error(&revoke).as_deref(),
        Some("That invitation is no longer open: it was accepted or revoked.")
    );
    assert!(open_invitations(&wile.invitations_page().await).is_empty());
    assert_eq!(app.user_status(ada).await, UserStatus::Invited);
    assert!(link_works(&app, &token).await);
    assert_eq!(audited(&app, AuditAction::InvitationResent).await, 0);
    assert_eq!(audited(&app, AuditAction::InvitationRevoked).await, 0);
    assert_eq!(
        open_invitations(&app.invitations_page().await),
        ["ada@example.com"]
    );
}

#[tokio::test]
async fn the_page_that_hands_over_links_offers_the_default_role_again_as_the_empty_form_does() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let empty = app.invitations_page().await;

    let handed = invite(&app, "ada@example.com", &[]).await;

    let selected = |page: &Html| texts(page, "#invite-role option[selected]");
    assert_eq!(selected(&empty), ["Engineer"]);
    // With nothing selected a browser submits the first role listed, which
    // the administrator did not choose.
    assert_eq!(
        selected(&handed),
        ["Engineer"],
        "{:?}",
        texts(&handed, "#invite-role option")
    );
}

#[tokio::test]
async fn another_organisations_role_or_group_is_refused_at_invitation() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let group = app.create_group("Night shift").await.0.to_string();
    let admin_role = app.role_id("Admin").await.to_string();
    let wile = acme_admin(&app).await;
    // A group of its own, so that the form has its groups box.
    let made = wile
        .create_group_with(&[("name", "Road runners"), ("description", "")])
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let users = app.count("users").await;

    let role = html(
        wile.invite(&[("addresses", "ada@example.com"), ("role_id", &admin_role)])
            .await,
    )
    .await;

    assert_eq!(
        field_error(&role, "role_id"),
        "Choose the role the invitees get."
    );
    let acme_engineer = first_attr(
        &wile.invitations_page().await,
        "#invite-role option[selected]",
        "value",
    )
    .expect("the default role");
    let groups = html(
        wile.invite(&[
            ("addresses", "ada@example.com"),
            ("role_id", &acme_engineer),
            ("groups", &group),
        ])
        .await,
    )
    .await;
    assert_eq!(field_error(&groups, "groups"), "That group does not exist.");
    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("invitations").await, 0);
}

#[tokio::test]
async fn a_group_deleted_while_the_form_was_open_is_named_even_when_no_group_is_left() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let group = app.create_group("Night shift").await;
    app.delete_group(group.0).await;
    assert_eq!(app.count("user_groups").await, 0);

    let response = app
        .invite(&[
            ("addresses", "ada@example.com"),
            ("role_id", &engineer(&app).await),
            ("groups", &group.0.to_string()),
        ])
        .await;

    let page = html(response).await;
    assert_eq!(
        texts(&page, ".form-error"),
        ["Please correct the fields marked below."]
    );
    assert_eq!(app.count("invitations").await, 0);
    // No group is left, so the form has no groups box; the message must
    // show all the same, or nothing says what to correct.
    assert_eq!(field_error(&page, "groups"), "That group does not exist.");
}

#[tokio::test]
async fn putting_invitees_in_groups_needs_groups_manage_as_adding_a_member_does_elsewhere() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let payroll = app.create_group("Payroll").await;
    let (bob, _) = signed_in(&app, "bob", "Engineer").await;
    let (_, manager) = signed_in(&app, "umar", "User manager").await;
    let elsewhere = manager.add_user_to_group(bob.id, payroll.0).await;

    let response = manager
        .invite(&[
            ("addresses", "ada@example.com"),
            ("role_id", &engineer(&app).await),
            ("groups", &payroll.0.to_string()),
        ])
        .await;

    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    // Membership admits to apps and goes into sign-in claims: it is
    // groups.manage's to give, by invitation as on the group's page.
    let status = response.status();
    let handed = handed_links(&html(response).await);
    assert_eq!(app.count("group_members").await, 0, "{status}, {handed:?}");
}
