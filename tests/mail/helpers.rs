//! The mail suite's app: mail on, through an `SmtpSink`, with links under a
//! public URL of its own; the outbox as the tests read it, and waiting for
//! mail (or for none). The endpoints' helpers are in `endpoints.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse::config::Settings;
use gatehouse::services::mail::{Mailer, worker};
use reqwest::Response;
use secrecy::SecretString;

pub use crate::app::*;
pub use crate::reading::*;
pub use crate::smtp::{ReceivedMail, SmtpSink};
pub use gatehouse::domain::UserStatus;

/// The app listens on port 0, so its mail cannot carry its real address: a
/// test follows a link by requesting the link's path and query.
pub const PUBLIC_URL: &str = "http://gatehouse.test";

/// Mail on, through `sink`, from the default sender (gatehouse@ the public
/// host).
pub fn mail_through(sink: &SmtpSink) -> impl FnOnce(&mut Settings) {
    let smtp_url = sink.url();
    move |settings| {
        settings.smtp_url = Some(SecretString::from(smtp_url));
        settings.public_url = Some(PUBLIC_URL.into());
    }
}

/// An app that mails through `sink`. Its outbox worker is not started: a
/// test starts it (`start_mail_worker`), or leaves it off to stand for a
/// process that died before sending.
pub async fn spawn_app_mailing_to(sink: &SmtpSink) -> TestApp {
    spawn_app_with(mail_through(sink)).await
}

/// One row of `mail_outbox`, as the tests check it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

impl TestApp {
    /// Starts this instance's outbox worker, sending through `sink`. It is
    /// what `Application::start_mail_worker` does; `TestApp` cannot call
    /// that, since the `Application` went into its server task, so (like
    /// `start_jobs`) it builds the worker's parts from the same settings.
    pub fn start_mail_worker(&self, sink: &SmtpSink) {
        let mut settings = test_settings(self.database_url.clone());
        mail_through(sink)(&mut settings);
        let mailer = Mailer::from_settings(&settings)
            .expect("the mail settings are valid")
            .expect("mail is on");
        worker::start(self.db.clone(), Arc::new(mailer));
    }

