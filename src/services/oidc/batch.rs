//! The token endpoint's writes, several requests' in one transaction.
//!
//! Writes are serialised (`Db::writer_turn`) and each commit waits for the
//! disk, so a grant or refresh that committed alone held the turn for a
//! commit's time, and the endpoint answered at most about one request per
//! commit however many cores it had. Here a request queues its write, then
//! waits for its answer or for the turn, whichever comes first. Whoever
//! gets the turn writes every queued write in one transaction, commits
//! once, and answers them all: a group commit. When one write fails, the
//! batch is undone and written again with each write under a savepoint of
//! its own, so that one is undone alone and answered with its error. No
//! request is answered before the commit that holds its tokens, and a
//! failed commit fails every write in it.
//!
//! The batch runs in a task of its own, so a request that goes away while
//! it writes other requests' tokens does not cut their batch short.

use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

use anyhow::Context;

use crate::db::oidc::{CodeExchange, NewGrant, NewTokenHashes, Rotation};
use crate::db::outage::is_outage;
use crate::db::{self, Db, Scope, savepoint};
use crate::domain::{AppId, OrgId, Timestamp, UserId};
use crate::services::work::Work;
use crate::services::{RequestMeta, ServiceError};

/// At most this many writes share a commit, so the last of them does not
/// wait for an unbounded number before it.
const MAX_BATCH: usize = 64;

/// One request's write.
pub enum TokenWrite {
    /// An authorization code exchanged: the code used up, its grant stored
    /// with a first refresh and access token, and the user's subject made
    /// on their first grant (`new_subject`, a fresh candidate).
    Code {
        org: OrgId,
        code_hash: String,
        app: AppId,
        user: UserId,
        scopes: String,
        auth_time: i64,
        grant_expires_at: Timestamp,
        new_subject: Option<String>,
        tokens: NewTokens,
    },
    /// A refresh token used up, and its successors stored.
    Refresh {
        org: OrgId,
        token_hash: String,
        grant: i64,
        tokens: NewTokens,
    },
}

impl TokenWrite {
    fn org(&self) -> OrgId {
        match self {
            TokenWrite::Code { org, .. } | TokenWrite::Refresh { org, .. } => *org,
        }
    }

    /// The code exchange this write is, when it is one of `of`'s.
    fn exchange(&self, of: OrgId) -> Option<CodeExchange<'_>> {
        match self {
            TokenWrite::Code {
                org,
                code_hash,
                app,
                user,
                scopes,
                auth_time,
                grant_expires_at,
                tokens,
                ..
            } if *org == of => Some(CodeExchange {
                grant: NewGrant {
                    app: *app,
                    user: *user,
                    code_hash,
                    scopes,
                    auth_time: *auth_time,
                    expires_at: *grant_expires_at,
                },
                tokens: tokens.hashes(),
            }),
            _ => None,
        }
    }

    /// The refresh token rotation this write is, when it is one of `of`'s.
    fn rotation(&self, of: OrgId) -> Option<Rotation<'_>> {
        match self {
            TokenWrite::Refresh {
                org,
                token_hash,
                grant,
                tokens,
            } if *org == of => Some(Rotation {
                token_hash,
                grant: *grant,
                tokens: tokens.hashes(),
            }),
            _ => None,
        }
    }
}

/// The hashes of a new refresh and access token.
pub struct NewTokens {
    pub refresh_hash: String,
    pub access_hash: String,
    pub access_expires_at: Timestamp,
}

impl NewTokens {
    fn hashes(&self) -> NewTokenHashes<'_> {
        NewTokenHashes {
            refresh_hash: &self.refresh_hash,
            access_hash: &self.access_hash,
            access_expires_at: self.access_expires_at,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Stored; for a code, the grant and the user's subject.
    Stored { subject: Option<String> },
    /// The code or refresh token was used already (by another request,
    /// perhaps in the same batch): nothing was written.
    AlreadyUsed,
}

/// Why a write was not stored, for every request it concerned.
#[derive(Debug, Clone)]
struct Failure {
    outage: bool,
    message: String,
}

impl Failure {
    fn of(err: &anyhow::Error) -> Failure {
        Failure {
            outage: is_outage(err),
            message: format!("{err:#}"),
        }
    }

