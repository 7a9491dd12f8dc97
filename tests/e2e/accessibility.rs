//! Every page, as each kind of user sees it, through axe-core; then the user
//! list on a 360 px wide phone screen.

use gatehouse::domain::UserStatus;

use crate::axe;
use crate::browser::{Browser, DESKTOP, Driver, Result};
use crate::harness::{PASSWORD, spawn_app};

/// Checks the page shown and saves it as target/e2e/page-<name>.png.
async fn check(browser: &Browser, name: &str) -> Result {
    axe::check(browser, name).await?;
    browser.screenshot(&format!("page-{name}")).await
}

async fn visit(browser: &Browser, path: &str, name: &str) -> Result {
    browser.open(path).await?;
    check(browser, name).await
}

#[tokio::test]
async fn every_page_passes_axe_without_serious_violations_and_fits_a_phone() {
    let driver = Driver::start();
    let mut browser = driver.browser(DESKTOP).await;
    let app = spawn_app().await;
    browser.use_app(&app.address).await.unwrap();
    let admin = app.admin().await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.create_user("rita", "PM", UserStatus::Rejected).await;
    app.create_user("dan", "Engineer", UserStatus::Disabled)
        .await;
    let group = app.create_group("Planners").await;
    // Asked at registration and on the profile, and a select in the list.
    app.create_field("department", "choice", "Sales\nOps", (true, true, true))
        .await;
    app.create_field("github", "handle", "", (false, true, true))
        .await;
    app.register_app(
        "wiki",
        "https://wiki.example.com/",
        "wiki.example.com",
        &["Engineer"],
    )
    .await;
    app.register_app(
        "billing",
        "https://billing.example.com/",
        "billing.example.com",
        &["PM"],
    )
    .await;

    let steps = async {
        anonymous_pages(&browser).await?;
        pending_pages(&browser).await?;
        account_pages(&browser).await?;
        admin_pages(&browser, &admin.username, pat.id.0, group.0).await?;
        phone_width(&browser).await
    };
    steps.await.unwrap_or_else(|e| panic!("{e:#}"));
    the_checker_catches_a_broken_page(&browser)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    browser.close().await.unwrap();
}

async fn anonymous_pages(browser: &Browser) -> Result {
    visit(browser, "/login", "login").await?;
    browser.sign_in("alice", "wrong-password-here").await?;
    check(browser, "login-error").await?;
    visit(browser, "/register", "register").await?;
    browser
        .click("form[action='/register'] button[type=submit]")
        .await?;
    assert!(browser.exists("[aria-invalid=true]").await?);
    check(browser, "register-errors").await?;
    visit(browser, "/no-such-page", "not-found").await
}

async fn pending_pages(browser: &Browser) -> Result {
    browser.sign_in("pat", PASSWORD).await?;
    assert_eq!(browser.path().await?, "/pending");
    check(browser, "pending").await?;
    visit(browser, "/account/password", "password").await?;
    browser
        .click("form[action='/account/password'] button[type=submit]")
        .await?;
    check(browser, "password-errors").await?;
    visit(browser, "/account/profile", "profile").await?;
    browser.fill("#phone", "call me maybe").await?;
    browser
        .click("form[action='/account/profile'] button[type=submit]")
        .await?;
    assert!(browser.exists("[aria-invalid=true]").await?);
    check(browser, "profile-errors").await?;
    browser.sign_out().await
}

