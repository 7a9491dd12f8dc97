//! The home page, and asking for a role: the request's rules, withdrawing it,
//! and the decision shown on home.

use super::*;

#[tokio::test]
async fn the_home_page_shows_name_role_status_and_that_no_role_was_requested() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;

    let page = app.get_html("/").await;

    assert_eq!(texts(&page, "h1"), vec!["Welcome, alice Tester".to_owned()]);
    let facts = texts(&page, ".facts dd");
    assert_eq!(&facts[..3], ["alice", "Engineer", "Active"], "{facts:?}");
    assert!(
        texts(&page, "main p")
            .iter()
            .any(|t| t == "You have not asked for another role."),
    );
}

#[tokio::test]
async fn a_submitted_role_request_shows_as_open_on_home_and_on_the_request_page() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();

    let form = app.get_html("/account/role-request").await;
    let offered = texts(&form, "select[name=role_id] option");
    assert!(offered.iter().any(|o| o == "PM"), "{offered:?}");
    assert!(!offered.iter().any(|o| o == "Engineer"), "{offered:?}");
    let response = app.submit_role_request(&pm, JUSTIFICATION).await;

    assert_redirect_to(&response, "/");
    let home = app.get_html("/").await;
    assert_eq!(
        flash(&home).as_deref(),
        Some("Your role request has been sent to the reviewers.")
    );
    let facts = texts(&home, ".facts dd");
    assert!(facts.iter().any(|t| t == "PM"), "{facts:?}");
    assert!(facts.iter().any(|t| t == "Open"), "{facts:?}");
    let page = app.get_html("/account/role-request").await;
    assert!(
        first_attr(&page, "form[action$='/withdraw']", "action").is_some(),
        "no withdraw button"
    );
    assert_eq!(app.count("role_requests").await, 1);
    assert_eq!(app.user_role(alice.id).await, "Engineer");
}

#[tokio::test]
async fn a_too_short_justification_is_refused_with_a_field_message_and_kept() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();

    let response = app.submit_role_request(&pm, "   because ").await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "justification"),
        "Please explain why you need this role (at least 10 characters)."
    );
    assert_eq!(
        texts(&page, "textarea[name=justification]"),
        vec!["because"]
    );
    assert_eq!(
        first_attr(&page, "select[name=role_id] option[selected]", "value"),
        Some(pm)
    );
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn asking_for_the_role_one_already_has_is_refused() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let engineer = app.role_id("Engineer").await.to_string();

    let response = app.submit_role_request(&engineer, JUSTIFICATION).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(field_error(&page, "role_id"), "You already have this role.");
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn a_request_without_a_chosen_role_is_refused() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;

    for role_id in ["", "999999"] {
        let response = app.submit_role_request(role_id, JUSTIFICATION).await;

        assert_eq!(response.status(), StatusCode::OK, "{role_id:?}");
        let page = html(response).await;
        assert_eq!(field_error(&page, "role_id"), "Choose the role you need.");
        assert_eq!(
            texts(&page, "textarea[name=justification]"),
            vec![JUSTIFICATION]
        );
    }
    assert_eq!(app.count("role_requests").await, 0);
}

#[tokio::test]
async fn a_second_request_is_refused_with_a_message_while_the_first_is_open() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let manager = app.role_id("Automation Manager").await.to_string();
    assert_redirect_to(&app.submit_role_request(&pm, JUSTIFICATION).await, "/");

    let response = app.submit_role_request(&manager, JUSTIFICATION).await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "role_id"),
        "You already have an open role request. Withdraw it before asking for another role."
    );
    assert_eq!(app.count("role_requests").await, 1);
}

#[tokio::test]
async fn a_withdrawn_request_makes_room_for_a_new_one() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    let manager = app.role_id("Automation Manager").await.to_string();
    app.submit_role_request(&pm, JUSTIFICATION).await;
    let page = app.get_html("/account/role-request").await;
    let withdraw =
        first_attr(&page, "form[action$='/withdraw']", "action").expect("a withdraw form");

    let response = app.post_form(&withdraw, &[]).await;

    assert_redirect_to(&response, "/account/role-request");
    let page = app.get_html("/account/role-request").await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your role request has been withdrawn.")
    );
    assert!(first_attr(&page, "form[action$='/withdraw']", "action").is_none());
    assert!(texts(&page, "table td").iter().any(|t| t == "Withdrawn"));
    assert_redirect_to(&app.submit_role_request(&manager, JUSTIFICATION).await, "/");
    assert_eq!(app.count("role_requests").await, 2);
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "role_request.withdrawn"));
}

#[tokio::test]
async fn nobody_can_withdraw_someone_elses_request() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let mallory = app
        .create_user("mallory", "Engineer", UserStatus::Active)
        .await;
    app.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    app.submit_role_request(&pm, JUSTIFICATION).await;
    let page = app.get_html("/account/role-request").await;
    let withdraw =
        first_attr(&page, "form[action$='/withdraw']", "action").expect("a withdraw form");
    let other = app.another_browser();
    other.login_as(&mallory).await;

    let response = other.post_form(&withdraw, &[]).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let home = app.get_html("/").await;
    assert!(texts(&home, ".facts dd").iter().any(|t| t == "Open"));
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "role_request.withdrawn")
    );
}

#[tokio::test]
async fn the_decision_and_the_reviewers_note_appear_on_home() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let staff = app.another_browser();
    staff.login_as(&alice).await;
    let pm = app.role_id("PM").await.to_string();
    staff.submit_role_request(&pm, JUSTIFICATION).await;
    app.login_as(&admin).await;
    let queue = app.get_html("/admin/role-requests").await;
    let deny = first_attr(&queue, "form[action$='/deny']", "action").expect("a deny form");

    let response = app
        .post_form(&deny, &[("note", "PM seats are full this quarter.")])
        .await;

    assert_redirect_to(&response, "/admin/role-requests");
    let home = staff.get_html("/").await;
    let facts = texts(&home, ".facts dd");
    assert!(facts.iter().any(|t| t == "Denied"), "{facts:?}");
    assert!(
        facts.iter().any(|t| t == "PM seats are full this quarter."),
        "{facts:?}"
    );
    assert!(
        facts.iter().any(|t| t.starts_with("admin on ")),
        "{facts:?}"
    );
    assert_eq!(app.user_role(alice.id).await, "Engineer");
}
