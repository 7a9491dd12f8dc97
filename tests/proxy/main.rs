//! Forward authentication through a real reverse proxy: Debian's nginx, with
//! the sample configuration of docs/apps.md, in front of Gatehouse and of
//! an upstream that echoes the headers it receives. Needs nginx, so plain
//! `cargo test` leaves it out; `.ci/run` installs nginx and runs
//! `cargo test --test proxy`.

// Shared with the API suite, which uses all of it; this one a part.
#[allow(dead_code)]
#[path = "../common/app.rs"]
mod app;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/reading.rs"]
mod reading;

use app::*;
use gatehouse::db::Scope;
use gatehouse::domain::{DEFAULT_ORGANISATION, UserStatus};
use gatehouse::services::apps::{self, AppByNames};
use proxy::{Echo, Nginx, free_port};
pub use reading::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Gatehouse behind nginx, a guarded tool open to Engineers, and a browser.
struct Setup {
    app: TestApp,
    nginx: Nginx,
    _echo: Echo,
    browser: reqwest::Client,
}

async fn setup() -> Setup {
    let echo = Echo::start();
    let (gatehouse_port, app_port) = (free_port(), free_port());
    let public = format!("http://127.0.0.1:{gatehouse_port}");
    let app = spawn_app_with(|s| s.public_url = Some(public)).await;
    let direct = app.address.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start(
        &direct,
        &format!("127.0.0.1:{}", echo.port),
        gatehouse_port,
        app_port,
    );
    let tool = AppByNames {
        slug: "tool".into(),
        name: "The tool".into(),
        url: format!("{}/", nginx.app_url()),
        hosts: vec![nginx.app_host()],
        roles: vec!["Engineer".into()],
        ..AppByNames::default()
    };
    apps::create_from_command_line(&app.db, Scope::organisation(DEFAULT_ORGANISATION), &tool)
        .await
        .expect("the tool is registered");
    Setup {
        app,
        nginx,
        _echo: echo,
        browser: new_client(),
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

impl Setup {
    /// Signs `user` in on Gatehouse's sign-in page through nginx, carrying
    /// `rd` as the proxy's redirect did; returns the response to the POST.
    async fn sign_in(&self, user: &TestUser, login_url: &str) -> reqwest::Response {
        let page = self.browser.get(login_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{login_url}");
        let page = scraper::Html::parse_document(&page.text().await.unwrap());
        let token = first_attr(&page, "input[name=csrf_token]", "value").expect("a token");
        let rd = first_attr(&page, "input[name=rd]", "value").unwrap_or_default();
        self.browser
            .post(format!("{}/login", self.nginx.gatehouse_url()))
            .form(&[
                ("login", user.username.as_str()),
                ("password", user.password.as_str()),
                ("csrf_token", token.as_str()),
                ("rd", rd.as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A GET of the tool through nginx, with extra headers from the browser.
    async fn open(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.browser.get(format!("{}{path}", self.nginx.app_url()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }
}

/// What the tool received, as the echo upstream reports it.
async fn echoed(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&response.text().await.unwrap()).expect("the echo's JSON")
}

#[tokio::test]
async fn an_anonymous_visitor_signs_in_through_gatehouse_and_lands_back_in_the_tool_as_themselves()
{
    let s = setup().await;
    let ada = s
        .app
        .create_user("ada", "Engineer", UserStatus::Active)
        .await;

    let first = s.open("/reports?year=2026&q=a%20b", &[]).await;

    assert_eq!(first.status(), StatusCode::FOUND);
    let login = location(&first);
    let rd: String = url::form_urlencoded::byte_serialize(
        format!("{}/reports?year=2026&q=a%20b", s.nginx.app_url()).as_bytes(),
    )
    .collect();
    assert_eq!(login, format!("{}/login?rd={rd}", s.nginx.gatehouse_url()));
    let signed_in = s.sign_in(&ada, &login).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&signed_in),
        format!("{}/reports?year=2026&q=a%20b", s.nginx.app_url())
    );
    let tool = echoed(s.open("/reports?year=2026&q=a%20b", &[]).await).await;
    assert_eq!(tool["path"], "/reports?year=2026&q=a%20b");
    assert_eq!(tool["headers"]["x-gatehouse-user"], "ada");
    assert_eq!(tool["headers"]["x-gatehouse-email"], "ada@example.com");
    assert_eq!(tool["headers"]["x-gatehouse-name"], "ada Tester");
    assert_eq!(tool["headers"]["x-gatehouse-role"], "Engineer");
    assert_eq!(tool["headers"]["x-gatehouse-organisation"], "default");
}

#[tokio::test]
async fn a_forged_identity_header_from_the_browser_never_reaches_the_tool() {
    let s = setup().await;
    let ada = s
        .app
        .create_user("ada", "Engineer", UserStatus::Active)
        .await;
    let forged = [
        ("X-Gatehouse-User", "admin"),
        ("X-Gatehouse-Role", "Admin"),
        ("X-Gatehouse-Groups", "Everyone"),
    ];

    let anonymous = s.open("/", &forged).await;
    assert_eq!(anonymous.status(), StatusCode::FOUND);
    s.sign_in(&ada, &location(&anonymous)).await;
    let tool = echoed(s.open("/", &forged).await).await;

    assert_eq!(tool["headers"]["x-gatehouse-user"], "ada");
    assert_eq!(tool["headers"]["x-gatehouse-role"], "Engineer");
    // Ada is in no group: the header is removed, not passed through.
    assert_eq!(tool["headers"].get("x-gatehouse-groups"), None);
}

#[tokio::test]
async fn a_user_outside_the_rule_is_sent_to_the_refusal_page_which_offers_the_role() {
    let s = setup().await;
    let pat = s.app.create_user("pat", "PM", UserStatus::Active).await;
    let first = s.open("/", &[]).await;
    s.sign_in(&pat, &location(&first)).await;

    let refused = s.open("/", &[]).await;

    assert_eq!(refused.status(), StatusCode::FOUND);
    let to = location(&refused);
    assert!(
        to.starts_with(&format!("{}/auth/denied?rd=", s.nginx.gatehouse_url())),
        "{to}"
    );
    let page = s.browser.get(&to).send().await.unwrap();
    let page = scraper::Html::parse_document(&page.text().await.unwrap());
    assert_eq!(texts(&page, "h1"), ["You may not open The tool"]);
    assert_eq!(
        first_attr(&page, "main a[href^='/account/role-request?']", "href").as_deref(),
        Some("/account/role-request?app=tool")
    );
}

#[tokio::test]
async fn disabling_a_user_refuses_their_next_request_to_the_tool() {
    let s = setup().await;
    let ada = s
        .app
        .create_user("ada", "Engineer", UserStatus::Active)
        .await;
    let first = s.open("/", &[]).await;
    s.sign_in(&ada, &location(&first)).await;
    assert_eq!(s.open("/", &[]).await.status(), StatusCode::OK);
    s.app.signed_in_admin().await;

    s.app
        .post_form(
            &format!("/admin/users/{}/disable", ada.id),
            &[("reason", "Left the company.")],
        )
        .await;

    let next = s.open("/", &[]).await;
    assert_eq!(next.status(), StatusCode::FOUND);
    assert!(location(&next).contains("/login?rd="));
}

#[tokio::test]
async fn a_return_address_on_a_foreign_host_falls_back_to_home() {
    let s = setup().await;
    let ada = s
        .app
        .create_user("ada", "Engineer", UserStatus::Active)
        .await;

    let signed_in = s
        .sign_in(
            &ada,
            &format!(
                "{}/login?rd=http%3A%2F%2Fevil.example%2F",
                s.nginx.gatehouse_url()
            ),
        )
        .await;

    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/");
}
