//! The custom field endpoints and the user export.

use std::fmt::Display;

use reqwest::Response;
use scraper::Html;

use super::TestApp;

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    pub async fn fields_page(&self) -> Html {
        self.get_html("/admin/fields").await
    }

    pub async fn create_field_with(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/fields", fields).await
    }

    pub async fn update_field(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/admin/fields/{id}"), fields).await
    }

    pub async fn delete_field(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/fields/{id}/delete"), &[])
            .await
    }

    /// `GET /admin/users.csv` with `query` (without the "?").
    pub async fn users_csv(&self, query: &str) -> Response {
        self.get(&format!("/admin/users.csv?{query}")).await
    }
}
