//! Mail for the scenarios that need it: aiosmtpd (tests/common/smtp.rs,
//! installed in target/mail-tools by `.ci/run`) and an app that mails
//! through it with its outbox worker running. The app listens on a port
//! picked before it is built, so its public URL, the base of every mailed
//! link, is its real address: a browser opens a link exactly as mailed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use gatehouse::services::mail::{Mailer, worker};
use secrecy::SecretString;

use crate::browser::{Browser, Result};
use crate::harness::{TestApp, spawn_app_with};
use crate::proxy::free_port;
pub use crate::smtp::{ReceivedMail, SmtpSink};

/// An app that mails through `sink`, its links under its own address, with
/// its outbox worker started (as `gatehouse serve` starts it).
pub async fn spawn_app_mailing_to(sink: &SmtpSink) -> TestApp {
    // Free when picked, not reserved: the suite picks chromedriver's and
    // nginx's ports the same way.
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let mut built_with = None;
    let app = spawn_app_with(|settings| {
        settings.bind = format!("127.0.0.1:{port}");
        settings.smtp_url = Some(SecretString::from(sink.url()));
        settings.public_url = Some(public.clone());
        built_with = Some(settings.clone());
    })
    .await;
    assert_eq!(app.address, public, "the app listens where its links point");
    let settings = built_with.expect("the settings the app was built with");
    let mailer = Mailer::from_settings(&settings)
        .expect("the mail settings are valid")
        .expect("mail is on");
    worker::start(app.db.clone(), Arc::new(mailer));
    app
}

/// Waits up to `MAIL_WAIT` for the first message to `address`.
pub async fn first_mail_to(sink: &SmtpSink, address: &str) -> Result<ReceivedMail> {
    let deadline = Instant::now() + crate::smtp::MAIL_WAIT;
    loop {
        if let Some(mail) = sink.to(address).into_iter().next() {
            return Ok(mail);
        }
        if Instant::now() > deadline {
            let arrived: Vec<String> = sink
                .messages()
                .iter()
                .map(|m| format!("{} to {}", m.subject, m.to))
                .collect();
            anyhow::bail!("no mail to {address}; arrived: {arrived:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Browser {
    /// Opens the link in `mail` whose path starts with `prefix`, its whole
    /// address as mailed, as a person clicking it in their mail would.
    pub async fn open_mailed_link(&self, mail: &ReceivedMail, prefix: &str) -> Result {
        let address = mail
            .address(prefix)
            .with_context(|| format!("no {prefix} link in {:?}", mail.text))?;
        self.client.goto(&address).await?;
        Ok(())
    }
}
