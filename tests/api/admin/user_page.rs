//! The user page: profile, role, status, sign-ins, requests and history.

use super::*;

#[tokio::test]
async fn the_user_page_shows_profile_role_status_logins_requests_and_history() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (dana, browser) = signed_in(&app, "dana", "Engineer").await;
    browser.logout().await;
    browser.login_as(&dana).await;
    request_role(&browser, app.role_id("PM").await).await;

    let page = app.user_page(dana.id).await;

    assert_eq!(texts(&page, "h1"), ["dana Tester (dana)"]);
    // Nobody opened a link mailed to it (mail is off here).
    assert_eq!(fact(&page, "Email"), "dana@example.com not confirmed");
    assert_eq!(fact(&page, "Status"), "Active");
    assert_eq!(fact(&page, "Role"), "Engineer");
    assert_eq!(fact(&page, "Logins"), "2");
    let utc = |v: &str| v.ends_with(" UTC") && v.len() == "2026-01-01 10:00 UTC".len();
    assert!(utc(&fact(&page, "Last login")), "{:?}", facts(&page));
    assert!(utc(&fact(&page, "Registered")), "{:?}", facts(&page));
    assert!(utc(&fact(&page, "Status changed")), "{:?}", facts(&page));
    let request_cells = texts(
        &page,
        "section.card table:not(.audit):not(.sessions) tbody td",
    );
    assert_eq!(request_cells[0], "PM");
    assert_eq!(request_cells[1], "Open");
    let history = audit_rows(&page);
    let actions: Vec<&str> = history.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        actions,
        [
            "Role request submitted",
            "Signed in",
            "Signed out",
            "Signed in",
            "User created"
        ]
    );
    assert!(history.iter().all(|r| r[1] == "dana" || r[1] == "system"));
}

#[tokio::test]
async fn a_user_who_never_signed_in_shows_never_and_zero_logins() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let quiet = app
        .create_user("quiet", "Engineer", UserStatus::Pending)
        .await;

    let page = app.user_page(quiet.id).await;

    assert_eq!(fact(&page, "Last login"), "never");
    assert_eq!(fact(&page, "Logins"), "0");
    assert_eq!(fact(&page, "Status"), "Pending");
}
