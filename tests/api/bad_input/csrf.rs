//! CSRF: a wrong, missing or duplicated token on any POST route gets 403 and
//! changes nothing, and a browser without the cookie cannot sign in.

use super::*;

/// The token of the invitation the `/invitations/accept` case makes.
const INVITE_TOKEN: &str = "csrf-test-invitation-token-of-43-characters";

/// The token of the reset link the `/password/reset` case makes.
const RESET_TOKEN: &str = "csrf-test-reset-token-of-forty-three-chars-";

/// A concrete path and fields that succeed for `pattern` with a valid token.
fn request_for(scene: &Scene, pattern: &str) -> (String, Vec<(String, String)>) {
    let id = |n: i64| pattern.replace("{id}", &n.to_string());
    let fields: &[(&str, String)] = match pattern {
        "/login" | "/o/{slug}/login" => &[
            ("login", scene.admin.username.clone()),
            ("password", PASSWORD.into()),
            ("organisation", "default".into()),
        ],
        "/logout" => &[],
        "/account/email" => &[("email", "admin-moved@example.com".into())],
        "/admin/invitations" => &[
            ("addresses", "csrf-invitee@example.com".into()),
            ("role_id", scene.engineer.to_string()),
        ],
        "/password/forgot" | "/o/{slug}/password/forgot" => &[
            ("login", "alice".into()),
            ("organisation", "default".into()),
        ],
        "/invitations/accept" => &[
            ("token", INVITE_TOKEN.into()),
            ("username", "csrf_invitee".into()),
            ("full_name", "Csrf Invitee".into()),
            ("password", PASSWORD.into()),
            ("password_confirm", PASSWORD.into()),
        ],
        "/password/reset" => &[
            ("token", RESET_TOKEN.into()),
            ("new_password", "a-brand-new-passphrase-42".into()),
            ("new_password_confirm", "a-brand-new-passphrase-42".into()),
        ],
        "/register" | "/o/{slug}/register" => &[
            ("organisation", "default".into()),
            ("username", "dave".into()),
            ("email", "dave@example.com".into()),
            ("full_name", "Dave Lister".into()),
            ("password", PASSWORD.into()),
            ("password_confirm", PASSWORD.into()),
        ],
        "/account/profile" | "/admin/users/{id}/profile" => &[
            ("full_name", "Renamed By Csrf".into()),
            ("phone", "+44 20 7946 0958".into()),
        ],
        "/account/password" => &[
            ("current_password", PASSWORD.into()),
            ("new_password", "a-brand-new-passphrase-42".into()),
            ("new_password_confirm", "a-brand-new-passphrase-42".into()),
        ],
        "/account/role-request" => &[
            ("role_id", scene.pm.to_string()),
            ("justification", "I write the automation scripts.".into()),
        ],
        "/admin/users/bulk" => &[
            ("action", "approve".into()),
            ("ids", scene.bob.id.to_string()),
        ],
        "/admin/users/{id}/reject" => &[("reason", "Not a member of staff".into())],
        "/admin/users/{id}/disable" | "/admin/users/{id}/delete" => {
            &[("reason", "Left the company".into())]
        }
        "/admin/users/{id}/role" => &[("role_id", scene.pm.to_string())],
        "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
            &[("note", "Discussed with the team".into())]
        }
        "/admin/roles" => &[
            ("name", "Help desk".into()),
            ("permissions", "users.read".into()),
        ],
        "/admin/roles/{id}" => &[("permissions", "users.read".into())],
        "/admin/organisations" => &[("slug", "csrf-org".into()), ("name", "CSRF Org".into())],
        "/admin/users/{id}/groups" => &[("group_id", scene.group.to_string())],
        "/admin/groups" => &[("name", "CSRF group".into())],
        "/admin/groups/{id}" => &[("roles", scene.pm.to_string())],
        "/admin/groups/{id}/members" => &[("username", "alice".into())],
        "/admin/groups/{id}/members/remove" => &[("user_id", scene.alice.id.to_string())],
        "/admin/organisations/{id}" => &[("name", "Acme Renamed".into())],
        "/admin/fields" => &[
            ("key", "badge".into()),
            ("label", "Badge".into()),
            ("kind", "text".into()),
        ],
        "/admin/fields/{id}" => &[("label", "Squad".into()), ("choices", "Sales\nOps".into())],
        "/account/tokens" | "/admin/tokens" => &[("name", "csrf script".into())],
        "/admin/apps/{id}/oidc" => &[
            ("kind", "confidential".into()),
            ("redirect_uris", "https://tool.example.com/callback".into()),
            ("id_token_alg", "RS256".into()),
        ],
        "/admin/apps" | "/admin/apps/{id}" => &[
            ("name", "Wiki".into()),
            ("slug", "wiki".into()),
            ("url", "https://wiki.example.com/".into()),
            ("hosts", "wiki.example.com".into()),
        ],
        "/admin/organisations/{id}/admins" => &[
            ("username", "acme_admin".into()),
            ("email", "acme_admin@example.com".into()),
            ("full_name", "Acme Admin".into()),
            ("password", PASSWORD.into()),
            ("password_confirm", PASSWORD.into()),
        ],
        _ => &[],
    };
    let path = match pattern {
        "/account/role-request/{id}/withdraw" => id(scene.alice_request),
        "/admin/users/{id}/approve" | "/admin/users/{id}/reject" => id(scene.bob.id.0),
        "/admin/users/{id}/disable" | "/admin/users/{id}/role" => id(scene.alice.id.0),
        "/admin/users/{id}/enable" => id(scene.carol.id.0),
        "/admin/users/{id}/delete" | "/admin/users/{id}/profile" => id(scene.alice.id.0),
        // Deleted by the test first, so the valid POST has something to do.
        "/admin/users/{id}/restore" => id(scene.carol.id.0),
        "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
            id(scene.alice_request)
        }
        "/admin/roles/{id}" => id(scene.engineer),
        "/admin/users/{id}/sessions/revoke" => id(scene.alice.id.0),
        "/o/{slug}/login" | "/o/{slug}/register" | "/o/{slug}/password/forgot" => {
            pattern.replace("{slug}", "default")
        }
        "/admin/users/{id}/password-reset" | "/admin/users/{id}/require-password-change" => {
            id(scene.alice.id.0)
        }
        "/notifications/{id}/read" => id(1),
        // Made by the test first, so the valid POST has something to do.
        "/admin/invitations/{id}/resend" | "/admin/invitations/{id}/revoke" => {
            pattern.replace("{id}", "{invited}")
        }
        "/admin/organisations/{id}"
        | "/admin/organisations/{id}/disable"
        | "/admin/organisations/{id}/admins" => id(scene.acme),
        "/admin/organisations/{id}/enable" => id(scene.dormant),
        "/admin/users/{id}/groups" => id(scene.alice.id.0),
        "/admin/groups/{id}"
        | "/admin/groups/{id}/delete"
        | "/admin/groups/{id}/members"
        | "/admin/groups/{id}/members/remove" => id(scene.group),
        "/admin/fields/{id}" | "/admin/fields/{id}/delete" => id(scene.field),
        "/admin/apps/{id}"
        | "/admin/apps/{id}/delete"
        | "/admin/apps/{id}/oidc"
        | "/admin/apps/{id}/oidc/secret"
        | "/admin/apps/{id}/oidc/delete" => id(scene.tool),
        "/account/apps/{grant}/revoke" => {
            pattern.replace("{grant}", &scene.alice_grant.to_string())
        }
        "/admin/users/{id}/apps/{grant}/revoke" => {
            id(scene.alice.id.0).replace("{grant}", &scene.alice_grant.to_string())
        }
        "/account/tokens/{id}/revoke" => id(scene.alice_token),
        "/admin/tokens/{id}/revoke" => id(scene.service_token),
        // Locked by the test first, so the valid POST has something to do.
        "/admin/users/{id}/unlock" => id(scene.alice.id.0),
        // Filled in by `with_session` once the admin's sessions exist.
        "/account/sessions/{id}/revoke" => "/account/sessions/{session}/revoke".to_owned(),
        "/account/sessions/revoke-others" => pattern.to_owned(),
        "/login"
        | "/notifications/read-all"
        | "/account/notifications"
        | "/admin/invitations"
        | "/invitations/accept"
        | "/account/email"
        | "/email/verify/resend"
        | "/admin/settings"
        | "/password/forgot"
        | "/password/reset"
        | "/logout"
        | "/register"
        | "/account/password"
        | "/account/profile"
        | "/account/role-request"
        | "/admin/users/bulk"
        | "/admin/roles"
        | "/admin/organisations"
        | "/admin/fields"
        | "/admin/apps"
        | "/account/tokens"
        | "/admin/tokens"
        | "/admin/groups" => pattern.to_owned(),
        other => panic!("no request for the POST route {other}: add it to this test"),
    };
    let fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    (path, fields)
}

