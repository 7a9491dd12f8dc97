//! The signed-in user's own endpoints: role requests, password, sessions.

use std::fmt::Display;

use reqwest::Response;

use super::{TestApp, paths};

impl TestApp {
    pub async fn profile_page(&self) -> scraper::Html {
        self.get_html("/account/profile").await
    }

    /// POSTs the profile form with exactly `fields` (and a token).
    pub async fn save_profile(&self, fields: &[(&str, &str)]) -> Response {
        self.post_form("/account/profile", fields).await
    }

    pub async fn submit_role_request(&self, role_id: &str, justification: &str) -> Response {
        self.submit_role_request_with(&[("role_id", role_id), ("justification", justification)])
            .await
    }

    /// POSTs the role-request form with exactly `fields` (and a token).
    pub async fn submit_role_request_with(&self, fields: &[(&str, &str)]) -> Response {
        self.post_form("/account/role-request", fields).await
    }

    pub async fn withdraw_role_request(&self, id: impl Display) -> Response {
        self.post_form(&paths::withdraw_role_request(id), &[]).await
    }

    pub async fn change_password(&self, current: &str, new: &str, confirm: &str) -> Response {
        self.change_password_with(&[
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirm", confirm),
        ])
        .await
    }

    /// POSTs the password form with exactly `fields` (and a token).
    pub async fn change_password_with(&self, fields: &[(&str, &str)]) -> Response {
        self.post_form("/account/password", fields).await
    }

    /// Ends one of this user's sessions, named by its public id.
    pub async fn revoke_session(&self, public_id: impl Display) -> Response {
        self.post_form(&paths::revoke_session(public_id), &[]).await
    }

    pub async fn revoke_other_sessions(&self) -> Response {
        self.post_form("/account/sessions/revoke-others", &[]).await
    }
}
