//! The notification centre with mail off: what a user is told in the app
//! (a decision about their account, a new sign-in, a lockout; reviewers,
//! what waits for them), the unread badge in the navigation, marking
//! notices read, which kinds also go by mail, and the 90-day purge. The
//! mail itself is tests/mail/notifications.rs.

use gatehouse::domain::Timestamp;
use gatehouse::services::notifications::purge;

use super::*;

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/156.0.0.0 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The notices on a centre page, newest first, as they read (an unread
/// one without its "new" badge).
fn notices(page: &Html) -> Vec<String> {
    texts(
        page,
        "#notices li.unread p strong, #notices li:not(.unread) > p:first-child",
    )
}

fn unread(page: &Html) -> Vec<String> {
    texts(page, "#notices li.unread p strong")
}

/// The "N unread" badge on the navigation's Notifications entry, if any.
fn badge(page: &Html) -> Option<String> {
    texts(page, "nav a[href='/notifications'] .nav-badge")
        .into_iter()
        .next()
}

/// The "Open" links of the notices on a centre page, newest first.
fn links(page: &Html) -> Vec<String> {
    let selector = Selector::parse("#notices li a").unwrap();
    page.select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .map(str::to_owned)
        .collect()
}

/// The id of the newest unread notice, read from its "Mark as read" form.
fn newest_unread_id(page: &Html) -> i64 {
    let action = first_attr(page, "#notices li.unread form", "action").expect("an unread notice");
    action
        .trim_start_matches("/notifications/")
        .trim_end_matches("/read")
        .parse()
        .expect("a notice id")
}

/// The mail checkboxes of the settings page: (kind, ticked, disabled).
fn mail_boxes(page: &Html) -> Vec<(String, bool, bool)> {
    let selector = Selector::parse("input[name=mail]").unwrap();
    page.select(&selector)
        .map(|input| {
            let input = input.value();
            (
                input.attr("value").unwrap_or_default().to_owned(),
                input.attr("checked").is_some(),
                input.attr("disabled").is_some(),
            )
        })
        .collect()
}

/// The kinds a user may turn off for mail, as the settings page sends them.
const OPTIONAL_KINDS: [&str; 4] = [
    "registration_received",
    "account_approved",
    "account_rejected",
    "role_request_decided",
];

/// The kinds that are always mailed.
const SECURITY_KINDS: [&str; 6] = [
    "account_disabled",
    "account_enabled",
    "password_changed",
    "email_changed",
    "new_sign_in",
    "account_locked",
];

/// A Pending user, signed in on a browser of their own.
async fn pending(app: &TestApp, name: &str) -> (TestUser, TestApp) {
    let user = app.create_user(name, "Engineer", UserStatus::Pending).await;
    let browser = app.another_browser();
    browser.login_as(&user).await;
    (user, browser)
}

#[tokio::test]
async fn an_approval_waits_in_the_users_centre_with_an_unread_badge_until_they_mark_it_read() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (pia, browser) = pending(&app, "pia").await;
    assert_eq!(badge(&browser.get_html("/pending").await), None);

    let approved = app.approve_user(pia.id, &[]).await;
    let home = browser.get_html("/").await;
    let centre = browser.notifications_page().await;

    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(badge(&home).as_deref(), Some("1 unread"));
    assert_eq!(unread(&centre), ["Your account was approved."]);
    let marked = browser.mark_notice_read(newest_unread_id(&centre)).await;
    assert_redirect_to(&marked, "/notifications");
    let centre = browser.follow(marked).await;
    assert_eq!(flash(&centre).as_deref(), Some("Marked as read."));
    assert_eq!(notices(&centre), ["Your account was approved."]);
    assert!(unread(&centre).is_empty(), "{:?}", unread(&centre));
    assert_eq!(badge(&centre), None);
}

