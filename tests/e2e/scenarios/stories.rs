//! The scenarios' steps: each starts from a fresh database, is told the two
//! browsers to use, and saves its final page as target/e2e/<its name>.png.

use fantoccini::key::Key;
use gatehouse::domain::UserStatus;

use super::People;
use crate::browser::{Browser, Result};
use crate::harness::{PASSWORD, spawn_app};

pub async fn a_visitor_registers_and_lands_on_the_pending_page(people: &mut People) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let visitor = &people.user;

    visitor.open("/login").await?;
    visitor.click("main a[href='/register']").await?;
    visitor.fill("#username", "alice").await?;
    visitor.fill("#email", "alice@example.com").await?;
    visitor.fill("#full_name", "Alice Example").await?;
    visitor.fill("#password", PASSWORD).await?;
    visitor.fill("#password_confirm", PASSWORD).await?;
    visitor
        .click("form[action='/register'] button[type=submit]")
        .await?;

    assert_eq!(visitor.path().await?, "/pending");
    assert!(visitor.text("h1").await?.contains("awaiting approval"));
    assert!(visitor.flash().await?.contains("waiting for approval"));
    assert!(visitor.text(".whoami").await?.contains("Alice Example"));
    visitor
        .screenshot("a_visitor_registers_and_lands_on_the_pending_page")
        .await
}

pub async fn an_admin_approves_an_account_from_the_queue_and_sees_the_flash(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let admin_user = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Pending)
        .await;
    let admin = &people.admin;

    admin.sign_in(&admin_user.username, PASSWORD).await?;
    assert_eq!(
        admin.text("nav a[href='/admin/users'] .nav-badge").await?,
        "1 pending",
        "the navigation shows one account waiting"
    );
    admin.click("nav a[href='/admin/users']").await?;
    admin
        .click(".status-tabs a[href='/admin/users?status=pending']")
        .await?;
    assert_eq!(admin.texts("table.users tbody tr").await?.len(), 1);
    admin
        .click(&format!("table.users a[href='/admin/users/{}']", alice.id))
        .await?;
    admin
        .click(&format!(
            "form[action='/admin/users/{}/approve'] button",
            alice.id
        ))
        .await?;

    assert_eq!(admin.flash().await?, "alice has been approved.");
    assert!(admin.text(".facts").await?.contains("Active"));
    assert!(
        !admin
            .exists("nav a[href='/admin/users'] .nav-badge")
            .await?,
        "no badge once the queue is empty"
    );
    assert_eq!(app.user_status(alice.id).await, UserStatus::Active);
    admin
        .screenshot("an_admin_approves_an_account_from_the_queue_and_sees_the_flash")
        .await
}

pub async fn an_approved_user_signs_in_and_sees_role_and_status_at_home(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let user = &people.user;

    user.sign_in("alice", &alice.password).await?;

    assert_eq!(user.path().await?, "/");
    assert_eq!(
        user.text("h1").await?,
        format!("Welcome, {}", alice.full_name)
    );
    let facts = user.text(".facts").await?;
    assert!(facts.contains("Role Engineer"), "{facts}");
    assert!(facts.contains("Status Active"), "{facts}");
    assert!(
        !user.exists("nav a[href='/admin/users']").await?,
        "an engineer is not offered the user list"
    );
    user.screenshot("an_approved_user_signs_in_and_sees_role_and_status_at_home")
        .await
}

pub async fn a_role_request_approved_by_an_admin_shows_the_new_role(people: &mut People) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let admin_user = app.admin().await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let (admin, user) = (&people.admin, &people.user);

    user.sign_in("alice", PASSWORD).await?;
    user.click("nav a[href='/account/role-request']").await?;
    user.find("#role_id").await?.select_by_label("PM").await?;
    user.fill("#justification", "I plan the next release.")
        .await?;
    user.click("form[action='/account/role-request'] button[type=submit]")
        .await?;
    assert_eq!(
        user.flash().await?,
        "Your role request has been sent to the reviewers."
    );

    admin.sign_in(&admin_user.username, PASSWORD).await?;
    assert_eq!(
        admin
            .text("nav a[href='/admin/role-requests'] .nav-badge")
            .await?,
        "1 open"
    );
    admin.click("nav a[href='/admin/role-requests']").await?;
    admin
        .fill("input[id^='approve-note-']", "Welcome aboard")
        .await?;
    admin.click("form[action$='/approve'] button").await?;
    assert!(admin.flash().await?.contains("approved"));

    user.click("nav a[href='/']").await?;
    let facts = user.texts(".facts").await?.join(" | ");
    assert!(facts.contains("Role PM"), "{facts}");
    assert!(facts.contains("State Approved"), "{facts}");
    assert!(facts.contains("Reviewer's note Welcome aboard"), "{facts}");
    user.screenshot("a_role_request_approved_by_an_admin_shows_the_new_role")
        .await
}

