//! The access matrix: every route in `gatehouse::routes::ROUTES` × every kind
//! of visitor, asserting who gets through and who is turned away, and that a
//! turned-away POST changed nothing.
//!
//! `EXPECTATIONS` is written out here by hand, independent of the app code:
//! a route added to the route table without an entry here fails the suite.

use gatehouse::db;
use gatehouse::domain::{Timestamp, UserId, UserStatus};
use gatehouse::routes::ROUTES;
use reqwest::StatusCode;

use crate::helpers::*;

/// What a route requires of its visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in Pending or Active user.
    SignedIn,
    /// A signed-in Active user.
    Active,
    /// An Active user whose role grants this permission.
    Permission(&'static str),
    /// The reverse proxy's question (`/auth/verify`): anyone may ask, and
    /// it answers 200, 401 or 403 itself, never with a redirect.
    Proxy,
    /// The JSON API: a bearer token only. A browser's session is nobody
    /// there (401); `api_matrix.rs` covers each route × token scopes.
    Token,
    /// An OpenID Connect endpoint: the client or its token authenticates,
    /// never the session. Asked without one, it answers with its own error
    /// (a 400 page or JSON, 401), or for sign-out the confirmation page or
    /// /login; never the session's gates (403, /pending) nor a 5xx.
    Protocol,
}

use Access::{Active, Permission, Protocol, Proxy, Public, SignedIn, Token};

const USERS_READ: &str = "users.read";
const USERS_APPROVE: &str = "users.approve";
const USERS_MANAGE: &str = "users.manage";
const ROLE_REQUESTS_REVIEW: &str = "role_requests.review";
const ROLES_MANAGE: &str = "roles.manage";
const AUDIT_READ: &str = "audit.read";
const GROUPS_MANAGE: &str = "groups.manage";
const FIELDS_MANAGE: &str = "fields.manage";
const APPS_MANAGE: &str = "apps.manage";
const TOKENS_MANAGE: &str = "tokens.manage";
const MAIL_READ: &str = "mail.read";
const ORGANISATIONS_MANAGE: &str = "organisations.manage";

/// What the default organisation's Admin role grants.
const ALL_PERMISSIONS: &[&str] = &[
    USERS_READ,
    USERS_APPROVE,
    USERS_MANAGE,
    ROLE_REQUESTS_REVIEW,
    ROLES_MANAGE,
    AUDIT_READ,
    GROUPS_MANAGE,
    FIELDS_MANAGE,
    APPS_MANAGE,
    TOKENS_MANAGE,
    MAIL_READ,
    ORGANISATIONS_MANAGE,
];