    fn of_service(err: ServiceError) -> Failure {
        match err {
            ServiceError::Unexpected(err) => Failure::of(&err),
            other => Failure {
                outage: false,
                message: other.to_string(),
            },
        }
    }

    fn unexplained() -> Failure {
        Failure {
            outage: false,
            message: "a token write failed twice".into(),
        }
    }

    /// An outage stays one (503 rather than 500) for each request.
    fn into_error(self) -> ServiceError {
        match self.outage {
            true => {
                ServiceError::Unexpected(anyhow::Error::new(std::io::Error::other(self.message)))
            }
            false => ServiceError::Unexpected(anyhow::anyhow!(self.message)),
        }
    }
}

type Answer = oneshot::Sender<Result<Written, Failure>>;

/// The writes waiting for a turn, in one process.
#[derive(Default)]
pub struct TokenWrites {
    queue: Mutex<Vec<(TokenWrite, Answer)>>,
}

impl TokenWrites {
    /// Writes `write`, with whichever others are waiting, and answers once
    /// it is committed.
    pub async fn write(&self, db: &Db, write: TokenWrite) -> Result<Written, ServiceError> {
        let (answer, mut answered) = oneshot::channel();
        self.queued().push((write, answer));
        loop {
            let turn = tokio::select! {
                biased;
                done = &mut answered => return settle(done),
                turn = db.writer_turn() => turn,
            };
            let batch = self.next_batch();
            if batch.is_empty() {
                // An earlier batch took this write: its answer comes (or
                // its sender is dropped) once that batch is done.
                drop(turn);
                return settle(answered.await);
            }
            // A failed task dropped its answers: each request then hears so.
            let _ = tokio::spawn(write_batch(db.clone(), turn, batch)).await;
            // This write may not have been among the first MAX_BATCH: if
            // it is still queued, the loop waits for the turn again.
        }
    }

    /// Up to `MAX_BATCH` queued writes, oldest first. A write whose request
    /// went away (its answer has no receiver) is dropped unwritten: nobody
    /// would get its tokens, and its code or refresh token stays usable
    /// for the client's retry.
    fn next_batch(&self) -> Vec<(TokenWrite, Answer)> {
        let mut queue = self.queued();
        queue.retain(|(_, answer)| !answer.is_closed());
        let take = queue.len().min(MAX_BATCH);
        queue.drain(..take).collect()
    }

