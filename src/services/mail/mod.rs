//! Mail: the SMTP connection (`Mailer`), the words of every message
//! (`letters`), and the worker that drains the outbox (`worker`). Use cases
//! queue mail through their unit of work (`Work::mail`), never by sending.

pub mod letters;
pub mod outbox;
pub mod worker;

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::db::outbox::MailSwitch;
use crate::db::{self, Conn};
use crate::domain::{DEFAULT_ORGANISATION, OrgId};

/// The SMTP connection pool and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer the settings describe, or `None` when mail is off.
    /// Refuses a URL lettre cannot read or a sender that is not an address,
    /// without repeating the URL (it may hold the SMTP password).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = settings
            .smtp_url
            .as_ref()
            .filter(|_| settings.mail_enabled())
        else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret().trim())
            .map_err(|_| {
                anyhow::anyhow!(
                    "smtp_url (GATEHOUSE_SMTP_URL) is not an SMTP address: use \
                     smtp://user:pass@host:587?tls=required, smtps://host or smtp://127.0.0.1:2525"
                )
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = sender(settings)?;
        Ok(Some(Mailer { transport, from }))
    }
}

/// The `From` of every mail: the setting, or gatehouse@ the public host.
fn sender(settings: &Settings) -> anyhow::Result<Mailbox> {
    let configured = settings
        .mail_from
        .as_deref()
        .filter(|f| !f.trim().is_empty());
    let from = match configured {
        Some(from) => from.trim().to_owned(),
        None => format!("Gatehouse <gatehouse@{}>", public_host(settings)),
    };
    from.parse()
        .with_context(|| format!("mail_from (GATEHOUSE_MAIL_FROM) is not a mail address: {from:?}"))
}

fn public_host(settings: &Settings) -> String {
    url::Url::parse(&settings.public_origin())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into())
}

/// Mail on or off for the database's unit of work, from the settings.
pub fn switch(settings: &Settings) -> MailSwitch {
    MailSwitch {
        enabled: settings.mail_enabled(),
        public_url: settings.public_origin(),
        host: public_host(settings),
        wake: Default::default(),
    }
}

/// What a mail needs of its organisation.
#[derive(Debug, Clone)]
pub struct MailOrg {
    /// The name it is signed with: the organisation's, or "Gatehouse" for
    /// the default organisation while it keeps its built-in name.
    pub name: String,
    /// The organisation's pages under the public address: `https://…` or
    /// `https://…/o/acme` (its sign-in page is `{pages}/login`).
    pub pages: String,
    /// The same path prefix without the address: "" or `/o/acme`.
    pub prefix: String,
    /// Gatehouse's public address, for the pages every organisation shares
    /// (`/account/sessions`, `/admin/…`).
    pub public: String,
    /// Reviewers approve only verified addresses (the setting, or the
    /// default: on while mail is on).
    pub approve_verified_only: bool,
}

impl MailOrg {
    pub async fn load(
        conn: &mut Conn,
        organisation: OrgId,
        mail: &MailSwitch,
    ) -> anyhow::Result<MailOrg> {
        let facts = db::organisations::mail_facts(conn, organisation)
            .await?
            .context("the organisation of the mail does not exist")?;
        let is_default = organisation == DEFAULT_ORGANISATION;
        let prefix = match is_default {
            true => String::new(),
            false => format!("/o/{}", facts.slug),
        };
        Ok(MailOrg {
            name: match is_default && facts.name == "Default" {
                true => "Gatehouse".to_owned(),
                false => facts.name,
            },
            pages: format!("{}{prefix}", mail.public_url),
            prefix,
            public: mail.public_url.clone(),
            // Without mail nobody could verify, so the setting waits.
            approve_verified_only: mail.enabled && facts.approve_verified_only.unwrap_or(true),
        })
    }
}