/// Every route and what it requires, as the README and issue 2 describe them.
const EXPECTATIONS: &[(&str, &str, Access)] = &[
    ("get", "/healthz", Public),
    ("get", "/static/app.css", Public),
    ("get", "/favicon.ico", Public),
    ("get", "/login", Public),
    ("post", "/login", Public),
    ("post", "/logout", SignedIn),
    ("get", "/register", Public),
    ("post", "/register", Public),
    ("get", "/pending", SignedIn),
    ("get", "/password/forgot", Public),
    ("post", "/password/forgot", Public),
    ("get", "/o/{slug}/password/forgot", Public),
    ("post", "/o/{slug}/password/forgot", Public),
    // Without a working link both answer 410 with a page that says so.
    ("get", "/password/reset", Public),
    ("post", "/password/reset", Public),
    (
        "post",
        "/admin/users/{id}/password-reset",
        Permission(USERS_MANAGE),
    ),
    (
        "post",
        "/admin/users/{id}/require-password-change",
        Permission(USERS_MANAGE),
    ),
    ("get", "/admin/outbox", Permission(MAIL_READ)),
    ("get", "/admin/settings", Permission(USERS_MANAGE)),
    ("get", "/admin/invitations", Permission(USERS_MANAGE)),
    ("post", "/admin/invitations", Permission(USERS_MANAGE)),
    (
        "post",
        "/admin/invitations/{id}/resend",
        Permission(USERS_MANAGE),
    ),
    (
        "post",
        "/admin/invitations/{id}/revoke",
        Permission(USERS_MANAGE),
    ),
    // Without a working link both answer 410 with a page that says so.
    ("get", "/invitations/accept", Public),
    ("post", "/invitations/accept", Public),
    ("post", "/admin/settings", Permission(USERS_MANAGE)),
    // Without a working link it answers 410 with a page that says so.
    ("get", "/email/verify", Public),
    ("post", "/email/verify/resend", SignedIn),
    ("post", "/account/email", SignedIn),
    ("get", "/notifications", SignedIn),
    ("post", "/notifications/read-all", SignedIn),
    ("post", "/notifications/{id}/read", SignedIn),
    ("get", "/account/notifications", SignedIn),
    ("post", "/account/notifications", SignedIn),
    ("get", "/auth/verify", Proxy),
    ("get", "/auth/denied", SignedIn),
    ("get", "/account/tokens", Active),
    ("post", "/account/tokens", Active),
    ("post", "/account/tokens/{id}/revoke", Active),
    ("get", "/admin/tokens", Permission(TOKENS_MANAGE)),
    ("post", "/admin/tokens", Permission(TOKENS_MANAGE)),
    (
        "post",
        "/admin/tokens/{id}/revoke",
        Permission(TOKENS_MANAGE),
    ),
    ("get", "/api/v1/openapi.json", Public),
    ("get", "/api/v1/me", Token),
    ("get", "/api/v1/users", Token),
    ("post", "/api/v1/users", Token),
    ("get", "/api/v1/users/{id}", Token),
    ("patch", "/api/v1/users/{id}", Token),
    ("get", "/api/v1/roles", Token),
    ("get", "/api/v1/groups", Token),
    ("get", "/api/v1/apps", Token),
    ("get", "/api/v1/role-requests", Token),
    ("post", "/api/v1/role-requests/{id}/approve", Token),
    ("post", "/api/v1/role-requests/{id}/deny", Token),
    ("get", "/api/v1/audit", Token),
    ("get", "/admin/apps", Permission(APPS_MANAGE)),
    ("post", "/admin/apps", Permission(APPS_MANAGE)),
    ("get", "/admin/apps/{id}", Permission(APPS_MANAGE)),
    ("post", "/admin/apps/{id}", Permission(APPS_MANAGE)),
    ("post", "/admin/apps/{id}/delete", Permission(APPS_MANAGE)),
    ("post", "/admin/apps/{id}/oidc", Permission(APPS_MANAGE)),
    (
        "post",
        "/admin/apps/{id}/oidc/secret",
        Permission(APPS_MANAGE),
    ),
    (
        "post",
        "/admin/apps/{id}/oidc/delete",
        Permission(APPS_MANAGE),
    ),
    ("post", "/account/apps/{grant}/revoke", Active),
    (
        "post",
        "/admin/users/{id}/apps/{grant}/revoke",
        Permission(USERS_MANAGE),
    ),
    ("get", "/", Active),
    ("get", "/account/password", SignedIn),
    ("post", "/account/password", SignedIn),
    ("get", "/account/profile", SignedIn),
    ("post", "/account/profile", SignedIn),
    ("get", "/account/role-request", Active),
    ("post", "/account/role-request", Active),
    ("post", "/account/role-request/{id}/withdraw", Active),
    ("get", "/account/sessions", SignedIn),
    ("post", "/account/sessions/revoke-others", SignedIn),
    ("post", "/account/sessions/{id}/revoke", SignedIn),
    ("get", "/admin/users", Permission(USERS_READ)),
    ("post", "/admin/users/bulk", Permission(USERS_APPROVE)),
    ("get", "/admin/users/{id}", Permission(USERS_READ)),
    (
        "post",
        "/admin/users/{id}/approve",
        Permission(USERS_APPROVE),
    ),
    (
        "post",
        "/admin/users/{id}/reject",
        Permission(USERS_APPROVE),
    ),
    (
        "post",
        "/admin/users/{id}/disable",
        Permission(USERS_MANAGE),
    ),
    ("post", "/admin/users/{id}/enable", Permission(USERS_MANAGE)),
    ("post", "/admin/users/{id}/role", Permission(USERS_MANAGE)),
    (
        "post",
        "/admin/users/{id}/sessions/revoke",
        Permission(USERS_MANAGE),
    ),
    ("post", "/admin/users/{id}/unlock", Permission(USERS_MANAGE)),
    ("post", "/admin/users/{id}/delete", Permission(USERS_MANAGE)),
    (
        "post",
        "/admin/users/{id}/profile",
        Permission(USERS_MANAGE),
    ),
    (
        "post",
        "/admin/users/{id}/restore",
        Permission(USERS_MANAGE),
    ),
    (
        "get",
        "/admin/role-requests",
        Permission(ROLE_REQUESTS_REVIEW),
    ),
    (
        "post",
        "/admin/role-requests/{id}/approve",
        Permission(ROLE_REQUESTS_REVIEW),
    ),
    (
        "post",
        "/admin/role-requests/{id}/deny",
        Permission(ROLE_REQUESTS_REVIEW),
    ),
    ("get", "/admin/roles", Permission(ROLES_MANAGE)),
    ("post", "/admin/roles", Permission(ROLES_MANAGE)),
    ("post", "/admin/roles/{id}", Permission(ROLES_MANAGE)),
    ("get", "/admin/audit", Permission(AUDIT_READ)),
    ("get", "/admin/audit.csv", Permission(AUDIT_READ)),
    ("get", "/admin/users.csv", Permission(USERS_READ)),
    ("get", "/admin/fields", Permission(FIELDS_MANAGE)),
    ("post", "/admin/fields", Permission(FIELDS_MANAGE)),
    ("post", "/admin/fields/{id}", Permission(FIELDS_MANAGE)),
    (
        "post",
        "/admin/fields/{id}/delete",
        Permission(FIELDS_MANAGE),
    ),
    (
        "post",
        "/admin/users/{id}/groups",
        Permission(GROUPS_MANAGE),
    ),
    ("get", "/admin/groups", Permission(GROUPS_MANAGE)),
    ("post", "/admin/groups", Permission(GROUPS_MANAGE)),
    ("get", "/admin/groups/{id}", Permission(GROUPS_MANAGE)),
    ("post", "/admin/groups/{id}", Permission(GROUPS_MANAGE)),
    (
        "post",
        "/admin/groups/{id}/delete",
        Permission(GROUPS_MANAGE),
    ),
    (
        "post",
        "/admin/groups/{id}/members",
        Permission(GROUPS_MANAGE),
    ),
    (
        "post",
        "/admin/groups/{id}/members/remove",
        Permission(GROUPS_MANAGE),
    ),
    ("get", "/.well-known/openid-configuration", Public),
    ("get", "/o/{slug}/.well-known/openid-configuration", Public),
    ("get", "/oauth/jwks", Public),
    ("get", "/oauth/authorize", Protocol),
    ("post", "/oauth/authorize", Protocol),
    ("post", "/oauth/token", Protocol),
    ("get", "/oauth/userinfo", Protocol),
    ("post", "/oauth/userinfo", Protocol),
    ("post", "/oauth/revoke", Protocol),
    ("get", "/oauth/logout", Protocol),
    ("post", "/oauth/logout", Protocol),
    ("get", "/o/{slug}/login", Public),
    ("post", "/o/{slug}/login", Public),
    ("get", "/o/{slug}/register", Public),
    ("post", "/o/{slug}/register", Public),
    (
        "get",
        "/admin/organisations",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "post",
        "/admin/organisations",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "get",
        "/admin/organisations/{id}",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "post",
        "/admin/organisations/{id}",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "post",
        "/admin/organisations/{id}/disable",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "post",
        "/admin/organisations/{id}/enable",
        Permission(ORGANISATIONS_MANAGE),
    ),
    (
        "post",
        "/admin/organisations/{id}/admins",
        Permission(ORGANISATIONS_MANAGE),
    ),
];

