//! Administration: the user list and user page, lifecycle actions (one and in
//! bulk), the last-administrator and self-change rules, the role-request queue,
//! roles and their live permissions, and the append-only audit log.

use std::time::Duration;

use gatehouse::db::Backend;
use gatehouse::db::seed::{SeedUser, insert_users};
use gatehouse::db::users::{self, IdRange, UserFilter, UserSort};
use gatehouse::domain::{RoleId, Timestamp, UserId, UserStatus};
use gatehouse::services::search_index::compact;
use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::*;

const ALL_PERMISSIONS: [&str; 6] = [
    "users.read",
    "users.approve",
    "users.manage",
    "role_requests.review",
    "roles.manage",
    "audit.read",
];

// ---------------------------------------------------------------- helpers

/// Creates the admin and signs them in on `app`'s own client.
async fn signed_in_admin(app: &TestApp) -> TestUser {
    let admin = app.admin().await;
    app.login_as(&admin).await;
    admin
}

/// POSTs a form, expects a redirect, and returns the page it leads to.
async fn act(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Html {
    let response = app.post_form(path, fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "POST {path}");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a location")
        .to_owned();
    app.get_html(&location).await
}

fn success(page: &Html) -> Option<String> {
    texts(page, ".flash-success").into_iter().next()
}

fn error(page: &Html) -> Option<String> {
    texts(page, ".flash-error").into_iter().next()
}

/// Usernames in the user list, in order (the admin view has a select column first).
fn listed(page: &Html) -> Vec<String> {
    texts(page, "table.users tbody tr td:nth-child(3)")
}

/// The user page's facts as (label, value) pairs.
fn facts(page: &Html) -> Vec<(String, String)> {
    texts(page, ".facts dt")
        .into_iter()
        .zip(texts(page, ".facts dd"))
        .collect()
}

fn fact(page: &Html, label: &str) -> String {
    facts(page)
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no fact {label}"))
}

/// Audit table rows as lists of cell texts.
fn audit_rows(page: &Html) -> Vec<Vec<String>> {
    let row = scraper::Selector::parse("table.audit tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    page.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

fn seed_user(
    username: &str,
    full_name: &str,
    email: &str,
    status: UserStatus,
    role: i64,
    minutes_ago: i64,
) -> SeedUser {
    SeedUser {
        username: username.into(),
        email: email.into(),
        full_name: full_name.into(),
        status,
        role: RoleId(role),
        created_at: Timestamp(Timestamp::now().0 - minutes_ago * 60_000),
        last_login_at: None,
        login_count: 0,
    }
}

/// Active users named `{prefix}{i}`, `i` zero-padded to `digits`, for each
/// `i` in `range`, registered a minute apart in that order.
fn numbered_users(
    prefix: &str,
    digits: usize,
    range: std::ops::Range<i64>,
    role: i64,
) -> Vec<SeedUser> {
    range
        .map(|i| {
            let name = format!("{prefix}{i:0digits$}");
            let email = format!("{name}@x.test");
            seed_user(&name, &name, &email, UserStatus::Active, role, 100_000 - i)
        })
        .collect()
}

async fn seed(app: &TestApp, users: &[SeedUser]) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    insert_users(&mut conn, users, "not-a-password-hash")
        .await
        .unwrap();
}

/// Creates a role through the roles page (the signed-in `app` needs roles.manage).
async fn create_role(app: &TestApp, name: &str, permissions: &[&str]) -> i64 {
    let mut fields = vec![("name", name), ("description", "made by a test")];
    fields.extend(permissions.iter().map(|p| ("permissions", *p)));
    let page = act(app, "/admin/roles", &fields).await;
    assert_eq!(
        success(&page),
        Some(format!("The role {name} has been created.")),
        "{:?}",
        error(&page)
    );
    app.role_id(name).await
}

async fn set_role_permissions(app: &TestApp, role: i64, permissions: &[&str]) -> Html {
    let fields: Vec<(&str, &str)> = permissions.iter().map(|p| ("permissions", *p)).collect();
    act(app, &format!("/admin/roles/{role}"), &fields).await
}

/// Whether the roles page shows `permission` ticked for `role`.
fn granted(page: &Html, role: i64, permission: &str) -> bool {
    first_attr(
        page,
        &format!("input[id='perm-{role}-{permission}']"),
        "checked",
    )
    .is_some()
}

async fn sessions_of(app: &TestApp, id: UserId) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A user signed in on a browser of their own.
async fn signed_in(app: &TestApp, name: &str, role: &str) -> (TestUser, TestApp) {
    let user = app.create_user(name, role, UserStatus::Active).await;
    let browser = app.another_browser();
    browser.login_as(&user).await;
    (user, browser)
}

async fn submit_role_request(browser: &TestApp, role: i64) {
    let role = role.to_string();
    let response = browser
        .post_form(
            "/account/role-request",
            &[
                ("role_id", &role),
                ("justification", "I need this role for my daily work."),
            ],
        )
        .await;
    assert_redirect_to(&response, "/");
}

async fn open_request_id(app: &TestApp, user: UserId) -> i64 {
    sqlx::query_scalar("SELECT id FROM role_requests WHERE user_id = $1 AND status = 'open'")
        .bind(user.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn request_status(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM role_requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

// ---------------------------------------------------------------- the user list

#[tokio::test]
async fn the_user_list_finds_users_by_username_email_or_name_case_insensitively() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    seed(
        &app,
        &[
            seed_user(
                "zed99",
                "Zoe Quinn",
                "zq@one.test",
                UserStatus::Active,
                engineer,
                3,
            ),
            seed_user(
                "bjones",
                "Bob Jones",
                "bob@corp.test",
                UserStatus::Active,
                engineer,
                2,
            ),
            seed_user(
                "mhx",
                "Margaret Hamilton",
                "mh@two.test",
                UserStatus::Pending,
                engineer,
                1,
            ),
        ],
    )
    .await;

    let by_username = app.get_html("/admin/users?q=ZeD9").await;
    let by_email = app.get_html("/admin/users?q=CORP.Test").await;
    let by_name = app.get_html("/admin/users?q=mARGARET").await;
    let nobody = app.get_html("/admin/users?q=nobody-has-this").await;

    assert_eq!(listed(&by_username), ["zed99"]);
    assert_eq!(listed(&by_email), ["bjones"]);
    assert_eq!(listed(&by_name), ["mhx"]);
    assert!(listed(&nobody).is_empty());
    assert_eq!(
        first_attr(&by_name, "input#q", "value").as_deref(),
        Some("mARGARET")
    );
}

#[tokio::test]
async fn a_search_for_percent_or_underscore_matches_those_characters_literally() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    seed(
        &app,
        &[
            seed_user(
                "a_b",
                "Under Score",
                "us@one.test",
                UserStatus::Active,
                engineer,
                4,
            ),
            seed_user(
                "axb",
                "Plain Letters",
                "pl@one.test",
                UserStatus::Active,
                engineer,
                3,
            ),
            seed_user(
                "pct",
                "Agent 100% Real",
                "pc@one.test",
                UserStatus::Active,
                engineer,
                2,
            ),
            seed_user(
                "thousand",
                "Agent 1000 Real",
                "th@one.test",
                UserStatus::Active,
                engineer,
                1,
            ),
        ],
    )
    .await;

    let underscore = app.get_html("/admin/users?q=a_b").await;
    let percent = app.get_html("/admin/users?q=0%25").await;
    let lone_percent = app.get_html("/admin/users?q=%25").await;

    assert_eq!(listed(&underscore), ["a_b"]);
    assert_eq!(listed(&percent), ["pct"]);
    assert_eq!(listed(&lone_percent), ["pct"]);
}

#[tokio::test]
async fn the_user_list_filters_by_status_and_by_role() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let pm = app.role_id("PM").await;
    seed(
        &app,
        &[
            seed_user("pen1", "Pen One", "p1@x.test", UserStatus::Pending, pm, 4),
            seed_user(
                "pen2",
                "Pen Two",
                "p2@x.test",
                UserStatus::Pending,
                engineer,
                3,
            ),
            seed_user("act1", "Act One", "a1@x.test", UserStatus::Active, pm, 2),
            seed_user(
                "dis1",
                "Dis One",
                "d1@x.test",
                UserStatus::Disabled,
                engineer,
                1,
            ),
        ],
    )
    .await;

    let pending = app.get_html("/admin/users?status=pending").await;
    let disabled = app.get_html("/admin/users?status=disabled").await;
    let pms = app.get_html(&format!("/admin/users?role={pm}")).await;
    let pending_pms = app
        .get_html(&format!("/admin/users?status=pending&role={pm}"))
        .await;

    assert_eq!(listed(&pending), ["pen2", "pen1"]);
    assert_eq!(listed(&disabled), ["dis1"]);
    assert_eq!(listed(&pms), ["act1", "pen1"]);
    assert_eq!(listed(&pending_pms), ["pen1"]);
    assert_eq!(
        first_attr(&pending_pms, "#status option[selected]", "value").as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn the_user_list_sorts_by_newest_oldest_or_name() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    // Accounts register one after another: ids follow registration times.
    seed(
        &app,
        &[
            seed_user(
                "oldest",
                "Cleo Oldest",
                "o@x.test",
                UserStatus::Pending,
                engineer,
                30,
            ),
            seed_user(
                "middle",
                "Alma Middle",
                "m@x.test",
                UserStatus::Pending,
                engineer,
                20,
            ),
            seed_user(
                "newest",
                "Bert Newest",
                "n@x.test",
                UserStatus::Pending,
                engineer,
                10,
            ),
        ],
    )
    .await;

    let default = app.get_html("/admin/users?status=pending").await;
    let newest = app
        .get_html("/admin/users?status=pending&sort=newest")
        .await;
    let oldest = app
        .get_html("/admin/users?status=pending&sort=oldest")
        .await;
    let by_name = app.get_html("/admin/users?status=pending&sort=name").await;

    assert_eq!(listed(&default), ["newest", "middle", "oldest"]);
    assert_eq!(listed(&newest), ["newest", "middle", "oldest"]);
    assert_eq!(listed(&oldest), ["oldest", "middle", "newest"]);
    assert_eq!(listed(&by_name), ["middle", "newest", "oldest"]);

    // A search or a role filter keeps each order (on PostgreSQL these pages
    // come from the matching ids, see user_search::list_from_matching_ids).
    let searched = |sort: &str| format!("/admin/users?status=pending&q=x.test&sort={sort}");
    let by_role = |sort: &str| format!("/admin/users?role={engineer}&sort={sort}");
    assert_eq!(
        listed(&app.get_html(&searched("name")).await),
        ["middle", "newest", "oldest"]
    );
    assert_eq!(
        listed(&app.get_html(&searched("oldest")).await),
        ["oldest", "middle", "newest"]
    );
    assert_eq!(
        listed(&app.get_html(&by_role("name")).await),
        ["middle", "newest", "oldest"]
    );
    assert_eq!(
        listed(&app.get_html(&by_role("newest")).await),
        ["newest", "middle", "oldest"]
    );
}

#[tokio::test]
async fn a_searched_list_pages_in_registration_order_whatever_order_the_rows_are_stored_in() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    // Names in a scrambled order (37 and 120 share no factor).
    let users: Vec<SeedUser> = (0..120)
        .map(|i| {
            seed_user(
                &format!("kept{i:03}"),
                &format!("Kept Person {:03}", (i * 37) % 120),
                &format!("kept{i:03}@x.test"),
                UserStatus::Pending,
                engineer,
                1_000 - i,
            )
        })
        .collect();
    seed(&app, &users).await;
    if app.db.backend == Backend::Postgres {
        // Rows are stored in insertion order until they change; rewrite the
        // table in name order, as updates over time scatter it, so that the
        // search finds its matches out of registration order.
        let mut conn = app.db.pool.acquire().await.unwrap();
        sqlx::query("CLUSTER users USING users_full_name_key")
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    let oldest = listed(&app.get_html("/admin/users?q=kept&sort=oldest").await);
    let newest = listed(&app.get_html("/admin/users?q=kept").await);
    let newest_last = listed(&app.get_html("/admin/users?q=kept&page=3").await);

    let expected = |ids: &mut dyn Iterator<Item = i32>| -> Vec<String> {
        ids.map(|i| format!("kept{i:03}")).collect()
    };
    assert_eq!(oldest, expected(&mut (0..50)));
    assert_eq!(newest, expected(&mut (70..120).rev()));
    assert_eq!(newest_last, expected(&mut (0..20).rev()));
}

#[tokio::test]
async fn the_search_index_merges_into_one_piece_and_still_finds_the_same_users() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    // One transaction each: on SQLite, three pieces of the search index.
    for i in 0..3 {
        let user = seed_user(
            &format!("piece{i}"),
            &format!("Piece Person {i}"),
            &format!("piece{i}@x.test"),
            UserStatus::Active,
            engineer,
            10 - i,
        );
        seed(&app, &[user]).await;
    }
    let before = listed(&app.get_html("/admin/users?q=piece").await);

    let merged = compact(&app.db, Duration::ZERO).await.unwrap();
    let merged_again = compact(&app.db, Duration::ZERO).await.unwrap();

    assert_eq!(before, ["piece2", "piece1", "piece0"]);
    assert_eq!(listed(&app.get_html("/admin/users?q=piece").await), before);
    assert_eq!(
        listed(&app.get_html("/admin/users?q=ce1").await),
        ["piece1"]
    );
    match app.db.backend {
        Backend::Sqlite => assert!(merged >= 1 && merged_again == 0, "{merged}, {merged_again}"),
        // PostgreSQL keeps its trigram index itself.
        Backend::Postgres => assert_eq!((merged, merged_again), (0, 0)),
    }
}

#[tokio::test]
async fn the_demo_seed_adds_realistic_users_with_their_history_and_a_merged_search_index() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let users_before = app.count("users").await;

    let report = gatehouse::demo::seed(&app.db, 300).await.unwrap();

    assert_eq!(report.users, 300);
    assert_eq!(app.count("users").await - users_before, 300);
    // One in ten is pending, each with its registration in the audit log.
    let pending = app.get_html("/admin/users?status=pending").await;
    assert_eq!(
        texts(&pending, "p.muted").first().map(String::as_str),
        Some("30 matching users.")
    );
    let registrations = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "user.registered")
        .count();
    assert_eq!(registrations, 30);
    assert_eq!(app.count("role_requests").await, report.requests as i64);
    assert!(report.requests > 0);
    // Surnames come 24 users at a time; every one is found by a search.
    let hopper = app.get_html("/admin/users?q=hopper").await;
    assert_eq!(listed(&hopper).len(), 24);
    assert!(listed(&hopper).iter().all(|u| u.contains(".hopper")));
    assert_eq!(compact(&app.db, Duration::ZERO).await.unwrap(), 0);
}

