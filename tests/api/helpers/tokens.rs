//! The token pages and the JSON API.

use std::fmt::Display;

use gatehouse::db::Scope;
use gatehouse::domain::DEFAULT_ORGANISATION;
use gatehouse::services::tokens::{self, TokenForm};
use reqwest::Response;

use super::TestApp;

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    pub async fn create_personal_token(&self, fields: Fields<'_>) -> Response {
        self.post_form("/account/tokens", fields).await
    }

    pub async fn create_service_token(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/tokens", fields).await
    }

    pub async fn revoke_personal_token(&self, id: impl Display) -> Response {
        self.post_form(&format!("/account/tokens/{id}/revoke"), &[])
            .await
    }

    pub async fn revoke_service_token(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/tokens/{id}/revoke"), &[])
            .await
    }

    /// A token for `username` of the default organisation with `scopes`,
    /// made as `gatehouse token create` makes one.
    pub async fn token_for(&self, username: &str, scopes: &[&str]) -> String {
        let form = TokenForm {
            name: format!("{username}-script"),
            expires_days: String::new(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        };
        tokens::create_from_command_line(
            &self.db,
            Scope::organisation(DEFAULT_ORGANISATION),
            username,
            &form,
        )
        .await
        .expect("the token is made")
        .secret
    }

    /// A request to the API with `token` (none: no Authorization header)
    /// and, for POST and PATCH, `json` as the body.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(json) = json {
            request = request
                .header("content-type", "application/json")
                .body(json.to_string());
        }
        request.send().await.expect("the API answers")
    }

    pub async fn api_get(&self, path: &str, token: &str) -> Response {
        self.api(reqwest::Method::GET, path, Some(token), None)
            .await
    }
}
