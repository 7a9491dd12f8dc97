//! Organisations are isolated, proven route by route: an administrator of
//! organisation `alpha` holding every permission its roles can grant, and
//! the instance's own administrator (who holds an account only in the
//! default organisation), use ids that belong to organisation `beta` on
//! every route that takes one. Every answer is 404, 403 (the instance
//! routes alpha's administrator may not use) or the form's own refusal,
//! and beta's rows are the same afterwards. Lists, searches, counts, the
//! audit log and its CSV never show beta's rows.

use gatehouse::domain::{OrgId, UserStatus};
use gatehouse::routes::ROUTES;
use reqwest::StatusCode;

use crate::helpers::*;

/// Two organisations and the ids of beta's rows.
struct TwoOrganisations {
    app: TestApp,
    beta: OrgId,
    alpha_admin_id: gatehouse::domain::UserId,
    /// Active, holding alpha's Admin role (every permission but
    /// `organisations.manage`).
    alpha_admin: TestApp,
    /// The default organisation's admin: `organisations.manage` and every
    /// other permission, but no account in beta.
    instance_admin: TestApp,
    beta_pending: i64,
    beta_staff: i64,
    beta_request: i64,
    beta_role: i64,
    beta_session: String,
    /// Grants beta's PM; beta_staff is a member.
    beta_group: i64,
    /// A choice field of beta's; beta_staff holds "Ops".
    beta_field: i64,
    /// An app of beta's, open to its Engineers.
    beta_app: i64,
    /// A service token of beta's admin.
    beta_token: i64,
    /// API tokens with every scope: alpha's admin's and the instance
    /// administrator's.
    alpha_token: String,
    instance_token: String,
}

async fn two_organisations() -> TwoOrganisations {
    let app = spawn_app().await;
    let instance_admin = app.another_browser();
    let root = app.admin().await;
    instance_admin.login_as(&root).await;
    let alpha = app.create_org("alpha", "Alpha").await;
    let beta = app.create_org("beta", "Beta").await;
    let alpha_admin_user = app
        .create_user_in(alpha, "alpha_admin", "Admin", UserStatus::Active)
        .await;
    let alpha_admin = app.another_browser();
    alpha_admin.login_as_at("alpha", &alpha_admin_user).await;
    app.create_user_in(beta, "beta_admin", "Admin", UserStatus::Active)
        .await;
    let beta_pending = app
        .create_user_in(beta, "beta_pending", "Engineer", UserStatus::Pending)
        .await;
    let beta_staff = app
        .create_user_in(beta, "beta_staff", "Engineer", UserStatus::Active)
        .await;
    let beta_browser = app.another_browser();
    beta_browser.login_as_at("beta", &beta_staff).await;
    let beta_role = beta_role_id(&app, beta, "PM").await;
    let response = beta_browser
        .submit_role_request_with(&[
            ("role_id", &beta_role.to_string()),
            ("justification", "Beta's roadmap needs the user list."),
        ])
        .await;
    assert_redirect_to(&response, "/");
    let beta_request = app
        .open_role_request(beta_staff.id)
        .await
        .expect("beta's request");
    // Raw: a session's public id, which no page lists to anyone but its user.
    let beta_session: String =
        sqlx::query_scalar("SELECT public_id FROM sessions WHERE user_id = $1 LIMIT 1")
            .bind(beta_staff.id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let beta_group = {
        let scope = gatehouse::db::Scope::organisation(beta);
        let mut conn = app.db.pool.acquire().await.unwrap();
        let now = gatehouse::domain::Timestamp::now();
        let group = gatehouse::db::groups::insert(scope.on(&mut conn), "Beta ops", "", now)
            .await
            .unwrap();
        let pm = gatehouse::domain::RoleId(beta_role);
        gatehouse::db::groups::set_roles(scope.on(&mut conn), group, &[pm])
            .await
            .unwrap();
        gatehouse::db::groups::add_member(scope.on(&mut conn), group, beta_staff.id, now)
            .await
            .unwrap();
        group.0
    };
    let beta_field = {
        let scope = gatehouse::db::Scope::organisation(beta);
        let mut conn = app.db.pool.acquire().await.unwrap();
        let field = gatehouse::domain::FieldDefinition {
            id: gatehouse::domain::FieldId(0),
            key: gatehouse::domain::FieldKey::parse("team").unwrap(),
            label: "Team".into(),
            kind: gatehouse::domain::FieldKind::Choice,
            choices: vec!["Sales".into(), "Ops".into()],
            required: false,
            at_registration: false,
            user_editable: true,
        };
        let now = gatehouse::domain::Timestamp::now();
        let id = gatehouse::db::custom_fields::insert(scope.on(&mut conn), &field, now)
            .await
            .unwrap();
        let values = gatehouse::domain::Metadata::from_json(r#"{"team":"Ops"}"#).unwrap();
        gatehouse::db::custom_fields::set_metadata(
            scope.on(&mut conn),
            beta_staff.id,
            &values,
            now,
        )
        .await
        .unwrap();
        id.0
    };
    let beta_app = {
        let app_form = gatehouse::services::apps::AppByNames {
            slug: "beta-wiki".into(),
            name: "Beta wiki".into(),
            url: "https://wiki.beta.example/".into(),
            hosts: vec!["wiki.beta.example".into()],
            roles: vec!["Engineer".into()],
            ..Default::default()
        };
        let scope = gatehouse::db::Scope::organisation(beta);
        gatehouse::services::apps::create_from_command_line(&app.db, scope, &app_form)
            .await
            .unwrap()
            .id
            .0
    };
    let token = |org: OrgId, username: &'static str| {
        let db = app.db.clone();
        async move {
            let form = gatehouse::services::tokens::TokenForm {
                name: format!("{username} script"),
                expires_days: String::new(),
                scopes: gatehouse::domain::Permission::ALL
                    .iter()
                    .filter(|p| {
                        !p.instance_only() || org == gatehouse::domain::DEFAULT_ORGANISATION
                    })
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            };
            let scope = gatehouse::db::Scope::organisation(org);
            gatehouse::services::tokens::create_from_command_line(&db, scope, username, &form)
                .await
                .unwrap()
        }
    };
    let beta_token = token(beta, "beta_admin").await.token.id.0;
    let alpha_token = token(alpha, "alpha_admin").await.secret;
    let admin_name = root.username.clone();
    let instance_token = {
        let form = gatehouse::services::tokens::TokenForm {
            name: "instance script".into(),
            expires_days: String::new(),
            scopes: vec![
                "users.read".into(),
                "users.manage".into(),
                "users.approve".into(),
                "role_requests.review".into(),
            ],
        };
        let scope = gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION);
        gatehouse::services::tokens::create_from_command_line(&app.db, scope, &admin_name, &form)
            .await
            .unwrap()
            .secret
    };
    TwoOrganisations {
        beta_app,
        beta_token,
        alpha_token,
        instance_token,
        beta_field,
        beta_group,
        app,
        beta,
        alpha_admin_id: alpha_admin_user.id,
        alpha_admin,
        instance_admin,
        beta_pending: beta_pending.id.0,
        beta_staff: beta_staff.id.0,
        beta_request,
        beta_role,
        beta_session,
    }
}