#[tokio::test]
async fn a_search_matching_more_than_a_thousand_says_so_and_still_pages_on() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let users: Vec<SeedUser> = (0..2_060)
        .map(|i| {
            seed_user(
                &format!("many{i:04}"),
                &format!("Many Person {i:04}"),
                &format!("many{i:04}@x.test"),
                UserStatus::Active,
                engineer,
                3_000 - i,
            )
        })
        .collect();
    seed(&app, &users).await;

    let first = app.get_html("/admin/users?q=many").await;
    assert_eq!(
        texts(&first, "p.muted").first().map(String::as_str),
        Some(
            "More than 1000 matching users. Add to the search or pick a status or role to narrow them down."
        )
    );
    assert_eq!(texts(&first, ".pager span"), ["Page 1"]);
    assert_eq!(listed(&first).first().map(String::as_str), Some("many2059"));
    // More than twice the count limit match: on PostgreSQL, pages newest
    // first are slices of the ids collected in that order, a page by name
    // the planner's choice (user_search::list).
    for (page, expected) in [
        ("page=2", "many2009"),
        ("page=10", "many1609"),
        ("sort=name", "many0000"),
        ("page=22", "many1009"),
    ] {
        let first = first_listed(&app, &format!("/admin/users?q=many&{page}")).await;
        assert_eq!(first.as_deref(), Some(expected), "{page}");
    }

    // Far enough in, the count reaches the end and is exact again.
    let last = app.get_html("/admin/users?q=many&page=42").await;
    assert_eq!(listed(&last).len(), 10);
    assert_eq!(
        texts(&last, "p.muted").first().map(String::as_str),
        Some("2060 matching users.")
    );
    assert_eq!(texts(&last, ".pager span"), ["Page 42 of 42"]);
    assert_eq!(listed(&last).last().map(String::as_str), Some("many0000"));
    let last_by_name = app.get_html("/admin/users?q=many&sort=name&page=42").await;
    assert_eq!(
        listed(&last_by_name).first().map(String::as_str),
        Some("many2050")
    );
    assert!(first_attr(&last, ".pager a[rel=next]", "href").is_none());

    // A narrower search is counted exactly.
    let narrow = app.get_html("/admin/users?q=many10").await;
    assert_eq!(
        texts(&narrow, "p.muted").first().map(String::as_str),
        Some("100 matching users.")
    );
}

