//! The unit of work: every write goes through one. It begins the write
//! transaction (writers are serialised, see `Db::begin_write`), collects the
//! audit rows the use case describes, appends them to the hash chain in order
//! just before it commits, and commits. An action and its audit rows commit
//! together or not at all; a `Work` dropped without `commit` rolls back.
//!
//! Whether the instance's copy of the overview figures (`services::overview`)
//! is out of date follows from the rows' actions (`AuditAction::changes_overview`),
//! so no use case has to pick the right commit. A write with no audit row
//! (search-index upkeep) renews the copy, the safe default.
//!
//! Mail is a side effect that hangs here too (`mail`): its outbox rows are
//! written in the same transaction, so an approval and its mail commit
//! together or not at all, and the outbox worker is woken after the commit.

use anyhow::Context;

use super::mail::MailOrg;
use super::{Actor, RequestMeta, ServiceError};
use crate::db::audit::{AuditTarget, NewAuditEntry};
use crate::db::{self, Db, Scope, Scoped, Tx};
use crate::domain::mail::Letter;
use crate::domain::{AuditAction, DEFAULT_ORGANISATION, Timestamp, UserId};

/// One write in progress.
pub struct Work<'a> {
    db: &'a Db,
    tx: Tx,
    /// This process's turn to write (`Db::writer_turn`), given back after
    /// the transaction ends: declared after `tx`, so dropped after it.
    _turn: tokio::sync::OwnedMutexGuard<()>,
    scope: Scope,
    meta: &'a RequestMeta,
    actor: Option<(UserId, String)>,
    rows: Vec<AuditRow>,
    letters: Vec<Letter>,
    mail_org: Option<MailOrg>,
    /// Set by `changes_no_copy`.
    leaves_copies: bool,
}

/// An audit row being described; see `Work::audit`.
#[derive(Debug, Clone)]
pub struct AuditRow {
    at: Timestamp,
    action: AuditAction,
    actor: Option<(UserId, String)>,
    target: Option<AuditTarget>,
    before: Option<String>,
    after: Option<String>,
    reason: Option<String>,
}

impl AuditRow {
    /// The value before and after the action ("pending" → "active").
    pub fn change(&mut self, before: impl Into<String>, after: impl Into<String>) -> &mut Self {
        self.before = Some(before.into());
        self.after = Some(after.into());
        self
    }

    pub fn before(&mut self, before: Option<String>) -> &mut Self {
        self.before = before;
        self
    }

    pub fn after(&mut self, after: Option<String>) -> &mut Self {
        self.after = after;
        self
    }

    /// Why: an admin's note, a refusal's reason code.
    pub fn reason(&mut self, reason: Option<&str>) -> &mut Self {
        self.reason = reason.map(str::to_owned);
        self
    }

    /// When it happened, for rows that describe the past (the demo seed's
    /// registrations of yesterday); otherwise the moment it was added.
    pub fn at(&mut self, at: Timestamp) -> &mut Self {
        self.at = at;
        self
    }

    /// Someone other than the work's actor did this (a sign-in is done by
    /// the user signing in), or nobody known (`None`).
    pub fn by(&mut self, actor: Option<(UserId, &str)>) -> &mut Self {
        self.actor = actor.map(|(id, name)| (id, name.to_owned()));
        self
    }
}