/// The state of a visitor's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Anonymous,
    /// Invited and not yet accepted: cannot sign in, so anonymous.
    Invited,
    Pending,
    Rejected,
    Disabled,
    Active,
}

/// One row of the matrix: a kind of visitor.
struct Identity {
    label: &'static str,
    username: &'static str,
    kind: Kind,
    role: &'static str,
    /// What the role grants, written out here rather than read from the app.
    permissions: &'static [&'static str],
}

/// A role created by the test, granting nothing.
const NO_PERMISSIONS_ROLE: &str = "Nobody";

/// Pending, Rejected and Disabled visitors hold the Admin role, so their
/// status alone must keep them out. Admin comes last because its allowed
/// POSTs change the fixture.
const IDENTITIES: &[Identity] = &[
    Identity {
        label: "anonymous",
        username: "",
        kind: Kind::Anonymous,
        role: "",
        permissions: &[],
    },
    Identity {
        label: "Invited",
        username: "invited_admin",
        kind: Kind::Invited,
        role: "Admin",
        permissions: ALL_PERMISSIONS,
    },
    Identity {
        label: "Pending",
        username: "pending_admin",
        kind: Kind::Pending,
        role: "Admin",
        permissions: ALL_PERMISSIONS,
    },
    Identity {
        label: "Rejected",
        username: "rejected_admin",
        kind: Kind::Rejected,
        role: "Admin",
        permissions: ALL_PERMISSIONS,
    },
    Identity {
        label: "Disabled",
        username: "disabled_admin",
        kind: Kind::Disabled,
        role: "Admin",
        permissions: ALL_PERMISSIONS,
    },
    Identity {
        label: "Active without permissions",
        username: "no_permissions",
        kind: Kind::Active,
        role: NO_PERMISSIONS_ROLE,
        permissions: &[],
    },
    Identity {
        label: "Engineer",
        username: "engineer",
        kind: Kind::Active,
        role: "Engineer",
        permissions: &[],
    },
    Identity {
        label: "Automation Manager",
        username: "automation_manager",
        kind: Kind::Active,
        role: "Automation Manager",
        permissions: &[],
    },
    Identity {
        label: "PM",
        username: "pm_user",
        kind: Kind::Active,
        role: "PM",
        permissions: &[USERS_READ],
    },
    Identity {
        label: "Admin",
        username: "admin",
        kind: Kind::Active,
        role: "Admin",
        permissions: ALL_PERMISSIONS,
    },
];