/// The first listed user of a search for "span", with `filters`.
async fn first_span(app: &TestApp, filters: &str) -> Option<String> {
    first_listed(app, &format!("/admin/users?q=span{filters}")).await
}

/// The username listed first on the user list at `path`.
async fn first_listed(app: &TestApp, path: &str) -> Option<String> {
    listed(&app.get_html(path).await).first().cloned()
}

#[tokio::test]
async fn a_search_pages_in_registration_order_across_windows_of_ids_and_users_beyond_them() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let postgres = app.db.backend == Backend::Postgres;
    let restart_ids_at = |id: i64| {
        let db = app.db.clone();
        async move {
            let mut conn = db.pool.acquire().await.unwrap();
            let sql = format!("ALTER TABLE users ALTER COLUMN id RESTART WITH {id}");
            sqlx::query(&sql).execute(&mut *conn).await.unwrap();
        }
    };
    let span_users = |range: std::ops::Range<i64>| -> Vec<SeedUser> {
        range
            .map(|i| {
                let status = match i % 3 {
                    0 => UserStatus::Pending,
                    _ => UserStatus::Active,
                };
                let name = format!("span{i:04}");
                seed_user(
                    &name,
                    &name,
                    &format!("{name}@x.test"),
                    status,
                    engineer,
                    5_000 - i,
                )
            })
            .collect()
    };
    // On PostgreSQL, windows of 131,072 ids: span0000-0571 in the first,
    // span0572-0699 in the second, and span0700-1099 past the windows the
    // migration made, in user_search_rest.
    if postgres {
        restart_ids_at(130_500).await;
    }
    seed(&app, &span_users(0..700)).await;
    if postgres {
        restart_ids_at(600_000).await;
    }
    seed(&app, &span_users(700..1_100)).await;

    let pages = [
        ("", "span1099"),
        ("&page=9", "span0699"),
        ("&page=11", "span0599"),
        ("&page=22", "span0049"),
        ("&sort=oldest", "span0000"),
        ("&sort=oldest&page=12", "span0550"),
        ("&sort=oldest&page=15", "span0700"),
        ("&status=pending", "span1098"),
        ("&status=pending&sort=oldest&page=5", "span0600"),
        ("&sort=name&page=2", "span0050"),
        ("&status=pending&sort=name&page=2", "span0150"),
    ];
    let check = |when: &'static str| {
        let app = &app;
        async move {
            for (filters, first) in pages {
                assert_eq!(
                    first_span(app, filters).await.as_deref(),
                    Some(first),
                    "{filters} {when}"
                );
            }
            let page_11 = listed(&app.get_html("/admin/users?q=span&page=11").await);
            let expected: Vec<String> = (550..600).rev().map(|i| format!("span{i:04}")).collect();
            assert_eq!(page_11, expected, "{when}");
            let first = app.get_html("/admin/users?q=span").await;
            assert_eq!(
                texts(&first, "p.muted").first().map(String::as_str),
                Some(
                    "More than 1000 matching users. Add to the search or pick a status or role to narrow them down."
                ),
                "{when}"
            );
            let pending = app.get_html("/admin/users?q=span&status=pending").await;
            assert_eq!(
                texts(&pending, "p.muted").first().map(String::as_str),
                Some("367 matching users."),
                "{when}"
            );
        }
    };
    check("with users beyond the windows").await;

    // A change of status or role shows in a search at once (on PostgreSQL,
    // `user_search` keeps its own copy, which a trigger updates).
    let pm = app.role_id("PM").await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE users SET status = 'disabled', role_id = $1 WHERE username_key = $2")
        .bind(pm)
        .bind("span0322")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let role = format!("&role={pm}");
    assert_eq!(
        first_span(&app, "&status=disabled").await.as_deref(),
        Some("span0322")
    );
    assert_eq!(first_span(&app, &role).await.as_deref(), Some("span0322"));
    if !postgres {
        return;
    }
    assert_eq!(app.count("user_search_rest").await, 400);

    // Upkeep makes windows through the newest user and beyond, and moves
    // the users waiting in user_search_rest into theirs.
    gatehouse::services::search_index::make_windows(&app.db, 0)
        .await
        .unwrap();
    assert_eq!(app.count("user_search_rest").await, 0);
    assert_eq!(app.count("user_search").await, app.count("users").await);
    check("with every user in a window").await;
    let made_again = gatehouse::services::search_index::make_windows(&app.db, 0)
        .await
        .unwrap();
    assert_eq!(made_again, 0);
}

#[tokio::test]
async fn a_search_from_a_second_old_range_of_ids_still_finds_the_users_registered_since() {
    let app = spawn_app().await;
    let engineer = app.role_id("Engineer").await;
    let postgres = app.db.backend == Backend::Postgres;
    let mut conn = app.db.pool.acquire().await.unwrap();
    // On PostgreSQL, ids in windows 1, 3 and (past those made) 5.
    for (start, range) in [(131_000, 0..100), (400_000, 100..200), (700_000, 200..300)] {
        if postgres {
            let sql = format!("ALTER TABLE users ALTER COLUMN id RESTART WITH {start}");
            sqlx::query(&sql).execute(&mut *conn).await.unwrap();
        }
        let users = numbered_users("late", 4, range, engineer);
        insert_users(&mut conn, &users, "not-a-password-hash")
            .await
            .unwrap();
    }
    // The range an instance read before the last hundred registered, and
    // the one before there were users at all.
    let now = users::id_range(&mut conn).await.unwrap().unwrap();
    let before = IdRange {
        first: now.first,
        last: now.last - 100,
    };
    for (sort, offset, first, last) in [
        (UserSort::Newest, 0, "late0299", "late0250"),
        (UserSort::Newest, 250, "late0049", "late0000"),
        (UserSort::Oldest, 0, "late0000", "late0049"),
        (UserSort::Oldest, 250, "late0250", "late0299"),
    ] {
        let filter = UserFilter {
            search: Some("late".into()),
            sort,
            ..UserFilter::default()
        };
        for ids in [Some(before), None] {
            let (page, matches) = users::list(&mut conn, &filter, 50, offset, &[], ids)
                .await
                .unwrap();
            let names: Vec<&str> = page.iter().map(|u| u.username.as_str()).collect();
            let case = format!("{sort:?} from {offset} on {ids:?}");
            assert_eq!(names.len(), 50, "{case}");
            assert_eq!((names[0], names[49]), (first, last), "{case}");
            assert_eq!((matches.counted, matches.more), (300, false), "{case}");
        }
    }
}

#[tokio::test]
async fn a_search_that_matches_thousands_in_one_window_still_pages_in_registration_order() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    // More than a window's matches are read unsorted (16,384 on PostgreSQL).
    let users = numbered_users("wide", 5, 0..16_500, engineer);
    for chunk in users.chunks(2_000) {
        seed(&app, chunk).await;
    }
    for (filters, first) in [
        ("", "wide16499"),
        ("&page=3", "wide16399"),
        ("&sort=oldest", "wide00000"),
        ("&sort=oldest&page=20", "wide00950"),
    ] {
        let listed = first_listed(&app, &format!("/admin/users?q=wide{filters}")).await;
        assert_eq!(listed.as_deref(), Some(first), "{filters}");
    }
}