async fn beta_role_id(app: &TestApp, beta: OrgId, name: &str) -> i64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    gatehouse::db::roles::find_by_name(gatehouse::db::Scope::organisation(beta).on(&mut conn), name)
        .await
        .unwrap()
        .expect("beta's role")
        .0
}

impl TwoOrganisations {
    /// The route with beta's id where it takes one.
    fn beta_path(&self, route: &str) -> String {
        let id = if route.starts_with("/admin/users/{id}/approve")
            || route.starts_with("/admin/users/{id}/reject")
        {
            self.beta_pending.to_string()
        } else if route.starts_with("/admin/users/") {
            self.beta_staff.to_string()
        } else if route.starts_with("/admin/roles/") {
            self.beta_role.to_string()
        } else if route.starts_with("/account/sessions/") {
            self.beta_session.clone()
        } else if route.starts_with("/admin/organisations/") {
            self.beta.to_string()
        } else if route.starts_with("/admin/groups/") {
            self.beta_group.to_string()
        } else if route.starts_with("/admin/fields/") {
            self.beta_field.to_string()
        } else if route.starts_with("/admin/apps/") {
            self.beta_app.to_string()
        } else if route.contains("/tokens/") {
            self.beta_token.to_string()
        } else if route.starts_with("/api/v1/users/") {
            self.beta_pending.to_string()
        } else {
            self.beta_request.to_string()
        };
        route.replace("{id}", &id)
    }

