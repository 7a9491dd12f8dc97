//! The group endpoints.

use std::fmt::Display;

use reqwest::Response;
use scraper::Html;

use super::TestApp;

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    pub async fn groups_page(&self) -> Html {
        self.get_html("/admin/groups").await
    }

    pub async fn create_group_with(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/groups", fields).await
    }

    pub async fn group_page(&self, id: impl Display) -> Html {
        self.get_html(&format!("/admin/groups/{id}")).await
    }

    pub async fn update_group(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/admin/groups/{id}"), fields).await
    }

    pub async fn delete_group(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/groups/{id}/delete"), &[])
            .await
    }

    pub async fn add_group_member(&self, id: impl Display, username: &str) -> Response {
        self.post_form(
            &format!("/admin/groups/{id}/members"),
            &[("username", username)],
        )
        .await
    }

    pub async fn remove_group_member(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&format!("/admin/groups/{id}/members/remove"), fields)
            .await
    }

    /// The user page's "Add to group".
    pub async fn add_user_to_group(&self, user: impl Display, group: impl Display) -> Response {
        self.post_form(
            &format!("/admin/users/{user}/groups"),
            &[("group_id", &group.to_string())],
        )
        .await
    }
}
