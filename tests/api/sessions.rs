//! Sessions: idle timeout and absolute lifetime enforced on the server,
//! purging, the "Your sessions" page, revoking one or all others, the
//! administrator's view, and password changes ending other sessions.
//!
//! Time passes by moving a session's timestamps into the past in the
//! database (the same as the clock moving forward), so no test sleeps.

use gatehouse::domain::session::SessionLimits;
use gatehouse::domain::{AuditAction, UserStatus};
use reqwest::StatusCode;

use crate::helpers::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const MINUTE: i64 = 60_000;

/// Moves every session of `user` into the past: created `created_minutes`
/// and last used `seen_minutes` earlier than recorded.
async fn age_sessions(app: &TestApp, user: &TestUser, created_minutes: i64, seen_minutes: i64) {
    // Raw on purpose: ages sessions, which no endpoint can do.
    sqlx::query(
        "UPDATE sessions SET created_at = created_at - $1, last_seen_at = last_seen_at - $2, \
         expires_at = expires_at - $2 WHERE user_id = $3",
    )
    .bind(created_minutes * MINUTE)
    .bind(seen_minutes * MINUTE)
    .bind(user.id.0)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

async fn last_seen(app: &TestApp, user: &TestUser) -> i64 {
    // Raw: the stored last_seen_at of every row, live or not (list_for_user filters).
    sqlx::query_scalar("SELECT MAX(last_seen_at) FROM sessions WHERE user_id = $1")
        .bind(user.id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// The public id of the session `browser` is using, read from its page.
async fn own_session_id(browser: &TestApp) -> String {
    let page = browser.get_html("/account/sessions").await;
    let action = first_attr(&page, "tr.current form", "action").expect("this session's form");
    action
        .trim_start_matches("/account/sessions/")
        .trim_end_matches("/revoke")
        .to_owned()
}

#[tokio::test]
async fn a_session_idle_for_longer_than_the_timeout_ends_and_its_row_is_deleted() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);

    age_sessions(&app, &alice, 31, 31).await;
    let response = browser.get("/").await;

    assert_redirect_to(&response, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 0);
    let page = browser.get_html("/login").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your session has ended. Please sign in again.")
    );
}

#[tokio::test]
async fn a_session_in_use_outlives_the_idle_timeout_without_a_write_on_every_request() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    browser.get("/").await;
    let first_seen = last_seen(&app, &alice).await;

    // Requests within the same minute write nothing.
    for _ in 0..5 {
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    }
    assert_eq!(last_seen(&app, &alice).await, first_seen);

    // 25 minutes idle, a click, 25 more, another click: 50 minutes in all.
    age_sessions(&app, &alice, 25, 25).await;
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let touched = last_seen(&app, &alice).await;
    assert!(
        touched > first_seen - 5 * MINUTE,
        "the click was recorded, not left 25 minutes back"
    );
    age_sessions(&app, &alice, 25, 25).await;

    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.sessions_of(alice.id).await, 1);
}

#[tokio::test]
async fn requests_without_a_user_agent_do_not_write_the_session_each_time() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    // The session records a browser, then a script using the same cookie
    // sends no User-Agent at all (as curl -A '' or wrk do).
    let with_agent = browser
        .client
        .get(browser.url("/"))
        .header(reqwest::header::USER_AGENT, FIREFOX)
        .send()
        .await
        .unwrap();
    assert_eq!(with_agent.status(), StatusCode::OK);
    let updated = || async {
        // Raw: updated_at is not returned by any db read; the point is no write happened.
        let at: i64 = sqlx::query_scalar("SELECT MAX(updated_at) FROM sessions WHERE user_id = $1")
            .bind(alice.id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        at
    };
    let before = updated().await;

    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    }

    assert_eq!(
        updated().await,
        before,
        "no write without a change to record"
    );
    let browsers: Vec<Option<String>> =
    // Raw: the user agents of every stored row, live or not (list_for_user filters).
        sqlx::query_scalar("SELECT user_agent FROM sessions WHERE user_id = $1")
            .bind(alice.id.0)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(browsers, [Some(FIREFOX.to_owned())]);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;

    age_sessions(&app, &alice, 11 * 60 + 59, 0).await;
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    age_sessions(&app, &alice, 2, 0).await;

    assert_redirect_to(&browser.get("/").await, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 0);
}