impl<'a> Work<'a> {
    /// Begins a write done by `actor`, in the actor's scope, for a request
    /// from `meta`.
    pub async fn begin(
        db: &'a Db,
        actor: &Actor,
        meta: &'a RequestMeta,
    ) -> Result<Work<'a>, ServiceError> {
        let mut work = Work::in_scope(db, actor.scope.clone(), meta).await?;
        work.actor = Some((actor.id, actor.username.clone()));
        Ok(work)
    }

    /// Begins a write done by `actor` in another organisation's rows: an
    /// instance administrator creating an organisation's first
    /// administrator. Its audit rows are in that organisation's log.
    pub async fn begin_in(
        db: &'a Db,
        actor: &Actor,
        scope: Scope,
        meta: &'a RequestMeta,
    ) -> Result<Work<'a>, ServiceError> {
        let mut work = Work::in_scope(db, scope, meta).await?;
        work.actor = Some((actor.id, actor.username.clone()));
        Ok(work)
    }

    /// Begins a write nobody signed in does (a sign-in, a registration, the
    /// command line, upkeep), in `scope`; its audit rows name no actor
    /// unless a row says `by`.
    pub async fn in_scope(
        db: &'a Db,
        scope: Scope,
        meta: &'a RequestMeta,
    ) -> Result<Work<'a>, ServiceError> {
        let turn = db.writer_turn().await;
        Work::in_turn(db, turn, scope, meta).await
    }

    /// As `in_scope`, with the turn to write already taken (a caller that
    /// waited for its turn or for something else, `oidc::batch`).
    pub async fn in_turn(
        db: &'a Db,
        turn: tokio::sync::OwnedMutexGuard<()>,
        scope: Scope,
        meta: &'a RequestMeta,
    ) -> Result<Work<'a>, ServiceError> {
        let tx = db.begin_write().await?;
        Ok(Work {
            db,
            tx,
            _turn: turn,
            scope,
            meta,
            actor: None,
            rows: Vec::new(),
            letters: Vec::new(),
            mail_org: None,
            leaves_copies: false,
        })
    }

    /// The transaction in the work's scope, for the `db` functions.
    pub fn tx(&mut self) -> Scoped<'_> {
        self.scope.on(&mut self.tx)
    }

    /// The transaction without a scope, for statements on no organisation's
    /// rows: the search index's upkeep, a bulk load's settings.
    pub fn transaction(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Where the request came from.
    pub fn meta(&self) -> &'a RequestMeta {
        self.meta
    }

    /// Adds an audit row for `action` on `target`, stamped now, by the
    /// work's actor; describe it further through the returned row:
    /// `work.audit(action, target).change(before, after).reason(note)`.
    pub fn audit(&mut self, action: AuditAction, target: Option<AuditTarget>) -> &mut AuditRow {
        self.rows.push(AuditRow {
            at: Timestamp::now(),
            action,
            actor: self.actor.clone(),
            target,
            before: None,
            after: None,
            reason: None,
        });
        self.rows.last_mut().expect("a row was just pushed")
    }

    /// The acting user's username, when someone signed in acts.
    pub fn actor_name(&self) -> Option<&str> {
        self.actor.as_ref().map(|(_, name)| name.as_str())
    }

    /// Declares that this write changes nothing an instance keeps a copy
    /// of (the overview's figures, the apps, the organisations): tokens
    /// issued, used up or ended. Without it a write with no audit row
    /// renews every copy, the safe default; at the token endpoint's pace
    /// that made each grant's next request read every app again, one
    /// request at a time. Audit rows still decide for themselves.
    pub fn changes_no_copy(&mut self) {
        self.leaves_copies = true;
    }

    /// Whether mail is on: without it, a use case hands a one-time link to
    /// the person acting instead of mailing it.
    pub fn mail_enabled(&self) -> bool {
        self.db.mail().enabled
    }

    /// Gatehouse's public address, the base of a mail's links.
    pub fn public_url(&self) -> &str {
        &self.db.mail().public_url
    }

    /// What the work's mail needs of its organisation, read once.
    pub async fn mail_org(&mut self) -> Result<MailOrg, ServiceError> {
        if let Some(org) = &self.mail_org {
            return Ok(org.clone());
        }
        let organisation = self.scope.organisation_id().unwrap_or(DEFAULT_ORGANISATION);
        let org = MailOrg::load(&mut self.tx, organisation, self.db.mail()).await?;
        self.mail_org = Some(org.clone());
        Ok(org)
    }

    /// Queues `letter` in the outbox of the work's organisation, written
    /// when the work commits; nothing when mail is off.
    pub fn mail(&mut self, letter: Letter) {
        if self.mail_enabled() {
            self.letters.push(letter);
        }
    }

    /// Ends the work, writing nothing (a dry run).
    pub async fn rollback(self, what: &str) -> Result<(), ServiceError> {
        self.tx
            .rollback()
            .await
            .with_context(|| format!("could not end {what}"))?;
        Ok(())
    }

    /// Appends the audit rows and commits. `what` names the action for the
    /// error's context ("the approval").
    pub async fn commit(mut self, what: &str) -> Result<(), ServiceError> {
        // The instance's own work (upkeep, a refusal by nobody known) is
        // recorded in the default organisation's log, which the instance's
        // administrators read.
        let organisation = self.scope.organisation_id().unwrap_or(DEFAULT_ORGANISATION);
        let entries: Vec<NewAuditEntry<'_>> = self
            .rows
            .iter()
            .map(|row| NewAuditEntry {
                organisation,
                at: row.at,
                actor: row.actor.as_ref().map(|(id, name)| (*id, name.as_str())),
                action: row.action,
                target: row.target.clone(),
                before: row.before.clone(),
                after: row.after.clone(),
                reason: row.reason.as_deref(),
                ip: self.meta.ip.as_deref(),
                user_agent: self.meta.user_agent.as_deref(),
            })
            .collect();
        db::audit::append_all(&mut self.tx, &entries).await?;
        drop(entries);
        let letters = std::mem::take(&mut self.letters);
        let wrote_mail = !letters.is_empty();
        if wrote_mail {
            let host = &self.db.mail().host;
            let stamped: Vec<(String, Letter)> = letters
                .into_iter()
                .map(|letter| (message_id(host), letter))
                .collect();
            db::outbox::insert(
                Scope::organisation(organisation).on(&mut self.tx),
                &stamped,
                Timestamp::now(),
            )
            .await?;
        }
        let figures_changed = match self.rows.is_empty() {
            true => !self.leaves_copies,
            false => self.rows.iter().any(|r| r.action.changes_overview()),
        };
        let committed = if figures_changed {
            self.db.commit(self.tx).await
        } else {
            self.db.commit_bookkeeping(self.tx).await
        };
        committed.with_context(|| format!("could not commit {what}"))?;
        if wrote_mail {
            self.db.mail().wake.notify_one();
        }
        Ok(())
    }
}

/// A new message's `Message-ID`: random, so stable across retries once
/// stored, and unique across instances.
fn message_id(host: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("<{}@{host}>", hex::encode(bytes))
}