#[tokio::test]
async fn marking_all_read_clears_every_unread_notice_and_the_badge_at_once() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pia = app
        .create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    app.approve_user(pia.id, &[]).await;
    app.disable_user(pia.id, &[("reason", "On leave")]).await;
    app.enable_user(pia.id).await;
    let browser = app.another_browser();
    browser.login_as(&pia).await;
    let before = browser.notifications_page().await;

    let marked = browser.mark_all_notices_read().await;
    assert_redirect_to(&marked, "/notifications");
    let after = browser.follow(marked).await;
    let again = browser.follow(browser.mark_all_notices_read().await).await;

    assert_eq!(badge(&before).as_deref(), Some("3 unread"));
    assert_eq!(
        unread(&before),
        [
            "Your account was enabled again.",
            "Your account was disabled: On leave",
            "Your account was approved.",
        ]
    );
    assert_eq!(flash(&after).as_deref(), Some("3 notices marked as read."));
    assert!(unread(&after).is_empty(), "{:?}", unread(&after));
    assert_eq!(notices(&after).len(), 3);
    assert_eq!(badge(&after), None);
    assert_eq!(flash(&again).as_deref(), Some("Nothing was unread."));
}

#[tokio::test]
async fn a_registration_tells_every_approver_of_the_organisation_and_nobody_else() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_role_with(&[
        ("name", "Help desk"),
        ("permissions", "users.read"),
        ("permissions", "users.approve"),
    ])
    .await;
    let desk = location_of(
        &app.create_group_with(&[("name", "Desk"), ("description", "")])
            .await,
    )
    .expect("a redirect to the group");
    let desk = desk.trim_start_matches("/admin/groups/");
    let help_desk = app.role_id("Help desk").await.to_string();
    app.update_group(desk, &[("roles", &help_desk)]).await;
    let hector = app
        .create_user("hector", "Help desk", UserStatus::Active)
        .await;
    let grace = app
        .create_user("grace", "Engineer", UserStatus::Active)
        .await;
    app.add_group_member(desk, "grace").await;
    let eve = app.create_user("eve", "Engineer", UserStatus::Active).await;
    let acme = app.create_org("acme", "Acme Ltd").await;
    let wile = app
        .create_user_in(acme, "wile", "Admin", UserStatus::Active)
        .await;

    let registrant = app.another_browser();
    let registered = registrant
        .register_at(
            "default",
            &[
                ("username", "newbie"),
                ("email", "newbie@example.com"),
                ("full_name", "Nora Newbie"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;

    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let newbie = app.user_id("newbie").await;
    let told = "Nora Newbie (newbie) registered and waits for approval.";
    let admin_centre = app.notifications_page().await;
    assert_eq!(notices(&admin_centre), [told]);
    assert_eq!(links(&admin_centre), [paths::user(newbie)]);
    for reviewer in [&hector, &grace] {
        let browser = app.another_browser();
        browser.login_as(reviewer).await;
        let centre = browser.notifications_page().await;
        assert_eq!(notices(&centre), [told], "{}", reviewer.username);
    }
    assert_eq!(
        notices(&registrant.notifications_page().await),
        ["We received your registration. An administrator will look at it soon."]
    );
    let engineer = app.another_browser();
    engineer.login_as(&eve).await;
    let elsewhere = app.another_browser();
    elsewhere.login_as_at("acme", &wile).await;
    for browser in [&engineer, &elsewhere] {
        let centre = browser.notifications_page().await;
        assert_eq!(texts(&centre, "#no-notices"), ["No notifications."]);
    }
}

#[tokio::test]
async fn a_role_request_tells_its_reviewers_but_not_the_requester_who_reviews_too() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_role_with(&[
        ("name", "Gatekeeper"),
        ("permissions", "role_requests.review"),
    ])
    .await;
    let (_, rosa) = signed_in(&app, "rosa", "Gatekeeper").await;
    let (_, rex) = signed_in(&app, "rex", "Gatekeeper").await;
    let (_, eve) = signed_in(&app, "eve", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();

    let submitted = rosa.submit_role_request(&pm, JUSTIFICATION).await;

    assert_redirect_to(&submitted, "/");
    for reviewer in [&app, &rex] {
        let centre = reviewer.notifications_page().await;
        assert_eq!(notices(&centre), ["rosa asks for the role PM."]);
        assert_eq!(links(&centre), ["/admin/role-requests"]);
    }
    for other in [&rosa, &eve] {
        let centre = other.notifications_page().await;
        assert_eq!(texts(&centre, "#no-notices"), ["No notifications."]);
    }
}

#[tokio::test]
async fn a_refused_role_request_tells_the_requester_with_the_reviewers_note() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();
    browser.submit_role_request(&pm, JUSTIFICATION).await;
    let request = app.open_role_request(alice.id).await.expect("a request");

    app.deny_role_request(request, &[("note", "Ask your manager first.")])
        .await;

    let centre = browser.notifications_page().await;
    assert_eq!(
        unread(&centre),
        ["Your request for the role PM was refused: Ask your manager first."]
    );
    assert_eq!(links(&centre), ["/account/role-request"]);
}

#[tokio::test]
async fn a_granted_role_request_tells_the_requester_with_the_reviewers_note() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();
    browser.submit_role_request(&pm, JUSTIFICATION).await;
    let request = app.open_role_request(alice.id).await.expect("a request");

    app.approve_role_request(request, &[("note", "Welcome to planning.")])
        .await;

    // The mail says "Their note: …"; the centre says no less.
    let centre = browser.notifications_page().await;
    assert_eq!(
        unread(&centre),
        ["You have the role PM now: Welcome to planning."]
    );
}