#[tokio::test]
async fn idle_timeout_and_lifetime_come_from_the_settings() {
    let app = spawn_app_with(|s| {
        s.session_idle_minutes = 5;
        s.session_lifetime_minutes = 60;
    })
    .await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let (bob, other) = signed_in(&app, "bob", "Engineer").await;

    age_sessions(&app, &alice, 6, 6).await;
    age_sessions(&app, &bob, 61, 1).await;

    assert_redirect_to(&browser.get("/").await, "/login");
    assert_redirect_to(&other.get("/").await, "/login");
    let page = {
        let (_, carol) = signed_in(&app, "carol", "Engineer").await;
        carol.get_html("/account/sessions").await
    };
    assert!(
        texts(&page, "main p")
            .iter()
            .any(|t| t.contains("after 5 minutes without activity") && t.contains("1 hours")),
        "{:?}",
        texts(&page, "main p")
    );
}

#[test]
fn the_earlier_session_ttl_setting_still_sets_the_lifetime() {
    let file = std::env::temp_dir().join(format!("gatehouse-ttl-{}.toml", std::process::id()));
    std::fs::write(&file, "session_ttl_minutes = 90\n").unwrap();

    let settings = gatehouse::config::Settings::load(Some(&file)).unwrap();

    std::fs::remove_file(&file).ok();
    assert_eq!(settings.session_lifetime_minutes, 90);
    assert_eq!(settings.session_idle_minutes, 30);
}

#[tokio::test]
async fn expired_sessions_are_purged_and_live_ones_kept() {
    let app = spawn_app().await;
    let (alice, _a) = signed_in(&app, "alice", "Engineer").await;
    let (bob, _b) = signed_in(&app, "bob", "Engineer").await;
    let (carol, _c) = signed_in(&app, "carol", "Engineer").await;
    age_sessions(&app, &alice, 40, 40).await;
    age_sessions(&app, &bob, 13 * 60, 0).await;

    let purged = gatehouse::services::sessions::purge_expired(
        &app.db,
        SessionLimits::from_minutes(30, 12 * 60),
    )
    .await
    .unwrap();

    assert_eq!(purged, 2);
    assert_eq!(app.sessions_of(alice.id).await, 0);
    assert_eq!(app.sessions_of(bob.id).await, 0);
    assert_eq!(app.sessions_of(carol.id).await, 1);
}

#[tokio::test]
async fn expired_sessions_are_purged_when_an_instance_starts() {
    let app = spawn_app().await;
    let (alice, _a) = signed_in(&app, "alice", "Engineer").await;
    let (bob, _b) = signed_in(&app, "bob", "Engineer").await;
    age_sessions(&app, &alice, 40, 40).await;

    let restarted = app.another_instance().await;
    // As `gatehouse serve` does: the jobs start with the instance, the
    // purge in their first round. A request that needs the database gives
    // it the moment it takes.
    restarted.start_jobs();
    for _ in 0..50 {
        if restarted.sessions_of(alice.id).await == 0 {
            break;
        }
        tokio::task::yield_now().await;
        restarted.get("/healthz").await;
    }

    assert_eq!(app.sessions_of(alice.id).await, 0);
    assert_eq!(app.sessions_of(bob.id).await, 1);
}

#[tokio::test]
async fn the_sessions_page_lists_live_sessions_with_browser_ip_and_times_and_marks_this_one() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let laptop = app.browser_with_agent(FIREFOX);
    let phone = app.browser_with_agent(SAFARI_IPHONE);
    laptop.login_as(&alice).await;
    phone.login_as(&alice).await;
    phone.get("/").await;

    let page = laptop.get_html("/account/sessions").await;

    let rows = texts(&page, "table.sessions tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let current = texts(&page, "tr.current td");
    assert!(current[0].starts_with("Firefox on Linux"), "{current:?}");
    assert!(current[0].contains("This session"));
    assert_eq!(current[1], "127.0.0.1");
    assert!(current[2].ends_with("UTC") && current[3].ends_with("UTC"));
    let other: Vec<String> = texts(&page, "table.sessions tbody tr:not(.current) td");
    assert_eq!(other[0], "Safari on iOS");
    assert_eq!(texts(&page, "tr.current .badge"), ["This session"]);
    assert_eq!(
        texts(
            &page,
            "form[action='/account/sessions/revoke-others'] button"
        ),
        ["Sign out all other sessions (1)"]
    );
}

