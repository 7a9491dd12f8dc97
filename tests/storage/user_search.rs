//! The user search's storage: on SQLite the full-text index merges into one
//! piece; on PostgreSQL users live in windows of ids (user_search, with
//! user_search_rest for those past the windows made), which upkeep extends,
//! and a search keeps registration order across them.

use std::time::Duration;

use gatehouse::db::Backend;
use gatehouse::db::seed::{SeedUser, insert_users};
use gatehouse::db::users::{self, IdRange, UserFilter, UserSort};
use gatehouse::domain::UserStatus;
use gatehouse::services::search_index::compact;

use crate::helpers::*;

#[tokio::test]
async fn the_search_index_merges_into_one_piece_and_still_finds_the_same_users() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
async fn a_search_pages_in_registration_order_across_windows_of_ids_and_users_beyond_them() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
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
        eprintln!(
            "skipped on SQLite: the rest checks PostgreSQL's id windows (user_search_rest, \
             make_windows), which SQLite's search index does not have"
        );
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

/// The first listed user of a search for "span", with `filters`.
async fn first_span(app: &TestApp, filters: &str) -> Option<String> {
    first_listed(app, &paths::users(&format!("q=span{filters}"))).await
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
        insert_users(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            &users,
            gatehouse::db::seed::Hashes::Shared("not-a-password-hash"),
        )
        .await
        .unwrap();
    }
    // The range an instance read before the last hundred registered, and
    // the one before there were users at all.
    let now = users::id_range(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
    )
    .await
    .unwrap()
    .unwrap();
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
            let (page, matches) = users::list(
                gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                    .on(&mut conn),
                &filter,
                50,
                offset,
                &[],
                ids,
            )
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