#[tokio::test]
async fn the_user_list_shows_fifty_per_page_with_page_links_that_keep_the_filters() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let users: Vec<SeedUser> = (0..57)
        .map(|i| {
            seed_user(
                &format!("user{i:02}"),
                &format!("User Number {i:02}"),
                &format!("user{i:02}@x.test"),
                UserStatus::Pending,
                engineer,
                100 - i,
            )
        })
        .collect();
    seed(&app, &users).await;

    let first = app
        .get_html("/admin/users?status=pending&sort=oldest")
        .await;
    let next = first_attr(&first, ".pager a[rel=next]", "href").expect("a next link");
    let second = app.get_html(&next).await;
    let prev = first_attr(&second, ".pager a[rel=prev]", "href").expect("a prev link");
    let back = app.get_html(&prev).await;

    let page_one = listed(&first);
    let page_two = listed(&second);
    assert_eq!(page_one.len(), 50);
    assert_eq!(page_two.len(), 7);
    let mut all = page_one.clone();
    all.extend(page_two.clone());
    let expected: Vec<String> = (0..57).map(|i| format!("user{i:02}")).collect();
    assert_eq!(all, expected);
    assert!(next.contains("status=pending") && next.contains("sort=oldest"));
    assert!(next.contains("page=2"), "{next}");
    assert!(first_attr(&second, ".pager a[rel=next]", "href").is_none());
    assert!(first_attr(&first, ".pager a[rel=prev]", "href").is_none());
    assert_eq!(listed(&back), page_one);
    assert!(
        texts(&second, ".pager span")
            .iter()
            .any(|t| t == "Page 2 of 2")
    );

    // An old link past the end says so and leads back to the last page.
    let beyond = app
        .get_html("/admin/users?status=pending&sort=oldest&page=9")
        .await;
    assert!(listed(&beyond).is_empty());
    assert_eq!(texts(&beyond, "td"), ["No users on this page."]);
    assert_eq!(
        texts(&beyond, ".pager span"),
        ["Page 9 is past the end of this list."]
    );
    let last = first_attr(&beyond, ".pager a", "href").expect("a link to the last page");
    assert_eq!(listed(&app.get_html(&last).await), page_two);
    assert!(first_attr(&beyond, ".pager a[rel=prev]", "href").is_none());
}

#[tokio::test]
async fn the_user_list_counts_users_per_status_with_pending_prominent() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let mut users = Vec::new();
    for i in 0..3 {
        users.push(seed_user(
            &format!("pend{i}"),
            "P",
            &format!("pend{i}@x.test"),
            UserStatus::Pending,
            engineer,
            i,
        ));
    }
    for i in 0..2 {
        users.push(seed_user(
            &format!("rej{i}"),
            "R",
            &format!("rej{i}@x.test"),
            UserStatus::Rejected,
            engineer,
            i,
        ));
    }
    users.push(seed_user(
        "dis0",
        "D",
        "dis0@x.test",
        UserStatus::Disabled,
        engineer,
        1,
    ));
    users.push(seed_user(
        "act0",
        "A",
        "act0@x.test",
        UserStatus::Active,
        engineer,
        1,
    ));
    seed(&app, &users).await;

    // Counts do not depend on the filter in use.
    let page = app.get_html("/admin/users?status=active&q=act0").await;

    let tabs = texts(&page, ".status-tabs li");
    assert_eq!(
        tabs,
        ["Pending 3", "Active 2", "Rejected 2", "Disabled 1", "All"]
    );
    assert_eq!(texts(&page, ".status-tabs .prominent"), ["Pending 3"]);
    assert_eq!(texts(&page, ".status-tabs .prominent .count"), ["3"]);
}

// ---------------------------------------------------------------- the user page

#[tokio::test]
async fn the_user_page_shows_profile_role_status_logins_requests_and_history() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let (dana, browser) = signed_in(&app, "dana", "Engineer").await;
    browser.logout().await;
    browser.login_as(&dana).await;
    submit_role_request(&browser, app.role_id("PM").await).await;

    let page = app.get_html(&format!("/admin/users/{}", dana.id)).await;

    assert_eq!(texts(&page, "h1"), ["dana Tester (dana)"]);
    assert_eq!(fact(&page, "Email"), "dana@example.com");
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
    signed_in_admin(&app).await;
    let quiet = app
        .create_user("quiet", "Engineer", UserStatus::Pending)
        .await;

    let page = app.get_html(&format!("/admin/users/{}", quiet.id)).await;

    assert_eq!(fact(&page, "Last login"), "never");
    assert_eq!(fact(&page, "Logins"), "0");
    assert_eq!(fact(&page, "Status"), "Pending");
}

// ---------------------------------------------------------------- lifecycle actions

#[tokio::test]
async fn approving_a_pending_user_activates_them_and_says_so() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;

    let response = app
        .post_form(&format!("/admin/users/{}/approve", paul.id), &[])
        .await;

    assert_redirect_to(&response, &format!("/admin/users/{}", paul.id));
    let page = app.get_html(&format!("/admin/users/{}", paul.id)).await;
    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(app.user_role(paul.id).await, "Engineer");
    assert_eq!(fact(&page, "Status"), "Active");
}

#[tokio::test]
async fn approving_with_a_role_id_gives_the_user_that_role_too() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let pm = app.role_id("PM").await.to_string();

    let page = act(
        &app,
        &format!("/admin/users/{}/approve", paul.id),
        &[("role_id", &pm)],
    )
    .await;

    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(app.user_role(paul.id).await, "PM");
    let actions = app.audit_actions().await;
    assert_eq!(
        actions[actions.len() - 2..],
        ["user.approved", "user.role_changed"]
    );
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_then_rejects_the_user() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let path = format!("/admin/users/{}/reject", paul.id);
    let audit_rows_before = app.count("audit_log").await;

    let without_reason = act(&app, &path, &[("reason", "   ")]).await;

    assert_eq!(
        error(&without_reason).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Pending);
    assert_eq!(app.count("audit_log").await, audit_rows_before);

    let with_reason = act(&app, &path, &[("reason", "Not on the staff list")]).await;

    assert_eq!(
        success(&with_reason).as_deref(),
        Some("paul has been rejected.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Rejected);
    assert_eq!(
        fact(&with_reason, "Status"),
        "Rejected — Not on the staff list"
    );
}

#[tokio::test]
async fn disabling_needs_a_reason_and_enabling_brings_the_user_back() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;

    let without_reason = act(&app, &format!("/admin/users/{}/disable", vic.id), &[]).await;
    assert_eq!(
        error(&without_reason).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);

    let disabled = act(
        &app,
        &format!("/admin/users/{}/disable", vic.id),
        &[("reason", "Left the company")],
    )
    .await;
    assert_eq!(
        success(&disabled).as_deref(),
        Some("vic has been disabled.")
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Disabled);

    let enabled = act(&app, &format!("/admin/users/{}/enable", vic.id), &[]).await;
    assert_eq!(success(&enabled).as_deref(), Some("vic has been enabled."));
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    let browser = app.another_browser();
    assert_redirect_to(&browser.login_as(&vic).await, "/");
}

#[tokio::test]
async fn changing_a_users_role_redirects_back_with_a_message() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let pm = app.role_id("PM").await.to_string();

    let page = act(
        &app,
        &format!("/admin/users/{}/role", vic.id),
        &[("role_id", &pm)],
    )
    .await;
    assert_eq!(success(&page).as_deref(), Some("vic now has the role PM."));
    assert_eq!(app.user_role(vic.id).await, "PM");
    assert_eq!(fact(&page, "Role"), "PM");

    let again = act(
        &app,
        &format!("/admin/users/{}/role", vic.id),
        &[("role_id", &pm)],
    )
    .await;
    assert_eq!(error(&again).as_deref(), Some("vic already has this role."));

    let missing = act(
        &app,
        &format!("/admin/users/{}/role", vic.id),
        &[("role_id", "999999")],
    )
    .await;
    assert_eq!(
        error(&missing).as_deref(),
        Some("That role does not exist.")
    );
    assert_eq!(app.user_role(vic.id).await, "PM");
}