#[tokio::test]
async fn neither_the_first_sign_in_nor_the_same_browser_again_is_told_as_new() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let first = app.browser_with_agent(CHROME);
    first.login_as(&alice).await;

    let again = app.browser_with_agent(CHROME);
    again.login_as(&alice).await;

    for browser in [&first, &again] {
        let centre = browser.notifications_page().await;
        assert_eq!(texts(&centre, "#no-notices"), ["No notifications."]);
    }
}

#[tokio::test]
async fn a_sign_in_from_another_browser_family_tells_the_user_it_is_new() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let chrome = app.browser_with_agent(CHROME);
    chrome.login_as(&alice).await;

    let firefox = app.browser_with_agent(FIREFOX);
    firefox.login_as(&alice).await;

    let centre = chrome.notifications_page().await;
    assert_eq!(
        unread(&centre),
        ["A sign-in from Firefox on Windows on the network 127.0.0.0/24, new to your account."]
    );
    assert_eq!(links(&centre), ["/account/sessions"]);
    assert_eq!(badge(&centre).as_deref(), Some("1 unread"));
}

#[tokio::test]
async fn a_lockout_after_five_wrong_passwords_tells_the_accounts_owner() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let own = app.another_browser();
    own.login_as(&alice).await;
    let (_, eve) = signed_in(&app, "eve", "Engineer").await;

    let guesser = app.another_browser();
    for _ in 0..5 {
        let refused = guesser.login("alice", "not-the-right-password").await;
        assert_eq!(refused.status(), StatusCode::OK);
    }

    let centre = own.notifications_page().await;
    assert_eq!(
        unread(&centre),
        ["Your account was locked for 1 minute after several failed sign-ins."]
    );
    assert_eq!(links(&centre), ["/account/sessions"]);
    let others = eve.notifications_page().await;
    assert_eq!(texts(&others, "#no-notices"), ["No notifications."]);
}

#[tokio::test]
async fn the_settings_list_every_kind_with_the_security_ones_ticked_and_locked() {
    let app = spawn_app().await;
    let (_, alice) = signed_in(&app, "alice", "Engineer").await;

    let page = alice.notification_settings_page().await;

    let boxes = mail_boxes(&page);
    let kinds: Vec<&str> = boxes.iter().map(|(kind, _, _)| kind.as_str()).collect();
    let mut expected: Vec<&str> = OPTIONAL_KINDS.to_vec();
    expected.extend(SECURITY_KINDS);
    let mut sorted = kinds.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "no reviewer kinds for an Engineer");
    for (kind, ticked, disabled) in &boxes {
        let security = SECURITY_KINDS.contains(&kind.as_str());
        assert!(*ticked, "{kind} goes by mail until turned off");
        assert_eq!(*disabled, security, "{kind}");
    }
}

#[tokio::test]
async fn a_reviewer_can_also_choose_the_digests_of_what_waits() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let page = app.notification_settings_page().await;

    let boxes = mail_boxes(&page);
    for kind in ["new_pending_account", "new_role_request"] {
        assert!(
            boxes.contains(&(kind.to_owned(), true, false)),
            "{kind}: {boxes:?}"
        );
    }
}

