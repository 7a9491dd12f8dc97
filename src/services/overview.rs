//! Figures shown on many pages: users per status (the list's tabs and the
//! pending badge), open role requests (the reviewers' badge) and the role
//! names (the list's filter); and the range of user ids, where a search on
//! PostgreSQL starts (a round trip less per search). Reading them on every
//! page view cost three of the list page's seven queries, so each instance
//! keeps one copy and reads it again when it is a second old or when this
//! instance has committed a write since whose audit rows can change one
//! (`AuditAction::changes_overview`; `services::work` decides at commit, so
//! a sign-in's bookkeeping leaves the copy standing): an admin sees their own change
//! on the next page, and a change made through another instance shows
//! within a second.
//!
//! None of this decides access: status and permissions are still read from
//! the database on every request, with the session.

use std::sync::Arc;

use super::ServiceError;
use super::copies::Copies;
use crate::db::{self, Db, Scope};
use crate::domain::user_list::IdRange;
use crate::domain::{OrgId, RoleId, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub by_status: Vec<(UserStatus, u64)>,
    pub open_requests: u64,
    pub role_names: Vec<(RoleId, String)>,
    pub user_ids: Option<IdRange>,
}

impl Overview {
    pub fn count(&self, status: UserStatus) -> u64 {
        self.by_status
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

/// One instance's copies of the `Overview`, one per organisation
/// (`services::copies`): the page views that find it out of date at the
/// same moment (every connection of a busy list, once a second) wait for
/// one read instead of each making their own four queries.
#[derive(Default)]
pub struct OverviewCache {
    copies: Copies<OrgId, Overview>,
}

impl OverviewCache {
    /// The figures of `scope`'s organisation.
    pub async fn get(&self, db: &Db, scope: &Scope) -> Result<Arc<Overview>, ServiceError> {
        let organisation = scope
            .organisation_id()
            .ok_or_else(|| anyhow::anyhow!("the overview is one organisation's"))?;
        self.copies
            .get(db, organisation, || async {
                let mut conn = db.acquire().await?;
                Ok(Overview {
                    by_status: db::users::count_by_status(scope.on(&mut conn)).await?,
                    open_requests: db::role_requests::count_open(scope.on(&mut conn)).await?,
                    role_names: db::roles::names(scope.on(&mut conn)).await?,
                    // Instance-wide: where a search starts, not what it finds.
                    user_ids: db::users::id_range(Scope::instance().on(&mut conn)).await?,
                })
            })
            .await
    }
}
