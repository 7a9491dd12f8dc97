//! `GET /admin/audit.csv`: the audit log's filtered view as CSV, newest
//! first, streamed in keyset pages (`csv::download`).

use actix_web::HttpResponse;
use actix_web::web;

use super::audit::{AuditQuery, parse_filter};
use super::csv::{BATCH, Page, cell, download};
use crate::db::Db;
use crate::domain::audit_chain::AuditRecord;
use crate::services::queries;
use crate::web::extractors::{Require, perm};
const HEADER: &str =
    "id,time_utc,actor_id,actor,action,target_type,target,before,after,reason,ip,user_agent\r\n";

fn line(e: &AuditRecord) -> String {
    let text = |v: &Option<String>| cell(v.as_deref().unwrap_or_default());
    let fields = [
        e.id.to_string(),
        cell(&e.at().iso()),
        e.actor_id.map(|id| id.to_string()).unwrap_or_default(),
        text(&e.actor_username),
        cell(&e.action),
        text(&e.target_type),
        text(&e.target_label),
        text(&e.before_value),
        text(&e.after_value),
        text(&e.reason),
        text(&e.ip),
        text(&e.user_agent),
    ];
    let mut out = fields.join(",");
    out.push_str("\r\n");
    out
}

pub async fn export(
    db: web::Data<Db>,
    user: Require<perm::AuditRead>,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let filter = parse_filter(&query).filter;
    let (db, scope) = (db.into_inner(), user.scope());
    let fetch = move |before: i64| {
        let (db, scope, filter) = (db.clone(), scope.clone(), filter.clone());
        async move {
            let rows = queries::audit_page_before(&db, &scope, &filter, before, BATCH).await?;
            Ok(Page::of(&rows, line, |row| row.id))
        }
    };
    download("audit", HEADER.to_owned(), i64::MAX, "audit export", fetch)
}
