//! Applications: an administrator registers the organisation's tools at
//! /admin/apps; a reverse proxy asks /auth/verify on every request to one;
//! refused browsers read why at /auth/denied; sign-in returns them to the
//! app; the home page lists the apps a user may open. The same checks
//! through a real nginx are in `forward_proxy.rs`.

use gatehouse::db::Scope;
use gatehouse::domain::{AuditAction, UserStatus};
use gatehouse::services::apps::{self, AppByNames};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::helpers::*;

const WIKI: &str = "wiki.example.com";

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn error_of(page: &scraper::Html, field: &str) -> String {
    texts(page, &format!("#{field}-error")).join(" ")
}

#[tokio::test]
async fn an_administrator_registers_an_app_and_its_rule_is_audited() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let engineer = app.role_id("Engineer").await.to_string();

    let response = app
        .create_app_with(&[
            ("name", "Team wiki"),
            ("slug", "wiki"),
            ("url", "https://wiki.example.com/"),
            ("hosts", "Wiki.Example.com\r\nwiki.example.com:8443"),
            ("roles", &engineer),
        ])
        .await;

    assert_redirect_to(&response, "/admin/apps");
    let page = app.follow(response).await;
    assert_eq!(
        texts(&page, "td[data-label='Who may open it']"),
        ["roles Engineer"]
    );
    let created = app.audit_rows(AuditAction::AppCreated).await;
    assert_eq!(
        created[0].content.after_value.as_deref(),
        Some(
            "wiki: Team wiki, https://wiki.example.com/, on wiki.example.com, wiki.example.com:8443"
        )
    );
    let access = app.audit_rows(AuditAction::AppAccessChanged).await;
    assert_eq!(access[0].content.before_value.as_deref(), Some("nobody"));
    assert_eq!(
        access[0].content.after_value.as_deref(),
        Some("roles Engineer")
    );
}

#[tokio::test]
async fn a_bad_app_form_re_renders_naming_each_field_and_stores_nothing() {
    let app = spawn_app().await;
    app.signed_in_admin().await;

    let response = app
        .create_app_with(&[
            ("name", ""),
            ("slug", "Wiki!"),
            ("url", "javascript:alert(1)"),
            ("hosts", "https://wiki.example.com/path"),
            ("roles", "abc"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert!(!error_of(&page, "name").is_empty());
    assert!(error_of(&page, "slug").contains("lower-case"));
    assert!(error_of(&page, "url").contains("full URL"));
    assert!(error_of(&page, "hosts").contains("is not a host name"));
    assert_eq!(
        first_attr(&page, "#slug", "value").as_deref(),
        Some("Wiki!")
    );
    assert_eq!(app.count("apps").await, 0);
}

#[tokio::test]
async fn a_role_of_no_list_a_taken_slug_or_another_apps_host_name_is_refused() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let base = [("name", "Other"), ("url", "https://other.example.com/")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        fields
    };

    let page = html(
        app.create_app_with(&with(&[("slug", "wiki"), ("hosts", "other.example.com")]))
            .await,
    )
    .await;
    assert_eq!(
        error_of(&page, "slug"),
        "Another app of your organisation has this slug."
    );
    let page = html(
        app.create_app_with(&with(&[("slug", "other"), ("hosts", "WIKI.example.com")]))
            .await,
    )
    .await;
    assert_eq!(
        error_of(&page, "hosts"),
        "wiki.example.com is already the host name of another app."
    );
    let page = html(
        app.create_app_with(&with(&[
            ("slug", "other"),
            ("hosts", "other.example.com"),
            ("roles", "999999"),
        ]))
        .await,
    )
    .await;
    assert_eq!(error_of(&page, "roles"), "Choose roles from the list.");
    assert_eq!(app.count("apps").await, 1);
}

#[tokio::test]
async fn an_anonymous_request_gets_401_pointing_at_sign_in_with_the_whole_original_url() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;

    let response = app.verify_for(WIKI, "/page?a=1&b=2").await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&response, "location"),
        "/login?rd=http%3A%2F%2Fwiki.example.com%2Fpage%3Fa%3D1%26b%3D2"
    );
    assert_eq!(header(&response, "x-gatehouse-user"), "");
}