#[tokio::test]
async fn saving_with_approvals_unticked_keeps_them_unticked_on_the_next_visit() {
    let app = spawn_app().await;
    let (_, alice) = signed_in(&app, "alice", "Engineer").await;
    let ticked: Vec<&str> = OPTIONAL_KINDS
        .into_iter()
        .filter(|k| *k != "account_approved")
        .collect();

    let saved = alice.save_notification_settings(&ticked).await;

    assert_redirect_to(&saved, "/account/notifications");
    let page = alice.follow(saved).await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your notification settings have been saved.")
    );
    for (kind, ticked, _) in mail_boxes(&page) {
        assert_eq!(ticked, kind != "account_approved", "{kind}");
    }
}

#[tokio::test]
async fn a_crafted_post_cannot_turn_the_security_notices_off() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;

    let saved = browser.save_notification_settings(&["not_a_kind"]).await;

    assert_redirect_to(&saved, "/account/notifications");
    let page = browser.notification_settings_page().await;
    for (kind, ticked, _) in mail_boxes(&page) {
        let security = SECURITY_KINDS.contains(&kind.as_str());
        assert_eq!(ticked, security, "{kind}");
    }
    // Raw: what is stored, which the page (always ticking security kinds)
    // cannot show.
    let stored: String =
        sqlx::query_scalar("SELECT mail_off FROM notification_settings WHERE user_id = $1")
            .bind(alice.id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let off: Vec<&str> = stored.split(',').collect();
    for kind in SECURITY_KINDS {
        assert!(!off.contains(&kind), "{kind} stored as off: {stored}");
    }
    assert!(off.contains(&"account_approved"), "{stored}");
}

#[tokio::test]
async fn saving_the_settings_before_becoming_a_reviewer_does_not_turn_the_digests_off() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    browser.save_notification_settings(&OPTIONAL_KINDS).await;
    let admin = app.role_id("Admin").await.to_string();

    app.change_role(alice.id, &[("role_id", &admin)]).await;

    let page = browser.notification_settings_page().await;
    let boxes = mail_boxes(&page);
    // She never saw these kinds, let alone unticked them.
    for kind in ["new_pending_account", "new_role_request"] {
        assert!(
            boxes.contains(&(kind.to_owned(), true, false)),
            "{kind}: {boxes:?}"
        );
    }
}

#[tokio::test]
async fn one_user_cannot_mark_another_users_notice_read() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (pia, pia_browser) = pending(&app, "pia").await;
    app.approve_user(pia.id, &[]).await;
    let theirs = newest_unread_id(&pia_browser.notifications_page().await);
    let (_, bob) = signed_in(&app, "bob", "Engineer").await;

    let one = bob.mark_notice_read(theirs).await;
    let all = bob.mark_all_notices_read().await;

    assert_eq!(one.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        flash(&bob.follow(all).await).as_deref(),
        Some("Nothing was unread.")
    );
    let centre = pia_browser.notifications_page().await;
    assert_eq!(unread(&centre), ["Your account was approved."]);
    assert_eq!(badge(&centre).as_deref(), Some("1 unread"));
}

#[tokio::test]
async fn notices_older_than_ninety_days_are_purged_and_younger_ones_kept() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (old, old_browser) = pending(&app, "olga").await;
    let (young, young_browser) = pending(&app, "yann").await;
    app.approve_user(old.id, &[]).await;
    app.approve_user(young.id, &[]).await;
    // Raw: ages the notices, which no endpoint can do.
    for (user, days) in [(old.id, 91), (young.id, 89)] {
        sqlx::query("UPDATE notifications SET created_at = $1 WHERE user_id = $2")
            .bind(Timestamp::now().0 - days * DAY_MS)
            .bind(user.0)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }

    let purged = purge(&app.db).await.expect("the purge runs");

    assert_eq!(purged, 1);
    let gone = old_browser.notifications_page().await;
    assert_eq!(texts(&gone, "#no-notices"), ["No notifications."]);
    let kept = young_browser.notifications_page().await;
    assert_eq!(notices(&kept), ["Your account was approved."]);
}
