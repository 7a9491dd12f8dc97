//! Email verification: a link mailed at registration (resendable from the
//! pending page) or to a new address given on the profile. Opening it
//! makes the address a verified fact (`users.email_verified_at`), which
//! approvals, the user pages and OpenID Connect's `email_verified` read.
//! A new address replaces the old one only when its link is opened; the
//! old address is told of the change when it is asked for.

use super::mail::letters::{self, Recipient, Verifying};
use super::organisations::Directory;
use super::work::Work;
use super::{Actor, RequestMeta, ServiceError, user_target};
use crate::auth::token;
use crate::db::one_time_links::{self, NewLink};
use crate::db::{self, Db, Scope};
use crate::domain::link::{LinkPurpose, RESETS_PER_HOUR};
use crate::domain::notification::NoticeKind;
use crate::domain::{AuditAction, Email, Timestamp, User, UserStatus};

const VERIFY: LinkPurpose = LinkPurpose::EmailVerify;
const HOUR_MS: i64 = 60 * 60 * 1000;

/// Voids the user's earlier verification links and queues a new one for
/// `email`; nothing when mail is off.
pub(crate) async fn send_link(
    work: &mut Work<'_>,
    user: &User,
    email: &str,
    why: Verifying,
) -> Result<(), ServiceError> {
    if !work.mail_enabled() {
        return Ok(());
    }
    let now = Timestamp::now();
    one_time_links::void(work.tx(), user.id, VERIFY, now).await?;
    let (secret, hash) = token::link_secret();
    one_time_links::insert(
        work.tx(),
        &NewLink {
            user: user.id,
            purpose: VERIFY,
            token_hash: &hash,
            email: Some(email),
            now,
        },
    )
    .await?;
    let url = format!("{}/email/verify?token={secret}", work.public_url());
    let org = work.mail_org().await?;
    let to = Recipient {
        user: user.id,
        name: &user.full_name,
        email,
    };
    work.mail(letters::verify_email(
        &org,
        to,
        url,
        VERIFY.lifetime_words(),
        why,
    )?);
    work.audit(
        AuditAction::EmailVerificationSent,
        Some(user_target(user.id, &user.username)),
    )
    .after(Some(email.to_owned()));
    Ok(())
}

/// The pending page's "send the link again": at most `RESETS_PER_HOUR`
/// links an hour, to the user's current address.
pub async fn resend(db: &Db, actor: &Actor, meta: &RequestMeta) -> Result<String, ServiceError> {
    if !db.mail().enabled {
        return Err(ServiceError::Conflict(
            "This Gatehouse sends no mail, so there is no link to send.".into(),
        ));
    }
    let mut work = Work::in_scope(db, actor.scope.clone(), meta).await?;
    let user = db::users::find(work.tx(), actor.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.email_verified_at.is_some() {
        return Err(ServiceError::Conflict(
            "Your email address is confirmed already.".into(),
        ));
    }
    let since = Timestamp(Timestamp::now().0 - HOUR_MS);
    if one_time_links::made_since(work.tx(), user.id, VERIFY, since).await? >= RESETS_PER_HOUR {
        return Err(ServiceError::Conflict(
            "We sent you several links in the last hour: please open the newest one, or try again later."
                .into(),
        ));
    }
    send_link(
        &mut work,
        &user,
        &user.email.clone(),
        Verifying::Registration,
    )
    .await?;
    work.commit("the verification link").await?;
    Ok(user.email)
}

/// What opening a verification link did.
pub enum Opened {
    /// The address is verified (and, for a new address, now the account's).
    Verified { email: String, changed: bool },
    /// The link was used, voided or expired, or never existed.
    LinkGone,
    /// The new address was taken by another account meanwhile.
    Taken(String),
}

/// Opens a verification link.
pub async fn open(db: &Db, token_text: &str, meta: &RequestMeta) -> Result<Opened, ServiceError> {
    let link = {
        let mut conn = db.acquire().await?;
        super::links::live(&mut conn, token_text, VERIFY).await?
    };
    let hash = token::hash(token_text);
    let Some(link) = link else {
        return Ok(Opened::LinkGone);
    };
    let mut work = Work::in_scope(db, Scope::organisation(link.organisation), meta).await?;
    let user = db::users::find(work.tx(), link.user).await?;
    let Some(user) = user.filter(|u| u.status != UserStatus::Deleted) else {
        work.rollback("the verification").await?;
        return Ok(Opened::LinkGone);
    };
    let Some(email) = link.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        work.rollback("the verification").await?;
        return Ok(Opened::LinkGone);
    };
    let now = Timestamp::now();
    if !one_time_links::use_once(work.tx(), &hash, user.id, now).await? {
        work.rollback("the verification").await?;
        return Ok(Opened::LinkGone);
    }
    let target = Some(user_target(user.id, &user.username));
    let changed = email.key()
        != Email::parse(&user.email)
            .map(|e| e.key())
            .unwrap_or_default();
    if changed {
        if db::users::email_taken(work.tx(), &email, user.id).await? {
            work.rollback("the verification").await?;
            return Ok(Opened::Taken(email.as_str().to_owned()));
        }
        db::users::set_email(work.tx(), &user, &email, Some(now), now).await?;
        // A reset link mailed to the old address no longer reaches its owner.
        one_time_links::void(work.tx(), user.id, LinkPurpose::PasswordReset, now).await?;
        work.audit(AuditAction::EmailChanged, target.clone())
            .by(Some((user.id, user.username.as_str())))
            .change(user.email.clone(), email.as_str());
    } else {
        db::users::set_email_verified(work.tx(), user.id, &email, now).await?;
    }
    one_time_links::void(work.tx(), user.id, VERIFY, now).await?;
    work.audit(AuditAction::EmailVerified, target)
        .by(Some((user.id, user.username.as_str())))
        .after(Some(email.as_str().to_owned()));
    work.commit("the verification").await?;
    Ok(Opened::Verified {
        email: email.as_str().to_owned(),
        changed,
    })
}