#[tokio::test]
async fn an_allowed_user_gets_200_with_who_they_are_in_forwardable_headers() {
    let app = spawn_app().await;
    let ops = app.create_group("Ops").await;
    let rnd = app.create_group("R&D").await;
    app.register_app("wiki", WIKI, &[], &["R&D"]).await;
    let (user, browser) = signed_in(&app, "zoe", "Engineer").await;
    app.signed_in_admin().await;
    app.add_user_to_group(user.id, ops).await;
    app.add_user_to_group(user.id, rnd).await;
    browser
        .save_profile(&[("full_name", "Zoë Ünal"), ("phone", "")])
        .await;

    let response = browser
        .verify(
            "",
            &[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", WIKI),
                ("X-Forwarded-Uri", "/"),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-gatehouse-user"), "zoe");
    assert_eq!(header(&response, "x-gatehouse-email"), "zoe@example.com");
    assert_eq!(header(&response, "x-gatehouse-name"), "Zo%C3%AB %C3%9Cnal");
    assert_eq!(header(&response, "x-gatehouse-role"), "Engineer");
    assert_eq!(header(&response, "x-gatehouse-groups"), "Ops,R&D");
    assert_eq!(header(&response, "x-gatehouse-organisation"), "default");
    assert!(response.text().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_user_outside_the_rule_gets_403_and_a_page_offering_the_role_the_app_needs() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["PM"], &[]).await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;

    let response = browser.verify_for(WIKI, "/x").await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&response, "x-gatehouse-reason"), "not_in_rule");
    let to = header(&response, "location");
    assert_eq!(to, "/auth/denied?rd=http%3A%2F%2Fwiki.example.com%2Fx");
    let page = browser.get_html(&to).await;
    assert_eq!(texts(&page, "h1"), ["You may not open The wiki"]);
    assert_eq!(fact(&page, "Open to"), "roles PM");
    assert_eq!(
        first_attr(&page, "main a[href^='/account/role-request?']", "href").as_deref(),
        Some("/account/role-request?app=wiki")
    );
    let form = browser.get_html("/account/role-request?app=wiki").await;
    let pm = app.role_id("PM").await.to_string();
    assert_eq!(
        first_attr(&form, "#role_id option[selected]", "value"),
        Some(pm)
    );
}

#[tokio::test]
async fn a_pending_user_is_refused_with_the_reason() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let user = app
        .create_user("pat", "Engineer", UserStatus::Pending)
        .await;
    let browser = app.another_browser();
    browser.login_as(&user).await;

    let response = browser.verify_for(WIKI, "/").await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&response, "x-gatehouse-reason"), "pending");
}

#[tokio::test]
async fn leaving_the_group_changing_role_or_being_disabled_cuts_a_user_off_at_the_next_request() {
    let app = spawn_app().await;
    let ops = app.create_group("Ops").await;
    app.register_app("wiki", WIKI, &["PM"], &["Ops"]).await;
    let (user, browser) = signed_in(&app, "ada", "Engineer").await;
    app.signed_in_admin().await;
    app.add_user_to_group(user.id, ops).await;
    assert_eq!(browser.verify_for(WIKI, "/").await.status(), StatusCode::OK);

    app.remove_group_member(ops, &[("user_id", &user.id.to_string())])
        .await;
    assert_eq!(
        browser.verify_for(WIKI, "/").await.status(),
        StatusCode::FORBIDDEN
    );

    let pm = app.role_id("PM").await.to_string();
    app.post_form(
        &format!("/admin/users/{}/role", user.id),
        &[("role_id", pm.as_str())],
    )
    .await;
    assert_eq!(browser.verify_for(WIKI, "/").await.status(), StatusCode::OK);

    app.post_form(
        &format!("/admin/users/{}/disable", user.id),
        &[("reason", "Left the company.")],
    )
    .await;
    assert_eq!(app.user_status(user.id).await, UserStatus::Disabled);
    assert_eq!(
        browser.verify_for(WIKI, "/").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_group_that_grants_a_role_of_the_rule_lets_its_members_in() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    app.register_app("wiki", WIKI, &["PM"], &[]).await;
    let (user, browser) = signed_in(&app, "ada", "Engineer").await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await.to_string();
    app.update_group(leads, &[("roles", pm.as_str()), ("description", "")])
        .await;
    assert_eq!(
        browser.verify_for(WIKI, "/").await.status(),
        StatusCode::FORBIDDEN
    );

    app.add_user_to_group(user.id, leads).await;

    assert_eq!(browser.verify_for(WIKI, "/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_host_or_another_organisations_app_is_refused() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "Acme").await;
    let crm = AppByNames {
        slug: "crm".into(),
        name: "CRM".into(),
        url: "https://crm.acme.example/".into(),
        hosts: vec!["crm.acme.example".into()],
        roles: vec!["Engineer".into()],
        ..AppByNames::default()
    };
    apps::create_from_command_line(&app.db, Scope::organisation(acme), &crm)
        .await
        .unwrap();
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;

    let other = browser.verify_for("crm.acme.example", "/").await;
    let unknown = browser.verify_for("nothing.example.com", "/").await;

    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&other, "x-gatehouse-reason"), "other_organisation");
    assert_eq!(unknown.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&unknown, "x-gatehouse-reason"), "unknown_app");
    let anonymous = app
        .another_browser()
        .verify_for("crm.acme.example", "/")
        .await;
    assert!(header(&anonymous, "location").starts_with("/o/acme/login?rd="));
}

