//! Registering, signing in and out.

use gatehouse::domain::UserStatus;
use reqwest::Response;

use super::{TestApp, TestUser};

impl TestApp {
    pub async fn register(
        &self,
        username: &str,
        email: &str,
        full_name: &str,
        password: &str,
    ) -> Response {
        self.register_with(&[
            ("username", username),
            ("email", email),
            ("full_name", full_name),
            ("password", password),
            ("password_confirm", password),
        ])
        .await
    }

    /// POSTs the registration form with exactly `fields` (and a token).
    pub async fn register_with(&self, fields: &[(&str, &str)]) -> Response {
        self.post_form("/register", fields).await
    }
}

/// An Active user with `role`, signed in on a browser of their own.
pub async fn signed_in(app: &TestApp, name: &str, role: &str) -> (TestUser, TestApp) {
    let user = app.create_user(name, role, UserStatus::Active).await;
    let browser = app.another_browser();
    browser.login_as(&user).await;
    (user, browser)
}