    /// Fields that would change something if the id were the visitor's own.
    fn fields(&self, route: &str) -> Vec<(&'static str, String)> {
        let role = self.beta_role.to_string();
        match route {
            "/admin/users/{id}/approve" | "/admin/users/{id}/role" => vec![("role_id", role)],
            "/admin/users/{id}/reject"
            | "/admin/users/{id}/disable"
            | "/admin/users/{id}/delete" => {
                vec![("reason", "Crossing organisations.".into())]
            }
            "/admin/roles/{id}" => vec![("permissions", "users.read".into())],
            "/admin/users/{id}/profile" => {
                vec![("full_name", "Crossing Organisations".into())]
            }
            "/admin/fields/{id}" => vec![("label", "Crossed"), ("choices", "Sales")]
                .into_iter()
                .map(|(k, v)| (k, v.to_owned()))
                .collect(),
            "/admin/users/{id}/groups" => vec![("group_id", self.beta_group.to_string())],
            "/admin/groups/{id}" => vec![("roles", role)],
            "/admin/groups/{id}/members" => vec![("username", "beta_pending".into())],
            "/admin/groups/{id}/members/remove" => {
                vec![("user_id", self.beta_staff.to_string())]
            }
            "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
                vec![("note", "Crossing organisations.".into())]
            }
            _ => vec![],
        }
    }

    /// Every row of beta's, as stored.
    async fn beta_rows(&self) -> Vec<String> {
        let pool = &self.app.db.pool;
        let beta = self.beta.0;
        let mut rows = Vec::new();
        // Raw: every stored column that an action could change, across tables; no db read returns them all.
        let users: Vec<(i64, String, i64, String, i64, String)> = sqlx::query_as(
            "SELECT id, status, role_id, password_hash, updated_at, metadata FROM users \
             WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(users.into_iter().map(|u| format!("user {u:?}")));
        let requests: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, status FROM role_requests WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(requests.into_iter().map(|r| format!("request {r:?}")));
        let grants: Vec<(i64, String)> = sqlx::query_as(
            "SELECT rp.role_id, rp.permission FROM role_permissions rp \
             JOIN roles r ON r.id = rp.role_id WHERE r.organisation_id = $1 \
             ORDER BY rp.role_id, rp.permission",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(grants.into_iter().map(|g| format!("grant {g:?}")));
        let groups: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT g.id, g.description, \
             (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id), \
             (SELECT COUNT(*) FROM group_roles r WHERE r.group_id = g.id) \
             FROM user_groups g WHERE g.organisation_id = $1 ORDER BY g.id",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(groups.into_iter().map(|g| format!("group {g:?}")));
        let fields: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, label, choices FROM custom_fields WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(fields.into_iter().map(|f| format!("field {f:?}")));
        let sessions: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE organisation_id = $1")
                .bind(beta)
                .fetch_one(pool)
                .await
                .unwrap();
        rows.push(format!("{sessions} sessions"));
        let audit: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE organisation_id = $1")
                .bind(beta)
                .fetch_one(pool)
                .await
                .unwrap();
        rows.push(format!("{audit} audit rows"));
        let org: (String, String) =
            sqlx::query_as("SELECT name, status FROM organisations WHERE id = $1")
                .bind(beta)
                .fetch_one(pool)
                .await
                .unwrap();
        let apps: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, url FROM apps WHERE organisation_id = $1 ORDER BY id")
                .bind(beta)
                .fetch_all(pool)
                .await
                .unwrap();
        rows.push(format!("apps {apps:?}"));
        let tokens: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, revoked_at FROM api_tokens WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(beta)
        .fetch_all(pool)
        .await
        .unwrap();
        rows.push(format!("tokens {tokens:?}"));
        rows.push(format!("organisation {org:?}"));
        rows
    }
}

/// Sends every route that takes an id, with beta's, as `visitor`; returns
/// what went wrong. `instance_routes` is the status the
/// `/admin/organisations/{id}` routes must answer, or `None` to skip them
/// (the instance administrator may use them, by design).
async fn cross_every_route(
    orgs: &TwoOrganisations,
    visitor: &TestApp,
    token: &str,
    label: &str,
    instance_routes: Option<StatusCode>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let before = orgs.beta_rows().await;
    for &(method, route) in ROUTES.iter().filter(|(_, r)| r.contains("{id}")) {
        let instance_route = route.starts_with("/admin/organisations/");
        if instance_route && instance_routes.is_none() {
            continue;
        }
        let path = orgs.beta_path(route);
        let fields = orgs.fields(route);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // The API with the visitor's token (with every scope they hold),
        // and a body that would approve, rename or decide.
        let response = match (route.starts_with("/api/"), method) {
            (true, "get") => visitor.api_get(&path, token).await,
            (true, "patch") => {
                let change = serde_json::json!({"action": "approve", "full_name": "Taken Over"});
                visitor
                    .api(reqwest::Method::PATCH, &path, Some(token), Some(change))
                    .await
            }
            (true, _) => {
                let note = serde_json::json!({"note": "Decided from elsewhere."});
                visitor
                    .api(reqwest::Method::POST, &path, Some(token), Some(note))
                    .await
            }
            (false, "get") => visitor.get(&path).await,
            (false, _) => visitor.post_form(&path, &fields).await,
        };
        let status = response.status();
        let wanted = match instance_route {
            true => instance_routes.unwrap_or(StatusCode::NOT_FOUND),
            false => StatusCode::NOT_FOUND,
        };
        let refused_by_form = status == StatusCode::SEE_OTHER && {
            // The form's own answer: back to a page of the visitor's own,
            // with a message that is not a success.
            let page = visitor.follow(response).await;
            let success = texts(&page, ".flash-success");
            success.is_empty()
        };
        if status != wanted && !refused_by_form {
            failures.push(format!(
                "{} {path} as {label}: expected {wanted} or the form's refusal, got {status}",
                method.to_uppercase()
            ));
        }
    }
    let after = orgs.beta_rows().await;
    if after != before {
        failures.push(format!(
            "{label} changed beta's rows:\nbefore {before:?}\nafter  {after:?}"
        ));
    }
    failures
}

#[tokio::test]
async fn an_administrator_of_one_organisation_gets_404_for_every_id_of_another_and_changes_nothing()
{
    let orgs = two_organisations().await;

    let failures = cross_every_route(
        &orgs,
        &orgs.alpha_admin,
        &orgs.alpha_token,
        "alpha's admin",
        Some(StatusCode::FORBIDDEN),
    )
    .await;

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_instance_administrator_does_not_see_inside_an_organisation_without_an_account_there() {
    let orgs = two_organisations().await;

    let failures = cross_every_route(
        &orgs,
        &orgs.instance_admin,
        &orgs.instance_token,
        "the instance admin",
        None,
    )
    .await;

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ids_of_another_organisation_in_a_form_field_change_nothing() {
    let orgs = two_organisations().await;
    let alpha = orgs.alpha_admin_id;
    let before = orgs.beta_rows().await;
    let beta_role = orgs.beta_role.to_string();
    let beta_ids = format!("{},{}", orgs.beta_pending, orgs.beta_staff);

    let bulk = orgs
        .alpha_admin
        .post_form(
            "/admin/users/bulk",
            &[("action", "approve"), ("ids", &beta_ids)],
        )
        .await;
    let alpha_joins_beta_group = orgs
        .alpha_admin
        .post_form(
            &format!("/admin/users/{alpha}/groups"),
            &[("group_id", &orgs.beta_group.to_string())],
        )
        .await;
    let role_request = orgs
        .alpha_admin
        .submit_role_request_with(&[
            ("role_id", &beta_role),
            ("justification", "Asking for another organisation's role."),
        ])
        .await;

    assert!(!bulk.status().is_server_error(), "bulk: {}", bulk.status());
    assert!(
        !role_request.status().is_server_error(),
        "role request: {}",
        role_request.status()
    );
    assert_eq!(alpha_joins_beta_group.status(), StatusCode::NOT_FOUND);
    assert_eq!(orgs.app.open_role_request(alpha).await, None);
    assert_eq!(orgs.beta_rows().await, before);
}

#[tokio::test]
async fn lists_searches_counts_and_the_audit_log_show_only_the_organisations_own_rows() {
    let orgs = two_organisations().await;
    let beta_names = [
        "beta_admin",
        "beta_pending",
        "beta_staff",
        "Beta ops",
        "Team",
    ];
    let beta_role = orgs.beta_role.to_string();

    for path in [
        "/admin/users".to_owned(),
        "/admin/users?q=beta".to_owned(),
        "/admin/users?status=pending".to_owned(),
        format!("/admin/users?role={beta_role}"),
        "/admin/role-requests".to_owned(),
        "/admin/roles".to_owned(),
        "/admin/groups".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/audit.csv".to_owned(),
        "/admin/users.csv".to_owned(),
        "/admin/users.csv?q=beta".to_owned(),
        "/admin/users.csv?field_team=Ops".to_owned(),
        "/admin/fields".to_owned(),
    ] {
        let response = orgs.alpha_admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let body = response.text().await.unwrap();
        for name in beta_names {
            assert!(!body.contains(name), "GET {path} shows {name}");
        }
        assert!(
            !body.contains(&format!("/admin/roles/{beta_role}\"")),
            "GET {path} shows beta's role"
        );
    }
    // A filter echoes what it was given; the rows are what must be empty.
    let beta_actions = orgs
        .alpha_admin
        .get_html("/admin/audit?actor=beta_staff")
        .await;
    assert!(texts(&beta_actions, "main tbody tr").is_empty());
    let users = orgs.alpha_admin.admin_users("").await;
    assert_eq!(listed(&users), ["alpha_admin"]);
    let pending = orgs.alpha_admin.admin_users("status=pending").await;
    assert!(listed(&pending).is_empty());
    // The navigation's badges count alpha's queue only: beta has a pending
    // user and an open request.
    let home = orgs.alpha_admin.get_html("/").await;
    assert!(
        texts(&home, ".nav-badge").is_empty(),
        "{:?}",
        texts(&home, ".nav-badge")
    );
}
