//! The signed-in user's own endpoints: role requests, password, sessions;
//! getting back in with a forgotten password; accepting an invitation;
//! the notification centre and what of it comes by mail.

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

    pub async fn forgot_password_page(&self) -> scraper::Html {
        self.get_html("/password/forgot").await
    }

    /// Asks for a reset link for `login` on the forgot-password page.
    pub async fn ask_for_reset_link(&self, login: &str) -> Response {
        self.post_form("/password/forgot", &[("login", login)])
            .await
    }

    /// Opens a reset link: the form, or 410 when the link no longer works.
    pub async fn open_reset_link(&self, token: &str) -> Response {
        self.client
            .get(self.url("/password/reset"))
            .query(&[("token", token)])
            .send()
            .await
            .expect("GET")
    }

    /// Sends a new password from the form a reset link opened.
    pub async fn reset_password(&self, token: &str, new: &str, confirm: &str) -> Response {
        self.post_form(
            "/password/reset",
            &[
                ("token", token),
                ("new_password", new),
                ("new_password_confirm", confirm),
            ],
        )
        .await
    }

    /// Asks to use `email` as this user's address (the profile's email form).
    pub async fn change_email(&self, email: &str) -> Response {
        self.post_form("/account/email", &[("email", email)]).await
    }

    /// Opens a verification link, with `token` or with no token at all:
    /// 410 when the link no longer works.
    pub async fn open_verification_link(&self, token: Option<&str>) -> Response {
        let query: Vec<(&str, &str)> = token.map(|t| ("token", t)).into_iter().collect();
        self.client
            .get(self.url("/email/verify"))
            .query(&query)
            .send()
            .await
            .expect("GET")
    }

    /// The pending page's "send the link again".
    pub async fn resend_verification_link(&self) -> Response {
        self.post_form("/email/verify/resend", &[]).await
    }

    /// Opens an invitation link: the acceptance form, or 410 when the link
    /// no longer works.
    pub async fn open_invitation_link(&self, token: &str) -> Response {
        self.client
            .get(self.url("/invitations/accept"))
            .query(&[("token", token)])
            .send()
            .await
            .expect("GET")
    }

    /// POSTs the acceptance form with exactly `fields` (and a CSRF token).
    pub async fn accept_invitation(&self, fields: &[(&str, &str)]) -> Response {
        self.post_form("/invitations/accept", fields).await
    }

    /// The notification centre: the signed-in user's notices, newest first.
    pub async fn notifications_page(&self) -> scraper::Html {
        self.get_html("/notifications").await
    }

    /// A notice's "Mark as read", by the notice's id.
    pub async fn mark_notice_read(&self, id: impl Display) -> Response {
        self.post_form(&format!("/notifications/{id}/read"), &[])
            .await
    }

    /// The centre's "Mark all as read".
    pub async fn mark_all_notices_read(&self) -> Response {
        self.post_form("/notifications/read-all", &[]).await
    }

    /// The page that says which notices also come by mail.
    pub async fn notification_settings_page(&self) -> scraper::Html {
        self.get_html("/account/notifications").await
    }

    /// Saves the notification settings with exactly `kinds` ticked (a
    /// browser sends neither unticked nor disabled boxes).
    pub async fn save_notification_settings(&self, kinds: &[&str]) -> Response {
        let fields: Vec<(&str, &str)> = kinds.iter().map(|kind| ("mail", *kind)).collect();
        self.post_form("/account/notifications", &fields).await
    }
}