#[tokio::test]
async fn the_app_parameter_names_the_app_whatever_the_host() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.register_app("admin-tool", "tool.example.com", &["PM"], &[])
        .await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;

    let wiki = browser.verify("?app=wiki", &[("X-Forwarded-Host", "tool.example.com")]);
    let tool = browser.verify("?app=admin-tool", &[("X-Forwarded-Host", WIKI)]);

    assert_eq!(wiki.await.status(), StatusCode::OK);
    assert_eq!(tool.await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn verifying_writes_nothing_per_request() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    browser.verify_for(WIKI, "/").await;
    let session = || async {
        let row: (i64, i64) = sqlx::query_as("SELECT last_seen_at, updated_at FROM sessions")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        row
    };
    let (before, audit_before) = (session().await, app.count("audit_log").await);

    for _ in 0..20 {
        assert_eq!(browser.verify_for(WIKI, "/").await.status(), StatusCode::OK);
    }

    assert_eq!(session().await, before);
    assert_eq!(app.count("audit_log").await, audit_before);
}

#[tokio::test]
async fn requests_verified_at_once_each_get_their_own_user_and_an_ended_session_gets_none() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let mut browsers = Vec::new();
    for name in ["ada", "bea", "cyd", "dee", "eli", "fay", "gus", "hal"] {
        browsers.push((name, signed_in(&app, name, "Engineer").await));
    }
    app.signed_in_admin().await;
    let ended = &browsers[3].1.0;
    app.revoke_user_sessions(ended.id).await;

    // Sixty-four at once, so that concurrent loads share statements.
    let answers =
        futures_util::future::join_all(browsers.iter().cycle().take(64).map(
            |(name, (_, browser))| async move { (*name, browser.verify_for(WIKI, "/").await) },
        ))
        .await;

    for (name, answer) in answers {
        if name == "dee" {
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{name}");
            assert!(answer.headers().get("X-Gatehouse-User").is_none());
        } else {
            assert_eq!(answer.status(), StatusCode::OK, "{name}");
            assert_eq!(answer.headers()["X-Gatehouse-User"], name);
        }
    }
}

#[tokio::test]
async fn sign_in_returns_to_the_app_and_never_to_a_foreign_host() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let user = app.create_user("ada", "Engineer", UserStatus::Active).await;
    let form = app
        .get_html("/login?rd=http%3A%2F%2Fwiki.example.com%2Fpage%3Fa%3D1")
        .await;
    assert_eq!(
        first_attr(&form, "input[name=rd]", "value").as_deref(),
        Some("http://wiki.example.com/page?a=1")
    );
    let csp = |response: &reqwest::Response| header(response, "content-security-policy");
    let to_app = app
        .get("/login?rd=http%3A%2F%2Fwiki.example.com%2Fpage")
        .await;
    let elsewhere = app.get("/login?rd=https%3A%2F%2Fevil.example%2F").await;
    // Chromium applies form-action to the redirect after sign-in.
    assert!(csp(&to_app).ends_with("form-action 'self' http://wiki.example.com"));
    assert!(csp(&elsewhere).ends_with("form-action 'self'"));
    let sign_in = |rd: &'static str| {
        let browser = app.another_browser();
        let user = user.clone();
        async move {
            browser
                .login_with(&[
                    ("login", user.username.as_str()),
                    ("password", user.password.as_str()),
                    ("rd", rd),
                ])
                .await
        }
    };

    let back = sign_in("http://wiki.example.com/page?a=1").await;
    let foreign = sign_in("https://evil.example/").await;
    let lookalike = sign_in("http://wiki.example.com.evil.example/").await;

    assert_eq!(
        header(&back, "location"),
        "http://wiki.example.com/page?a=1"
    );
    assert_eq!(header(&foreign, "location"), "/");
    assert_eq!(header(&lookalike, "location"), "/");
}

#[tokio::test]
async fn the_home_page_lists_the_apps_the_user_may_open_and_no_others() {
    let app = spawn_app().await;
    app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.register_app("billing", "billing.example.com", &["PM"], &[])
        .await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;

    let home = browser.get_html("/").await;

    assert_eq!(texts(&home, ".app-list a"), ["The wiki"]);
    assert_eq!(
        first_attr(&home, ".app-list a", "href").as_deref(),
        Some("http://wiki.example.com/")
    );
}