    /// Changes the signed-in user's password on /account/password.
    pub async fn change_password(&self, current: &str, new: &str) -> Response {
        self.post_form(
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await
    }

    /// Every message in the outbox, oldest first.
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        sqlx::query_as(
            "SELECT id, kind, recipient, message_id, subject, body_text, body_html, status, \
             attempts, last_error, sent_at FROM mail_outbox ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .expect("the outbox")
    }

    /// The one message in the outbox.
    pub async fn only_outbox_row(&self) -> OutboxRow {
        let rows = self.outbox().await;
        assert_eq!(rows.len(), 1, "one message in the outbox: {rows:?}");
        rows.into_iter().next().unwrap()
    }

    /// Waits up to 10 s until the one message in the outbox is as `wanted`
    /// says (the worker records its attempts on its own time).
    pub async fn wait_for_outbox_row(&self, wanted: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let row = self.only_outbox_row().await;
            if wanted(&row) {
                return row;
            }
            assert!(Instant::now() < deadline, "the outbox row stayed {row:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits up to 10 s until the outbox as a whole is as `wanted` says,
    /// and returns it.
    pub async fn wait_for_outbox(&self, wanted: impl Fn(&[OutboxRow]) -> bool) -> Vec<OutboxRow> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows = self.outbox().await;
            if wanted(&rows) {
                return rows;
            }
            assert!(Instant::now() < deadline, "the outbox stayed {rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Makes every queued message due now and wakes this instance's worker:
    /// a retry would otherwise wait half a minute after a first failure.
    pub async fn make_queued_mail_due(&self) {
        sqlx::query("UPDATE mail_outbox SET next_attempt_at = 0 WHERE status = 'queued'")
            .execute(&self.db.pool)
            .await
            .expect("the outbox is updated");
        self.db.mail().wake.notify_one();
    }
}

/// A user, signed in on the app's own client.
pub async fn signed_in_user(app: &TestApp, username: &str) -> TestUser {
    let user = app
        .create_user(username, "Engineer", gatehouse::domain::UserStatus::Active)
        .await;
    app.login_as(&user).await;
    user
}

/// A password the policy takes, for the tests' password changes.
pub const NEW_PASSWORD: &str = "lantern-orchard-violet-1987";

/// How long a test waits before it says that nothing was mailed: the
/// forgot-password page answers first and does its work (a lookup, a
/// commit) afterwards, which takes milliseconds, not seconds.
const NOTHING_WAIT: Duration = Duration::from_millis(1500);

impl SmtpSink {
    /// Waits up to `MAIL_WAIT` until `count` messages arrived for
    /// `address`, and returns them, oldest first.
    pub async fn wait_for_mail_to(&self, address: &str, count: usize) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + crate::smtp::MAIL_WAIT;
        loop {
            let mail = self.to(address);
            if mail.len() >= count {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} messages to {address}, got {:?}",
                self.messages()
                    .iter()
                    .map(|m| format!("{} to {}", m.subject, m.to))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the one message to `address` and returns it.
    pub async fn wait_for_one_to(&self, address: &str) -> ReceivedMail {
        self.wait_for_mail_to(address, 1).await.remove(0)
    }
}

/// Waits a while, then expects the sink to hold exactly `expected`
/// messages and the outbox as many rows: nothing more was sent or queued.
pub async fn assert_no_more_mail(app: &TestApp, sink: &SmtpSink, expected: usize) {
    tokio::time::sleep(NOTHING_WAIT).await;
    let arrived: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| format!("{} to {}", m.subject, m.to))
        .collect();
    assert_eq!(
        arrived.len(),
        expected,
        "the mail that arrived: {arrived:?}"
    );
    assert_eq!(app.outbox().await.len(), expected, "the outbox");
}

/// The token of a link's path and query ("/password/reset?token=…").
pub fn token_of(link: &str) -> &str {
    link.split_once("?token=").expect("a token in the link").1
}

/// The reset link in `mail`, as a path and query.
pub fn reset_link(mail: &ReceivedMail) -> String {
    mail.link("/password/reset?token=")
        .unwrap_or_else(|| panic!("no reset link in {:?}", mail.text))
}

/// The verification link in `mail`, as a path and query.
pub fn verify_link(mail: &ReceivedMail) -> String {
    mail.link("/email/verify?token=")
        .unwrap_or_else(|| panic!("no verification link in {:?}", mail.text))
}

/// The kind of each outbox row for `recipient`, oldest first.
pub async fn kinds_mailed_to(app: &TestApp, recipient: &str) -> Vec<String> {
    app.outbox()
        .await
        .into_iter()
        .filter(|row| row.recipient == recipient)
        .map(|row| row.kind)
        .collect()
}

/// `username` registers on a browser of their own, which stays signed in
/// as that Pending user; returns it with the verification link mailed.
pub async fn registered(app: &TestApp, sink: &SmtpSink, username: &str) -> (TestApp, String) {
    let browser = app.another_browser();
    let response = browser.register(username).await;
    assert_redirect_to(&response, "/pending");
    let mail = sink
        .wait_for_one_to(&format!("{username}@example.com"))
        .await;
    (browser, verify_link(&mail))
}

/// The text of the page a verification link opened.
pub async fn verify_outcome(response: reqwest::Response) -> String {
    let page = html(response).await;
    texts(&page, "#verify-outcome")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no #verify-outcome in {}", page.html()))
}

/// The invitation link in `mail`, as a path and query.
pub fn invitation_link(mail: &ReceivedMail) -> String {
    mail.link("/invitations/accept?token=")
        .unwrap_or_else(|| panic!("no invitation link in {:?}", mail.text))
}
