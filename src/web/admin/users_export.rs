//! `GET /admin/users.csv`: the user list as CSV, with the same search and
//! filters, in registration order, streamed in keyset pages of 1,000 users
//! so memory stays flat however many match. The organisation's custom
//! fields are its last columns.

use actix_web::HttpResponse;
use actix_web::web;

use super::csv::{BATCH, Page, cell, download};
use super::user_filter::{ListParams, ListQuery};
use crate::domain::user_list::ExportedUser;
use crate::domain::{FieldDefinition, Timestamp};
use crate::services::queries;
use crate::web::context::Ctx;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};

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

pub async fn export(
    ctx: Ctx<Require<perm::UsersRead>>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = ctx.scope();
    let fields = crate::services::fields::list(&ctx.db, &scope).await?;
    let filter = ListParams::parse(&query, &fields).filter;
    let header = header_line(&fields);
    let db = ctx.db.clone().into_inner();
    let fetch = move |after: i64| {
        let (db, scope, filter, fields) =
            (db.clone(), scope.clone(), filter.clone(), fields.clone());
        async move {
            let users = queries::export_page(&db, &scope, &filter, after, BATCH).await?;
            Ok(Page::of(&users, |u| line(u, &fields), |u| u.listed.id.0))
        }
    };
    Ok(download("users", header, 0, "user export", fetch))
}
