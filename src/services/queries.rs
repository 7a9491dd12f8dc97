//! Read-only use cases behind the pages. Each reads through one connection.

use super::ServiceError;
use super::overview::Overview;
use crate::db::{self, Db, Scope};
use crate::domain::RoleRequest;
use crate::domain::User;
use crate::domain::audit_chain::AuditFilter;
use crate::domain::audit_chain::AuditRecord;
use crate::domain::user_list::{ExportedUser, ListedUser, Matches, UserFilter};
use crate::domain::{Page, RoleRequestStatus, UserId};
use crate::domain::{Role, RoleUsage};

/// Rows per page on every admin list.
pub const PAGE_SIZE: u64 = 50;

pub async fn user(db: &Db, scope: &Scope, id: UserId) -> Result<User, ServiceError> {
    let mut conn = db.acquire().await?;
    db::users::find(scope.on(&mut conn), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A user's recent role requests, newest first.
pub async fn requests_of(
    db: &Db,
    scope: &Scope,
    id: UserId,
    limit: u64,
) -> Result<Vec<RoleRequest>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::role_requests::for_user(scope.on(&mut conn), id, limit).await?)
}

/// Every role with how many users hold it (the roles page).
pub async fn role_usage(db: &Db, scope: &Scope) -> Result<Vec<RoleUsage>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::roles::usage(scope.on(&mut conn)).await?)
}

pub async fn roles(db: &Db, scope: &Scope) -> Result<Vec<Role>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::roles::list(scope.on(&mut conn)).await?)
}

/// One page of the admin user list and the number of matches. The
/// instance's `overview` answers that number when only a status filters,
/// and tells a search on PostgreSQL where to start.
pub async fn list_users(
    db: &Db,
    scope: &Scope,
    filter: &UserFilter,
    page: Page,
    overview: &Overview,
) -> Result<(Vec<ListedUser>, Matches), ServiceError> {
    let mut conn = db.acquire_read().await?;
    let (size, offset) = (page.size, page.offset());
    let (counts, ids) = (&overview.by_status, overview.user_ids);
    let listed = db::users::list(scope.on(&mut conn), filter, size, offset, counts, ids).await?;
    conn.done();
    Ok(listed)
}

/// Up to `limit` users of the filtered list with ids above `after`, by id,
/// for the export.
pub async fn export_page(
    db: &Db,
    scope: &Scope,
    filter: &UserFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<ExportedUser>, ServiceError> {
    let mut conn = db.acquire_read().await?;
    let users = db::search::export::page_after(scope.on(&mut conn), filter, after, limit).await?;
    conn.done();
    Ok(users)
}

pub async fn role_requests(
    db: &Db,
    scope: &Scope,
    status: Option<RoleRequestStatus>,
    page: Page,
) -> Result<(Vec<RoleRequest>, u64), ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::role_requests::list(scope.on(&mut conn), status, page.size, page.offset()).await?)
}

pub async fn audit(
    db: &Db,
    scope: &Scope,
    filter: &AuditFilter,
    page: Page,
) -> Result<(Vec<AuditRecord>, u64), ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::audit::list(scope.on(&mut conn), filter, page.size, page.offset()).await?)
}

/// Up to `limit` matching audit rows with ids below `before_id`, newest
/// first (the CSV export's pages).
pub async fn audit_page_before(
    db: &Db,
    scope: &Scope,
    filter: &AuditFilter,
    before_id: i64,
    limit: u64,
) -> Result<Vec<AuditRecord>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::audit::page_before(scope.on(&mut conn), filter, before_id, limit).await?)
}
