//! Recording refused requests (bad CSRF token, cross-site origin, 403) in
//! the audit log without letting a flood of them fill the database: at most
//! a configured number of rows per client address per minute, and per minute
//! overall. The row that reaches a cap says so; every refusal, recorded or
//! not, still gets a log line.

use std::collections::HashMap;
use std::sync::Mutex;

use super::work::Work;
use super::{RequestMeta, ServiceError};
use crate::db::Scope;
use crate::db::audit::AuditTarget;
use crate::db::{self, Db};
use crate::domain::{AuditAction, Timestamp, UserId};

const WINDOW_MS: i64 = 60_000;
/// Addresses remembered before stale windows are dropped (bounds memory).
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

impl Window {
    /// Counts one event at `now` against `cap`; `None` when over the cap,
    /// else whether this event reached it.
    fn take(&mut self, now: i64, cap: u32) -> Option<bool> {
        if now - self.start >= WINDOW_MS {
            *self = Window {
                start: now,
                count: 0,
            };
        }
        if self.count >= cap {
            return None;
        }
        self.count += 1;
        Some(self.count == cap)
    }
}

/// Whether to write an audit row for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Record,
    /// Record it, noting that further refusals this minute will not be.
    RecordLast,
    Skip,
}

/// Per-address and overall caps on refusal rows, kept in memory (each
/// instance enforces its own; a cap per instance still bounds the writes).
pub struct RefusalLimiter {
    per_ip: u32,
    overall: u32,
    state: Mutex<(Window, HashMap<String, Window>)>,
}

impl RefusalLimiter {
    pub fn new(per_ip: u32, overall: u32) -> RefusalLimiter {
        let fresh = Window {
            start: i64::MIN / 2,
            count: 0,
        };
        RefusalLimiter {
            per_ip,
            overall,
            state: Mutex::new((fresh, HashMap::new())),
        }
    }

    pub fn admit(&self, ip: &str, now: Timestamp) -> Admission {
        let Ok(mut state) = self.state.lock() else {
            return Admission::Skip;
        };
        let (overall, by_ip) = &mut *state;
        if by_ip.len() >= MAX_TRACKED {
            by_ip.retain(|_, w| now.0 - w.start < WINDOW_MS);
            if by_ip.len() >= MAX_TRACKED {
                by_ip.clear();
            }
        }
        let ip_window = by_ip.entry(ip.to_owned()).or_insert(Window {
            start: now.0,
            count: 0,
        });
        // Check both caps before counting against either.
        let mut probe_ip = *ip_window;
        let mut probe_all = *overall;
        let (Some(ip_last), Some(all_last)) = (
            probe_ip.take(now.0, self.per_ip),
            probe_all.take(now.0, self.overall),
        ) else {
            return Admission::Skip;
        };
        *ip_window = probe_ip;
        *overall = probe_all;
        if ip_last || all_last {
            Admission::RecordLast
        } else {
            Admission::Record
        }
    }
}

/// A refused request to record.
#[derive(Debug, Clone)]
pub struct Refusal<'a> {
    /// `CsrfRejected` or `AccessDenied`.
    pub action: AuditAction,
    /// The signed-in user, when known.
    pub actor: Option<UserId>,
    /// "POST /admin/users/7/approve".
    pub route: &'a str,
    /// What exactly was wrong, e.g. the foreign Origin.
    pub detail: &'a str,
}

/// Writes the audit row for `refusal` unless a cap says otherwise; returns
/// whether it did.
pub async fn record_refusal(
    db: &Db,
    limiter: &RefusalLimiter,
    refusal: &Refusal<'_>,
    meta: &RequestMeta,
) -> Result<bool, ServiceError> {
    let now = Timestamp::now();
    let admission = limiter.admit(meta.ip.as_deref().unwrap_or("unknown"), now);
    if admission == Admission::Skip {
        return Ok(false);
    }
    let reason = match admission {
        Admission::RecordLast => format!(
            "{} (limit reached: further refusals from this address are not recorded for a minute)",
            refusal.detail
        ),
        _ => refusal.detail.to_owned(),
    };
    let target = AuditTarget {
        kind: "route",
        id: 0,
        label: refusal.route.to_owned(),
        user_id: None,
    };
    // The row goes to the signed-in user's organisation's log; nobody's
    // (an anonymous form) to the default organisation's.
    let actor = match refusal.actor {
        Some(id) => {
            let mut conn = db.acquire().await?;
            db::signed_in::find_auth(Scope::instance().on(&mut conn), id).await?
        }
        None => None,
    };
    let scope = actor.as_ref().map_or_else(
        || Scope::organisation(crate::domain::DEFAULT_ORGANISATION),
        |user| user.scope(),
    );
    let mut work = Work::in_scope(db, scope, meta).await?;
    let actor = actor.as_ref().map(|user| (user.id, user.username.as_str()));
    work.audit(refusal.action, Some(target))
        .by(actor)
        .reason(Some(&reason));
    work.commit("the refusal record").await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_own_cap_per_minute() {
        let limiter = RefusalLimiter::new(3, 100);
        let t = |ms: i64| Timestamp(1_000_000 + ms);
        let a: Vec<_> = (0..5).map(|i| limiter.admit("a", t(i))).collect();
        assert_eq!(
            a,
            [
                Admission::Record,
                Admission::Record,
                Admission::RecordLast,
                Admission::Skip,
                Admission::Skip
            ]
        );
        assert_eq!(limiter.admit("b", t(10)), Admission::Record);
        assert_eq!(limiter.admit("a", t(60_000)), Admission::Record);
    }

    #[test]
    fn the_overall_cap_holds_across_addresses() {
        let limiter = RefusalLimiter::new(10, 2);
        let t = Timestamp(5_000_000);
        assert_eq!(limiter.admit("a", t), Admission::Record);
        assert_eq!(limiter.admit("b", t), Admission::RecordLast);
        assert_eq!(limiter.admit("c", t), Admission::Skip);
        // A refusal skipped by the overall cap does not use up its address's.
        assert_eq!(
            limiter.admit("c", Timestamp(t.0 + WINDOW_MS)),
            Admission::Record
        );
    }

    #[test]
    fn a_cap_of_zero_records_nothing() {
        let limiter = RefusalLimiter::new(0, 100);
        assert_eq!(limiter.admit("a", Timestamp(1)), Admission::Skip);
    }
}