#[tokio::test]
async fn transitions_outside_the_table_are_refused_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pending = app
        .create_user("pending1", "Engineer", UserStatus::Pending)
        .await;
    let active = app
        .create_user("active1", "Engineer", UserStatus::Active)
        .await;
    let rejected = app
        .create_user("rejected1", "Engineer", UserStatus::Rejected)
        .await;
    let audit_before = app.count("audit_log").await;
    let cases = [
        (&pending, "disable", "Cannot disable a user who is Pending."),
        (&pending, "enable", "Cannot enable a user who is Pending."),
        (&active, "enable", "Cannot enable a user who is Active."),
        (&active, "reject", "Cannot reject a user who is Active."),
        (&active, "approve", "Cannot approve a user who is Active."),
        (&rejected, "reject", "Cannot reject a user who is Rejected."),
        (
            &rejected,
            "disable",
            "Cannot disable a user who is Rejected.",
        ),
    ];

    for (user, action, message) in cases {
        let page = act(
            &app,
            &format!("/admin/users/{}/{action}", user.id),
            &[("reason", "because")],
        )
        .await;
        assert_eq!(error(&page).as_deref(), Some(message), "{action}");
        assert_eq!(success(&page), None);
    }

    assert_eq!(app.user_status(pending.id).await, UserStatus::Pending);
    assert_eq!(app.user_status(active.id).await, UserStatus::Active);
    assert_eq!(app.user_status(rejected.id).await, UserStatus::Rejected);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn a_rejected_user_can_be_approved_after_all_and_then_sign_in() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let rita = app
        .create_user("rita", "Engineer", UserStatus::Pending)
        .await;
    act(
        &app,
        &format!("/admin/users/{}/reject", rita.id),
        &[("reason", "Unknown to us")],
    )
    .await;
    assert_eq!(app.user_status(rita.id).await, UserStatus::Rejected);

    let page = act(&app, &format!("/admin/users/{}/approve", rita.id), &[]).await;

    assert_eq!(success(&page).as_deref(), Some("rita has been approved."));
    assert_eq!(app.user_status(rita.id).await, UserStatus::Active);
    let browser = app.another_browser();
    assert_redirect_to(&browser.login_as(&rita).await, "/");
}

// ---------------------------------------------------------------- live status

#[tokio::test]
async fn a_disabled_user_is_refused_on_their_next_request_and_loses_every_session() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let (vic, laptop) = signed_in(&app, "vic", "Engineer").await;
    let phone = app.another_browser();
    phone.login_as(&vic).await;
    assert_eq!(laptop.get("/").await.status(), StatusCode::OK);
    assert_eq!(sessions_of(&app, vic.id).await, 2);

    act(
        &app,
        &format!("/admin/users/{}/disable", vic.id),
        &[("reason", "Lost laptop")],
    )
    .await;

    assert_eq!(sessions_of(&app, vic.id).await, 0);
    let response = laptop.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with("/login"), "{location}");
    let login = laptop.get_html(&location).await;
    assert_eq!(
        flash(&login).as_deref(),
        Some("Your session has ended. Please sign in again.")
    );
    assert!(
        phone
            .get("/account/role-request")
            .await
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
    );
    assert_eq!(sessions_of(&app, vic.id).await, 0);
}

#[tokio::test]
async fn a_rejected_user_is_signed_out_of_the_pending_page_at_once() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let browser = app.another_browser();
    browser
        .register("newbie", "newbie@example.com", "New Bie", PASSWORD)
        .await;
    let newbie = app.user_id("newbie").await;
    assert_eq!(browser.get("/pending").await.status(), StatusCode::OK);
    assert_eq!(sessions_of(&app, newbie).await, 1);

    act(
        &app,
        &format!("/admin/users/{newbie}/reject"),
        &[("reason", "Not staff")],
    )
    .await;

    assert_eq!(sessions_of(&app, newbie).await, 0);
    let response = browser.get("/pending").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
    );
}

// ---------------------------------------------------------------- self and last admin

#[tokio::test]
async fn nobody_can_change_their_own_status_or_role() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    app.create_user("admin2", "Admin", UserStatus::Active).await;
    let engineer = app.role_id("Engineer").await.to_string();
    let own_page = app.get_html(&format!("/admin/users/{}", admin.id)).await;
    assert!(texts(&own_page, ".actions form").is_empty());

    let disable = act(
        &app,
        &format!("/admin/users/{}/disable", admin.id),
        &[("reason", "Testing")],
    )
    .await;
    let demote = act(
        &app,
        &format!("/admin/users/{}/role", admin.id),
        &[("role_id", &engineer)],
    )
    .await;

    let message = "You cannot change your own status, role or role request.";
    assert_eq!(error(&disable).as_deref(), Some(message));
    assert_eq!(error(&demote).as_deref(), Some(message));
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
    assert_eq!(app.user_role(admin.id).await, "Admin");
}

#[tokio::test]
async fn with_two_admins_one_may_disable_the_other_but_never_themselves() {
    let app = spawn_app().await;
    let ann = signed_in_admin(&app).await;
    let ben = app.create_user("ben", "Admin", UserStatus::Active).await;

    let page = act(
        &app,
        &format!("/admin/users/{}/disable", ben.id),
        &[("reason", "Second account no longer needed")],
    )
    .await;
    assert_eq!(success(&page).as_deref(), Some("ben has been disabled."));
    assert_eq!(app.user_status(ben.id).await, UserStatus::Disabled);
    let ben_browser = app.another_browser();
    let refused = ben_browser.login(&ben.username, &ben.password).await;
    assert_ne!(refused.status(), StatusCode::SEE_OTHER);

    let own = act(
        &app,
        &format!("/admin/users/{}/disable", ann.id),
        &[("reason", "Oops")],
    )
    .await;

    assert!(error(&own).is_some());
    assert_eq!(app.user_status(ann.id).await, UserStatus::Active);
}

#[tokio::test]
async fn the_last_holder_of_roles_manage_cannot_be_disabled_or_demoted_by_a_user_manager() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let (_manager, browser) = signed_in(&app, "manny", "User manager").await;
    let engineer = app.role_id("Engineer").await.to_string();
    let audit_before = app.count("audit_log").await;

    let disable = act(
        &browser,
        &format!("/admin/users/{}/disable", admin.id),
        &[("reason", "Coup")],
    )
    .await;
    let demote = act(
        &browser,
        &format!("/admin/users/{}/role", admin.id),
        &[("role_id", &engineer)],
    )
    .await;

    let message = "This would leave no active user with the roles.manage permission.";
    assert_eq!(error(&disable).as_deref(), Some(message));
    assert_eq!(error(&demote).as_deref(), Some(message));
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
    assert_eq!(app.user_role(admin.id).await, "Admin");
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn the_admin_role_cannot_lose_an_admin_permission_nobody_else_holds() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let admin_role = app.role_id("Admin").await;
    // A disabled holder elsewhere does not count.
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    app.create_user("gone", "User manager", UserStatus::Disabled)
        .await;
    let without = |dropped: &str| -> Vec<&str> {
        ALL_PERMISSIONS
            .iter()
            .copied()
            .filter(|p| *p != dropped)
            .collect()
    };

    let no_users_manage = set_role_permissions(&app, admin_role, &without("users.manage")).await;
    let no_roles_manage = set_role_permissions(&app, admin_role, &without("roles.manage")).await;

    assert_eq!(
        error(&no_users_manage).as_deref(),
        Some("This would leave no active user with the users.manage permission.")
    );
    assert_eq!(
        error(&no_roles_manage).as_deref(),
        Some("This would leave no active user with the roles.manage permission.")
    );
    let roles = app.get_html("/admin/roles").await;
    for p in ["users.manage", "roles.manage"] {
        assert!(granted(&roles, admin_role, p), "{p} still granted");
    }
}

#[tokio::test]
async fn the_admin_role_may_lose_users_manage_while_another_active_user_holds_it() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let admin_role = app.role_id("Admin").await;
    create_role(&app, "User manager", &["users.read", "users.manage"]).await;
    let (_manny, browser) = signed_in(&app, "manny", "User manager").await;
    let kept: Vec<&str> = ALL_PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "users.manage")
        .collect();

    let page = set_role_permissions(&app, admin_role, &kept).await;

    assert_eq!(
        success(&page).as_deref(),
        Some("The permissions of Admin have been saved.")
    );
    assert!(!granted(&page, admin_role, "users.manage"));
    // The admin lost users.manage on their very next request; manny still has it.
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let response = app
        .post_form(
            &format!("/admin/users/{}/disable", vic.id),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let done = act(
        &browser,
        &format!("/admin/users/{}/disable", vic.id),
        &[("reason", "Left")],
    )
    .await;
    assert_eq!(success(&done).as_deref(), Some("vic has been disabled."));
}

// ---------------------------------------------------------------- bulk actions

#[tokio::test]
async fn bulk_approve_approves_every_selected_user_and_names_them() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let p3 = app
        .create_user("pat3", "Engineer", UserStatus::Pending)
        .await;
    let (id1, id2) = (p1.id.to_string(), p2.id.to_string());

    let response = app
        .post_form(
            "/admin/users/bulk",
            &[
                ("action", "approve"),
                ("ids", &id1),
                ("ids", &id2),
                ("back", "/admin/users?status=pending"),
            ],
        )
        .await;

    assert_redirect_to(&response, "/admin/users?status=pending");
    let page = app.get_html("/admin/users?status=pending").await;
    let message = success(&page).expect("a success message");
    assert!(
        message.contains("pat1") && message.contains("pat2"),
        "{message}"
    );
    assert!(message.starts_with("2 users"), "{message}");
    assert!(!message.contains("pat3"), "{message}");
    assert_eq!(app.user_status(p1.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p3.id).await, UserStatus::Pending);
    assert_eq!(listed(&page), ["pat3"]);
}