/// An open invitation (raw: an Invited account, its invitation and a live
/// link whose token the test knows); returns the account's id.
async fn invite(scene: &Scene) -> i64 {
    let pool = &scene.app.db.pool;
    let now = gatehouse::domain::Timestamp::now().0;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (organisation_id, username, username_key, email, email_key, \
         full_name, full_name_key, password_hash, status, role_id, created_at, updated_at, \
         status_changed_at, search_key) \
         SELECT 1, 'invited-csrf', 'invited-csrf', 'invitee@example.com', 'invitee@example.com', \
         'Invitee', 'invitee', '!', 'invited', id, $1, $1, $1, 'invitee' FROM roles \
         WHERE organisation_id = 1 AND name = 'Engineer' RETURNING id",
    )
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO invitations (user_id, organisation_id, invited_by, username_chosen, \
         created_at, last_sent_at) VALUES ($1, 1, NULL, 0, $2, $2)",
    )
    .bind(id)
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO one_time_links (token_hash, organisation_id, user_id, purpose, email, \
         created_at, expires_at) VALUES ($1, 1, $2, 'invitation', 'invitee@example.com', $3, $4)",
    )
    .bind(gatehouse::auth::token::hash(INVITE_TOKEN))
    .bind(id)
    .bind(now)
    .bind(now + 600_000)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// Puts the public id of the admin's oldest session (the scene's own
