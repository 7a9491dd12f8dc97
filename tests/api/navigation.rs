//! The navigation: reviewers see how many items wait in their queues.

use std::sync::Arc;

use gatehouse::domain::UserStatus;
use gatehouse::services::overview::OverviewCache;

use crate::helpers::{TestApp, assert_redirect_to, spawn_app, texts};

/// The navigation badges on the home page, in order.
async fn badges(app: &TestApp) -> Vec<String> {
    texts(&app.get_html("/").await, "nav .nav-badge")
}

async fn request_role(app: &TestApp, username: &str, role: &str) {
    let staff = app.another_browser();
    let user = app
        .create_user(username, "Engineer", UserStatus::Active)
        .await;
    staff.login_as(&user).await;
    let role_id = app.role_id(role).await.to_string();
    let response = staff
        .submit_role_request_with(&[
            ("role_id", &role_id),
            ("justification", "I need it for work."),
        ])
        .await;
    assert_redirect_to(&response, "/");
}

#[tokio::test]
async fn an_admin_sees_pending_users_and_open_role_requests_next_to_their_links() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    app.create_user("quinn", "Engineer", UserStatus::Pending)
        .await;
    request_role(&app, "rosa", "PM").await;
    app.login_as(&admin).await;

    let page = app.get_html("/").await;
    assert_eq!(
        texts(&page, "nav a[href='/admin/users'] .nav-badge"),
        ["2 pending"]
    );
    assert_eq!(
        texts(&page, "nav a[href='/admin/role-requests'] .nav-badge"),
        ["1 open"]
    );
}

#[tokio::test]
async fn a_badge_follows_this_instances_own_changes_at_once_and_others_within_a_second() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pia = app
        .create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    app.create_user("quinn", "Engineer", UserStatus::Pending)
        .await;
    app.login_as(&admin).await;
    assert_eq!(badges(&app).await, ["2 pending"]);

    // Approved here: the next page already counts one.
    let response = app.approve_user(pia.id, &[]).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(badges(&app).await, ["1 pending"]);

    // Changed by another instance sharing the database (here: a write this
    // instance did not make): shown within a second.
    // Raw on purpose: a write no endpoint of this instance makes.
    sqlx::query("UPDATE users SET status = 'active' WHERE username = 'quinn'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(badges(&app).await.is_empty());
}

#[tokio::test]
async fn sign_ins_leave_the_instances_copy_of_the_counts_standing() {
    let app = spawn_app().await;
    let user = app.create_user("pia", "Engineer", UserStatus::Active).await;
    let writes = app.db.commits();
    let audited = app.audit_actions().await.len();

    app.login_as(&user).await;
    let wrong = app.another_browser().login("pia", "not her password").await;
    assert_eq!(wrong.status(), reqwest::StatusCode::OK);

    // Each sign-in wrote (an audit row, its bookkeeping), but none changed
    // a count: during a login flood the list did not read them again.
    assert_eq!(app.audit_actions().await.len(), audited + 2);
    assert_eq!(app.db.commits(), writes);
}

#[tokio::test]
async fn page_views_that_find_the_counts_out_of_date_together_wait_for_one_read() {
    let app = spawn_app().await;
    let cache = Arc::new(OverviewCache::default());
    let mut views = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (cache, db) = (Arc::clone(&cache), app.db.clone());
        let scope = gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION);
        views.spawn(async move { cache.get(&db, &scope).await.unwrap() });
    }
    let copies = views.join_all().await;
    assert!(copies.iter().all(|copy| Arc::ptr_eq(copy, &copies[0])));
}

#[tokio::test]
async fn empty_queues_show_no_badge() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.login_as(&admin).await;

    assert!(badges(&app).await.is_empty());
}

#[tokio::test]
async fn a_user_who_reviews_nothing_sees_no_counts() {
    let app = spawn_app().await;
    app.create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    request_role(&app, "rosa", "PM").await;
    // PM may read the user list but not approve anyone.
    let pm = app.create_user("paula", "PM", UserStatus::Active).await;
    app.login_as(&pm).await;

    assert!(badges(&app).await.is_empty());
    assert_eq!(
        texts(&app.get_html("/").await, "nav a[href='/admin/users']"),
        ["Users"]
    );
}

#[tokio::test]
async fn a_help_desk_role_sees_only_the_queue_it_may_work_on() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.login_as(&admin).await;
    let response = app
        .create_role_with(&[
            ("name", "Help desk"),
            ("description", "Approves new accounts"),
            ("permissions", "users.read"),
            ("permissions", "users.approve"),
        ])
        .await;
    assert_redirect_to(&response, "/admin/roles");
    app.create_user("pia", "Engineer", UserStatus::Pending)
        .await;
    request_role(&app, "rosa", "PM").await;
    let desk = app.another_browser();
    let helper = app
        .create_user("hector", "Help desk", UserStatus::Active)
        .await;
    desk.login_as(&helper).await;

    assert_eq!(badges(&desk).await, ["1 pending"]);
}

/// The labels of the custom-field filters on the user list.
async fn list_filters(app: &TestApp) -> Vec<String> {
    let page = app.get_html("/admin/users").await;
    texts(&page, "form .field label")
}

#[tokio::test]
async fn the_user_list_shows_this_instances_new_field_at_once_and_another_s_within_a_second() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    assert!(!list_filters(&app).await.contains(&"Department".to_owned()));

    // Defined here: the next view of the list filters by it.
    let response = app
        .create_field_with(&[
            ("key", "department"),
            ("label", "Department"),
            ("kind", "choice"),
            ("choices", "Sales\r\nOps\r\n"),
        ])
        .await;
    assert_redirect_to(&response, "/admin/fields");
    assert!(list_filters(&app).await.contains(&"Department".to_owned()));

    // Defined by another instance sharing the database (here: a write this
    // instance did not make): shown within a second.
    // Raw on purpose: a write no endpoint of this instance makes.
    sqlx::query(
        "INSERT INTO custom_fields (organisation_id, field_key, label, label_key, kind, \
         choices, created_at) VALUES (1, 'site', 'Site', 'site', 'choice', 'Berlin', 0)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(list_filters(&app).await.contains(&"Site".to_owned()));
}
