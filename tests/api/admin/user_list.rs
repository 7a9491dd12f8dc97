//! The user list: finding users by name, email or username, filtering by status
//! and role, sorting, paging, the counts per status, and names shown exactly.

use super::*;

#[tokio::test]
async fn the_user_list_finds_users_by_username_email_or_name_case_insensitively() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
    app.signed_in_admin().await;
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
    app.signed_in_admin().await;
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
    let pms = app.admin_users(&format!("role={pm}")).await;
    let pending_pms = app.admin_users(&format!("status=pending&role={pm}")).await;

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
    app.signed_in_admin().await;
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
    let searched = |sort: &str| paths::users(&format!("status=pending&q=x.test&sort={sort}"));
    let by_role = |sort: &str| paths::users(&format!("role={engineer}&sort={sort}"));
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
async fn the_user_list_shows_fifty_per_page_with_page_links_that_keep_the_filters() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
    app.signed_in_admin().await;
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
        [
            "Pending 3",
            "Active 2",
            "Rejected 2",
            "Disabled 1",
            "All",
            "Deleted 0"
        ]
    );
    assert_eq!(texts(&page, ".status-tabs .prominent"), ["Pending 3"]);
    assert_eq!(texts(&page, ".status-tabs .prominent .count"), ["3"]);
}

#[tokio::test]
async fn with_two_database_connections_page_views_still_leave_room_for_changes() {
    // On PostgreSQL one of the two serves page reads (db::reads) and the
    // other the pool: approvals must still find theirs while pages load.
    let app = spawn_app_with(|s| s.max_db_connections = 2).await;
    app.signed_in_admin().await;
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
    let page = app.follow(app.approve_user(paul.id, &[]).await).await;
    assert_eq!(success(&page).as_deref(), Some("paul has been approved."));
    assert_eq!(app.user_status(paul.id).await, UserStatus::Active);
}

#[tokio::test]
async fn the_user_list_shows_names_with_quotes_backslashes_and_any_script_exactly() {
    // On SQLite the page's rows travel as one JSON array (db::user_search).
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
