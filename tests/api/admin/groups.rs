//! Groups: a group that grants a role gives its members that role's
//! permissions from their next request; the user page says where each
//! permission comes from; changes are audited with before → after; names
//! are unique per organisation; the last-administrator rule counts every
//! source of a permission.

use super::*;
use gatehouse::domain::AuditAction;

/// Creates `name` through the form; returns its id.
async fn new_group(app: &TestApp, name: &str) -> i64 {
    let response = app
        .create_group_with(&[("name", name), ("description", "")])
        .await;
    let location = location_of(&response).expect("a redirect to the group");
    location
        .trim_start_matches("/admin/groups/")
        .parse()
        .expect("a group id")
}

/// Lets group `id` grant exactly `roles`.
async fn grant(app: &TestApp, id: i64, roles: &[i64]) -> Html {
    let roles: Vec<String> = roles.iter().map(i64::to_string).collect();
    let fields: Vec<(&str, &str)> = roles.iter().map(|r| ("roles", r.as_str())).collect();
    app.follow(app.update_group(id, &fields).await).await
}

#[tokio::test]
async fn a_group_that_grants_a_role_gives_its_members_its_permissions_from_their_next_request() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let (engineer, browser) = signed_in(&app, "eve", "Engineer").await;
    let pm = app.role_id("PM").await;
    let group = new_group(&app, "Planners").await;
    grant(&app, group, &[pm]).await;

    let before = browser.get("/admin/users").await.status();
    let added = app.follow(app.add_group_member(group, "eve").await).await;
    let member = browser.get("/admin/users").await.status();
    let listing = app.groups_page().await;
    let page = app.group_page(group).await;
    let removed = app
        .follow(
            app.remove_group_member(group, &[("user_id", &engineer.id.to_string())])
                .await,
        )
        .await;
    let after = browser.get("/admin/users").await.status();

    assert_eq!(before, StatusCode::FORBIDDEN);
    assert_eq!(success(&added).as_deref(), Some("eve is now in Planners."));
    assert_eq!(member, StatusCode::OK);
    assert_eq!(texts(&listing, "tbody tr td"), ["Planners", "PM", "1", ""]);
    assert!(texts(&page, "tbody tr td a").contains(&"eve".to_owned()));
    assert_eq!(
        success(&removed).as_deref(),
        Some("eve is no longer in Planners.")
    );
    assert_eq!(after, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_user_page_shows_the_groups_and_where_each_permission_comes_from() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let pm_user = app.create_user("pat", "PM", UserStatus::Active).await;
    let reviewers = create_role(&app, "Reviewer", &["users.read", "role_requests.review"]).await;
    let group = new_group(&app, "Review board").await;
    grant(&app, group, &[reviewers]).await;
    let added = app
        .follow(app.add_user_to_group(pm_user.id, group).await)
        .await;

    let page = app.user_page(pm_user.id).await;

    assert_eq!(
        success(&added).as_deref(),
        Some("pat is now in Review board.")
    );
    assert_eq!(texts(&page, "#groups ul.groups li a"), ["Review board"]);
    let sources: Vec<(String, String)> = texts(&page, ".permission-sources dt")
        .into_iter()
        .zip(texts(&page, ".permission-sources dd"))
        .collect();
    assert_eq!(
        sources,
        [
            (
                "users.read".to_owned(),
                "role PM, group Review board (role Reviewer)".to_owned()
            ),
            (
                "role_requests.review".to_owned(),
                "group Review board (role Reviewer)".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn group_changes_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.create_user("eve", "Engineer", UserStatus::Active).await;
    let pm = app.role_id("PM").await;

    let group = new_group(&app, "Planners").await;
    grant(&app, group, &[pm]).await;
    app.add_group_member(group, "eve").await;
    let again = app.follow(app.add_group_member(group, "eve").await).await;
    let deleted = app.follow(app.delete_group(group).await).await;

    assert_eq!(
        error(&again).as_deref(),
        Some("eve is already in Planners.")
    );
    assert_eq!(
        success(&deleted).as_deref(),
        Some("The group Planners has been deleted.")
    );
    let changed = app.audit_rows(AuditAction::GroupChanged).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].before_value.as_deref(), Some("grants nothing"));
    assert_eq!(changed[0].after_value.as_deref(), Some("grants PM"));
    let added = app.audit_rows(AuditAction::GroupMemberAdded).await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].target_label.as_deref(), Some("eve"));
    assert_eq!(added[0].after_value.as_deref(), Some("Planners"));
    let gone = app.audit_rows(AuditAction::GroupDeleted).await;
    assert_eq!(
        gone[0].before_value.as_deref(),
        Some("grants PM; 1 members")
    );
    assert_eq!(app.audit_rows(AuditAction::GroupCreated).await.len(), 1);
}

