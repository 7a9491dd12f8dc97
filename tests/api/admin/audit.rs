//! The audit log page: filters, paging, every admin action with before, after
//! and reason, and rows the database will not change.

use super::*;

#[tokio::test]
async fn the_audit_log_lists_newest_first_and_filters_by_actor_action_and_target() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let carol = app
        .create_user("carol", "Engineer", UserStatus::Pending)
        .await;
    let dave = app
        .create_user("dave", "Engineer", UserStatus::Pending)
        .await;
    app.follow(app.approve_user(carol.id, &[]).await).await;
    app.follow(app.approve_user(dave.id, &[]).await).await;
    app.follow(app.disable_user(carol.id, &[("reason", "Holiday")]).await)
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
    app.signed_in_admin().await;
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
    app.signed_in_admin().await;
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
    request_role(&erin_browser, pm).await;
    request_role(&fred_browser, pm).await;
    let erin_request = open_request_id(&app, erin.id).await;
    let fred_request = open_request_id(&app, fred.id).await;

    app.follow(app.approve_user(p1.id, &[]).await).await;
    app.follow(
        app.reject_user(p2.id, &[("reason", "Unknown person")])
            .await,
    )
    .await;
    app.follow(
        app.disable_user(p1.id, &[("reason", "Left the team")])
            .await,
    )
    .await;
    app.follow(app.enable_user(p1.id).await).await;
    app.follow(app.change_role(p1.id, &[("role_id", &pm_s)]).await)
        .await;
    let desk = create_role(&app, "Help desk", &["users.read"]).await;
    set_role_permissions(&app, desk, &["users.read", "users.approve"]).await;
    app.follow(
        app.approve_role_request(erin_request, &[("note", "Welcome")])
            .await,
    )
    .await;
    app.follow(
        app.deny_role_request(fred_request, &[("note", "Not now")])
            .await,
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
    let rows: Vec<Row> = app
        .all_audit_rows()
        .await
        .iter()
        .filter(|r| r.actor_username.as_deref() == Some("admin"))
        .filter(|r| r.action != "auth.login_succeeded")
        .map(|r| {
            (
                r.action.clone(),
                r.actor_username.clone(),
                r.target_label.clone(),
                r.before_value.clone(),
                r.after_value.clone(),
                r.reason.clone(),
            )
        })
        .collect();
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