pub async fn a_disabled_user_lands_on_the_login_page_at_the_next_click(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let admin_user = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let (admin, user) = (&people.admin, &people.user);
    user.sign_in("alice", PASSWORD).await?;
    assert_eq!(user.path().await?, "/");

    admin.sign_in(&admin_user.username, PASSWORD).await?;
    admin.open(&format!("/admin/users/{}", alice.id)).await?;
    admin.fill("#disable-reason", "Left the company").await?;
    admin
        .click(&format!(
            "form[action='/admin/users/{}/disable'] button",
            alice.id
        ))
        .await?;
    assert_eq!(admin.flash().await?, "alice has been disabled.");

    // Disabling deleted the session: the next click shows the login form.
    user.click("nav a[href='/account/role-request']").await?;
    assert!(user.path().await?.starts_with("/login"));
    assert!(user.exists("form[action='/login']").await?);
    assert_eq!(
        user.flash().await?,
        "Your session has ended. Please sign in again."
    );
    user.screenshot("disabled-user-next-click").await?;

    user.sign_in("alice", PASSWORD).await?;
    assert!(user.path().await?.starts_with("/login"));
    assert_eq!(
        user.text(".form-error").await?,
        "Your account has been disabled. Contact an administrator if you think this is a mistake."
    );
    user.screenshot("a_disabled_user_lands_on_the_login_page_at_the_next_click")
        .await
}

pub async fn an_admin_approves_three_pending_users_at_once_from_the_list(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let admin_user = app.admin().await;
    let mut chosen = Vec::new();
    for name in ["bruno", "chiara", "dmitri"] {
        chosen.push(app.create_user(name, "Engineer", UserStatus::Pending).await);
    }
    let waiting = app.create_user("esther", "PM", UserStatus::Pending).await;
    app.create_user("farid", "Engineer", UserStatus::Active)
        .await;
    app.create_user("greta", "Engineer", UserStatus::Disabled)
        .await;
    let admin = &people.admin;

    admin.sign_in(&admin_user.username, PASSWORD).await?;
    admin.open("/admin/users?status=pending").await?;
    for user in &chosen {
        admin.tick(&format!("#select-{}", user.id)).await?;
    }
    admin
        .find("#bulk-action")
        .await?
        .select_by_value("approve")
        .await?;
    admin.click("#bulk .bulk button[type=submit]").await?;

    let flash = admin.flash().await?;
    assert!(
        flash.starts_with("3 users") && flash.contains("approved"),
        "{flash}"
    );
    for user in &chosen {
        assert!(flash.contains(&user.username), "{flash}");
    }
    for user in &chosen {
        assert_eq!(app.user_status(user.id).await, UserStatus::Active);
    }
    assert_eq!(app.user_status(waiting.id).await, UserStatus::Pending);
    assert_eq!(
        admin.text("nav a[href='/admin/users'] .nav-badge").await?,
        "1 pending"
    );
    admin.open("/admin/users").await?;
    admin
        .screenshot("an_admin_approves_three_pending_users_at_once_from_the_list")
        .await
}

pub async fn a_wrong_password_gets_a_message_tied_to_the_form(people: &mut People) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let user = &people.user;

    user.sign_in("alice", "not-the-password-at-all").await?;

    assert_eq!(user.path().await?, "/login");
    assert_eq!(
        user.text("#login-error").await?,
        "The username, email or password is not correct."
    );
    for field in ["#login", "#password"] {
        let described = user.find(field).await?.attr("aria-describedby").await?;
        assert_eq!(described.as_deref(), Some("login-error"), "{field}");
    }
    assert_eq!(
        user.find("#login").await?.prop("value").await?.as_deref(),
        Some("alice"),
        "the login is kept, the password is not"
    );
    assert_eq!(
        user.find("#password")
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("")
    );
    user.screenshot("a_wrong_password_gets_a_message_tied_to_the_form")
        .await
}

