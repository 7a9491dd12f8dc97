//! `/api/v1/role-requests` (the queue, and a reviewer's decisions) and
//! `/api/v1/audit` (the log, newest first, in cursor pages).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Api, ApiError, body, json, path_id, query};
use crate::domain::audit_chain::{AuditFilter, AuditRecord};
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, Page, RoleRequest, RoleRequestDecision, RoleRequestId, RoleRequestStatus,
};
use crate::services::{queries, role_requests};

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRequestOut {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub from_role: String,
    pub role: String,
    /// The app the requester named, if any.
    pub app: Option<String>,
    pub justification: String,
    /// open, approved, denied or withdrawn.
    pub status: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

impl From<&RoleRequest> for RoleRequestOut {
    fn from(r: &RoleRequest) -> RoleRequestOut {
        RoleRequestOut {
            id: r.id.0,
            user_id: r.user_id.0,
            username: r.username.clone(),
            from_role: r.from_role_name.clone(),
            role: r.role_name.clone(),
            app: r.app_name.clone(),
            justification: r.justification.clone(),
            status: r.status.as_str().to_owned(),
            created_at: r.created_at.iso(),
            decided_at: r.decided_at.map(|t| t.iso()),
            decided_by: r.decided_by_username.clone(),
            note: r.note.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRequestPage {
    pub requests: Vec<RoleRequestOut>,
    pub total: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleRequestQuery {
    /// open, approved, denied or withdrawn; all when absent.
    #[serde(default)]
    pub status: Option<String>,
    /// 1-based page of 50.
    #[serde(default)]
    pub page: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/role-requests", tag = "role requests",
    params(RoleRequestQuery), security(("bearer" = ["role_requests.review"])),
    responses((status = 200, body = RoleRequestPage), (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn list(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::RoleRequestsReview>()?;
    let params: RoleRequestQuery = query(&req)?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(RoleRequestStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("status is open, approved, denied or withdrawn.")
        })?),
        None => None,
    };
    let page = Page::parse(Some(&params.page.unwrap_or(1).to_string()), 50);
    let (requests, total) = queries::role_requests(&api.db, &api.scope(), status, page).await?;
    Ok(json(&RoleRequestPage {
        requests: requests.iter().map(RoleRequestOut::from).collect(),
        total,
    }))
}

/// A reviewer's note (required to deny).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[serde(default)]
    pub note: Option<String>,
}

async fn decide(
    req: HttpRequest,
    id: String,
    payload: web::Payload,
    decision: RoleRequestDecision,
) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let proof = api.require::<perm::RoleRequestsReview>()?;
    let id = RoleRequestId(path_id(&id)?);
    let has_body = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v != "0");
    let input: DecisionIn = match has_body {
        true => body(&req, payload).await?,
        false => DecisionIn::default(),
    };
    let note = input.note.unwrap_or_default();
    let request = role_requests::decide(&api.db, &proof, id, decision, &note, &api.meta).await?;
    Ok(json(&RoleRequestOut::from(&request)))
}

#[utoipa::path(post, path = "/api/v1/role-requests/{id}/approve", tag = "role requests",
    params(("id" = i64, Path)), request_body(content = DecisionIn, description = "Optional"),
    security(("bearer" = ["role_requests.review"])),
    responses((status = 200, body = RoleRequestOut), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn approve(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    decide(
        req,
        path.into_inner(),
        payload,
        RoleRequestDecision::Approve,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/role-requests/{id}/deny", tag = "role requests",
    params(("id" = i64, Path)), request_body = DecisionIn,
    security(("bearer" = ["role_requests.review"])),
    responses((status = 200, body = RoleRequestOut), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn deny(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    decide(req, path.into_inner(), payload, RoleRequestDecision::Deny).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// e.g. user.approved.
    pub action: String,
    pub actor: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<&AuditRecord> for AuditOut {
    fn from(r: &AuditRecord) -> AuditOut {
        AuditOut {
            id: r.id,
            at: r.at().iso(),
            action: r.action.clone(),
            actor: r.actor_username.clone(),
            target_type: r.target_type.clone(),
            target_id: r.target_id,
            target: r.target_label.clone(),
            before: r.before_value.clone(),
            after: r.after_value.clone(),
            reason: r.reason.clone(),
            ip: r.ip.clone(),
            user_agent: r.user_agent.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub rows: Vec<AuditOut>,
    /// Pass as `before` for the next (older) page; absent on the last one.
    pub next: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action, e.g. user.approved.
    #[serde(default)]
    pub action: Option<String>,
    /// Who did it (username).
    #[serde(default)]
    pub actor: Option<String>,
    /// What it was done to (a username, role or group name…).
    #[serde(default)]
    pub target: Option<String>,
    /// The `next` of the previous page.
    #[serde(default)]
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = ["audit.read"])),
    responses((status = 200, body = AuditPage), (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody), (status = 403, body = super::ErrorBody)))]
pub async fn audit(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let api = Api::of(&req).await?;
    let _proof = api.require::<perm::AuditRead>()?;
    let params: AuditQuery = query(&req)?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit is 1 to 200."));
    }
    let action = match params.action.as_deref().filter(|s| !s.is_empty()) {
        Some(a) => Some(
            AuditAction::parse(a)
                .ok_or_else(|| ApiError::bad_request(format!("There is no action {a:?}.")))?,
        ),
        None => None,
    };
    let text = |s: Option<String>| {
        s.map(|s| s.trim().chars().take(100).collect::<String>())
            .filter(|s| !s.is_empty())
    };
    let filter = AuditFilter {
        actor: text(params.actor),
        action,
        target: text(params.target),
        involving: None,
    };
    let before = params.before.filter(|b| *b > 0).unwrap_or(i64::MAX);
    let mut rows =
        queries::audit_page_before(&api.db, &api.scope(), &filter, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = match more {
        true => rows.last().map(|r| r.id),
        false => None,
    };
    Ok(json(&AuditPage {
        rows: rows.iter().map(AuditOut::from).collect(),
        next,
    }))
}
