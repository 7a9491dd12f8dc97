//! The notification centre (`/notifications`) and its mail: a use case
//! tells a user something with `tell` inside its unit of work, which writes
//! the in-app notice and, unless the user turned that kind off (security
//! notices cannot be), queues its mail. Reviewers are told at once in the
//! app (`tell_reviewers`) and by mail at most every 15 minutes, as a digest
//! of what waits (`send_digests`, run by the outbox worker).

use super::mail::letters::{self, Recipient};
use super::work::Work;
use super::{Actor, RequestMeta, ServiceError};
use crate::db::notifications::{self as stored, Listed};
use crate::db::{self, Db, Scope};
use crate::domain::mail::Letter;
use crate::domain::notification::{
    DIGEST_EVERY_MS, KEEP_DAYS, NoticeKind, mail_off_text, parse_mail_off,
};
use crate::domain::{OrgId, Permission, Timestamp, UserId, UserStatus};

/// Notices on one page of the centre.
pub const PAGE: usize = 50;

/// Tells `user` about `kind` in the app (`text`, and a page of
/// Gatehouse's it is about, or ""), and by mail with `letter` unless they
/// turned the kind off.
pub async fn tell(
    work: &mut Work<'_>,
    user: UserId,
    kind: NoticeKind,
    text: &str,
    link: &str,
    letter: Option<Letter>,
) -> Result<(), ServiceError> {
    stored::insert(work.tx(), user, kind, text, link, Timestamp::now()).await?;
    if let Some(letter) = letter
        && (kind.security() || !stored::mail_off(work.tx(), user).await?.contains(&kind))
    {
        work.mail(letter);
    }
    Ok(())
}

/// Tells every Active holder of `permission` (but `except`, who acted) in
/// the app at once; the digest job mails them later.
pub async fn tell_reviewers(
    work: &mut Work<'_>,
    permission: Permission,
    except: Option<UserId>,
    kind: NoticeKind,
    text: &str,
    link: &str,
) -> Result<u64, ServiceError> {
    Ok(stored::insert_for_holders(
        work.tx(),
        permission,
        except,
        kind,
        text,
        link,
        Timestamp::now(),
    )
    .await?)
}

/// One page of the actor's notices, newest first, and whether older follow.
pub async fn list(
    db: &Db,
    actor: &Actor,
    before: Option<i64>,
) -> Result<(Vec<Listed>, bool), ServiceError> {
    let mut conn = db.acquire().await?;
    let mut rows =
        stored::list(actor.scope.on(&mut conn), actor.id, before, PAGE as i64 + 1).await?;
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    Ok((rows, more))
}

/// How many of the user's notices are unread (the navigation's badge).
pub async fn unread(db: &Db, scope: &Scope, user: UserId) -> Result<i64, ServiceError> {
    // Every page asks: a read connection, which comes back without sqlx's
    // round trip on release (`db::reads`).
    let mut conn = db.acquire_read().await?;
    let n = stored::unread_count(scope.on(&mut conn), user).await?;
    conn.done();
    Ok(n)
}

/// Marks one notice read, or all; returns how many changed.
pub async fn mark_read(
    db: &Db,
    actor: &Actor,
    one: Option<i64>,
    meta: &RequestMeta,
) -> Result<u64, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let changed = stored::mark_read(work.tx(), actor.id, one, Timestamp::now()).await?;
    // Someone else's notice, or none: not found (read already is fine).
    if let Some(id) = one
        && changed == 0
        && !stored::is_theirs(work.tx(), actor.id, id).await?
    {
        return Err(ServiceError::NotFound);
    }
    work.commit("marking notices read").await?;
    Ok(changed)
}

/// A kind as the preferences page shows it.
pub struct Preference {
    pub kind: NoticeKind,
    pub by_mail: bool,
    /// A security notice: always mailed.
    pub locked: bool,
}

/// The kinds the user can be told about, and whether each goes by mail.
/// Reviewers' kinds only for those who review.
pub async fn preferences(db: &Db, actor: &Actor) -> Result<Vec<Preference>, ServiceError> {
    let mut conn = db.acquire().await?;
    let off = stored::mail_off(actor.scope.on(&mut conn), actor.id).await?;
    Ok(NoticeKind::ALL
        .into_iter()
        .filter(|k| match k {
            NoticeKind::NewPendingAccount => actor.permissions.contains(Permission::UsersApprove),
            NoticeKind::NewRoleRequest => {
                actor.permissions.contains(Permission::RoleRequestsReview)
            }
            _ => true,
        })
        .map(|kind| Preference {
            kind,
            by_mail: kind.security() || !off.contains(&kind),
            locked: kind.security(),
        })
        .collect())
}

/// Saves which kinds go by mail (`by_mail`); the rest are turned off.
pub async fn save_preferences(
    db: &Db,
    actor: &Actor,
    by_mail: &[NoticeKind],
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    // Only the kinds the page showed: a reviewer's kind someone could not
    // see keeps what it was (on, by default) for when they review.
    let shown = preferences(db, actor).await?;
    let mut work = Work::begin(db, actor, meta).await?;
    let before = stored::mail_off(work.tx(), actor.id).await?;
    let off: Vec<NoticeKind> = NoticeKind::ALL
        .into_iter()
        .filter(|k| match shown.iter().any(|p| p.kind == *k) {
            true => !by_mail.contains(k),
            false => before.contains(k),
        })
        .collect();
    stored::set_mail_off(work.tx(), actor.id, &mail_off_text(&off)).await?;
    work.commit("the notification settings").await?;
    Ok(())
}