/// What must happen when `who` asks for a route requiring `access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    /// 303 to /login (GET may carry `?next=`).
    ToLogin,
    /// 303 to /pending.
    ToPending,
    /// 403.
    Forbidden,
    /// 303 to /login, and every session of the user is gone.
    SignedOut,
    /// 200, 401 or 403 and no redirect: the proxy's answer.
    Answered,
    /// 401: a session is nobody to the API.
    Unauthorized,
    /// The OpenID Connect endpoint's own answer to a request without a
    /// client: 200, 400 or 401, or a redirect to /login.
    Protocol,
}

fn expected(access: Access, who: &Identity) -> Outcome {
    match (access, who.kind) {
        (Proxy, _) => Outcome::Answered,
        (Token, _) => Outcome::Unauthorized,
        (Protocol, _) => Outcome::Protocol,
        (Public, _) => Outcome::Allowed,
        (_, Kind::Anonymous | Kind::Invited) => Outcome::ToLogin,
        (_, Kind::Rejected | Kind::Disabled) => Outcome::SignedOut,
        (SignedIn, _) => Outcome::Allowed,
        (_, Kind::Pending) => Outcome::ToPending,
        (Active, Kind::Active) => Outcome::Allowed,
        (Permission(p), Kind::Active) if who.permissions.contains(&p) => Outcome::Allowed,
        (Permission(_), Kind::Active) => Outcome::Forbidden,
    }
}

fn access_of(method: &str, path: &str) -> Option<Access> {
    EXPECTATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, access)| *access)
}

/// The app with one user per identity and the things `{id}` routes act on.
struct Fixture {
    app: TestApp,
    /// A Pending user the /admin/users/{id} routes act on.
    target: UserId,
    /// An open role request of another user.
    request: i64,
    /// A role nobody holds, for /admin/roles/{id} and for role requests.
    role: i64,
    pm_role: i64,
    /// A second organisation, for the `/o/{slug}` and
    /// `/admin/organisations/{id}` routes.
    org: gatehouse::domain::OrgId,
    /// A group granting nothing, for the `/admin/groups/{id}` routes.
    group: gatehouse::domain::GroupId,
    /// A custom choice field, for the `/admin/fields/{id}` routes.
    field: gatehouse::domain::FieldId,
    /// An app open to Engineers, for the `/admin/apps/{id}` routes.
    app_id: gatehouse::domain::AppId,
    /// A service token of the admin's, for the token routes.
    token: i64,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let (nobody, role) = {
        let mut conn = app.db.pool.acquire().await.unwrap();
        let nobody = db::roles::insert(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            NO_PERMISSIONS_ROLE,
            "",
            Timestamp::now(),
        )
        .await
        .unwrap();
        let target_role = db::roles::insert(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            "Matrix target",
            "",
            Timestamp::now(),
        )
        .await
        .unwrap();
        (nobody, target_role.0)
    };
    assert!(nobody.0 > 0);
    for who in IDENTITIES.iter().filter(|w| w.kind != Kind::Anonymous) {
        let status = match who.kind {
            Kind::Invited => UserStatus::Invited,
            Kind::Pending | Kind::Rejected => UserStatus::Pending,
            _ => UserStatus::Active,
        };
        app.create_user(who.username, who.role, status).await;
    }
    let target = app
        .create_user("target", "Engineer", UserStatus::Pending)
        .await
        .id;
    let requester = app
        .create_user("requester", "Engineer", UserStatus::Active)
        .await;
    let pm_role = app.role_id("PM").await;
    let org = app.create_org("acme", "Acme").await;
    let group = app.create_group("Matrix group").await;
    let field = app
        .create_field("matrix_dept", "choice", "Sales\nOps", (false, false, true))
        .await;
    let app_id = app
        .register_app("matrix-app", "matrix.example.com", &["Engineer"], &[])
        .await
        .id;
    app.token_for("admin", &["users.read"]).await;
    let token: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let browser = app.another_browser();
    browser.login_as(&requester).await;
    let response = browser
        .submit_role_request_with(&[
            ("role_id", &pm_role.to_string()),
            (
                "justification",
                "I plan the roadmap and need the user list.",
            ),
        ])
        .await;
    assert_redirect_to(&response, "/");
    let request = app
        .role_requests_of(requester.id)
        .await
        .first()
        .expect("the requester's request")
        .id
        .0;
    Fixture {
        app,
        target,
        request,
        role,
        pm_role,
        org,
        group,
        field,
        app_id,
        token,
    }
}

