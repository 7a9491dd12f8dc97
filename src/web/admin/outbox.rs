//! Admin: the mail outbox (`/admin/outbox`, `mail.read`): recipient,
//! subject, status, attempts and the last error, filtered by status and
//! recipient, newest first. Never a body: it may carry a one-time link.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::url_with;
use crate::db::outbox::{Filter, Listed};
use crate::domain::Timestamp;
use crate::domain::mail::MailStatus;
use crate::services::mail::outbox;
use crate::web::context::Ctx;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::layout::Layout;
use crate::web::render;

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    before: Option<i64>,
}

/// A message as the page shows it.
pub struct Row {
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

impl From<Listed> for Row {
    fn from(m: Listed) -> Row {
        Row {
            recipient: m.recipient,
            subject: m.subject,
            kind: m.kind,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created_at: Timestamp(m.created_at),
            sent_at: m.sent_at.map(Timestamp),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    rows: Vec<Row>,
    statuses: [MailStatus; 3],
    status: &'static str,
    recipient: String,
    /// The next page's address, when older messages follow.
    older: Option<String>,
    /// Whether this instance sends mail at all.
    mail: bool,
}

pub async fn list(
    ctx: Ctx<Require<perm::MailRead>>,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let status = MailStatus::parse(&query.status);
    let recipient: String = query.recipient.trim().chars().take(254).collect();
    let filter = Filter {
        status,
        recipient: &recipient,
        before: query.before,
    };
    let (listed, more) = outbox::list(&ctx.db, ctx.authorized(), &filter).await?;
    let status = status.map_or("", MailStatus::as_str);
    let older = listed.last().filter(|_| more).map(|last| {
        url_with(
            "/admin/outbox",
            &[
                ("status", status),
                ("recipient", &recipient),
                ("before", &last.id.to_string()),
            ],
        )
    });
    Ok(render(OutboxPage {
        layout: ctx.layout().await?,
        rows: listed.into_iter().map(Row::from).collect(),
        statuses: MailStatus::ALL,
        status,
        recipient,
        older,
        mail: ctx.db.mail().enabled,
    }))
}