/// What asking for a new address did.
pub enum Change {
    /// The address is the current one.
    Unchanged,
    /// Mail is on: a link went to the new address, a notice to the old.
    AwaitingConfirmation(String),
    /// Mail is off: the address changed at once, unverified.
    Changed(String),
}

/// The user asks to use `typed` as their address.
pub async fn request_change(
    db: &Db,
    actor: &Actor,
    typed: &str,
    meta: &RequestMeta,
) -> Result<Change, ServiceError> {
    let email = Email::parse(typed).map_err(|e| ServiceError::field("email", e))?;
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), actor.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    super::deletion::ensure_not_deleted(&user)?;
    if Email::parse(&user.email).is_ok_and(|current| current.key() == email.key()) {
        return Ok(Change::Unchanged);
    }
    if db::users::email_taken(work.tx(), &email, user.id).await? {
        return Err(ServiceError::Invalid(vec![(
            "email".into(),
            "Another account uses that email address.".into(),
        )]));
    }
    let target = Some(user_target(user.id, &user.username));
    let since = Timestamp(Timestamp::now().0 - HOUR_MS);
    if work.mail_enabled()
        && one_time_links::made_since(work.tx(), user.id, VERIFY, since).await? >= RESETS_PER_HOUR
    {
        return Err(ServiceError::Invalid(vec![(
            "email".into(),
            "We sent several confirmation links in the last hour: open the newest one, or try again later."
                .into(),
        )]));
    }
    let change = if work.mail_enabled() {
        send_link(&mut work, &user, email.as_str(), Verifying::NewAddress).await?;
        let org = work.mail_org().await?;
        let old = Recipient::of(&user);
        let letter = letters::email_change_notice(&org, old, email.as_str())?;
        super::notifications::tell(
            &mut work,
            user.id,
            NoticeKind::EmailChanged,
            &format!(
                "You asked to use {} as your address; it changes when you open the link sent there.",
                email.as_str()
            ),
            "/account/profile",
            Some(letter),
        )
        .await?;
        work.audit(AuditAction::EmailChangeRequested, target)
            .change(user.email.clone(), email.as_str());
        Change::AwaitingConfirmation(email.as_str().to_owned())
    } else {
        db::users::set_email(work.tx(), &user, &email, None, Timestamp::now()).await?;
        work.audit(AuditAction::EmailChanged, target)
            .change(user.email.clone(), email.as_str());
        super::notifications::tell(
            &mut work,
            user.id,
            NoticeKind::EmailChanged,
            &format!(
                "Your email address changed from {} to {}.",
                user.email,
                email.as_str()
            ),
            "/account/profile",
            None,
        )
        .await?;
        Change::Changed(email.as_str().to_owned())
    };
    work.commit("the email change").await?;
    Ok(change)
}

/// The address a user asked to change to and has not confirmed yet.
pub async fn awaiting(db: &Db, actor: &Actor) -> Result<Option<String>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(
        one_time_links::awaiting_email(actor.scope.on(&mut conn), actor.id, Timestamp::now())
            .await?,
    )
}

/// Whether reviewers of `scope`'s organisation approve only confirmed
/// addresses (the setting, or its default: on while mail is on).
pub async fn approval_needs_verified(
    db: &Db,
    directory: &Directory,
    scope: &Scope,
) -> Result<bool, ServiceError> {
    let Some(organisation) = scope.organisation_id().filter(|_| db.mail().enabled) else {
        return Ok(false);
    };
    // The user list asks on every view: the instance's copy of the
    // organisations answers (a change made on another instance shows here
    // within a second). An approval reads the setting again in its own
    // transaction (`Work::mail_org`), so the copy only words the page.
    let orgs = directory.get(db).await?;
    Ok(orgs
        .iter()
        .find(|org| org.id == organisation)
        .is_none_or(|org| org.approve_verified_only.unwrap_or(true)))
}