impl Fixture {
    /// The route's path with `{id}` replaced by a real id.
    fn concrete(&self, path: &str) -> String {
        if path.starts_with("/o/{slug}") {
            return path.replace("{slug}", "acme");
        }
        let id = if path.starts_with("/admin/users/") {
            self.target.to_string()
        } else if path.starts_with("/admin/roles/") {
            self.role.to_string()
        } else if path.starts_with("/admin/organisations/") {
            self.org.to_string()
        } else if path.starts_with("/admin/groups/") {
            self.group.to_string()
        } else if path.starts_with("/admin/fields/") {
            self.field.to_string()
        } else if path.starts_with("/admin/apps/") {
            self.app_id.to_string()
        } else if path.contains("/tokens/") {
            self.token.to_string()
        } else {
            self.request.to_string()
        };
        // A sign-in to an app that does not exist: the revoke buttons
        // answer it after the gate has let the visitor in.
        path.replace("{id}", &id).replace("{grant}", "999999")
    }

    /// Plausible fields for a POST route (never ones that would sign the
    /// visitor in as somebody else or change their password).
    fn fields(&self, path: &str) -> Vec<(&'static str, String)> {
        let s = |k: &'static str, v: &str| (k, v.to_owned());
        match path {
            "/account/email" => vec![s("email", "matrix-moved@example.com")],
            "/admin/invitations" => vec![s("addresses", "matrix-invitee@example.com")],
            "/password/forgot" | "/o/{slug}/password/forgot" => {
                vec![s("login", "nobody-by-this-name")]
            }
            "/login" | "/o/{slug}/login" => vec![
                s("login", "nobody-by-this-name"),
                s("password", "not-the-right-password"),
            ],
            "/register" | "/o/{slug}/register" => vec![
                s("username", "matrix_newcomer"),
                s("email", "matrix_newcomer@example.com"),
                s("full_name", "Matrix Newcomer"),
                s("password", PASSWORD),
                s("password_confirm", "a-different-long-password"),
            ],
            "/account/profile" | "/admin/users/{id}/profile" => {
                vec![
                    s("full_name", "Matrix Renamed"),
                    s("phone", "+1 555 010 4477"),
                ]
            }
            "/account/password" => vec![
                s("current_password", "not-the-current-password"),
                s("new_password", "a-brand-new-long-password"),
                s("new_password_confirm", "a-brand-new-long-password"),
            ],
            "/account/role-request" => vec![
                s("role_id", &self.role.to_string()),
                s("justification", "I need to see the user list for planning."),
            ],
            "/admin/users/bulk" => vec![s("action", "approve"), s("ids", &self.target.to_string())],
            "/admin/users/{id}/reject" => vec![s("reason", "Not a member of staff.")],
            "/admin/users/{id}/disable" | "/admin/users/{id}/delete" => {
                vec![s("reason", "Left the company.")]
            }
            "/admin/users/{id}/role" => vec![s("role_id", &self.pm_role.to_string())],
            "/admin/role-requests/{id}/approve" | "/admin/role-requests/{id}/deny" => {
                vec![s("note", "Checked with the team lead.")]
            }
            "/admin/roles" => vec![
                s("name", "Help desk"),
                s("description", "Approves new accounts."),
                s("permissions", USERS_READ),
                s("permissions", USERS_APPROVE),
            ],
            "/admin/roles/{id}" => vec![s("permissions", USERS_READ), s("permissions", AUDIT_READ)],
            "/admin/organisations" => vec![s("slug", "matrix-org"), s("name", "Matrix Org")],
            "/admin/users/{id}/groups" => vec![s("group_id", &self.group.to_string())],
            "/admin/groups" => vec![s("name", "Help desk team")],
            "/admin/groups/{id}" => vec![s("roles", &self.pm_role.to_string())],
            "/admin/groups/{id}/members" => vec![s("username", "target")],
            "/admin/groups/{id}/members/remove" => vec![s("user_id", &self.target.to_string())],
            "/admin/organisations/{id}" => vec![s("name", "Acme Renamed")],
            "/admin/fields" => vec![
                s("key", "badge"),
                s("label", "Badge number"),
                s("kind", "text"),
            ],
            "/admin/fields/{id}" => vec![s("label", "Team"), s("choices", "Sales")],
            "/account/tokens" | "/admin/tokens" => vec![s("name", "matrix script")],
            "/admin/apps" => vec![
                s("name", "Matrix wiki"),
                s("slug", "matrix-wiki"),
                s("url", "https://matrix-wiki.example.com/"),
                s("hosts", "matrix-wiki.example.com"),
            ],
            "/admin/apps/{id}" => vec![
                s("name", "Matrix app renamed"),
                s("slug", "matrix-app"),
                s("url", "https://matrix.example.com/"),
                s("hosts", "matrix.example.com"),
            ],
            "/admin/organisations/{id}/admins" => vec![
                s("username", "acme_admin"),
                s("email", "acme_admin@example.com"),
                s("full_name", "Acme Admin"),
                s("password", PASSWORD),
                s("password_confirm", PASSWORD),
            ],
            _ => vec![],
        }
    }

