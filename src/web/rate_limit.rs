//! Per client address: at most N sign-in and registration POSTs per minute
//! (default 20), answered 429 with `Retry-After` beyond that. The counters
//! live in this instance's memory: behind a load balancer each instance
//! counts on its own, while the per-account lockout (in the database) holds
//! across all of them.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::client_ip::client_ip;
use super::request::request_meta;
use crate::db::Db;
use crate::services::login;
use crate::web::error::AppError;

/// Addresses remembered before expired windows are swept out.
const SWEEP_AT: usize = 10_000;

/// A fixed one-minute window per client address.
#[derive(Debug)]
pub struct IpRateLimit {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; `first` is the first refusal in this window (audited).
    Refused {
        retry_after_secs: u64,
        first: bool,
    },
}

impl IpRateLimit {
    /// `limit` requests per minute; 0 turns the limit off.
    pub fn per_minute(limit: u32) -> IpRateLimit {
        IpRateLimit {
            limit,
            window: Duration::from_secs(60),
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, ip: IpAddr) -> Verdict {
        self.check_at(ip, Instant::now())
    }

    /// Counts one request from `ip` at `now`.
    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Verdict {
        if self.limit == 0 {
            return Verdict::Allowed;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        *count = count.saturating_add(1);
        if *count <= self.limit {
            return Verdict::Allowed;
        }
        let left = self.window.saturating_sub(now.duration_since(*start));
        Verdict::Refused {
            retry_after_secs: left.as_secs().max(1),
            first: *count == self.limit + 1,
        }
    }
}

/// Extractor for the sign-in and registration POST handlers: counts the
/// request and refuses it with 429 over the limit. Put it first among the
/// handler's arguments so it counts even requests whose form is refused.
pub struct LoginRateLimit;

impl FromRequest for LoginRateLimit {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<LoginRateLimit, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verdict = match (req.app_data::<web::Data<IpRateLimit>>(), client_ip(req)) {
            (Some(limit), Some(ip)) => limit.check(ip),
            _ => Verdict::Allowed,
        };
        let Verdict::Refused {
            retry_after_secs,
            first,
        } = verdict
        else {
            return Box::pin(async { Ok(LoginRateLimit) });
        };
        let db = req.app_data::<web::Data<Db>>().cloned();
        let meta = request_meta(req);
        let path = req.path().to_owned();
        Box::pin(async move {
            if let (true, Some(db)) = (first, db)
                && let Err(err) = login::record_throttled(&db, &path, &meta).await
            {
                tracing::error!(error = ?err, "could not audit a throttled client");
            }
            tracing::warn!(ip = ?meta.ip, %path, "sign-in rate limit reached");
            Err(AppError::TooManyRequests { retry_after_secs })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_twenty_first_request_in_a_minute_is_refused_and_only_the_first_refusal_is_marked() {
        let limit = IpRateLimit::per_minute(20);
        let t0 = Instant::now();
        for _ in 0..20 {
            assert_eq!(limit.check_at(ip("192.0.2.1"), t0), Verdict::Allowed);
        }
        assert_eq!(
            limit.check_at(ip("192.0.2.1"), t0 + Duration::from_secs(15)),
            Verdict::Refused {
                retry_after_secs: 45,
                first: true
            }
        );
        assert!(matches!(
            limit.check_at(ip("192.0.2.1"), t0 + Duration::from_secs(16)),
            Verdict::Refused { first: false, .. }
        ));
        assert_eq!(limit.check_at(ip("192.0.2.2"), t0), Verdict::Allowed);
    }

    #[test]
    fn a_new_minute_starts_a_new_count() {
        let limit = IpRateLimit::per_minute(1);
        let t0 = Instant::now();
        assert_eq!(limit.check_at(ip("192.0.2.1"), t0), Verdict::Allowed);
        assert!(matches!(
            limit.check_at(ip("192.0.2.1"), t0),
            Verdict::Refused { .. }
        ));
        assert_eq!(
            limit.check_at(ip("192.0.2.1"), t0 + Duration::from_secs(60)),
            Verdict::Allowed
        );
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limit = IpRateLimit::per_minute(0);
        let t0 = Instant::now();
        assert!((0..100).all(|_| limit.check_at(ip("192.0.2.1"), t0) == Verdict::Allowed));
    }

    #[test]
    fn expired_windows_are_swept_so_memory_stays_bounded() {
        let limit = IpRateLimit::per_minute(5);
        let t0 = Instant::now();
        for i in 0..SWEEP_AT as u32 {
            limit.check_at(IpAddr::from(i.to_be_bytes()), t0);
        }
        limit.check_at(ip("192.0.2.1"), t0 + Duration::from_secs(61));
        assert_eq!(limit.windows.lock().unwrap().len(), 1);
    }
}
