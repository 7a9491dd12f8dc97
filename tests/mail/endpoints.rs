//! One helper per endpoint the mail tests drive: the pages that send mail
//! and the pages its links open. Each takes what the form asks for, so a
//! test reads as what a person does.

use std::fmt::Display;

use reqwest::Response;
use scraper::Html;

use crate::app::TestApp;

impl TestApp {
    /// Asks for a reset link for `login` (a username or an email) on the
    /// forgot-password page of the only organisation.
    pub async fn ask_for_reset_link(&self, login: &str) -> Response {
        self.post_form("/password/forgot", &[("login", login)])
            .await
    }

    /// Asks for a reset link for `login` on the forgot-password page of the
    /// organisation `slug`.
    pub async fn ask_for_reset_link_at(&self, slug: &str, login: &str) -> Response {
        self.post_form(&format!("/o/{slug}/password/forgot"), &[("login", login)])
            .await
    }

    /// Requests a mailed link's path and query (`ReceivedMail::link`), as a
    /// browser opening it would.
    pub async fn open_link(&self, path_and_query: &str) -> Response {
        self.get(path_and_query).await
    }

    /// Sends a new password, twice, from the form a reset link opened.
    pub async fn reset_password(&self, token: &str, new: &str) -> Response {
        self.post_form(
            "/password/reset",
            &[
                ("token", token),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await
    }

    /// Registers `username` (at `username@example.com`) in the only
    /// organisation; the browser is then signed in as that Pending user.
    pub async fn register(&self, username: &str) -> Response {
        let email = format!("{username}@example.com");
        let full_name = format!("{username} Tester");
        self.post_form(
            "/register",
            &[
                ("username", username),
                ("email", &email),
                ("full_name", &full_name),
                ("password", crate::app::PASSWORD),
                ("password_confirm", crate::app::PASSWORD),
            ],
        )
        .await
    }

    /// The pending page's "Send the link again".
    pub async fn resend_verification_link(&self) -> Response {
        self.post_form("/email/verify/resend", &[]).await
    }

    /// Asks, on the profile, to use `email` as the signed-in user's address.
    pub async fn change_email(&self, email: &str) -> Response {
        self.post_form("/account/email", &[("email", email)]).await
    }

    pub async fn profile_page(&self) -> Html {
        self.get_html("/account/profile").await
    }

    pub async fn user_page(&self, id: impl Display) -> Html {
        self.get_html(&format!("/admin/users/{id}")).await
    }

    pub async fn approve_user(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/users/{id}/approve"), &[])
            .await
    }

    pub async fn reject_user(&self, id: impl Display, reason: &str) -> Response {
        self.post_form(&format!("/admin/users/{id}/reject"), &[("reason", reason)])
            .await
    }

    pub async fn disable_user(&self, id: impl Display, reason: &str) -> Response {
        self.post_form(&format!("/admin/users/{id}/disable"), &[("reason", reason)])
            .await
    }

    pub async fn enable_user(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/users/{id}/enable"), &[])
            .await
    }

    /// The user page's "Mail a password reset link".
    pub async fn send_reset_link(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/users/{id}/password-reset"), &[])
            .await
    }

    /// Saves /admin/settings with "approve only confirmed addresses" ticked
    /// or not (a checkbox left unticked is absent from the form).
    pub async fn save_settings(&self, approve_verified_only: bool) -> Response {
        let fields: &[(&str, &str)] = match approve_verified_only {
            true => &[("approve_verified_only", "on")],
            false => &[],
        };
        self.post_form("/admin/settings", fields).await
    }

    /// /admin/outbox with `query` (without its `?`).
    pub async fn outbox_page(&self, query: &str) -> Response {
        self.get(&format!("/admin/outbox?{query}")).await
    }

    /// Invites `addresses` (one per line) with the role named `role` on
    /// /admin/invitations; with mail on it redirects back to that page.
    pub async fn invite(&self, addresses: &str, role: &str) -> Response {
        let role_id = self.role_id(role).await.to_string();
        self.post_form(
            "/admin/invitations",
            &[("addresses", addresses), ("role_id", &role_id)],
        )
        .await
    }

    /// An open invitation's "Send again"; `id` is its account's.
    pub async fn resend_invitation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/invitations/{id}/resend"), &[])
            .await
    }

    /// An open invitation's "Revoke"; `id` is its account's.
    pub async fn revoke_invitation(&self, id: impl Display) -> Response {
        self.post_form(&format!("/admin/invitations/{id}/revoke"), &[])
            .await
    }

    /// Accepts the invitation of `token` as `username` ("`username`
    /// Invitee"), typing `password` twice.
    pub async fn accept_invitation(&self, token: &str, username: &str, password: &str) -> Response {
        self.post_form(
            "/invitations/accept",
            &[
                ("token", token),
                ("username", username),
                ("full_name", &format!("{username} Invitee")),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    /// The signed-in user's notification centre.
    pub async fn notifications_page(&self) -> Html {
        self.get_html("/notifications").await
    }

    /// Saves /account/notifications with exactly `kinds` ticked to come by
    /// mail (a browser sends neither unticked nor disabled boxes).
    pub async fn save_notification_settings(&self, kinds: &[&str]) -> Response {
        let fields: Vec<(&str, &str)> = kinds.iter().map(|kind| ("mail", *kind)).collect();
        self.post_form("/account/notifications", &fields).await
    }

    /// Gives user `id` the role named `role` on their page.
    pub async fn change_role(&self, id: impl Display, role: &str) -> Response {
        let role_id = self.role_id(role).await.to_string();
        self.post_form(&format!("/admin/users/{id}/role"), &[("role_id", &role_id)])
            .await
    }

    /// The user list's bulk "Approve" for the users `ids`.
    pub async fn bulk_approve(&self, ids: &[String]) -> Response {
        let mut fields = vec![("action", "approve")];
        fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
        self.post_form("/admin/users/bulk", &fields).await
    }
}