    /// Everything a denied request must leave alone (the refusal's own
    /// `security.*` audit row aside).
    async fn snapshot(&self) -> Vec<String> {
        let pool = &self.app.db.pool;
        let mut state = Vec::new();
        for table in [
            "organisations",
            "custom_fields",
            "apps",
            "app_hosts",
            "api_tokens",
            "app_roles",
            "user_groups",
            "group_members",
            "group_roles",
            "users",
            "role_requests",
            "roles",
            "role_permissions",
        ] {
            state.push(format!("{table}: {} rows", self.app.count(table).await));
        }
        state.push(format!(
            "audit_log: {} rows besides refusals",
            self.app.count_audit_except_refusals().await
        ));
        // Raw: every stored column of whole tables, so any change shows; no db read returns all.
        let users: Vec<(i64, String, i64, i64, String)> = sqlx::query_as(
            "SELECT id, status, role_id, organisation_id, metadata FROM users ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        state.extend(users.into_iter().map(|(id, status, role, org, metadata)| {
            format!("user {id}: {status}, role {role}, organisation {org}, fields {metadata}")
        }));
        let fields: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, label, choices FROM custom_fields ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        state.extend(
            fields
                .into_iter()
                .map(|(id, label, choices)| format!("field {id}: {label}, {choices:?}")),
        );
        let orgs: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, slug, name, status FROM organisations ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        state.extend(orgs.into_iter().map(|(id, slug, name, status)| {
            format!("organisation {id}: {slug}, {name}, {status}")
        }));
        let requests: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT id, status, role_id FROM role_requests ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        state.extend(
            requests
                .into_iter()
                .map(|(id, status, role)| format!("request {id}: {status}, role {role}")),
        );
        let grants: Vec<(i64, String)> = sqlx::query_as(
            "SELECT role_id, permission FROM role_permissions ORDER BY role_id, permission",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        state.extend(
            grants
                .into_iter()
                .map(|(role, permission)| format!("role {role} grants {permission}")),
        );
        let tokens: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, revoked_at FROM api_tokens ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        state.extend(
            tokens
                .into_iter()
                .map(|(id, revoked)| format!("token {id}: revoked {revoked:?}")),
        );
        state
    }

    async fn open_request_of(&self, id: UserId) -> Option<i64> {
        self.app.open_role_request(id).await
    }

    async fn sessions_of(&self, id: UserId) -> i64 {
        // Raw: counts stored rows, dead ones too; sessions::list_for_user lists only live ones.
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
    }

    async fn set_status(&self, id: UserId, status: UserStatus) {
        let mut conn = self.app.db.pool.acquire().await.unwrap();
        db::users::set_status(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            id,
            status,
            None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    }

    /// A browser signed in as `who` (none for anonymous). Rejected and
    /// Disabled users cannot sign in, so they sign in while Pending or Active
    /// and have their status changed in the database afterwards.
    async fn browser_for(&self, who: &Identity) -> TestApp {
        let browser = self.app.another_browser();
        if who.kind == Kind::Anonymous {
            return browser;
        }
        let id = self.app.user_id(who.username).await;
        let user = TestUser {
            id,
            username: who.username.into(),
            password: PASSWORD.into(),
        };
        match who.kind {
            Kind::Rejected => {
                self.clear_sessions(id).await;
                self.set_status(id, UserStatus::Pending).await;
                browser.login_as(&user).await;
                self.set_status(id, UserStatus::Rejected).await;
            }
            Kind::Disabled => {
                self.clear_sessions(id).await;
                self.set_status(id, UserStatus::Active).await;
                browser.login_as(&user).await;
                self.set_status(id, UserStatus::Disabled).await;
            }
            // Even with a password set (an invitation leaves none), an
            // Invited account's sign-in is refused: it stays anonymous.
            Kind::Invited => {
                let response = browser.login(&user.username, &user.password).await;
                assert_eq!(
                    response.status(),
                    StatusCode::OK,
                    "an Invited account signed in"
                );
                assert_eq!(self.sessions_of(id).await, 0);
            }
            _ => {
                browser.login_as(&user).await;
            }
        }
        browser
    }

    /// Leftover sessions from an earlier row, so "signed out" can be checked.
    async fn clear_sessions(&self, id: UserId) {
        // Raw: arranges state; sign-out through an endpoint would be a request of its own.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .execute(&self.app.db.pool)
            .await
            .unwrap();
    }
}