#[tokio::test]
async fn group_names_are_unique_per_organisation_and_validated() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    new_group(&app, "Planners").await;
    let acme = app.create_org("acme", "Acme").await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    let elsewhere = gatehouse::db::groups::insert(
        gatehouse::db::Scope::organisation(acme).on(&mut conn),
        "Planners",
        "",
        Timestamp::now(),
    )
    .await;
    drop(conn);

    let duplicate = app
        .create_group_with(&[("name", "  PLANNERS "), ("description", "")])
        .await;
    assert_eq!(duplicate.status(), StatusCode::OK);
    let page = html(duplicate).await;
    assert_eq!(
        field_error(&page, "name"),
        "A group with this name already exists."
    );
    let bad = html(app.create_group_with(&[("name", "<ops>")]).await).await;
    assert_eq!(
        field_error(&bad, "name"),
        "Group name may only contain letters, digits, spaces and - _ . &"
    );
    let long = "d".repeat(201);
    let described = html(
        app.create_group_with(&[("name", "Writers"), ("description", &long)])
            .await,
    )
    .await;
    assert_eq!(
        field_error(&described, "description"),
        "Description must be at most 200 characters."
    );
    assert!(elsewhere.is_ok(), "the same name in another organisation");
    assert_eq!(app.count("user_groups").await, 2);
}

/// A role that may only manage groups, and an admin whose administrator
/// permissions come from a group alone.
async fn admin_through_a_group_only(app: &TestApp) -> (TestApp, i64, TestUser) {
    app.signed_in_admin().await;
    create_role(app, "Group keeper", &["users.read", "groups.manage"]).await;
    let (_, keeper) = signed_in(app, "keeper", "Group keeper").await;
    let admins = new_group(app, "Admins").await;
    grant(app, admins, &[app.role_id("Admin").await]).await;
    let grace = app
        .create_user("grace", "Engineer", UserStatus::Active)
        .await;
    app.add_group_member(admins, "grace").await;
    // The original admin steps down to Engineer: grace is now the only
    // holder of the administrators' permissions, through the group.
    let admin = app.user_id("admin").await;
    let engineer = app.role_id("Engineer").await.to_string();
    let stepped_down = grace_browser(app, &grace)
        .await
        .change_role(admin, &[("role_id", &engineer)])
        .await;
    assert_redirect_to(&stepped_down, &paths::user(admin));
    assert_eq!(app.user_role(admin).await, "Engineer");
    (keeper, admins, grace)
}

async fn grace_browser(app: &TestApp, grace: &TestUser) -> TestApp {
    let browser = app.another_browser();
    browser.login_as(grace).await;
    browser
}

#[tokio::test]
async fn the_last_administrator_through_a_group_cannot_lose_the_group_or_its_grant() {
    let app = spawn_app().await;
    let (keeper, admins, grace) = admin_through_a_group_only(&app).await;
    let audit_before = app.count("audit_log").await;

    let delete = keeper.follow(keeper.delete_group(admins).await).await;
    let remove = keeper
        .follow(
            keeper
                .remove_group_member(admins, &[("user_id", &grace.id.to_string())])
                .await,
        )
        .await;
    let ungrant = keeper.follow(keeper.update_group(admins, &[]).await).await;

    let message = "This would leave no active user with the users.manage permission.";
    assert_eq!(error(&delete).as_deref(), Some(message));
    assert_eq!(error(&remove).as_deref(), Some(message));
    assert_eq!(error(&ungrant).as_deref(), Some(message));
    assert_eq!(app.count("group_members").await, 1);
    assert_eq!(app.count("group_roles").await, 1);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn an_administrator_through_a_group_counts_as_another_administrator() {
    let app = spawn_app().await;
    let (_keeper, _admins, grace) = admin_through_a_group_only(&app).await;
    let (_, second) = signed_in(&app, "root2", "Admin").await;
    let grace_browser = grace_browser(&app, &grace).await;

    // root2 holds Admin by role; grace only through the group: either may
    // disable the other, since the other remains.
    let root2 = app.user_id("root2").await;
    let disabled = grace_browser
        .follow(
            grace_browser
                .disable_user(root2, &[("reason", "Left the company")])
                .await,
        )
        .await;

    assert_eq!(
        success(&disabled).as_deref(),
        Some("root2 has been disabled.")
    );
    assert_eq!(app.user_status(root2).await, UserStatus::Disabled);
    drop(second);
}