/// browser, not the one posting) where `path` says `{session}`.
async fn with_session(scene: &Scene, path: &str) -> String {
    if !path.contains("{session}") {
        return path.to_owned();
    }
    // Raw: the oldest session by created_at; sessions::list_for_user orders by last use.
    let id: String = sqlx::query_scalar(
        "SELECT public_id FROM sessions WHERE user_id = $1 ORDER BY created_at, public_id LIMIT 1",
    )
    .bind(scene.admin.id.0)
    .fetch_one(&scene.app.db.pool)
    .await
    .unwrap();
    path.replace("{session}", &id)
}

/// The browser that may use `pattern`: alice for her own request, else the admin.
async fn browser_for(scene: &Scene, pattern: &str) -> TestApp {
    if pattern.starts_with("/account/tokens") || pattern.starts_with("/account/apps") {
        scene.alice_browser().await
    } else if pattern.starts_with("/account/role-request") {
        let browser = scene.alice_browser().await;
        if pattern == "/account/role-request" {
            let response = browser.withdraw_role_request(scene.alice_request).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
        browser
    } else {
        {
            let browser = scene.app.another_browser();
            browser.login_as(&scene.admin).await;
            browser
        }
    }
}

async fn assert_csrf_refused(
    scene: &Scene,
    browser: &TestApp,
    path: &str,
    fields: &[(String, String)],
    variant: &str,
    token: Option<Vec<&str>>,
) {
    let before = snapshot(&scene.app).await;
    let mut body: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for t in token.unwrap_or_default() {
        body.push(("csrf_token", t));
    }

    let (status, html) = answer(browser.post_raw(path, &body).await).await;

    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{variant} token on POST {path}"
    );
    let page = Html::parse_document(&html);
    assert_eq!(
        texts(&page, "main h1"),
        ["Form expired"],
        "{variant} token on POST {path}"
    );
    assert_eq!(
        snapshot(&scene.app).await,
        before,
        "{variant} token on POST {path} changed something"
    );
}

