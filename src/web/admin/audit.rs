//! Admin: the audit log, newest first.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Pager, url_with};
use crate::auth::{Require, perm};
use crate::db::Db;
use crate::db::audit::{AuditEntry, AuditFilter};
use crate::domain::{AuditAction, Page};
use crate::error::AppError;
use crate::services::queries::{self, PAGE_SIZE};
use crate::web::layout::Layout;
use crate::web::render;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    history: Vec<AuditEntry>,
    actor: String,
    action: String,
    target: String,
    actions: [AuditAction; 17],
    pager: Pager,
}

pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    user: Require<perm::AuditRead>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let actor: String = query.actor.trim().chars().take(64).collect();
    let target: String = query.target.trim().chars().take(200).collect();
    let action = AuditAction::parse(&query.action);
    let filter = AuditFilter {
        actor: Some(actor.clone()).filter(|s| !s.is_empty()),
        action,
        target: Some(target.clone()).filter(|s| !s.is_empty()),
        involving: None,
    };
    let page = Page::parse(Some(&query.page), PAGE_SIZE);
    let (entries, total) = queries::audit(&db, &filter, page).await?;
    let action_str = action.map_or("", AuditAction::as_str);
    let base = url_with(
        "/admin/audit",
        &[
            ("actor", &actor),
            ("action", action_str),
            ("target", &target),
        ],
    );
    Ok(render(AuditPage {
        layout: Layout::for_user(&req, &user),
        history: entries,
        actor,
        action: action_str.to_owned(),
        target,
        actions: AuditAction::ALL,
        pager: Pager::new(&base, page.number, total, PAGE_SIZE),
    }))
}
