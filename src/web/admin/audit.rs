//! Admin: the audit log, newest first, with the hash chain's state and a
//! CSV export of the same filtered view.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Pager, url_with};
use crate::domain::audit_chain::AuditFilter;
use crate::domain::audit_chain::AuditRecord;
use crate::domain::{AuditAction, Page};
use crate::services::audit_chain::{ChainMonitor, ChainStatus};
use crate::services::queries::{self, PAGE_SIZE};
use crate::web::context::Ctx;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
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

/// The query's filters, cleaned, and as they go back into links.
pub struct ParsedFilter {
    pub filter: AuditFilter,
    pub actor: String,
    pub action: &'static str,
    pub target: String,
}

pub fn parse_filter(query: &AuditQuery) -> ParsedFilter {
    let actor: String = query.actor.trim().chars().take(64).collect();
    let target: String = query.target.trim().chars().take(200).collect();
    let action = AuditAction::parse(&query.action);
    ParsedFilter {
        filter: AuditFilter {
            actor: Some(actor.clone()).filter(|s| !s.is_empty()),
            action,
            target: Some(target.clone()).filter(|s| !s.is_empty()),
            involving: None,
        },
        actor,
        action: action.map_or("", AuditAction::as_str),
        target,
    }
}

impl ParsedFilter {
    fn url(&self, path: &str) -> String {
        url_with(
            path,
            &[
                ("actor", &self.actor),
                ("action", self.action),
                ("target", &self.target),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    history: Vec<AuditRecord>,
    actor: String,
    action: String,
    target: String,
    actions: &'static [AuditAction],
    pager: Pager,
    chain: ChainStatus,
    csv: String,
}

pub async fn list(
    ctx: Ctx<Require<perm::AuditRead>>,
    monitor: web::Data<ChainMonitor>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let parsed = parse_filter(&query);
    let page = Page::parse(Some(&query.page), PAGE_SIZE);
    let (entries, total) = queries::audit(&ctx.db, &ctx.scope(), &parsed.filter, page).await?;
    let chain = monitor.status(&ctx.db).await?;
    Ok(render(AuditPage {
        layout: ctx.layout().await?,
        history: entries,
        pager: Pager::new(&parsed.url("/admin/audit"), page.number, total, PAGE_SIZE),
        csv: parsed.url("/admin/audit.csv"),
        actor: parsed.actor,
        action: parsed.action.to_owned(),
        target: parsed.target,
        actions: &AuditAction::ALL,
        chain,
    }))
}