pub async fn a_keyboard_user_signs_in_with_tab_and_enter_and_sees_the_focus(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    people.on(&app).await?;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let user = &people.user;
    let tab = || async { user.press(&[Key::Tab.into()]).await };

    // The first Tab on a page shows the skip link, which moves focus to
    // the content.
    user.open("/register").await?;
    tab().await?;
    assert_eq!(focused_text(user).await?, "Skip to content");
    let (x, y, _, _) = user.client.active_element().await?.rectangle().await?;
    assert!(x >= 0.0 && y >= 0.0, "the focused skip link is on screen");
    assert_focus_visible(user).await?;
    user.press(&[Key::Enter.into()]).await?;
    assert_eq!(focused_id(user).await?, "main");

    // Back to the top, then along the navigation to "Sign in".
    user.open("/register").await?;
    for expected in ["Skip to content", "Gatehouse", "Sign in"] {
        tab().await?;
        assert_eq!(focused_text(user).await?, expected);
        assert_focus_visible(user).await?;
    }
    user.press_and_wait(Key::Enter.into()).await?;
    assert_eq!(user.path().await?, "/login");

    // The login field has autofocus; type, Tab, type, Tab to the button.
    user.wait_until("document.activeElement.id === 'login'")
        .await?;
    user.press(&"alice".chars().collect::<Vec<_>>()).await?;
    tab().await?;
    assert_eq!(focused_id(user).await?, "password");
    assert_focus_visible(user).await?;
    user.press(&PASSWORD.chars().collect::<Vec<_>>()).await?;
    tab().await?;
    assert_eq!(focused_text(user).await?, "Sign in");
    assert_focus_visible(user).await?;
    user.screenshot("keyboard-focus-on-sign-in").await?;
    user.press_and_wait(Key::Enter.into()).await?;

    assert_eq!(user.path().await?, "/");
    assert_eq!(
        user.text("h1").await?,
        format!("Welcome, {}", alice.full_name)
    );
    user.screenshot("a_keyboard_user_signs_in_with_tab_and_enter_and_sees_the_focus")
        .await
}

async fn focused_text(browser: &Browser) -> Result<String> {
    Ok(browser.client.active_element().await?.text().await?)
}

/// Five wrong passwords lock the account (defaults: 5 failures in 15
/// minutes). While locked even the right password gets the same generic
/// message, so the page does not tell an attacker the account exists.
pub async fn a_locked_account_is_refused_until_an_admin_clears_the_lockout(
    people: &mut People,
) -> Result {
    const GENERIC: &str = "The username, email or password is not correct.";
    let app = spawn_app().await;
    people.on(&app).await?;
    let admin_user = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let (admin, user) = (&people.admin, &people.user);

    for attempt in 1..=5 {
        user.sign_in("alice", &format!("wrong-password-number-{attempt}"))
            .await?;
        assert_eq!(user.text("#login-error").await?, GENERIC);
    }
    user.sign_in("alice", PASSWORD).await?;
    assert!(user.path().await?.starts_with("/login"));
    assert_eq!(user.text("#login-error").await?, GENERIC);
    user.screenshot("locked-account").await?;

    admin.sign_in(&admin_user.username, PASSWORD).await?;
    admin.open(&format!("/admin/users/{}", alice.id)).await?;
    assert!(admin.text("#lockout").await?.starts_with("Locked until"));
    admin
        .click(&format!(
            "form[action='/admin/users/{}/unlock'] button",
            alice.id
        ))
        .await?;
    assert_eq!(admin.flash().await?, "alice can sign in again.");
    assert_eq!(admin.text("#lockout").await?, "none");

    user.sign_in("alice", PASSWORD).await?;
    assert_eq!(user.path().await?, "/");
    let flash = user.flash().await?;
    assert!(
        flash.starts_with("There were") && flash.contains("failed sign-in attempts"),
        "the user learns about the failures: {flash}"
    );
    user.screenshot("a_locked_account_is_refused_until_an_admin_clears_the_lockout")
        .await
}

async fn focused_id(browser: &Browser) -> Result<String> {
    let element = browser.client.active_element().await?;
    Ok(element.attr("id").await?.unwrap_or_default())
}

/// The focused element draws an outline a sighted keyboard user can see.
async fn assert_focus_visible(browser: &Browser) -> Result {
    let element = browser.client.active_element().await?;
    let style = element.css_value("outline-style").await?;
    let width = element.css_value("outline-width").await?;
    assert!(
        style != "none" && width != "0px",
        "focused element has no visible outline (style {style}, width {width}) on {}",
        browser.describe().await
    );
    Ok(())
}