async fn account_pages(browser: &Browser) -> Result {
    browser.sign_in("alice", PASSWORD).await?;
    check(browser, "home").await?;
    visit(browser, "/account/role-request", "role-request").await?;
    browser
        .click("form[action='/account/role-request'] button[type=submit]")
        .await?;
    check(browser, "role-request-errors").await?;
    browser
        .find("#role_id")
        .await?
        .select_by_label("PM")
        .await?;
    browser
        .fill("#justification", "I plan the next release.")
        .await?;
    browser
        .click("form[action='/account/role-request'] button[type=submit]")
        .await?;
    check(browser, "home-with-request").await?;
    visit(browser, "/account/role-request", "role-request-open").await?;
    visit(browser, "/account/sessions", "sessions").await?;
    visit(
        browser,
        "/auth/denied?rd=https%3A%2F%2Fbilling.example.com%2F",
        "app-denied",
    )
    .await?;
    visit(browser, "/account/tokens", "tokens").await?;
    browser.fill("#expires_days", "999").await?;
    browser
        .click("form[action='/account/tokens'] button[type=submit]")
        .await?;
    assert!(browser.exists("[aria-invalid=true]").await?);
    check(browser, "tokens-errors").await?;
    browser.fill("#name", "laptop script").await?;
    browser.fill("#expires_days", "").await?;
    browser
        .click("form[action='/account/tokens'] button[type=submit]")
        .await?;
    assert!(browser.exists("#new-token").await?);
    check(browser, "tokens-made").await?;
    browser.sign_out().await
}

async fn admin_pages(browser: &Browser, admin: &str, pending_id: i64, group_id: i64) -> Result {
    browser.sign_in(admin, PASSWORD).await?;
    check(browser, "admin-home").await?;
    visit(browser, "/admin/users", "admin-users").await?;
    visit(
        browser,
        "/admin/users?status=pending",
        "admin-users-pending",
    )
    .await?;
    visit(
        browser,
        &format!("/admin/users/{pending_id}"),
        "admin-user-detail",
    )
    .await?;
    visit(browser, "/admin/role-requests", "admin-role-requests").await?;
    visit(browser, "/admin/roles", "admin-roles").await?;
    visit(browser, "/admin/groups", "admin-groups").await?;
    visit(
        browser,
        &format!("/admin/groups/{group_id}"),
        "admin-group-detail",
    )
    .await?;
    visit(browser, "/admin/fields", "admin-fields").await?;
    visit(browser, "/admin/tokens", "admin-tokens").await?;
    visit(browser, "/admin/apps", "admin-apps").await?;
    browser
        .click("form[action='/admin/apps'] button[type=submit]")
        .await?;
    assert!(browser.exists("[aria-invalid=true]").await?);
    check(browser, "admin-apps-errors").await?;
    browser.click("td a[href^='/admin/apps/']").await?;
    check(browser, "admin-app-detail").await?;
    visit(browser, "/admin/organisations", "admin-organisations").await?;
    visit(
        browser,
        "/admin/organisations/1",
        "admin-organisation-detail",
    )
    .await?;
    visit(browser, "/admin/audit", "admin-audit").await
}

/// At 360 px the page itself never scrolls sideways: tables turn into one
/// card per row instead.
async fn phone_width(browser: &Browser) -> Result {
    browser.client.set_window_size(360, 800).await?;
    for (path, name) in [
        ("/admin/users", "admin-users-360"),
        ("/admin/audit", "admin-audit-360"),
        ("/account/sessions", "sessions-360"),
        ("/", "admin-home-360"),
    ] {
        browser.open(path).await?;
        let overflow = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await?
            .as_i64()
            .unwrap_or(0);
        assert!(
            overflow <= 0,
            "{path} scrolls sideways by {overflow}px at 360px wide"
        );
        check(browser, name).await?;
    }
    browser.client.set_window_size(DESKTOP.0, DESKTOP.1).await?;
    Ok(())
}

/// Guards against a check that passes because axe never ran: a field
/// without a label and grey-on-white text must be reported.
async fn the_checker_catches_a_broken_page(browser: &Browser) -> Result {
    browser.open("/login").await?;
    browser
        .client
        .execute(
            // Styles set from script: the CSP refuses style attributes.
            "const main = document.querySelector('main');
             main.insertAdjacentHTML('afterbegin', '<input type=text name=broken><p>faint</p>');
             main.querySelector('p').style.color = '#bbb';",
            vec![],
        )
        .await?;
    let report = axe::check(browser, "deliberately broken login page")
        .await
        .expect_err("axe reports the broken page");
    let report = format!("{report:#}");
    assert!(report.contains("label"), "{report}");
    assert!(report.contains("color-contrast"), "{report}");
    Ok(())
}