/// Where a response redirects, if it does.
fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Checks one response against its expected outcome; returns what was wrong.
fn judge(
    method: &str,
    route: &str,
    path: &str,
    who: &Identity,
    outcome: Outcome,
    status: StatusCode,
    location: Option<&str>,
) -> Option<String> {
    let redirect = |to: &str| status == StatusCode::SEE_OTHER && location == Some(to);
    let ok = match outcome {
        Outcome::ToLogin if method == "get" && path != "/" => {
            let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            redirect(&paths::login_next(&next)) || redirect("/login")
        }
        Outcome::ToLogin | Outcome::SignedOut => redirect("/login"),
        Outcome::ToPending => redirect("/pending"),
        Outcome::Forbidden => status == StatusCode::FORBIDDEN,
        Outcome::Answered => [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
        ]
        .contains(&status),
        Outcome::Unauthorized => status == StatusCode::UNAUTHORIZED,
        Outcome::Protocol => {
            [
                StatusCode::OK,
                StatusCode::BAD_REQUEST,
                StatusCode::UNAUTHORIZED,
            ]
            .contains(&status)
                || redirect("/login")
                // A POST to the authorization or logout endpoint comes
                // back as a GET of the same endpoint, with the session.
                || (method == "post"
                    && status == StatusCode::SEE_OTHER
                    && location.is_some_and(|l| l.starts_with(&format!("{path}?"))))
        }
        Outcome::Allowed if method == "get" => {
            if ["/password/reset", "/email/verify", "/invitations/accept"].contains(&route) {
                status == StatusCode::GONE
            } else if route == "/pending" && who.kind == Kind::Active {
                redirect("/")
            } else {
                status == StatusCode::OK
            }
        }
        Outcome::Allowed if route == "/logout" => redirect("/login"),
        // The pending page's own button answers back on the pending page.
        Outcome::Allowed if route == "/email/verify/resend" && who.kind == Kind::Pending => {
            redirect("/pending")
        }
        Outcome::Allowed => {
            let gate = status == StatusCode::SEE_OTHER
                && location.is_some_and(|l| l.starts_with("/login") || l == "/pending");
            !gate && status != StatusCode::FORBIDDEN && !status.is_server_error()
        }
    };
    (!ok).then(|| {
        format!(
            "{} {path} as {}: expected {outcome:?}, got {status} (location {location:?})",
            method.to_uppercase(),
            who.label
        )
    })
}

