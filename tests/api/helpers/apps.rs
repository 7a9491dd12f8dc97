//! The app endpoints: administration, forward authentication and the
//! refusal page.

use std::fmt::Display;

use gatehouse::db::Scope;
use gatehouse::domain::{App, DEFAULT_ORGANISATION};
use gatehouse::services::apps::{self, AppByNames};
use reqwest::Response;
use scraper::Html;

use super::TestApp;

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    pub async fn create_app_with(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/apps", fields).await
    }

    pub async fn app_page(&self, id: impl Display) -> Html {
        self.get_html(&format!("/admin/apps/{id}")).await
    }

    pub async fn update_app(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/admin/apps/{id}"), fields).await
    }

    pub async fn delete_app(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/apps/{id}/delete"), &[])
            .await
    }

    /// Registers an app in the default organisation through the command
    /// line's service: roles and groups by name.
    pub async fn register_app(
        &self,
        slug: &str,
        host: &str,
        roles: &[&str],
        groups: &[&str],
    ) -> App {
        let names = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        let app = AppByNames {
            slug: slug.into(),
            name: format!("The {slug}"),
            description: format!("Where {slug} lives"),
            url: format!("http://{host}/"),
            hosts: vec![host.into()],
            roles: names(roles),
            groups: names(groups),
            ..AppByNames::default()
        };
        apps::create_from_command_line(&self.db, Scope::organisation(DEFAULT_ORGANISATION), &app)
            .await
            .expect("the app is registered")
    }

    /// `GET /auth/verify` as a reverse proxy asks it: `headers` are the
    /// proxy's (`X-Forwarded-Host`…), the cookies are this browser's.
    pub async fn verify(&self, query: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = self.client.get(self.url(&format!("/auth/verify{query}")));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("verify answers")
    }

    /// `verify` for the page `uri` of the app on `host`, as nginx asks.
    pub async fn verify_for(&self, host: &str, uri: &str) -> Response {
        let url = format!("http://{host}{uri}");
        self.verify(
            "",
            &[("X-Original-URL", url.as_str()), ("X-Forwarded-Host", host)],
        )
        .await
    }

    pub async fn denied_page(&self, query: &str) -> Response {
        self.get(&format!("/auth/denied?{query}")).await
    }
}
