//! Admin: the queue of role requests and the decisions on them.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Pager, outcome, url_with};
use crate::domain::RoleRequest;
use crate::domain::{Page, RoleRequestDecision, RoleRequestId, RoleRequestStatus};
use crate::services::queries::{self, PAGE_SIZE};
use crate::services::role_requests;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::layout::Layout;
use crate::web::render;

#[derive(Deserialize)]
pub struct ListQuery {
    /// "open" by default; "all" shows every request.
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "admin/role_requests.html")]
struct RoleRequestsPage {
    layout: Layout,
    requests: Vec<RoleRequest>,
    status: String,
    pager: Pager,
    viewer: i64,
}

pub async fn list(
    ctx: Ctx<Require<perm::RoleRequestsReview>>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (status, label) = match query.status.as_str() {
        "all" => (None, "all"),
        other => {
            let status = RoleRequestStatus::parse(other).unwrap_or(RoleRequestStatus::Open);
            (Some(status), status.as_str())
        }
    };
    let page = Page::parse(Some(&query.page), PAGE_SIZE);
    let (requests, total) = queries::role_requests(&ctx.db, &ctx.scope(), status, page).await?;
    let pager = Pager::new(
        &url_with("/admin/role-requests", &[("status", label)]),
        page.number,
        total,
        PAGE_SIZE,
    );
    Ok(render(RoleRequestsPage {
        layout: ctx.layout().await?,
        requests,
        status: label.to_owned(),
        pager,
        viewer: ctx.user().id.0,
    }))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    note: String,
}

async fn decide(
    ctx: Ctx<Require<perm::RoleRequestsReview>>,
    id: i64,
    note: String,
    decision: RoleRequestDecision,
) -> Result<HttpResponse, AppError> {
    let result = role_requests::decide(
        &ctx.db,
        ctx.authorized(),
        RoleRequestId(id),
        decision,
        &note,
        &ctx.meta,
    )
    .await;
    outcome("/admin/role-requests", result, |request| {
        let verb = if decision == RoleRequestDecision::Approve {
            "approved"
        } else {
            "denied"
        };
        format!(
            "{}'s request for {} has been {verb}.",
            request.username, request.role_name
        )
    })
}

macro_rules! decision_handler {
    ($name:ident, $decision:expr) => {
        pub async fn $name(
            ctx: Ctx<Require<perm::RoleRequestsReview>>,
            path: web::Path<i64>,
            form: CsrfForm<DecisionForm>,
        ) -> Result<HttpResponse, AppError> {
            decide(ctx, path.into_inner(), form.into_inner().note, $decision).await
        }
    };
}

decision_handler!(approve, RoleRequestDecision::Approve);
decision_handler!(deny, RoleRequestDecision::Deny);