#[tokio::test]
async fn a_wrong_missing_or_duplicated_csrf_token_on_any_post_route_gets_403_and_changes_nothing() {
    for (method, pattern) in gatehouse::routes::ROUTES {
        // The API takes no cookies, so it needs no CSRF token: a cookie
        // never authenticates it (tests/api/tokens.rs).
        if *method != "post" || pattern.starts_with("/api/") {
            continue;
        }
        // The OpenID Connect endpoints are posted to by other sites by
        // design (an app's server, or a form on its page): the client, its
        // token or an id_token_hint authenticates them, and another site's
        // POST does not carry the (SameSite=Lax) session cookie.
        if pattern.starts_with("/oauth/") {
            continue;
        }
        let scene = Scene::new().await;
        if *pattern == "/admin/users/{id}/unlock" {
            // Raw on purpose: a lockout without five slow failed sign-ins per route.
            sqlx::query(
                "INSERT INTO login_throttle (user_id, failures, first_failure_at, \
                 last_failure_at, locked_until, since_login) VALUES ($1, 5, 0, 0, $2, 5)",
            )
            .bind(scene.alice.id.0)
            .bind(gatehouse::domain::Timestamp::now().0 + 3_600_000)
            .execute(&scene.app.db.pool)
            .await
            .unwrap();
        }
        let path_of_invited =
            if pattern.starts_with("/admin/invitations/") || *pattern == "/invitations/accept" {
                Some(invite(&scene).await)
            } else {
                None
            };
        if *pattern == "/password/reset" {
            // Raw: a live reset link for alice whose token the test knows.
            sqlx::query(
                "INSERT INTO one_time_links (token_hash, organisation_id, user_id, purpose, \
                 created_at, expires_at) VALUES ($1, 1, $2, 'password_reset', $3, $4)",
            )
            .bind(gatehouse::auth::token::hash(RESET_TOKEN))
            .bind(scene.alice.id.0)
            .bind(gatehouse::domain::Timestamp::now().0)
            .bind(gatehouse::domain::Timestamp::now().0 + 600_000)
            .execute(&scene.app.db.pool)
            .await
            .unwrap();
        }
        if *pattern == "/admin/groups/{id}/members/remove" {
            let mut conn = scene.app.db.pool.acquire().await.unwrap();
            gatehouse::db::groups::add_member(
                gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                    .on(&mut conn),
                gatehouse::domain::GroupId(scene.group),
                scene.alice.id,
                gatehouse::domain::Timestamp::now(),
            )
            .await
            .unwrap();
        }
        if *pattern == "/admin/users/{id}/restore" {
            let mut conn = scene.app.db.pool.acquire().await.unwrap();
            gatehouse::db::deleted_users::soft_delete(
                gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                    .on(&mut conn),
                scene.carol.id,
                "Deleted so that it can be restored",
                gatehouse::domain::Timestamp::now(),
            )
            .await
            .unwrap();
        }
        if matches!(
            *pattern,
            "/admin/apps/{id}/oidc/secret" | "/admin/apps/{id}/oidc/delete"
        ) {
            // Raw: the tool as a client, so replacing its secret or ending it has something to do.
            sqlx::query(
                "INSERT INTO oidc_clients (app_id, organisation_id, client_id, kind, secret_hash, \
                 redirect_uris, scopes, created_at) \
                 VALUES ($1, 1, 'tool-client', 'confidential', 'x', 'https://tool.example.com/cb', 'openid', 0)",
            )
            .bind(scene.tool)
            .execute(&scene.app.db.pool)
            .await
            .unwrap();
        }
        let browser = browser_for(&scene, pattern).await;
        let (path, fields) = request_for(&scene, pattern);
        let path = with_session(&scene, &path).await;
        let path = match path_of_invited {
            Some(id) => path.replace("{invited}", &id.to_string()),
            None => path,
        };
        let own = browser.csrf_token().await;
        let foreign = scene.app.another_browser().csrf_token().await;
        let forged = "0".repeat(64);

        for (variant, token) in [
            ("a missing", None),
            ("an empty", Some(vec![""])),
            ("another browser's", Some(vec![foreign.as_str()])),
            ("a forged", Some(vec![forged.as_str()])),
            ("a truncated", Some(vec![&own[..63]])),
            ("a duplicated", Some(vec![own.as_str(), own.as_str()])),
            (
                "a valid then a wrong",
                Some(vec![own.as_str(), forged.as_str()]),
            ),
        ] {
            assert_csrf_refused(&scene, &browser, &path, &fields, variant, token).await;
        }

        // The same request with the right token does go through (and is audited).
        let audit_before = scene.app.count("audit_log").await;
        let mut body: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.push(("csrf_token", &own));
        let (status, html) = answer(browser.post_raw(&path, &body).await).await;
        // A new token is shown once, on the page that answers its form.
        let shown_once = matches!(
            *pattern,
            "/account/tokens"
                | "/admin/tokens"
                | "/admin/apps/{id}/oidc"
                | "/admin/apps/{id}/oidc/secret"
                // With mail off, the one-time reset link to hand over.
                | "/admin/users/{id}/password-reset"
                // With mail off, the invitation links to hand over.
                | "/admin/invitations"
                | "/admin/invitations/{id}/resend"
        );
        // With mail off, forgot password answers with its page, which says
        // whom to ask instead.
        let expected = match shown_once || pattern.ends_with("/password/forgot") {
            true => StatusCode::OK,
            false => StatusCode::SEE_OTHER,
        };
        assert_eq!(status, expected, "valid POST {path}:\n{html}");
        // Forgot password answers the same whatever happens, and does its
        // work after answering; with mail off it and the verification
        // link's resend have nothing to do: the 403s above prove their
        // token check.
        if pattern.ends_with("/password/forgot") || *pattern == "/email/verify/resend" {
            continue;
        }
        // Marking notices read and choosing what comes by mail are the
        // user's own bookkeeping, not audited: the 403s prove their check.
        if pattern.starts_with("/notifications") || *pattern == "/account/notifications" {
            continue;
        }
        assert!(
            scene.app.count("audit_log").await > audit_before,
            "the valid POST {path} did nothing, so its refusals proved nothing"
        );
        // One app per route: stop each one before the next, or the loop
        // alone holds dozens of servers, their hashing threads' memory
        // (gigabytes) and, on PostgreSQL, their connections.
        scene.app.stop().await;
    }
}

#[tokio::test]
async fn a_browser_without_a_csrf_cookie_cannot_sign_in_or_register() {
    let scene = Scene::new().await;
    let before = snapshot(&scene.app).await;
    let signed_in_token = scene.app.csrf_token().await;

    for pattern in ["/login", "/register"] {
        let (path, fields) = request_for(&scene, pattern);
        let mut body: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        body.push(("csrf_token", &signed_in_token));
        let fresh = new_client();

        let response = fresh
            .post(scene.app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&body))
            .send()
            .await
            .unwrap();

        let (status, _) = answer(response).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}");
        assert_eq!(snapshot(&scene.app).await, before);
    }
}
