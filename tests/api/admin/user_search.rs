//! Searching a large user list: registration order whatever the storage order,
//! the search index, the demo seed, counts past a thousand and windows of ids.

use super::*;

#[tokio::test]
async fn a_searched_list_pages_in_registration_order_whatever_order_the_rows_are_stored_in() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
        // Raw: reorders the table on disk; PostgreSQL-only maintenance, no endpoint.
        sqlx::query("CLUSTER users USING users_org_full_name_key")
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
fn seed_options(users: u64, organisations: u64, groups: u64) -> gatehouse::demo::SeedOptions {
    gatehouse::demo::SeedOptions {
        users,
        organisations,
        groups,
    }
}

#[tokio::test]
async fn the_demo_seed_spreads_users_over_organisations_and_puts_one_in_every_group() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let report = gatehouse::demo::seed(&app.db, seed_options(301, 3, 20))
        .await
        .unwrap();

    assert_eq!(report.organisations, 3);
    // Raw: users per organisation across all three, which no page shows at once.
    let per_org: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT organisation_id, COUNT(*) FROM users WHERE username <> 'admin' \
         GROUP BY organisation_id ORDER BY organisation_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        per_org.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [101, 100, 100]
    );
    let member = report.group_member.expect("a member of every group");
    let page = app.user_page(member).await;
    assert_ne!(fact(&page, "Role"), "Admin", "a demo user, not the admin");
    assert_eq!(
        texts(&page, "#groups ul.groups > li").len(),
        20,
        "{}",
        page.html()
    );
    let orgs = app.get_html("/admin/organisations").await;
    assert!(texts(&orgs, "main td").iter().any(|t| t == "demo-0002"));
}

#[tokio::test]
async fn an_organisation_with_a_small_share_of_the_users_is_searched_user_by_user_alike() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    // 21 of 2,001 users are the default organisation's: its searches skip
    // the index, which would find every organisation's matches.
    gatehouse::demo::seed(&app.db, seed_options(2_000, 100, 0))
        .await
        .unwrap();

    let found = listed(&app.admin_users("q=lovelace").await);
    let short = listed(&app.admin_users("q=ov").await);

    // Raw: the expected matches, straight from the table.
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM users WHERE organisation_id = 1 AND search_key LIKE '%lovelace%' \
         AND status <> 'deleted' ORDER BY id DESC",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(!expected.is_empty());
    assert_eq!(found, expected);
    assert!(short.iter().all(|u| u.contains("ov")), "{short:?}");
    let other_org: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE organisation_id <> 1 AND search_key LIKE '%lovelace%'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(other_org > 0, "other organisations have matches too");
}

#[tokio::test]
async fn the_demo_seed_adds_realistic_users_with_their_history_and_a_merged_search_index() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let users_before = app.count("users").await;

    let report = gatehouse::demo::seed(&app.db, seed_options(300, 1, 0))
        .await
        .unwrap();

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
    app.signed_in_admin().await;
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
        let first = first_listed(&app, &paths::users(&format!("q=many&{page}"))).await;
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
#[tokio::test]
async fn a_search_that_matches_thousands_in_one_window_still_pages_in_registration_order() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
        let listed = first_listed(&app, &paths::users(&format!("q=wide{filters}"))).await;
        assert_eq!(listed.as_deref(), Some(first), "{filters}");
    }
}
