//! `GET /admin/audit.csv`: the audit log's filtered view as CSV, streamed in
//! keyset pages of 1,000 rows, so memory stays flat however long the log is.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use futures_util::stream;

use super::audit::{AuditQuery, parse_filter};
use super::csv::cell;
use crate::db::{Db, Scope};
use crate::domain::Timestamp;
use crate::domain::audit_chain::AuditFilter;
use crate::domain::audit_chain::AuditRecord;
use crate::services::queries;
use crate::web::extractors::{Require, perm};

const BATCH: u64 = 1000;
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

struct Export {
    db: Arc<Db>,
    scope: Scope,
    filter: AuditFilter,
    /// Rows with ids below this come next.
    before: i64,
    header_sent: bool,
    done: bool,
}

/// The next chunk: the header line, then one keyset page at a time.
async fn next_chunk(mut export: Export) -> Option<(Result<Bytes, std::io::Error>, Export)> {
    if export.done {
        return None;
    }
    if !export.header_sent {
        export.header_sent = true;
        return Some((Ok(Bytes::from_static(HEADER.as_bytes())), export));
    }
    match queries::audit_page_before(
        &export.db,
        &export.scope,
        &export.filter,
        export.before,
        BATCH,
    )
    .await
    {
        Ok(rows) => {
            let last = rows.last()?.id;
            export.done = (rows.len() as u64) < BATCH;
            export.before = last;
            let body: String = rows.iter().map(line).collect();
            Some((Ok(Bytes::from(body)), export))
        }
        Err(err) => {
            // Headers are already sent: cutting the download short is the
            // only way left to say it failed.
            tracing::error!(error = ?err, "the audit export failed");
            export.done = true;
            Some((
                Err(std::io::Error::other("the audit export failed")),
                export,
            ))
        }
    }
}

pub async fn export(
    db: web::Data<Db>,
    user: Require<perm::AuditRead>,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let filter = parse_filter(&query).filter;
    let name = format!(
        "gatehouse-audit-{}.csv",
        Timestamp::now().iso().replace([':', '-'], "")
    );
    let state = Export {
        db: db.into_inner(),
        scope: user.scope(),
        filter,
        before: i64::MAX,
        header_sent: false,
        done: false,
    };
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(stream::unfold(state, next_chunk))
}