#[tokio::test]
async fn a_bulk_action_with_one_refused_user_changes_nothing_and_names_that_user() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let a1 = app.create_user("amy", "Engineer", UserStatus::Active).await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let ids = [p1.id.to_string(), a1.id.to_string(), p2.id.to_string()];
    let audit_before = app.count("audit_log").await;

    let page = act(
        &app,
        "/admin/users/bulk",
        &[
            ("action", "reject"),
            ("reason", "Spam wave"),
            ("ids", &ids[0]),
            ("ids", &ids[1]),
            ("ids", &ids[2]),
        ],
    )
    .await;

    assert_eq!(
        error(&page).as_deref(),
        Some("Nothing was changed: amy: Cannot reject a user who is Active.")
    );
    assert_eq!(app.user_status(p1.id).await, UserStatus::Pending);
    assert_eq!(app.user_status(a1.id).await, UserStatus::Active);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Pending);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn bulk_reject_and_disable_need_a_reason_and_then_apply_to_all() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let (vic, vic_browser) = signed_in(&app, "vic", "Engineer").await;
    let (wes, _wes_browser) = signed_in(&app, "wes", "Engineer").await;
    let (i1, i2) = (p1.id.to_string(), p2.id.to_string());
    let (iv, iw) = (vic.id.to_string(), wes.id.to_string());

    let no_reason = act(
        &app,
        "/admin/users/bulk",
        &[("action", "reject"), ("ids", &i1), ("ids", &i2)],
    )
    .await;
    assert_eq!(error(&no_reason).as_deref(), Some("Please give a reason."));
    assert_eq!(app.user_status(p1.id).await, UserStatus::Pending);

    let rejected = act(
        &app,
        "/admin/users/bulk",
        &[
            ("action", "reject"),
            ("reason", "Duplicates"),
            ("ids", &i1),
            ("ids", &i2),
        ],
    )
    .await;
    let disabled = act(
        &app,
        "/admin/users/bulk",
        &[
            ("action", "disable"),
            ("reason", "Contract ended"),
            ("ids", &iv),
            ("ids", &iw),
        ],
    )
    .await;

    assert!(success(&rejected).is_some_and(|m| m.contains("pat1") && m.contains("pat2")));
    assert!(success(&disabled).is_some_and(|m| m.contains("vic") && m.contains("wes")));
    assert_eq!(app.user_status(p1.id).await, UserStatus::Rejected);
    assert_eq!(app.user_status(p2.id).await, UserStatus::Rejected);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Disabled);
    assert_eq!(app.user_status(wes.id).await, UserStatus::Disabled);
    assert_eq!(sessions_of(&app, vic.id).await, 0);
    assert_eq!(sessions_of(&app, wes.id).await, 0);
    assert_eq!(vic_browser.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_bulk_action_cannot_include_the_acting_user() {
    let app = spawn_app().await;
    let admin = signed_in_admin(&app).await;
    app.create_user("admin2", "Admin", UserStatus::Active).await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let (mine, theirs) = (admin.id.to_string(), vic.id.to_string());

    let page = act(
        &app,
        "/admin/users/bulk",
        &[
            ("action", "disable"),
            ("reason", "Cleanup"),
            ("ids", &theirs),
            ("ids", &mine),
        ],
    )
    .await;

    assert_eq!(
        error(&page).as_deref(),
        Some(
            "Nothing was changed: admin: You cannot change your own status, role or role request."
        )
    );
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_status(admin.id).await, UserStatus::Active);
}

#[tokio::test]
async fn a_reviewer_with_only_users_approve_cannot_bulk_disable() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, browser) = signed_in(&app, "hank", "Help desk").await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let id = vic.id.to_string();
    let audit_before = app.count_audit_except_refusals().await;

    let list = browser.get_html("/admin/users").await;
    let response = browser
        .post_form(
            "/admin/users/bulk",
            &[("action", "disable"), ("reason", "Because"), ("ids", &id)],
        )
        .await;

    let options: Vec<String> = texts(&list, "#bulk-action option");
    assert_eq!(options, ["Approve", "Reject"]);
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.count_audit_except_refusals().await, audit_before);
    assert_eq!(
        app.audit_actions().await.last().unwrap(),
        "security.access_denied"
    );
}

// ---------------------------------------------------------------- role requests

#[tokio::test]
async fn the_role_request_queue_shows_open_requests_unless_asked_for_others() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pm = app.role_id("PM").await;
    let (_erin, erin_browser) = signed_in(&app, "erin", "Engineer").await;
    let (frank, frank_browser) = signed_in(&app, "frank", "Engineer").await;
    submit_role_request(&erin_browser, pm).await;
    submit_role_request(&frank_browser, pm).await;
    let frank_request = open_request_id(&app, frank.id).await;
    let response = frank_browser
        .post_form(
            &format!("/account/role-request/{frank_request}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let default = app.get_html("/admin/role-requests").await;
    let open = app.get_html("/admin/role-requests?status=open").await;
    let withdrawn = app.get_html("/admin/role-requests?status=withdrawn").await;
    let all = app.get_html("/admin/role-requests?status=all").await;

    let who = |page: &Html| texts(page, "article.request h2 .muted");
    assert_eq!(who(&default), ["(erin)"]);
    assert_eq!(who(&open), ["(erin)"]);
    assert_eq!(who(&withdrawn), ["(frank)"]);
    assert_eq!(who(&all).len(), 2);
    assert!(
        texts(&default, "article.request h2")[0].contains("Engineer → PM"),
        "{:?}",
        texts(&default, "article.request h2")
    );
    assert!(first_attr(&withdrawn, "form[action$='/approve']", "action").is_none());
}

#[tokio::test]
async fn approving_a_role_request_changes_the_role_at_once() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    submit_role_request(&browser, pm).await;
    assert_eq!(
        browser.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    let request = open_request_id(&app, erin.id).await;

    let page = act(
        &app,
        &format!("/admin/role-requests/{request}/approve"),
        &[],
    )
    .await;

    assert_eq!(
        success(&page).as_deref(),
        Some("erin's request for PM has been approved.")
    );
    assert_eq!(app.user_role(erin.id).await, "PM");
    assert_eq!(request_status(&app, request).await, "approved");
    assert_eq!(browser.get("/admin/users").await.status(), StatusCode::OK);
    assert!(texts(&page, "article.request").is_empty());
}

#[tokio::test]
async fn denying_a_role_request_needs_a_note_that_the_user_then_sees() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    submit_role_request(&browser, pm).await;
    let request = open_request_id(&app, erin.id).await;
    let path = format!("/admin/role-requests/{request}/deny");

    let without_note = act(&app, &path, &[("note", "  ")]).await;
    assert_eq!(
        error(&without_note).as_deref(),
        Some("Please give a reason.")
    );
    assert_eq!(request_status(&app, request).await, "open");

    let denied = act(&app, &path, &[("note", "Not this quarter, sorry")]).await;

    assert_eq!(
        success(&denied).as_deref(),
        Some("erin's request for PM has been denied.")
    );
    assert_eq!(request_status(&app, request).await, "denied");
    assert_eq!(app.user_role(erin.id).await, "Engineer");
    let home = browser.get_html("/").await;
    let facts = facts(&home);
    assert!(
        facts.contains(&("State".into(), "Denied".into())),
        "{facts:?}"
    );
    assert!(
        facts.contains(&("Reviewer's note".into(), "Not this quarter, sorry".into())),
        "{facts:?}"
    );
}

