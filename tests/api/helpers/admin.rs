//! The administration endpoints. Each takes the form's fields as given, so a
//! test can leave one out or send it twice.

use std::fmt::Display;

use reqwest::Response;
use scraper::Html;

use super::{TestApp, paths};

type Fields<'a> = &'a [(&'a str, &'a str)];

impl TestApp {
    /// The user list with `query` (without its `?`).
    pub async fn admin_users(&self, query: &str) -> Html {
        self.get_html(&paths::users(query)).await
    }

    pub async fn user_page(&self, id: impl Display) -> Html {
        self.get_html(&paths::user(id)).await
    }

    pub async fn approve_user(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::approve_user(id), fields).await
    }

    pub async fn reject_user(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::reject_user(id), fields).await
    }

    pub async fn disable_user(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::disable_user(id), fields).await
    }

    pub async fn enable_user(&self, id: impl Display) -> Response {
        self.post_form(&paths::enable_user(id), &[]).await
    }

    pub async fn save_user_profile(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::user_action(id, "profile"), fields)
            .await
    }

    pub async fn delete_user(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::delete_user(id), fields).await
    }

    pub async fn restore_user(&self, id: impl Display) -> Response {
        self.post_form(&paths::restore_user(id), &[]).await
    }

    pub async fn change_role(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::change_role(id), fields).await
    }

    pub async fn unlock_user(&self, id: impl Display) -> Response {
        self.post_form(&paths::unlock_user(id), &[]).await
    }

    pub async fn revoke_user_sessions(&self, id: impl Display) -> Response {
        self.post_form(&paths::revoke_user_sessions(id), &[]).await
    }

    pub async fn bulk_action(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/users/bulk", fields).await
    }

    pub async fn approve_role_request(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::approve_role_request(id), fields)
            .await
    }

    pub async fn deny_role_request(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::deny_role_request(id), fields).await
    }

    pub async fn create_role_with(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/roles", fields).await
    }

    pub async fn update_role(&self, id: impl Display, fields: Fields<'_>) -> Response {
        self.post_form(&paths::role(id), fields).await
    }

    pub async fn audit_csv(&self, query: &str) -> Response {
        self.get(&paths::audit_csv(query)).await
    }

    /// With mail off (as in tests) answers with the one-time link to hand over.
    pub async fn make_reset_link(&self, id: impl Display) -> Response {
        self.post_form(&paths::user_action(id, "password-reset"), &[])
            .await
    }

    pub async fn require_password_change(&self, id: impl Display) -> Response {
        self.post_form(&paths::user_action(id, "require-password-change"), &[])
            .await
    }

    pub async fn settings_page(&self) -> Html {
        self.get_html("/admin/settings").await
    }

    /// POSTs the settings form with exactly `fields` (and a token): a
    /// checkbox left out is unticked.
    pub async fn save_settings(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/settings", fields).await
    }

    /// The outbox with `query` (without its `?`).
    pub async fn outbox_page(&self, query: &str) -> Html {
        self.get_html(&format!("/admin/outbox?{query}")).await
    }

    /// The invitation form and the open invitations.
    pub async fn invitations_page(&self) -> Html {
        self.get_html("/admin/invitations").await
    }

    /// POSTs the invitation form with exactly `fields` (and a token). With
    /// mail off (as in tests) answers 200 with the links to hand over.
    pub async fn invite(&self, fields: Fields<'_>) -> Response {
        self.post_form("/admin/invitations", fields).await
    }

    /// An open invitation's "New link" (or "Send again" with mail on).
    pub async fn resend_invitation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/invitations/{id}/resend"), &[])
            .await
    }

    pub async fn revoke_invitation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/invitations/{id}/revoke"), &[])
            .await
    }
}