    fn queued(&self) -> std::sync::MutexGuard<'_, Vec<(TokenWrite, Answer)>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn settle(
    done: Result<Result<Written, Failure>, oneshot::error::RecvError>,
) -> Result<Written, ServiceError> {
    match done {
        Ok(Ok(written)) => Ok(written),
        Ok(Err(failure)) => Err(failure.into_error()),
        Err(_) => Err(anyhow::anyhow!("the tokens' write ended before it committed").into()),
    }
}

async fn write_batch(
    db: Db,
    turn: tokio::sync::OwnedMutexGuard<()>,
    batch: Vec<(TokenWrite, Answer)>,
) {
    let (writes, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let mut outcome = attempt(&db, turn, &writes, Parts::Together).await;
    if let Outcome::WriteFailed = outcome {
        let turn = db.writer_turn().await;
        outcome = attempt(&db, turn, &writes, Parts::Apart).await;
    }
    let results = match outcome {
        Outcome::Committed(results) => results,
        Outcome::Broken(failure) => vec![Err(failure); answers.len()],
        Outcome::WriteFailed => vec![Err(Failure::unexplained()); answers.len()],
    };
    for (answer, result) in answers.into_iter().zip(results) {
        let _ = answer.send(result);
    }
}

/// How a batch's writes stand in its transaction.
#[derive(Clone, Copy)]
enum Parts {
    /// One after another. On PostgreSQL a savepoint costs two round trips
    /// under the turn, and writes almost never fail, so a batch is first
    /// written this way; if one write fails, the batch is undone and
    /// written again `Apart`.
    Together,
    /// Each under a savepoint of its own: one that fails is undone alone
    /// and answered with its error.
    Apart,
}

enum Outcome {
    Committed(Vec<Result<Written, Failure>>),
    /// A write failed while they stood `Together`: nothing was written.
    WriteFailed,
    /// The transaction could not begin, go on or commit: nothing was written.
    Broken(Failure),
}

async fn attempt(
    db: &Db,
    turn: tokio::sync::OwnedMutexGuard<()>,
    writes: &[TokenWrite],
    parts: Parts,
) -> Outcome {
    let meta = RequestMeta::default();
    let mut work = match Work::in_turn(db, turn, Scope::instance(), &meta).await {
        Ok(work) => work,
        Err(err) => return Outcome::Broken(Failure::of_service(err)),
    };
    // Tokens change nothing an instance keeps a copy of.
    work.changes_no_copy();
    let now = Timestamp::now();
    let results = match parts {
        Parts::Together => match statements(work.transaction(), writes, now).await {
            Ok(written) => written.into_iter().map(Ok).collect(),
            // Dropping the work rolls the batch back.
            Err(_) => return Outcome::WriteFailed,
        },
        Parts::Apart => {
            let mut results = Vec::with_capacity(writes.len());
            for write in writes {
                match write_apart(work.transaction(), write, now).await {
                    Ok(result) => results.push(result),
                    Err(err) => return Outcome::Broken(Failure::of(&err)),
                }
            }
            results
        }
    };
    match work.commit("the tokens").await {
        Ok(()) => Outcome::Committed(results),
        Err(err) => Outcome::Broken(Failure::of_service(err)),
    }
}

/// One write under a savepoint: its own failure is answered and undone;
/// an error here (the savepoint could not be undone) breaks the batch.
async fn write_apart(
    tx: &mut db::Tx,
    write: &TokenWrite,
    now: Timestamp,
) -> anyhow::Result<Result<Written, Failure>> {
    savepoint::begin_part(tx).await?;
    match statements(tx, std::slice::from_ref(write), now).await {
        Ok(mut written) => {
            savepoint::keep_part(tx).await?;
            let written = written.pop().context("a write went unanswered")?;
            Ok(Ok(written))
        }
        Err(err) => {
            savepoint::undo_part(tx).await?;
            Ok(Err(Failure::of(&err)))
        }
    }
}

/// The writes, each organisation's codes and refresh tokens in a few
/// statements however many there are (`db::oidc::token_writes`); what
/// each did, in their order.
async fn statements(
    tx: &mut db::Tx,
    writes: &[TokenWrite],
    now: Timestamp,
) -> anyhow::Result<Vec<Written>> {
    let mut results: Vec<Option<Written>> = vec![None; writes.len()];
    let mut orgs: Vec<OrgId> = writes.iter().map(TokenWrite::org).collect();
    orgs.sort_by_key(|org| org.0);
    orgs.dedup();
    for org in orgs {
        let scope = Scope::organisation(org);
        let (places, exchanges): (Vec<usize>, Vec<CodeExchange>) = writes
            .iter()
            .enumerate()
            .filter_map(|(i, write)| Some((i, write.exchange(org)?)))
            .unzip();
        let grants = db::oidc::grants_from_codes(scope.on(tx), &exchanges, now).await?;
        for ((place, grant), write) in places.into_iter().zip(grants).zip(&exchanges) {
            results[place] = Some(match grant {
                None => Written::AlreadyUsed,
                Some(_) => {
                    let subject = match &writes[place] {
                        TokenWrite::Code {
                            new_subject: Some(fresh),
                            ..
                        } => Some(db::oidc::subject(scope.on(tx), write.grant.user, fresh).await?),
                        _ => None,
                    };
                    Written::Stored { subject }
                }
            });
        }
        let (places, rotations): (Vec<usize>, Vec<Rotation>) = writes
            .iter()
            .enumerate()
            .filter_map(|(i, write)| Some((i, write.rotation(org)?)))
            .unzip();
        let rotated = db::oidc::rotate_refreshes(scope.on(tx), &rotations, now).await?;
        for (place, rotated) in places.into_iter().zip(rotated) {
            results[place] = Some(match rotated {
                true => Written::Stored { subject: None },
                false => Written::AlreadyUsed,
            });
        }
    }
    results
        .into_iter()
        .map(|r| r.context("a write went unanswered"))
        .collect()
}
