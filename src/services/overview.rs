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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::ServiceError;
use crate::db::{self, Db, Scope};
use crate::domain::user_list::IdRange;
use crate::domain::{OrgId, RoleId, UserStatus};

/// How long a copy is used when this instance has written nothing.
const MAX_AGE: Duration = Duration::from_secs(1);

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

struct Copy {
    /// `Db::commits` when the copy was read.
    commits: u64,
    read_at: Instant,
    overview: Arc<Overview>,
}

/// One instance's copies of the `Overview`, one per organisation.
#[derive(Default)]
pub struct OverviewCache {
    copies: Mutex<HashMap<OrgId, Copy>>,
    /// Held while the copy is read again: the page views that find it out of
    /// date at the same moment (every connection of a busy list, once a
    /// second) wait for one read instead of each making their own four
    /// queries.
    reading: tokio::sync::Mutex<()>,
}

impl OverviewCache {
    /// The figures of `scope`'s organisation.
    pub async fn get(&self, db: &Db, scope: &Scope) -> Result<Arc<Overview>, ServiceError> {
        let organisation = scope
            .organisation_id()
            .ok_or_else(|| anyhow::anyhow!("the overview is one organisation's"))?;
        // Read before the queries: a write committed while they run leaves
        // the copy marked older than that write, so the next page reads again.
        let commits = db.commits();
        if let Some(overview) = self.current(organisation, commits) {
            return Ok(overview);
        }
        let _reading = self.reading.lock().await;
        // Another page view may have read it while this one waited.
        if let Some(overview) = self.current(organisation, commits) {
            return Ok(overview);
        }
        let mut conn = db.acquire().await?;
        let overview = Arc::new(Overview {
            by_status: db::users::count_by_status(scope.on(&mut conn)).await?,
            open_requests: db::role_requests::count_open(scope.on(&mut conn)).await?,
            role_names: db::roles::names(scope.on(&mut conn)).await?,
            // Instance-wide: where a search starts, not what it finds.
            user_ids: db::users::id_range(Scope::instance().on(&mut conn)).await?,
        });
        self.copies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                organisation,
                Copy {
                    commits,
                    read_at: Instant::now(),
                    overview: Arc::clone(&overview),
                },
            );
        Ok(overview)
    }

    /// The organisation's copy, if it was read after this instance's
    /// `commits`-th write and is less than `MAX_AGE` old.
    fn current(&self, organisation: OrgId, commits: u64) -> Option<Arc<Overview>> {
        let copies = self.copies.lock().unwrap_or_else(PoisonError::into_inner);
        let copy = copies.get(&organisation)?;
        (copy.commits >= commits && copy.read_at.elapsed() < MAX_AGE)
            .then(|| Arc::clone(&copy.overview))
    }
}