#[tokio::test]
async fn a_reviewer_cannot_decide_their_own_role_request() {
    let app = spawn_app().await;
    create_reviewer_role(&app).await;
    // A reviewer without admin powers asks for a role and tries to decide it.
    let (rex, browser) = signed_in(&app, "rex", "Reviewer").await;
    submit_role_request(&browser, app.role_id("PM").await).await;
    let request = open_request_id(&app, rex.id).await;

    let queue = browser.get_html("/admin/role-requests").await;
    let approve = act(
        &browser,
        &format!("/admin/role-requests/{request}/approve"),
        &[],
    )
    .await;
    let deny = act(
        &browser,
        &format!("/admin/role-requests/{request}/deny"),
        &[("note", "Nope")],
    )
    .await;

    assert!(first_attr(&queue, "form[action$='/approve']", "action").is_none());
    assert!(
        texts(&queue, "article.request p.muted")
            .iter()
            .any(|t| t.contains("your own request"))
    );
    let message = "You cannot change your own status, role or role request.";
    assert_eq!(error(&approve).as_deref(), Some(message));
    assert_eq!(error(&deny).as_deref(), Some(message));
    assert_eq!(request_status(&app, request).await, "open");
    assert_eq!(app.user_role(rex.id).await, "Reviewer");
}

/// Makes a "Reviewer" role (users.read + role_requests.review) as the admin,
/// in a browser of its own.
async fn create_reviewer_role(app: &TestApp) {
    let admin_browser = app.another_browser();
    let admin = app.admin().await;
    admin_browser.login_as(&admin).await;
    create_role(
        &admin_browser,
        "Reviewer",
        &["users.read", "role_requests.review"],
    )
    .await;
}

#[tokio::test]
async fn a_decided_role_request_cannot_be_decided_again() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pm = app.role_id("PM").await;
    let (erin, browser) = signed_in(&app, "erin", "Engineer").await;
    submit_role_request(&browser, pm).await;
    let request = open_request_id(&app, erin.id).await;
    act(
        &app,
        &format!("/admin/role-requests/{request}/approve"),
        &[],
    )
    .await;
    // Put erin back, so a second approval would be visible.
    let engineer = app.role_id("Engineer").await.to_string();
    act(
        &app,
        &format!("/admin/users/{}/role", erin.id),
        &[("role_id", &engineer)],
    )
    .await;
    let audit_before = app.count("audit_log").await;

    let again = act(
        &app,
        &format!("/admin/role-requests/{request}/approve"),
        &[],
    )
    .await;
    let deny = act(
        &app,
        &format!("/admin/role-requests/{request}/deny"),
        &[("note", "Changed my mind")],
    )
    .await;

    let message = "This role request is already approved.";
    assert_eq!(error(&again).as_deref(), Some(message));
    assert_eq!(error(&deny).as_deref(), Some(message));
    assert_eq!(request_status(&app, request).await, "approved");
    assert_eq!(app.user_role(erin.id).await, "Engineer");
    assert_eq!(app.count("audit_log").await, audit_before);
}

// ---------------------------------------------------------------- roles

#[tokio::test]
async fn a_help_desk_role_can_approve_accounts_but_nothing_more() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let help_desk = create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let roles = app.get_html("/admin/roles").await;
    assert!(
        texts(&roles, "section.card h2")
            .iter()
            .any(|t| t == "Help desk (0 users)")
    );
    assert!(granted(&roles, help_desk, "users.approve"));
    assert!(!granted(&roles, help_desk, "users.manage"));
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;
    let pm = app.role_id("PM").await.to_string();

    let approved = act(&desk, &format!("/admin/users/{}/approve", paul.id), &[]).await;
    let disable = desk
        .post_form(
            &format!("/admin/users/{}/disable", vic.id),
            &[("reason", "x")],
        )
        .await;
    let change_role = desk
        .post_form(
            &format!("/admin/users/{}/role", vic.id),
            &[("role_id", &pm)],
        )
        .await;

    assert_eq!(
        success(&approved).as_deref(),
        Some("paul has been approved.")
    );
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
    assert_eq!(disable.status(), StatusCode::FORBIDDEN);
    assert_eq!(change_role.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(vic.id).await, UserStatus::Active);
    assert_eq!(app.user_role(vic.id).await, "Engineer");
    for path in ["/admin/roles", "/admin/audit", "/admin/role-requests"] {
        assert_eq!(
            desk.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let vic_page = desk.get_html(&format!("/admin/users/{}", vic.id)).await;
    assert!(first_attr(&vic_page, "form[action$='/disable']", "action").is_none());
    assert!(first_attr(&vic_page, "form[action$='/role']", "action").is_none());
}

#[tokio::test]
async fn a_help_desk_approver_cannot_choose_a_role_while_approving() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    let admin_role = app.role_id("Admin").await.to_string();

    let response = desk
        .post_form(
            &format!("/admin/users/{}/approve", paul.id),
            &[("role_id", &admin_role)],
        )
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_status(paul.id).await, UserStatus::Pending);
    assert_eq!(app.user_role(paul.id).await, "Engineer");
}

#[tokio::test]
async fn editing_a_roles_permissions_takes_effect_on_the_holders_next_request() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let help_desk = create_role(&app, "Help desk", &["users.read", "users.approve"]).await;
    let (_hank, desk) = signed_in(&app, "hank", "Help desk").await;
    assert_eq!(
        desk.get("/admin/audit").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(desk.get("/admin/users").await.status(), StatusCode::OK);

    let granted = set_role_permissions(
        &app,
        help_desk,
        &["users.read", "users.approve", "audit.read"],
    )
    .await;
    assert_eq!(
        success(&granted).as_deref(),
        Some("The permissions of Help desk have been saved.")
    );
    assert_eq!(desk.get("/admin/audit").await.status(), StatusCode::OK);

    set_role_permissions(&app, help_desk, &["audit.read"]).await;
    assert_eq!(
        desk.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(desk.get("/admin/audit").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_role_name_that_already_exists_is_refused() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    create_role(&app, "Help desk", &["users.read"]).await;
    let roles_before = app.count("roles").await;

    let same = act(
        &app,
        "/admin/roles",
        &[("name", "Help desk"), ("permissions", "users.approve")],
    )
    .await;
    let other_case = act(&app, "/admin/roles", &[("name", "  ENGINEER ")]).await;

    let message = "A role with this name already exists.";
    assert_eq!(error(&same).as_deref(), Some(message));
    assert_eq!(error(&other_case).as_deref(), Some(message));
    assert_eq!(app.count("roles").await, roles_before);
    let help_desk = app.role_id("Help desk").await;
    let roles = app.get_html("/admin/roles").await;
    assert!(!granted(&roles, help_desk, "users.approve"));
}

// ---------------------------------------------------------------- audit log

#[tokio::test]
async fn the_audit_log_lists_newest_first_and_filters_by_actor_action_and_target() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let carol = app
        .create_user("carol", "Engineer", UserStatus::Pending)
        .await;
    let dave = app
        .create_user("dave", "Engineer", UserStatus::Pending)
        .await;
    act(&app, &format!("/admin/users/{}/approve", carol.id), &[]).await;
    act(&app, &format!("/admin/users/{}/approve", dave.id), &[]).await;
    act(
        &app,
        &format!("/admin/users/{}/disable", carol.id),
        &[("reason", "Holiday")],
    )
    .await;

    let everything = app.get_html("/admin/audit").await;
    let by_actor = app.get_html("/admin/audit?actor=ADMIN").await;
    let by_action = app.get_html("/admin/audit?action=user.approved").await;
    let by_target = app.get_html("/admin/audit?target=Carol").await;
    let combined = app
        .get_html("/admin/audit?actor=admin&action=user.approved&target=dave")
        .await;

    let rows = audit_rows(&everything);
    let actions: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        actions[..3],
        ["User disabled", "User approved", "User approved"]
    );
    assert_eq!(rows[1][3], "dave");
    assert_eq!(rows[2][3], "carol");
    assert_eq!(*actions.last().unwrap(), "User created");
    let times: Vec<String> = {
        let sel = scraper::Selector::parse("table.audit tbody time").unwrap();
        everything
            .select(&sel)
            .filter_map(|t| t.value().attr("datetime").map(str::to_owned))
            .collect()
    };
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    let actor_rows = audit_rows(&by_actor);
    assert!(!actor_rows.is_empty());
    assert!(actor_rows.iter().all(|r| r[1] == "admin"), "{actor_rows:?}");
    assert!(actor_rows.iter().any(|r| r[2] == "Signed in"));
    let action_rows = audit_rows(&by_action);
    assert_eq!(action_rows.len(), 2);
    assert!(action_rows.iter().all(|r| r[2] == "User approved"));
    let target_rows = audit_rows(&by_target);
    let target_actions: Vec<&str> = target_rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        target_actions,
        ["User disabled", "User approved", "User created"]
    );
    assert!(target_rows.iter().all(|r| r[3] == "carol"));
    let combined_rows = audit_rows(&combined);
    assert_eq!(combined_rows.len(), 1);
    assert_eq!(combined_rows[0][3], "dave");
    assert_eq!(
        first_attr(&combined, "#action option[selected]", "value").as_deref(),
        Some("user.approved")
    );
}