#[tokio::test]
async fn the_sessions_page_names_sessions_by_a_public_id_never_the_cookie_key_or_its_hash() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    browser.get("/").await;

    let body = browser.get("/account/sessions").await.text().await.unwrap();

    let (id_hash, public_id, state): (String, String, String) =
    // Raw: the stored id_hash and state, which no db read returns.
        sqlx::query_as("SELECT id_hash, public_id, state FROM sessions WHERE user_id = $1")
            .bind(alice.id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(body.contains(&public_id));
    assert!(!body.contains(&id_hash));
    assert_ne!(public_id, id_hash);
    assert!(
        !state.contains("gatehouse.session"),
        "bookkeeping is not stored in the state"
    );
    assert_eq!(own_session_id(&browser).await, public_id);
}

#[tokio::test]
async fn a_user_can_end_another_of_their_sessions_and_it_is_signed_out_at_once() {
    let app = spawn_app().await;
    let (alice, laptop) = signed_in(&app, "alice", "Engineer").await;
    let phone = app.another_browser();
    phone.login_as(&alice).await;
    let phone_session = own_session_id(&phone).await;

    let response = laptop.revoke_session(phone_session).await;

    assert_redirect_to(&response, "/account/sessions");
    assert_eq!(
        flash(&laptop.get_html("/account/sessions").await).as_deref(),
        Some("The session has been ended.")
    );
    assert_redirect_to(&phone.get("/").await, "/login");
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.sessions_of(alice.id).await, 1);
    let newest = app.all_audit_rows().await.pop().expect("an audit row");
    let row = (
        newest.action.clone(),
        newest.actor_username.clone(),
        newest.target_label.clone(),
        newest.reason.clone(),
    );
    assert_eq!(
        row,
        (
            "auth.session_revoked".into(),
            Some("alice".into()),
            Some("alice".into()),
            Some("one session: 1 ended".into())
        )
    );
}

#[tokio::test]
async fn ending_this_session_signs_out_here() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let own = own_session_id(&browser).await;

    let response = browser.revoke_session(own).await;

    assert_redirect_to(&response, "/login");
    assert_redirect_to(&browser.get("/").await, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 0);
}

#[tokio::test]
async fn signing_out_all_other_sessions_keeps_only_this_one() {
    let app = spawn_app().await;
    let (alice, laptop) = signed_in(&app, "alice", "Engineer").await;
    let others: Vec<TestApp> = (0..3).map(|_| app.another_browser()).collect();
    for other in &others {
        other.login_as(&alice).await;
    }
    assert_eq!(app.sessions_of(alice.id).await, 4);

    let response = laptop.revoke_other_sessions().await;

    assert_redirect_to(&response, "/account/sessions");
    let page = laptop.get_html("/account/sessions").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Signed out of 3 other sessions.")
    );
    assert_eq!(texts(&page, "table.sessions tbody tr").len(), 1);
    for other in &others {
        assert_redirect_to(&other.get("/").await, "/login");
    }
    assert_eq!(app.sessions_of(alice.id).await, 1);
}