/// Runs every route with `method` for every identity; returns the failures.
async fn run_matrix(fixture: &Fixture, method: &str) -> Vec<String> {
    let routes: Vec<(&str, Access)> = ROUTES
        .iter()
        .filter(|(m, _)| *m == method)
        .filter_map(|&(m, route)| access_of(m, route).map(|access| (route, access)))
        .collect();
    let mut failures: Vec<String> = ROUTES
        .iter()
        .filter(|&&(m, route)| m == method && access_of(m, route).is_none())
        .map(|(_, route)| format!("{method} {route} is missing from EXPECTATIONS"))
        .collect();
    for who in IDENTITIES {
        // Rejected and Disabled visitors lose their session on every gated
        // route, so they sign in afresh for each route instead.
        let fresh_each_time = matches!(who.kind, Kind::Rejected | Kind::Disabled);
        let mut browser = if fresh_each_time {
            fixture.app.another_browser()
        } else {
            fixture.browser_for(who).await
        };
        for &(route, access) in &routes {
            if fresh_each_time {
                browser = fixture.browser_for(who).await;
            }
            let outcome = expected(access, who);
            let user = match who.kind {
                Kind::Anonymous | Kind::Invited => None,
                _ => Some(fixture.app.user_id(who.username).await),
            };
            let path = match user {
                // Withdraw the visitor's own open request when they have one
                // (submitted by the route before), else someone else's.
                Some(id) if route == "/account/role-request/{id}/withdraw" => {
                    match fixture.open_request_of(id).await {
                        Some(own) => route.replace("{id}", &own.to_string()),
                        None => fixture.concrete(route),
                    }
                }
                _ => fixture.concrete(route),
            };
            if outcome == Outcome::SignedOut {
                assert!(
                    fixture.sessions_of(user.unwrap()).await > 0,
                    "{} has no session to lose",
                    who.label
                );
            }

            let token = if method == "post" {
                Some(browser.csrf_token().await)
            } else {
                None
            };
            let before = fixture.snapshot().await;
            let audit_before = fixture.app.count("audit_log").await;
            let response = match token {
                Some(token) => {
                    let mut fields = fixture.fields(route);
                    fields.push(("csrf_token", token));
                    let fields: Vec<(&str, &str)> =
                        fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    browser.post_raw(&path, &fields).await
                }
                None => browser.get(&path).await,
            };
            let status = response.status();
            let to = location(&response);

            if let Some(failure) = judge(method, route, &path, who, outcome, status, to.as_deref())
            {
                failures.push(failure);
            }
            if outcome != Outcome::Allowed {
                let after = fixture.snapshot().await;
                if after != before {
                    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
                    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
                    failures.push(format!(
                        "{} {path} as {} was refused but changed the database: before {gone:?}, after {new:?}",
                        method.to_uppercase(),
                        who.label
                    ));
                }
            }
            if outcome == Outcome::SignedOut && fixture.sessions_of(user.unwrap()).await != 0 {
                failures.push(format!(
                    "{} {path} as {}: the session was not ended",
                    method.to_uppercase(),
                    who.label
                ));
            }
            if route == "/logout" && outcome == Outcome::Allowed {
                if fixture.app.count("audit_log").await != audit_before + 1 {
                    failures.push(format!("POST /logout as {} was not audited", who.label));
                }
                browser = fixture.browser_for(who).await;
            }
        }
    }
    failures
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} access-matrix failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_route_in_the_route_table_has_an_expectation_and_every_expectation_a_route() {
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|(m, p)| access_of(m, p).is_none())
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    let stale: Vec<String> = EXPECTATIONS
        .iter()
        .filter(|(m, p, _)| !ROUTES.contains(&(*m, *p)))
        .map(|(m, p, _)| format!("{} {p}", m.to_uppercase()))
        .collect();

    assert!(
        missing.is_empty(),
        "routes in gatehouse::routes::ROUTES without an entry in EXPECTATIONS: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "entries in EXPECTATIONS that are not in gatehouse::routes::ROUTES: {stale:?}"
    );
    assert_eq!(
        EXPECTATIONS.len(),
        ROUTES.len(),
        "EXPECTATIONS or ROUTES lists a route twice"
    );
}

#[tokio::test]
async fn every_get_route_lets_in_exactly_the_visitors_it_should() {
    let fixture = fixture().await;

    let failures = run_matrix(&fixture, "get").await;

    assert_no_failures(failures);
}

#[tokio::test]
async fn every_post_route_lets_in_exactly_the_visitors_it_should_and_a_refused_post_changes_nothing()
 {
    let fixture = fixture().await;

    let failures = run_matrix(&fixture, "post").await;

    assert_no_failures(failures);
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_gets_405_and_an_unknown_route_gets_a_404_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.login_as(&admin).await;
    let users_before = app.count("users").await;

    for (method, path) in [
        (reqwest::Method::GET, "/logout"),
        (reqwest::Method::DELETE, "/login"),
        (reqwest::Method::PUT, "/admin/users/1"),
        (reqwest::Method::POST, "/admin/audit"),
        (reqwest::Method::PATCH, "/admin/roles"),
        (reqwest::Method::GET, "/admin/users/bulk"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
    for path in ["/nope", "/admin/nothing-here", "/account/role-request/1"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let page = html(response).await;
        assert_eq!(texts(&page, "h1"), ["Page not found"], "GET {path}");
    }
    assert_eq!(app.count("users").await, users_before);
}