#[tokio::test]
async fn a_role_request_names_its_app_for_the_reviewer() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["PM"], &[]).await;
    let (user, browser) = signed_in(&app, "ada", "Engineer").await;
    let pm = app.role_id("PM").await.to_string();
    let wiki_id = wiki.id.to_string();

    let bad = browser
        .post_form(
            "/account/role-request",
            &[("role_id", &pm), ("app_id", "x"), ("justification", "Docs")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::OK);
    assert_eq!(
        error_of(&html(bad).await, "app_id"),
        "Choose an app from the list."
    );
    let sent = browser
        .post_form(
            "/account/role-request",
            &[
                ("role_id", &pm),
                ("app_id", &wiki_id),
                ("justification", "I write the docs."),
            ],
        )
        .await;

    assert_redirect_to(&sent, "/");
    let request = app.role_requests_of(user.id).await.remove(0);
    assert_eq!(request.app_name.as_deref(), Some("The wiki"));
    app.signed_in_admin().await;
    let queue = app.get_html("/admin/role-requests").await;
    assert!(
        texts(&queue, "h2")
            .iter()
            .any(|h| h.ends_with("PM for The wiki"))
    );
}

#[tokio::test]
async fn the_command_line_registers_an_app_by_role_and_group_names() {
    let app = spawn_app().await;
    app.create_group("Ops").await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["app", "create"])
            .args(args)
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .output()
            .expect("the command runs")
    };

    let made = run(&[
        "--slug",
        "grafana",
        "--name",
        "Grafana",
        "--url",
        "https://grafana.example.com/",
        "--host",
        "grafana.example.com",
        "--roles",
        "Engineer,PM",
        "--groups",
        "Ops",
    ]);
    let refused = run(&[
        "--slug",
        "other",
        "--name",
        "Other",
        "--url",
        "https://other.example.com/",
        "--host",
        "other.example.com",
        "--roles",
        "Nobody",
    ]);

    assert!(made.status.success(), "{made:?}");
    assert!(
        String::from_utf8_lossy(&made.stdout).contains("open to roles Engineer, PM; groups Ops")
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("There is no role \"Nobody\""));
    assert_eq!(app.count("apps").await, 1);
}

#[tokio::test]
async fn changing_the_rule_is_audited_and_decides_the_next_request() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    assert_eq!(browser.verify_for(WIKI, "/").await.status(), StatusCode::OK);
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await.to_string();

    let saved = app
        .update_app(
            wiki.id,
            &[
                ("name", "The wiki"),
                ("slug", "wiki"),
                ("url", "http://wiki.example.com/"),
                ("hosts", WIKI),
                ("roles", &pm),
                ("description", "Where wiki lives"),
            ],
        )
        .await;

    assert_redirect_to(&saved, &format!("/admin/apps/{}", wiki.id));
    let rows = app.audit_rows(AuditAction::AppAccessChanged).await;
    let changes: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.content.before_value.as_deref(),
                r.content.after_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (Some("nobody"), Some("roles Engineer")),
            (Some("roles Engineer"), Some("roles PM"))
        ]
    );
    assert!(app.audit_rows(AuditAction::AppChanged).await.is_empty());
    assert_eq!(
        browser.verify_for(WIKI, "/").await.status(),
        StatusCode::FORBIDDEN
    );
    let page = app.app_page(wiki.id).await;
    assert_eq!(fact(&page, "Who may open it"), "roles PM");

    let deleted = app.delete_app(wiki.id).await;
    assert_redirect_to(&deleted, "/admin/apps");
    assert_eq!(
        header(&browser.verify_for(WIKI, "/").await, "x-gatehouse-reason"),
        "unknown_app"
    );
    assert_eq!(app.audit_rows(AuditAction::AppDeleted).await.len(), 1);
}

#[tokio::test]
async fn the_refusal_page_needs_a_session_and_sends_the_signed_out_to_sign_in() {
    let app = spawn_app().await;

    let response = app.denied_page("rd=http%3A%2F%2Fwiki.example.com%2F").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(header(&response, LOCATION.as_str()).starts_with("/login?next="));
}

#[tokio::test]
async fn with_a_cookie_domain_the_session_cookie_is_shared_with_sibling_hosts() {
    let app = spawn_app_with(|s| s.cookie_domain = Some(".example.test".into())).await;
    let user = app.create_user("ada", "Engineer", UserStatus::Active).await;

    let signed_in = app.login_as(&user).await;

    let cookies: Vec<String> = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("gatehouse_session="))
        .expect("the session cookie");
    assert!(session.contains("Domain=.example.test"), "{session}");
    assert!(session.contains("HttpOnly"), "{session}");
}