#[tokio::test]
async fn nobody_can_end_someone_elses_session_from_their_own_sessions_page() {
    let app = spawn_app().await;
    let (_alice, mallory) = signed_in(&app, "alice", "Engineer").await;
    let (bob, victim) = signed_in(&app, "bob", "Engineer").await;
    let bobs_session = own_session_id(&victim).await;
    let audit_before = app.count("audit_log").await;

    let response = mallory.revoke_session(bobs_session).await;

    assert_redirect_to(&response, "/account/sessions");
    assert_eq!(
        flash(&mallory.get_html("/account/sessions").await).as_deref(),
        Some("That session had already ended.")
    );
    assert_eq!(victim.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.sessions_of(bob.id).await, 1);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn a_pending_user_can_see_and_end_their_sessions() {
    let app = spawn_app().await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    let first = app.another_browser();
    let second = app.another_browser();
    first.login_as(&pat).await;
    second.login_as(&pat).await;

    let page = first.get_html("/account/sessions").await;
    let response = first.revoke_other_sessions().await;

    assert_eq!(texts(&page, "table.sessions tbody tr").len(), 2);
    assert!(texts(&page, "nav a").contains(&"Sessions".to_owned()));
    assert_redirect_to(&response, "/account/sessions");
    assert_redirect_to(&second.get("/pending").await, "/login?next=%2Fpending");
    assert_eq!(first.get("/pending").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let (alice, laptop) = signed_in(&app, "alice", "Engineer").await;
    let phone = app.another_browser();
    phone.login_as(&alice).await;
    let new_password = "violet-harbour-engine-42-quartz";

    let response = laptop
        .change_password_with(&[
            ("current_password", PASSWORD),
            ("new_password", new_password),
            ("new_password_confirm", new_password),
        ])
        .await;

    assert_redirect_to(&response, "/");
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);
    assert_redirect_to(&phone.get("/").await, "/login");
    assert_eq!(app.sessions_of(alice.id).await, 1);
    let changed = app.audit_rows(AuditAction::PasswordChanged).await;
    let first = changed.first().expect("a password change");
    let row = (
        first.action.clone(),
        first.after_value.clone(),
        first.ip.clone(),
    );
    assert_eq!(
        row,
        (
            "user.password_changed".into(),
            Some("1 other sessions ended".into()),
            Some("127.0.0.1".into())
        )
    );
}

#[tokio::test]
async fn an_administrator_sees_a_users_sessions_and_ends_one_or_all_of_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.login_as(&admin).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let laptop = app.browser_with_agent(FIREFOX);
    let phone = app.browser_with_agent(SAFARI_IPHONE);
    let tablet = app.another_browser();
    for browser in [&laptop, &phone, &tablet] {
        browser.login_as(&vic).await;
        browser.get("/").await;
    }
    let page = app.user_page(vic.id).await;
    let devices: Vec<String> = texts(&page, "#sessions td[data-label=Device]");
    let phone_id = own_session_id(&phone).await;

    let one = app
        .post_form(
            &paths::revoke_user_sessions(vic.id),
            &[("session", &phone_id)],
        )
        .await;

    assert_eq!(devices.len(), 3, "{devices:?}");
    assert!(devices.contains(&"Firefox on Linux".to_owned()));
    assert!(devices.contains(&"Safari on iOS".to_owned()));
    assert_redirect_to(&one, &paths::user(vic.id));
    assert_redirect_to(&phone.get("/").await, "/login");
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);

    let all = app.revoke_user_sessions(vic.id).await;

    assert_redirect_to(&all, &paths::user(vic.id));
    let page = app.user_page(vic.id).await;
    assert_eq!(flash(&page).as_deref(), Some("2 sessions ended."));
    assert_eq!(texts(&page, "#sessions p"), ["Not signed in anywhere."]);
    assert_redirect_to(&laptop.get("/").await, "/login");
    assert_redirect_to(&tablet.get("/").await, "/login");
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = app
        .audit_rows(AuditAction::SessionRevoked)
        .await
        .iter()
        .map(|r| {
            (
                r.actor_username.clone(),
                r.target_label.clone(),
                r.reason.clone(),
            )
        })
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        rows,
        [
            (s("admin"), s("vic"), s("one session: 1 ended")),
            (s("admin"), s("vic"), s("all sessions: 2 ended")),
        ]
    );
}

#[tokio::test]
async fn only_user_managers_get_the_end_session_buttons() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pm = app.create_user("pm_user", "PM", UserStatus::Active).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    app.another_browser().login_as(&vic).await;
    let reader = app.another_browser();
    reader.login_as(&pm).await;
    app.login_as(&admin).await;

    let as_reader = reader.user_page(vic.id).await;
    let as_admin = app.user_page(vic.id).await;
    let refused = reader.revoke_user_sessions(vic.id).await;

    assert_eq!(texts(&as_reader, "#sessions tbody tr").len(), 1);
    assert!(texts(&as_reader, "#sessions button").is_empty());
    assert_eq!(texts(&as_admin, "#sessions button").len(), 2);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.sessions_of(vic.id).await, 1);
}

#[tokio::test]
async fn each_ended_session_adds_its_minutes_of_use_to_the_user_page() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let signed_in_page = app.user_page(alice.id).await;
    assert_ne!(
        fact(&signed_in_page, "Current session since"),
        "not signed in"
    );
    assert_eq!(
        fact(&signed_in_page, "Time in Gatehouse"),
        "0 min (ended sessions)"
    );

    // Began 40 minutes ago, last used 15 minutes ago: 25 minutes of use.
    age_sessions(&app, &alice, 40, 15).await;
    browser.logout().await;
    // Began 50 minutes ago, idle for 31: expires, 19 minutes of use.
    browser.login_as(&alice).await;
    age_sessions(&app, &alice, 50, 31).await;
    gatehouse::services::sessions::purge_expired(&app.db, SessionLimits::from_minutes(30, 12 * 60))
        .await
        .unwrap();

    let page = app.user_page(alice.id).await;
    assert_eq!(fact(&page, "Time in Gatehouse"), "44 min (ended sessions)");
    assert_eq!(fact(&page, "Current session since"), "not signed in");
}
