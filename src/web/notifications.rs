//! The notification centre (`/notifications`): the signed-in user's notices,
//! newest first, marked read one by one or all at once; and what goes by
//! mail (`/account/notifications`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::Empty;
use super::context::Ctx;
use super::csrf::CsrfForm;
use super::error::AppError;
use super::extractors::CurrentUser;
use super::flash::{Flash, redirect_with};
use super::layout::Layout;
use super::render;
use crate::domain::Timestamp;
use crate::domain::notification::NoticeKind;
use crate::services::notifications::{self, Preference};

/// A notice as the centre shows it.
pub struct Row {
    pub id: i64,
    pub text: String,
    /// A page of Gatehouse's (never another site: notices are written by
    /// Gatehouse with its own paths).
    pub link: String,
    pub created_at: Timestamp,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "account/notifications.html")]
struct CentrePage {
    layout: Layout,
    rows: Vec<Row>,
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    before: Option<i64>,
}

pub async fn list(
    ctx: Ctx<CurrentUser>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (listed, more) = notifications::list(&ctx.db, &ctx.actor(), query.before).await?;
    let older = listed
        .last()
        .filter(|_| more)
        .map(|last| format!("/notifications?before={}", last.id));
    let rows = listed
        .into_iter()
        .map(|n| Row {
            id: n.id,
            text: n.text,
            link: Some(n.link)
                .filter(|l| l.starts_with('/') && !l.starts_with("//"))
                .unwrap_or_default(),
            created_at: Timestamp(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    Ok(render(CentrePage {
        layout: ctx.layout().await?,
        rows,
        older,
    }))
}

pub async fn read_one(
    ctx: Ctx<CurrentUser>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    notifications::mark_read(&ctx.db, &ctx.actor(), Some(path.into_inner()), &ctx.meta).await?;
    Ok(redirect_with(
        "/notifications",
        Flash::success("Marked as read."),
    ))
}

pub async fn read_all(
    ctx: Ctx<CurrentUser>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let n = notifications::mark_read(&ctx.db, &ctx.actor(), None, &ctx.meta).await?;
    let text = match n {
        0 => "Nothing was unread.".to_owned(),
        1 => "1 notice marked as read.".to_owned(),
        n => format!("{n} notices marked as read."),
    };
    Ok(redirect_with("/notifications", Flash::success(text)))
}

#[derive(Template)]
#[template(path = "account/notification_settings.html")]
struct SettingsPage {
    layout: Layout,
    preferences: Vec<Preference>,
    mail: bool,
}

pub async fn settings(ctx: Ctx<CurrentUser>) -> Result<HttpResponse, AppError> {
    let preferences = notifications::preferences(&ctx.db, &ctx.actor()).await?;
    Ok(render(SettingsPage {
        layout: ctx.layout().await?,
        preferences,
        mail: ctx.db.mail().enabled,
    }))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// The kinds ticked to go by mail.
    #[serde(default)]
    mail: Vec<String>,
}

pub async fn save_settings(
    ctx: Ctx<CurrentUser>,
    form: CsrfForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let by_mail: Vec<NoticeKind> = form
        .into_inner()
        .mail
        .iter()
        .take(100)
        .filter_map(|k| NoticeKind::parse(k))
        .collect();
    notifications::save_preferences(&ctx.db, &ctx.actor(), &by_mail, &ctx.meta).await?;
    Ok(redirect_with(
        "/account/notifications",
        Flash::success("Your notification settings have been saved."),
    ))
}