/// Mails each reviewer with new reviewer notices, and no digest in the last
/// 15 minutes, one digest of what waits in their organisation. Returns how
/// many were mailed. Run by the outbox worker, so only while mail is on.
pub async fn send_digests(db: &Db) -> Result<usize, ServiceError> {
    let now = Timestamp::now();
    let due = {
        let mut conn = db.acquire().await?;
        stored::digests_due(
            Scope::instance().on(&mut conn),
            Timestamp(now.0 - DIGEST_EVERY_MS),
            Timestamp(now.0 - 24 * 60 * 60 * 1000),
        )
        .await?
    };
    let meta = RequestMeta::default();
    let mut sent = 0;
    for reviewer in due {
        let organisation = OrgId(reviewer.organisation_id);
        let user = UserId(reviewer.user_id);
        let off = parse_mail_off(reviewer.mail_off.as_deref().unwrap_or(""));
        let mut work = Work::in_scope(db, Scope::organisation(organisation), &meta).await?;
        // Another instance may have mailed them since the scan: checked
        // again under the write lock.
        let last = stored::digest_sent_at(work.tx(), user).await?;
        if last.is_some_and(|at| at > now.0 - DIGEST_EVERY_MS) {
            work.rollback("the digest").await?;
            continue;
        }
        let org = work.mail_org().await?;
        let kinds = stored::unread_reviewer_kinds(work.tx(), user).await?;
        let covered: Vec<NoticeKind> = kinds.into_iter().filter(|k| !off.contains(k)).collect();
        let waiting = waiting(&mut work, &covered, now).await?;
        if !waiting.is_empty() {
            let to = Recipient {
                user,
                name: &reviewer.full_name,
                email: &reviewer.email,
            };
            let queue = match covered.contains(&NoticeKind::NewPendingAccount) {
                true => "/admin/users?status=pending",
                false => "/admin/role-requests",
            };
            work.mail(letters::reviewer_digest(&org, to, &waiting, queue)?);
            sent += 1;
        }
        stored::set_digest_sent(work.tx(), user, now).await?;
        work.commit("the digest").await?;
    }
    Ok(sent)
}

/// What waits for a reviewer, in sentences ("3 accounts wait for
/// approval, the oldest for 2 hours"), for the kinds `covered`.
async fn waiting(
    work: &mut Work<'_>,
    covered: &[NoticeKind],
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let mut lines = Vec::new();
    if covered.contains(&NoticeKind::NewPendingAccount) {
        let (n, oldest) = db::users::oldest_with_status(work.tx(), UserStatus::Pending).await?;
        if n > 0 {
            lines.push(waiting_line(
                n,
                "account waits",
                "accounts wait",
                "for approval",
                oldest,
                now,
            ));
        }
    }
    if covered.contains(&NoticeKind::NewRoleRequest) {
        let (n, oldest) = db::role_requests::oldest_open(work.tx()).await?;
        if n > 0 {
            lines.push(waiting_line(
                n,
                "role request waits",
                "role requests wait",
                "for review",
                oldest,
                now,
            ));
        }
    }
    Ok(lines)
}

fn waiting_line(
    n: i64,
    one: &str,
    many: &str,
    what: &str,
    oldest: Option<Timestamp>,
    now: Timestamp,
) -> String {
    let count = match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    let age = oldest.map_or(String::new(), |at| {
        format!(", the oldest for {}", for_how_long(now.0 - at.0))
    });
    format!("{count} {what}{age}.")
}

/// "3 minutes", "2 hours", "4 days".
fn for_how_long(ms: i64) -> String {
    let minutes = (ms / 60_000).max(1);
    let (n, unit) = match minutes {
        m if m < 120 => (m, "minute"),
        m if m < 48 * 60 => (m / 60, "hour"),
        m => (m / (24 * 60), "day"),
    };
    match n {
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

/// Deletes notices, sent or failed mail and expired links older than 90
/// days (the session purge's job).
pub async fn purge(db: &Db) -> Result<u64, ServiceError> {
    let before = Timestamp(Timestamp::now().0 - KEEP_DAYS * 24 * 60 * 60 * 1000);
    let meta = RequestMeta::default();
    let mut work = Work::in_scope(db, Scope::instance(), &meta).await?;
    let gone = stored::purge(Scope::instance().on(work.transaction()), before).await?;
    // Mail older than the notices, and links expired as long, go too.
    db::outbox::purge(Scope::instance().on(work.transaction()), before).await?;
    db::one_time_links::purge(Scope::instance().on(work.transaction()), before).await?;
    work.commit("the notification purge").await?;
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_says_how_many_wait_and_for_how_long() {
        let now = Timestamp(10 * 3_600_000);
        let line = waiting_line(
            3,
            "account waits",
            "accounts wait",
            "for approval",
            Some(Timestamp(now.0 - 2 * 3_600_000)),
            now,
        );
        assert_eq!(
            line,
            "3 accounts wait for approval, the oldest for 2 hours."
        );
        assert_eq!(for_how_long(30_000), "1 minute");
        assert_eq!(for_how_long(3 * 24 * 3_600_000), "3 days");
    }
}
