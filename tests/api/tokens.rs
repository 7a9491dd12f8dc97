//! API tokens and the JSON API: making, showing once, listing and revoking
//! tokens; what a token may do (its scopes, its owner's live status and
//! permissions); the API's routes, its one error shape and statuses; and
//! that cookies never authenticate the API nor tokens the pages.

use gatehouse::domain::{AuditAction, UserStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn body(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).expect("a JSON body")
}

/// The status and the error code of an API answer.
async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let json = body(response).await;
    (
        status,
        json["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn a_personal_token_is_shown_once_stored_hashed_and_stops_at_revocation() {
    let app = spawn_app().await;
    let (_, browser) = signed_in(&app, "ada", "PM").await;

    let made = browser
        .create_personal_token(&[("name", "laptop script"), ("scopes", "users.read")])
        .await;

    assert_eq!(made.status(), StatusCode::OK);
    let page = html(made).await;
    let secret = first_attr(&page, "#new-token", "value").expect("the token, once");
    assert!(
        secret.starts_with("gh_pat_") && secret.len() == 50,
        "{secret}"
    );
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT prefix, secret_hash FROM api_tokens")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(secret.starts_with(&stored[0].0));
    assert!(!stored[0].1.contains(&secret[7..]), "only a hash is kept");
    let again = browser.get_html("/account/tokens").await;
    assert!(first_attr(&again, "#new-token", "value").is_none());
    assert_eq!(texts(&again, "td[data-label='Scopes']"), ["users.read"]);
    let created = app.audit_rows(AuditAction::TokenCreated).await;
    assert!(
        !created[0]
            .content
            .after_value
            .as_deref()
            .unwrap()
            .contains(&secret)
    );

    let me = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me = body(me).await;
    assert_eq!(me["username"], "ada");
    assert_eq!(me["token"]["scopes"], json!(["users.read"]));
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_redirect_to(&browser.revoke_personal_token(id).await, "/account/tokens");
    let refused = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(body(refused).await["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn a_scope_the_maker_does_not_hold_or_a_bad_expiry_is_refused_by_field() {
    let app = spawn_app().await;
    let (_, browser) = signed_in(&app, "ada", "PM").await;

    let page = html(
        browser
            .create_personal_token(&[
                ("name", ""),
                ("expires_days", "400"),
                ("scopes", "users.manage"),
            ])
            .await,
    )
    .await;

    assert!(!texts(&page, "#name-error").is_empty());
    assert!(texts(&page, "#expires_days-error")[0].contains("1 to 365"));
    assert!(texts(&page, "#scopes-error")[0].contains("You do not hold users.manage"));
    assert_eq!(app.count("api_tokens").await, 0);
}

#[tokio::test]
async fn a_provisioning_script_creates_a_user_with_a_service_token_and_the_row_says_so() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let made = app
        .create_service_token(&[
            ("name", "provisioner"),
            ("expires_days", "30"),
            ("scopes", "users.read"),
            ("scopes", "users.manage"),
        ])
        .await;
    let secret = first_attr(&html(made).await, "#new-token", "value").unwrap();
    assert!(secret.starts_with("gh_svc_"));

    let created = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&secret),
            Some(json!({
                "username": "newhire",
                "email": "newhire@example.com",
                "full_name": "New Hire",
                "password": "a-long-enough-passphrase-2026",
                "status": "active",
                "role": "Engineer"
            })),
        )
        .await;

    assert_eq!(created.status(), StatusCode::CREATED);
    let user = body(created).await;
    assert_eq!(user["status"], "active");
    assert_eq!(user["role"], "Engineer");
    let rows = app.audit_rows(AuditAction::UserCreated).await;
    let row = &rows.last().unwrap().content;
    assert_eq!(row.target_label.as_deref(), Some("newhire"));
    assert!(
        row.user_agent
            .as_deref()
            .unwrap()
            .starts_with("API, service token provisioner"),
        "{:?}",
        row.user_agent
    );
    let taken = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&secret),
            Some(json!({
                "username": "newhire",
                "email": "other@example.com",
                "full_name": "Again",
                "password": "a-long-enough-passphrase-2026"
            })),
        )
        .await;
    assert_eq!(
        error_of(taken).await,
        (StatusCode::CONFLICT, "conflict".into())
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_redirect_to(&app.revoke_service_token(id).await, "/admin/tokens");
    let after = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_stops_working_when_its_owner_is_disabled_loses_a_scope_or_it_expires() {
    let app = spawn_app().await;
    app.create_user("pm1", "PM", UserStatus::Active).await;
    let pm2 = app.create_user("pm2", "PM", UserStatus::Active).await;
    let pm3 = app.create_user("pm3", "PM", UserStatus::Active).await;
    let (t1, t2, t3) = (
        app.token_for("pm1", &["users.read"]).await,
        app.token_for("pm2", &["users.read"]).await,
        app.token_for("pm3", &["users.read"]).await,
    );
    assert_eq!(
        app.api_get("/api/v1/users", &t1).await.status(),
        StatusCode::OK
    );
    app.signed_in_admin().await;

    app.post_form(
        &format!("/admin/users/{}/disable", pm2.id),
        &[("reason", "Left the company.")],
    )
    .await;
    let engineer = app.role_id("Engineer").await.to_string();
    app.post_form(
        &format!("/admin/users/{}/role", pm3.id),
        &[("role_id", engineer.as_str())],
    )
    .await;
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = 'pm1-script'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    for (token, message) in [
        (&t1, "The token has expired."),
        (&t2, "The token's owner is not active."),
        (
            &t3,
            "The token's owner no longer holds users.read, one of its scopes.",
        ),
    ] {
        let refused = app.api_get("/api/v1/users", token).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(body(refused).await["error"]["message"], message);
    }
}

#[tokio::test]
async fn cookies_never_authenticate_the_api_and_tokens_never_authenticate_pages() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let token = app.token_for(&admin.username, &["users.read"]).await;

    let with_cookie = app.get("/api/v1/me").await;
    let page_with_token = new_client()
        .get(app.url("/admin/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(
        error_of(with_cookie).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".into())
    );
    assert_eq!(page_with_token.status(), StatusCode::SEE_OTHER);
    assert!(
        page_with_token.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn bad_requests_get_the_one_error_shape_with_the_right_status() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let all = app
        .token_for(
            &admin.username,
            &["users.read", "users.manage", "users.approve"],
        )
        .await;
    let reader = app.create_user("reader", "PM", UserStatus::Active).await;
    let read_only = app.token_for(&reader.username, &["users.read"]).await;
    let post = |token: &str, raw: &str| {
        let request = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(raw.to_owned());
        async move { request.send().await.unwrap() }
    };

    let cases = [
        (
            post(&all, "{not json").await,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            post(&all, r#"{"username": 5}"#).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post(
                &all,
                &format!(r#"{{"username": "{}"}}"#, "x".repeat(70_000)),
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            post(&read_only, "{}").await,
            StatusCode::FORBIDDEN,
            "missing_scope",
        ),
        (
            app.api_get("/api/v1/nothing-here", &all).await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.api_get("/api/v1/users/999999", &all).await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.api_get("/api/v1/users/abc", &all).await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.api_get("/api/v1/users?limit=0", &all).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            app.api(Method::DELETE, "/api/v1/users", Some(&all), None)
                .await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            app.api(
                Method::PATCH,
                &format!("/api/v1/users/{}", admin.id),
                Some(&all),
                Some(json!({"action": "approve"})),
            )
            .await,
            StatusCode::CONFLICT,
            "not_allowed",
        ),
    ];

    for (response, status, code) in cases {
        let url = response.url().path().to_owned();
        assert_eq!(error_of(response).await, (status, code.to_owned()), "{url}");
    }
    let fields = body(
        app.api(
            Method::POST,
            "/api/v1/users",
            Some(&all),
            Some(json!({"username": "x", "email": "nope", "full_name": "", "password": "short"})),
        )
        .await,
    )
    .await;
    assert_eq!(fields["error"]["code"], "invalid_field");
    for field in ["username", "email", "full_name"] {
        assert!(
            fields["error"]["fields"][field].is_string(),
            "{field}: {fields}"
        );
    }
}

#[tokio::test]
async fn an_administrator_approves_a_pending_user_and_a_role_request_through_the_api() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app
        .token_for(
            &admin.username,
            &[
                "users.read",
                "users.approve",
                "users.manage",
                "role_requests.review",
                "audit.read",
            ],
        )
        .await;
    let pat = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    let (ada, browser) = signed_in(&app, "ada", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();
    browser
        .submit_role_request(&pm, "I plan the releases.")
        .await;
    let request = app.open_role_request(ada.id).await.unwrap();

    let approved = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{}", pat.id),
            Some(&token),
            Some(json!({"action": "approve", "full_name": "Pat Ient"})),
        )
        .await;
    let decided = app
        .api(
            Method::POST,
            &format!("/api/v1/role-requests/{request}/approve"),
            Some(&token),
            Some(json!({"note": "Agreed with the team."})),
        )
        .await;

    assert_eq!(approved.status(), StatusCode::OK);
    let pat_now = body(approved).await;
    assert_eq!(
        (pat_now["status"].as_str(), pat_now["full_name"].as_str()),
        (Some("active"), Some("Pat Ient"))
    );
    assert_eq!(decided.status(), StatusCode::OK);
    assert_eq!(body(decided).await["status"], "approved");
    assert_eq!(app.user_role(ada.id).await, "PM");
    let open = body(
        app.api_get("/api/v1/role-requests?status=open", &token)
            .await,
    )
    .await;
    assert_eq!(open["total"], 0);
    let audit = body(
        app.api_get("/api/v1/audit?action=user.approved", &token)
            .await,
    )
    .await;
    assert_eq!(audit["rows"][0]["target"], "pat");
    assert!(
        audit["rows"][0]["user_agent"]
            .as_str()
            .unwrap()
            .starts_with("API, ")
    );
}

#[tokio::test]
async fn the_user_list_pages_by_cursor_with_the_lists_filters() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token_for(&admin.username, &["users.read"]).await;
    for name in ["user1", "user2", "user3", "user4"] {
        app.create_user(name, "Engineer", UserStatus::Active).await;
    }
    app.create_user("pend1", "Engineer", UserStatus::Pending)
        .await;

    let mut seen = Vec::new();
    let mut path = "/api/v1/users?status=active&role=engineer&limit=2".to_owned();
    loop {
        let page = body(app.api_get(&path, &token).await).await;
        for user in page["users"].as_array().unwrap() {
            seen.push(user["username"].as_str().unwrap().to_owned());
        }
        match page["next"].as_i64() {
            Some(next) => {
                path = format!("/api/v1/users?status=active&role=engineer&limit=2&after={next}")
            }
            None => break,
        }
    }

    assert_eq!(seen, ["user1", "user2", "user3", "user4"]);
    let found = body(app.api_get("/api/v1/users?q=PEND1", &token).await).await;
    assert_eq!(found["users"][0]["username"], "pend1");
}

#[tokio::test]
async fn too_many_requests_with_bad_tokens_from_one_address_get_429() {
    let app = spawn_app_with(|s| s.api_failures_per_ip_per_minute = 3).await;
    let bad = format!("gh_pat_{}", "A".repeat(43));

    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.api_get("/api/v1/me", &bad).await.status());
    }

    assert_eq!(&statuses[..3], [StatusCode::UNAUTHORIZED; 3]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_names_every_api_route() {
    let app = spawn_app().await;

    let document = body(app.get("/api/v1/openapi.json").await).await;

    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for (method, route) in gatehouse::routes::ROUTES {
        if route.starts_with("/api/v1/") && *route != "/api/v1/openapi.json" {
            assert!(
                paths.get(*route).and_then(|p| p.get(*method)).is_some(),
                "{method} {route} is missing from the document"
            );
        }
    }
}

#[tokio::test]
async fn the_command_line_prints_a_token_once_and_refuses_a_scope_the_user_lacks() {
    let app = spawn_app().await;
    app.create_user("pm_user", "PM", UserStatus::Active).await;
    let run = |scopes: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args([
                "token", "create", "--user", "pm_user", "--name", "ci", "--scopes", scopes,
            ])
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .output()
            .expect("the command runs")
    };

    let made = run("users.read");
    let refused = run("users.manage");

    assert!(made.status.success(), "{made:?}");
    let secret = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("gh_pat_"));
    assert_eq!(
        app.api_get("/api/v1/me", &secret).await.status(),
        StatusCode::OK
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("You do not hold users.manage"));
}

