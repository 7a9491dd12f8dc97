//! The organisation endpoints: an organisation's own sign-in and
//! registration pages, and the instance administrators' pages.

use std::fmt::Display;

use reqwest::Response;
use scraper::Html;

use super::{TestApp, TestUser};

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    pub async fn login_page_of(&self, slug: &str) -> Html {
        self.get_html(&format!("/o/{slug}/login")).await
    }

    /// POSTs `/o/{slug}/login` with exactly `fields` (and a token).
    pub async fn login_at(&self, slug: &str, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/o/{slug}/login"), fields).await
    }

    /// Signs `user` in on their organisation's page.
    pub async fn login_as_at(&self, slug: &str, user: &TestUser) -> Response {
        let response = self
            .login_at(
                slug,
                &[("login", &user.username), ("password", &user.password)],
            )
            .await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SEE_OTHER,
            "login of {} at {slug}",
            user.username
        );
        response
    }

    pub async fn register_page_of(&self, slug: &str) -> Html {
        self.get_html(&format!("/o/{slug}/register")).await
    }

    pub async fn register_at(&self, slug: &str, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/o/{slug}/register"), fields).await
    }

    pub async fn organisations_page(&self) -> Html {
        self.get_html("/admin/organisations").await
    }

    pub async fn create_organisation(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/organisations", fields).await
    }

    pub async fn organisation_page(&self, id: impl Display) -> Html {
        self.get_html(&format!("/admin/organisations/{id}")).await
    }

    pub async fn rename_organisation(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/admin/organisations/{id}"), fields)
            .await
    }

    pub async fn disable_organisation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/organisations/{id}/disable"), &[])
            .await
    }

    pub async fn enable_organisation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/organisations/{id}/enable"), &[])
            .await
    }

    pub async fn create_organisation_admin(
        &self,
        id: impl Display,
        fields: Fields<'_>,
    ) -> Response {
        self.post_form(&format!("/admin/organisations/{id}/admins"), fields)
            .await
    }
}
