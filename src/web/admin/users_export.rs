//! `GET /admin/users.csv`: the user list as CSV, with the same search and
//! filters, in registration order, streamed in keyset pages of 1,000 users
//! so memory stays flat however many match. The organisation's custom
//! fields are its last columns.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use futures_util::stream;

use super::csv::cell;
use super::user_filter::{ListParams, ListQuery};
use crate::db::{Db, Scope};
use crate::domain::user_list::{ExportedUser, UserFilter};
use crate::domain::{FieldDefinition, Timestamp};
use crate::services::queries;
use crate::web::context::Ctx;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};

const BATCH: u64 = 1000;
const COLUMNS: &str = "id,username,email,full_name,phone,status,role,registered_utc,\
     last_login_utc,logins,last_active_utc,minutes_of_use";

fn header_line(fields: &[FieldDefinition]) -> String {
    let mut line = COLUMNS.to_owned();
    for field in fields {
        line.push(',');
        line.push_str(&cell(&field.label));
    }
    line.push_str("\r\n");
    line
}

fn line(user: &ExportedUser, fields: &[FieldDefinition]) -> String {
    let u = &user.listed;
    let time = |t: Option<Timestamp>| cell(&t.map(|t| t.iso()).unwrap_or_default());
    let mut cells = vec![
        u.id.to_string(),
        cell(&u.username),
        cell(&u.email),
        cell(&u.full_name),
        cell(&user.phone),
        cell(u.status.as_str()),
        cell(&u.role_name),
        time(Some(u.created_at)),
        time(u.last_login_at),
        u.login_count.to_string(),
        time(u.last_active_at),
        user.minutes_of_use.to_string(),
    ];
    cells.extend(
        fields
            .iter()
            .map(|f| cell(user.metadata.get(f.key.as_str()).unwrap_or_default())),
    );
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

struct Export {
    db: Arc<Db>,
    scope: Scope,
    filter: UserFilter,
    fields: Vec<FieldDefinition>,
    /// Users with ids above this come next.
    after: i64,
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
        return Some((Ok(Bytes::from(header_line(&export.fields))), export));
    }
    let page = queries::export_page(
        &export.db,
        &export.scope,
        &export.filter,
        export.after,
        BATCH,
    )
    .await;
    match page {
        Ok(users) => {
            export.after = users.last()?.listed.id.0;
            export.done = (users.len() as u64) < BATCH;
            let body: String = users.iter().map(|u| line(u, &export.fields)).collect();
            Some((Ok(Bytes::from(body)), export))
        }
        Err(err) => {
            // Headers are already sent: cutting the download short is the
            // only way left to say it failed.
            tracing::error!(error = ?err, "the user export failed");
            export.done = true;
            Some((Err(std::io::Error::other("the user export failed")), export))
        }
    }
}

pub async fn export(
    ctx: Ctx<Require<perm::UsersRead>>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = ctx.scope();
    let fields = queries::custom_fields(&ctx.db, &scope).await?;
    let params = ListParams::parse(&query, &fields);
    let name = format!(
        "gatehouse-users-{}.csv",
        Timestamp::now().iso().replace([':', '-'], "")
    );
    let state = Export {
        db: ctx.db.clone().into_inner(),
        scope,
        filter: params.filter,
        fields,
        after: 0,
        header_sent: false,
        done: false,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(stream::unfold(state, next_chunk)))
}