#[tokio::test]
async fn the_audit_log_pages_fifty_rows_at_a_time() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    for i in 0..52 {
        app.another_browser()
            .login(&format!("ghost{i}"), "wrong-password-1234")
            .await;
    }

    let first = app.get_html("/admin/audit?action=auth.login_failed").await;
    let next = first_attr(&first, ".pager a[rel=next]", "href").expect("a next link");
    let second = app.get_html(&next).await;

    assert_eq!(audit_rows(&first).len(), 50);
    assert_eq!(audit_rows(&second).len(), 2);
    assert!(next.contains("action=auth.login_failed"), "{next}");
}

#[tokio::test]
async fn every_admin_action_is_audited_with_before_after_and_reason() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let pm = app.role_id("PM").await;
    let pm_s = pm.to_string();
    let p1 = app
        .create_user("pat1", "Engineer", UserStatus::Pending)
        .await;
    let p2 = app
        .create_user("pat2", "Engineer", UserStatus::Pending)
        .await;
    let (erin, erin_browser) = signed_in(&app, "erin", "Engineer").await;
    let (fred, fred_browser) = signed_in(&app, "fred", "Engineer").await;
    submit_role_request(&erin_browser, pm).await;
    submit_role_request(&fred_browser, pm).await;
    let erin_request = open_request_id(&app, erin.id).await;
    let fred_request = open_request_id(&app, fred.id).await;

    act(&app, &format!("/admin/users/{}/approve", p1.id), &[]).await;
    act(
        &app,
        &format!("/admin/users/{}/reject", p2.id),
        &[("reason", "Unknown person")],
    )
    .await;
    act(
        &app,
        &format!("/admin/users/{}/disable", p1.id),
        &[("reason", "Left the team")],
    )
    .await;
    act(&app, &format!("/admin/users/{}/enable", p1.id), &[]).await;
    act(
        &app,
        &format!("/admin/users/{}/role", p1.id),
        &[("role_id", &pm_s)],
    )
    .await;
    let desk = create_role(&app, "Help desk", &["users.read"]).await;
    set_role_permissions(&app, desk, &["users.read", "users.approve"]).await;
    act(
        &app,
        &format!("/admin/role-requests/{erin_request}/approve"),
        &[("note", "Welcome")],
    )
    .await;
    act(
        &app,
        &format!("/admin/role-requests/{fred_request}/deny"),
        &[("note", "Not now")],
    )
    .await;

    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT action, actor_username, target_label, before_value, after_value, reason \
         FROM audit_log WHERE actor_username = 'admin' AND action <> 'auth.login_succeeded' \
         ORDER BY id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let s = |v: &str| Some(v.to_owned());
    let expected: Vec<Row> = vec![
        (
            "user.approved".into(),
            s("admin"),
            s("pat1"),
            s("pending"),
            s("active"),
            None,
        ),
        (
            "user.rejected".into(),
            s("admin"),
            s("pat2"),
            s("pending"),
            s("rejected"),
            s("Unknown person"),
        ),
        (
            "user.disabled".into(),
            s("admin"),
            s("pat1"),
            s("active"),
            s("disabled"),
            s("Left the team"),
        ),
        (
            "user.enabled".into(),
            s("admin"),
            s("pat1"),
            s("disabled"),
            s("active"),
            None,
        ),
        (
            "user.role_changed".into(),
            s("admin"),
            s("pat1"),
            s("Engineer"),
            s("PM"),
            None,
        ),
        (
            "role.created".into(),
            s("admin"),
            s("Help desk"),
            None,
            s("users.read"),
            None,
        ),
        (
            "role.permissions_changed".into(),
            s("admin"),
            s("Help desk"),
            s("users.read"),
            s("users.read, users.approve"),
            None,
        ),
        (
            "role_request.approved".into(),
            s("admin"),
            s("erin"),
            s("Engineer"),
            s("PM"),
            s("Welcome"),
        ),
        (
            "user.role_changed".into(),
            s("admin"),
            s("erin"),
            s("Engineer"),
            s("PM"),
            None,
        ),
        (
            "role_request.denied".into(),
            s("admin"),
            s("fred"),
            s("Engineer"),
            s("PM"),
            s("Not now"),
        ),
    ];
    assert_eq!(rows, expected);

    let page = app.get_html("/admin/audit?target=pat1").await;
    let changes: Vec<(String, String)> = audit_rows(&page)
        .into_iter()
        .map(|r| (r[4].clone(), r[5].clone()))
        .collect();
    assert!(changes.contains(&("active → disabled".into(), "Left the team".into())));
    assert!(changes.contains(&("Engineer → PM".into(), String::new())));
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_rows() {
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    act(&app, &format!("/admin/users/{}/approve", paul.id), &[]).await;
    let before = app.audit_actions().await;
    assert!(before.iter().any(|a| a == "user.approved"));

    let update = sqlx::query("UPDATE audit_log SET action = 'x'")
        .execute(&app.db.pool)
        .await;
    let update_one =
        sqlx::query("UPDATE audit_log SET reason = 'forged' WHERE action = 'user.approved'")
            .execute(&app.db.pool)
            .await;
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(&app.db.pool)
        .await;
    let delete_one = sqlx::query("DELETE FROM audit_log WHERE action = 'user.approved'")
        .execute(&app.db.pool)
        .await;

    assert!(update.is_err(), "UPDATE was allowed");
    assert!(update_one.is_err(), "UPDATE of one row was allowed");
    assert!(delete.is_err(), "DELETE was allowed");
    assert!(delete_one.is_err(), "DELETE of one row was allowed");
    assert_eq!(app.audit_actions().await, before);
    let forged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE reason = 'forged'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(forged, 0);
}

#[tokio::test]
async fn with_two_database_connections_page_views_still_leave_room_for_changes() {
    // On PostgreSQL one of the two serves page reads (db::reads) and the
    // other the pool: approvals must still find theirs while pages load.
    let app = spawn_app_with(|s| s.max_db_connections = 2).await;
    signed_in_admin(&app).await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    for _ in 0..5 {
        let (searched, listed_all, home) = tokio::join!(
            app.get_html("/admin/users?q=paul"),
            app.get_html("/admin/users"),
            app.get_html("/"),
        );
        assert_eq!(listed(&searched), ["paul"]);
        assert!(listed(&listed_all).contains(&"paul".to_owned()));
        assert!(!texts(&home, "h1").is_empty());
    }
    let page = act(&app, &format!("/admin/users/{}/approve", paul.id), &[]).await;
    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
}

#[tokio::test]
async fn the_user_list_shows_names_with_quotes_backslashes_and_any_script_exactly() {
    // On SQLite the page's rows travel as one JSON array (db::user_search).
    let app = spawn_app().await;
    signed_in_admin(&app).await;
    let engineer = app.role_id("Engineer").await;
    let names = [
        ("zoe", r#"Zoë "Z" O'Neil \ back\slash \u0041"#),
        ("kenji", "田中 健二 🚀"),
        ("amir", "أمير <b>&amp;</b>"),
    ];
    let mut users: Vec<SeedUser> = names
        .iter()
        .enumerate()
        .map(|(i, (username, full_name))| {
            seed_user(
                username,
                full_name,
                &format!("{username}@x.test"),
                UserStatus::Active,
                engineer,
                i as i64,
            )
        })
        .collect();
    users[1].last_login_at = Some(Timestamp(1_700_000_000_000));
    users[1].login_count = 42;
    seed(&app, &users).await;

    for path in [
        "/admin/users?status=active",
        "/admin/users?q=x.test&sort=name",
    ] {
        let page = app.get_html(path).await;
        let shown = texts(&page, "table.users tbody tr td:nth-child(2)");
        for (_, full_name) in names {
            assert!(
                shown.iter().any(|s| s == full_name),
                "{path}: {full_name:?} in {shown:?}"
            );
        }
        let kenji = texts(&page, "table.users tbody tr")
            .into_iter()
            .find(|row| row.contains("kenji"))
            .expect("kenji's row");
        assert!(
            kenji.contains("2023-11-14") && kenji.contains("42"),
            "{kenji}"
        );
    }
}
