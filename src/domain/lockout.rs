//! Per-account sign-in throttling: after `threshold` failures within the
//! window, every further failure locks the account for 1, 2, 4 … minutes,
//! capped. A quiet window after the last failure forgets the streak. Pure:
//! the caller passes the time and stores the state.

/// The numbers behind the lockout (defaults: 5 failures in 15 minutes, then
/// 1, 2, 4 … minutes, at most 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub window_ms: i64,
    pub base_delay_ms: i64,
    pub max_delay_ms: i64,
}

const MINUTE_MS: i64 = 60_000;

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            threshold: 5,
            window_ms: 15 * MINUTE_MS,
            base_delay_ms: MINUTE_MS,
            max_delay_ms: 15 * MINUTE_MS,
        }
    }
}

/// What is stored per account (times in milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleState {
    /// Failures in the current streak.
    pub failures: u32,
    pub first_failure_at: i64,
    pub last_failure_at: i64,
    pub locked_until: Option<i64>,
    /// Failed attempts (locked ones included) since the last successful sign-in.
    pub since_login: u32,
}

/// What a failed attempt did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub state: ThrottleState,
    /// This failure started a lock of `delay_ms`.
    pub locked_for_ms: Option<i64>,
}

impl LockoutPolicy {
    /// When the account is locked at `now`, until when.
    pub fn locked_until(&self, state: &ThrottleState, now: i64) -> Option<i64> {
        state.locked_until.filter(|until| *until > now)
    }

    /// The lock after the `failures`-th failure of a streak, if any.
    pub fn delay_after(&self, failures: u32) -> Option<i64> {
        let over = failures.checked_sub(self.threshold)?;
        let factor = 1_i64.checked_shl(over.min(40)).unwrap_or(i64::MAX);
        Some(
            self.base_delay_ms
                .saturating_mul(factor)
                .min(self.max_delay_ms),
        )
    }

    /// A wrong password at `now` (the account was not locked).
    pub fn record_failure(&self, state: &ThrottleState, now: i64) -> Failure {
        let mut next = *state;
        let quiet = now - state.last_failure_at > self.window_ms;
        let below = state.failures < self.threshold;
        let window_over = below && now - state.first_failure_at > self.window_ms;
        if state.failures == 0 || quiet || window_over {
            next.failures = 0;
            next.first_failure_at = now;
            next.locked_until = None;
        }
        next.failures += 1;
        next.last_failure_at = now;
        next.since_login = next.since_login.saturating_add(1);
        let locked_for_ms = self.delay_after(next.failures);
        if let Some(delay) = locked_for_ms {
            next.locked_until = Some(now + delay);
        }
        Failure {
            state: next,
            locked_for_ms,
        }
    }

    /// An attempt refused because the account is locked: counted for the
    /// user's "failures since your last sign-in" notice, nothing else.
    pub fn record_locked_attempt(&self, state: &ThrottleState) -> ThrottleState {
        ThrottleState {
            since_login: state.since_login.saturating_add(1),
            ..*state
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = MINUTE_MS;

    fn fail_times(policy: &LockoutPolicy, times: &[i64]) -> (ThrottleState, Vec<Option<i64>>) {
        let mut state = ThrottleState::default();
        let mut locks = Vec::new();
        for &t in times {
            let failure = policy.record_failure(&state, t);
            state = failure.state;
            locks.push(failure.locked_for_ms);
        }
        (state, locks)
    }

    #[test]
    fn the_fifth_failure_within_fifteen_minutes_locks_for_one_minute() {
        let p = LockoutPolicy::default();
        let (state, locks) = fail_times(&p, &[0, MIN, 2 * MIN, 3 * MIN, 4 * MIN]);
        assert_eq!(locks, [None, None, None, None, Some(MIN)]);
        assert_eq!(p.locked_until(&state, 4 * MIN + 1), Some(5 * MIN));
        assert_eq!(p.locked_until(&state, 5 * MIN), None);
    }

    #[test]
    fn later_failures_double_the_wait_up_to_fifteen_minutes() {
        let p = LockoutPolicy::default();
        let delays: Vec<i64> = (5..=10).map(|n| p.delay_after(n).unwrap() / MIN).collect();
        assert_eq!(delays, [1, 2, 4, 8, 15, 15]);
        assert_eq!(p.delay_after(4), None);
        assert_eq!(p.delay_after(200), Some(15 * MIN));
    }

    #[test]
    fn each_failure_after_a_lock_ends_locks_again_for_longer() {
        let p = LockoutPolicy::default();
        let (state, locks) = fail_times(&p, &[0, 1, 2, 3, 4, MIN + 10, 3 * MIN + 20]);
        assert_eq!(locks[4..], [Some(MIN), Some(2 * MIN), Some(4 * MIN)]);
        assert_eq!(state.since_login, 7);
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let p = LockoutPolicy::default();
        let times: Vec<i64> = (0..10).map(|i| i * 4 * MIN).collect();
        let (state, locks) = fail_times(&p, &times);
        assert!(locks.iter().all(Option::is_none), "{locks:?}");
        assert!(state.failures < 5);
        assert_eq!(state.since_login, 10);
    }

    #[test]
    fn a_quiet_window_after_the_last_failure_forgets_the_streak() {
        let p = LockoutPolicy::default();
        let (state, _) = fail_times(&p, &[0, 1, 2, 3, 4, 5]);
        let later = p.record_failure(&state, 5 + 16 * MIN);
        assert_eq!(later.state.failures, 1);
        assert_eq!(later.locked_for_ms, None);
        assert_eq!(p.locked_until(&later.state, 5 + 16 * MIN), None);
    }

    #[test]
    fn a_locked_attempt_only_counts_towards_the_notice() {
        let p = LockoutPolicy::default();
        let (state, _) = fail_times(&p, &[0, 1, 2, 3, 4]);
        let after = p.record_locked_attempt(&state);
        assert_eq!(after.since_login, 6);
        assert_eq!(after.failures, state.failures);
        assert_eq!(after.locked_until, state.locked_until);
    }
}
