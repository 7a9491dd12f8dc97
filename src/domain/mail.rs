//! Mail as Gatehouse keeps it: a message waiting in the outbox, its status,
//! and when a message that could not be sent is tried again.

use super::ids::UserId;
use super::timestamp::Timestamp;

/// Where a message in the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting to be sent, or to be tried again.
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// Refused for good by the server, or still not sent after `GIVE_UP_MS`.
    Failed,
}

impl MailStatus {
    pub const ALL: [MailStatus; 3] = [MailStatus::Queued, MailStatus::Sent, MailStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MailStatus> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A message is tried again for this long after it was written, then marked
/// failed.
pub const GIVE_UP_MS: i64 = 24 * 60 * 60 * 1000;

/// The wait after the first failed attempt; it doubles with each further
/// one, up to `LONGEST_WAIT_MS`.
const FIRST_WAIT_MS: i64 = 30 * 1000;
const LONGEST_WAIT_MS: i64 = 60 * 60 * 1000;

/// When a message written at `created` and tried `attempts` times (the last
/// one failing now) is tried again, or `None` when it is time to give up.
pub fn next_attempt(created: Timestamp, attempts: u32, now: Timestamp) -> Option<Timestamp> {
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = (FIRST_WAIT_MS << doublings).min(LONGEST_WAIT_MS);
    let deadline = created.0 + GIVE_UP_MS;
    if now.0 >= deadline {
        return None;
    }
    Some(Timestamp((now.0 + wait).min(deadline)))
}

/// A message to write to the outbox, rendered: the kind names the event
/// ("password_reset"), for the outbox page and the tests.
#[derive(Debug, Clone)]
pub struct Letter {
    pub kind: &'static str,
    pub to: String,
    pub user: Option<UserId>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn the_wait_doubles_from_half_a_minute_up_to_an_hour() {
        let created = Timestamp(0);
        let waits: Vec<i64> = (1..=10)
            .map(|n| next_attempt(created, n, Timestamp(MIN)).unwrap().0 - MIN)
            .collect();
        assert_eq!(
            waits,
            [
                30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000,
                3_600_000, 3_600_000
            ]
        );
    }

    #[test]
    fn a_message_is_given_up_a_day_after_it_was_written() {
        let created = Timestamp(1_000);
        assert_eq!(
            next_attempt(created, 30, Timestamp(1_000 + GIVE_UP_MS)),
            None
        );
        // The last retry is not scheduled past the deadline.
        let late = Timestamp(1_000 + GIVE_UP_MS - 10 * MIN);
        assert_eq!(
            next_attempt(created, 30, late),
            Some(Timestamp(1_000 + GIVE_UP_MS))
        );
    }

    #[test]
    fn statuses_round_trip_through_their_stored_form() {
        for status in MailStatus::ALL {
            assert_eq!(MailStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(MailStatus::parse("sending"), None);
    }
}
