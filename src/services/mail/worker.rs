//! The outbox worker: claims due messages, sends them through SMTP, and
//! records what happened. It runs in every instance (`gatehouse serve`);
//! claims keep two instances from sending one message twice. A message the
//! server refuses for good (a 5xx answer, an address it cannot take) fails
//! at once; anything else (the server down, a 4xx answer, a timeout) is
//! tried again later (`domain::mail::next_attempt`), for up to a day.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lettre::AsyncTransport;
use lettre::message::{Mailbox, MultiPart};

use super::Mailer;
use crate::db::outbox::Claimed;
use crate::db::{self, Backend, Db, Scope, Tx};
use crate::domain::Timestamp;
use crate::domain::mail::next_attempt;

/// Messages claimed at once; each claim lasts `LEASE`, far longer than a
/// batch takes (every send is cut off after `SEND_TIMEOUT`).
const BATCH: i64 = 200;
const LEASE: Duration = Duration::from_secs(5 * 60);
/// lettre's own timeout covers only the connection (lettre#1027).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages sent at once; lettre's pool holds at most 10 connections to
/// the server, so the rest wait their turn there (docs/performance.md).
const PARALLEL_SENDS: usize = 32;
/// How often the worker looks for reviewers due a digest (each gets one
/// at most every 15 minutes).
const DIGEST_CHECK: Duration = Duration::from_secs(60);
/// The longest sleep between two looks at the outbox: other instances'
/// messages and retries that fell due are noticed within it.
const POLL: Duration = Duration::from_secs(5);

/// What became of one attempt.
enum Outcome {
    Sent,
    /// Worth another attempt.
    Transient(String),
    /// Refused for good.
    Permanent(String),
}

/// Starts the worker for as long as the process lives.
pub fn start(db: Db, mailer: Arc<Mailer>) {
    tokio::spawn(async move {
        let mut digests_checked = tokio::time::Instant::now() - DIGEST_CHECK;
        loop {
            // Reviewers' digests are written to the outbox like any mail.
            if digests_checked.elapsed() >= DIGEST_CHECK {
                digests_checked = tokio::time::Instant::now();
                if let Err(err) = crate::services::notifications::send_digests(&db).await {
                    tracing::warn!(error = ?err, "could not write the reviewers' digests");
                }
            }
            let claimed = match drain_batch(&db, &mailer).await {
                Ok(n) => n,
                Err(err) => {
                    tracing::warn!(error = ?err, "could not work through the mail outbox");
                    0
                }
            };
            if claimed as i64 == BATCH {
                continue;
            }
            let wait = until_next_due(&db).await;
            tokio::select! {
                _ = db.mail().wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    });
}

/// How long to sleep: until the next retry falls due, at most `POLL`.
async fn until_next_due(db: &Db) -> Duration {
    let due = async {
        let mut conn = db.acquire().await?;
        db::outbox::next_due(Scope::instance().on(&mut conn)).await
    };
    match due.await {
        Ok(Some(at)) => {
            let ms = (at.0 - Timestamp::now().0).clamp(0, POLL.as_millis() as i64);
            Duration::from_millis(ms as u64)
        }
        _ => POLL,
    }
}

/// Claims one batch, sends it and records the outcomes; returns how many
/// messages it claimed.
pub async fn drain_batch(db: &Db, mailer: &Mailer) -> anyhow::Result<usize> {
    let now = Timestamp::now();
    let lease_until = Timestamp(now.0 + LEASE.as_millis() as i64);
    let claimed = {
        let (_turn, mut tx) = begin(db).await?;
        let claimed =
            db::outbox::claim(Scope::instance().on(&mut tx), now, lease_until, BATCH).await?;
        db.commit_bookkeeping(tx).await?;
        claimed
    };
    if claimed.is_empty() {
        return Ok(0);
    }
    let outcomes: Vec<(Claimed, Outcome)> = futures_util::stream::iter(claimed)
        .map(|row| async move {
            let outcome = mailer.send(&row).await;
            (row, outcome)
        })
        .buffer_unordered(PARALLEL_SENDS)
        .collect()
        .await;
    let count = outcomes.len();
    let (_turn, mut tx) = begin(db).await?;
    let now = Timestamp::now();
    for (row, outcome) in outcomes {
        match outcome {
            Outcome::Sent => db::outbox::sent(&mut tx, row.id, now).await?,
            Outcome::Permanent(error) => {
                tracing::warn!(outbox_id = row.id, %error, "the SMTP server refused a message for good");
                db::outbox::failed(&mut tx, row.id, &error).await?;
            }
            Outcome::Transient(error) => {
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                match next_attempt(Timestamp(row.created_at), attempts, now) {
                    Some(next) => {
                        tracing::info!(outbox_id = row.id, attempts, %error, "a message could not be sent; it will be tried again");
                        db::outbox::retry(&mut tx, row.id, &error, next).await?;
                    }
                    None => {
                        tracing::warn!(outbox_id = row.id, attempts, %error, "a message could not be sent for a day; it is marked failed");
                        db::outbox::failed(&mut tx, row.id, &error).await?;
                    }
                }
            }
        }
    }
    db.commit_bookkeeping(tx).await?;
    Ok(count)
}

/// A transaction for the outbox's own bookkeeping. SQLite has one writer,
/// which this process's writers take in turn; on PostgreSQL the claim's
/// `SKIP LOCKED` is what keeps instances apart, so the worker does not take
/// the advisory lock the use cases' writes queue on.
async fn begin(db: &Db) -> anyhow::Result<(Option<tokio::sync::OwnedMutexGuard<()>>, Tx)> {
    match db.backend {
        Backend::Sqlite => {
            let turn = db.writer_turn().await;
            Ok((Some(turn), db.begin_write().await?))
        }
        Backend::Postgres => Ok((None, db.pool.begin().await?)),
    }
}

impl Mailer {
    async fn send(&self, row: &Claimed) -> Outcome {
        let to: Mailbox = match row.recipient.parse() {
            Ok(to) => to,
            Err(_) => return Outcome::Permanent("the recipient's address cannot be mailed".into()),
        };
        let message = lettre::Message::builder()
            .message_id(Some(row.message_id.clone()))
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ));
        let message = match message {
            Ok(message) => message,
            Err(err) => return Outcome::Permanent(short(&err.to_string())),
        };
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Outcome::Sent,
            Ok(Err(err)) if err.is_permanent() => Outcome::Permanent(short(&err.to_string())),
            Ok(Err(err)) => Outcome::Transient(short(&err.to_string())),
            Err(_) => Outcome::Transient(format!(
                "no answer from the SMTP server within {} s",
                SEND_TIMEOUT.as_secs()
            )),
        }
    }
}

/// An error as the outbox page shows it: one line, bounded.
fn short(error: &str) -> String {
    error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}