#[tokio::test]
async fn the_api_sets_a_users_groups_and_custom_fields_checking_every_name_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app
        .token_for(
            &admin.username,
            &["users.read", "users.manage", "groups.manage"],
        )
        .await;
    app.create_field("department", "choice", "Sales\nOps", (false, false, true))
        .await;
    app.create_group("Ops").await;
    app.create_group("Sales team").await;
    let ada = app.create_user("ada", "Engineer", UserStatus::Active).await;
    let path = format!("/api/v1/users/{}", ada.id);
    let patch = |change: Value| app.api(Method::PATCH, &path, Some(&token), Some(change));

    let set =
        patch(json!({"groups": ["ops", "Sales team"], "fields": {"department": "Ops"}})).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(body(set).await["fields"], json!({"department": "Ops"}));
    let unknown = patch(json!({"groups": ["Ops", "Nope"]})).await;
    let bad_choice = patch(json!({"fields": {"department": "Mars"}})).await;
    let narrowed = patch(json!({"groups": ["Sales team"]})).await;

    assert_eq!(
        error_of(unknown).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field".into())
    );
    let bad_choice = body(bad_choice).await;
    assert!(
        bad_choice["error"]["fields"]
            .as_object()
            .unwrap()
            .values()
            .any(|m| m.as_str().unwrap().contains("Sales, Ops")),
        "{bad_choice}"
    );
    assert_eq!(narrowed.status(), StatusCode::OK);
    let groups = body(app.api_get("/api/v1/groups", &token).await).await;
    let members: Vec<(String, u64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["members"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [("Ops".to_owned(), 0), ("Sales team".to_owned(), 1)]
    );
    assert_eq!(
        app.audit_rows(AuditAction::GroupMemberRemoved).await.len(),
        1
    );
    assert_eq!(app.metadata_of(ada.id).await, r#"{"department":"Ops"}"#);
}
