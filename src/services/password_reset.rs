//! Getting back in: a reset link asked for on the sign-in page or sent by
//! an administrator, the new password set from it, and an administrator's
//! demand for a new password at the next sign-in.
//!
//! A link is 256 random bits, kept only as its SHA-256, works once for 30
//! minutes, and is voided by a newer link, a sign-in or a password change.
//! The token never reaches an audit row or a log line.

use secrecy::{ExposeSecret, SecretString};

use super::accounts::check_new_password;
use super::auth_settings::AuthSettings;
use super::mail::letters::{self, Recipient};
use super::work::Work;
use super::{Authorized, FieldErrors, RequestMeta, ServiceError, user_target};
use crate::auth::token;
use crate::db::one_time_links::{self, NewLink};
use crate::db::{self, Db, Scope};
use crate::domain::link::{LinkPurpose, RESETS_PER_HOUR};
use crate::domain::notification::NoticeKind;
use crate::domain::permission::perm;
use crate::domain::{AuditAction, Timestamp, User, UserId, UserStatus, passwords_match};

const HOUR_MS: i64 = 60 * 60 * 1000;
const RESET: LinkPurpose = LinkPurpose::PasswordReset;

/// Mails a reset link to the Active account `login` names in `scope`, at
/// most `RESETS_PER_HOUR` an hour. Unknown, Pending, Rejected and Disabled
/// accounts get nothing, and the caller answers the same either way; the
/// sign-in page's handler runs this after it has answered, so the answer's
/// timing cannot tell them apart either.
pub async fn request(
    db: &Db,
    scope: &Scope,
    login: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    if !db.mail().enabled {
        return Ok(());
    }
    let user = {
        let mut conn = db.acquire().await?;
        let Some(found) = db::users::find_credentials(scope.on(&mut conn), login).await? else {
            return Ok(());
        };
        db::users::find(scope.on(&mut conn), found.id).await?
    };
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        return Ok(());
    };
    let mut work = Work::in_scope(db, scope.clone(), meta).await?;
    let now = Timestamp::now();
    let recent =
        one_time_links::made_since(work.tx(), user.id, RESET, Timestamp(now.0 - HOUR_MS)).await?;
    if recent >= RESETS_PER_HOUR {
        tracing::info!(
            user = user.id.0,
            "a password reset was asked for again within the hour; no mail sent"
        );
        return work.rollback("the reset request").await;
    }
    mail_link(&mut work, &user, false, now).await?;
    work.audit(
        AuditAction::PasswordResetSent,
        Some(user_target(user.id, &user.username)),
    )
    .by(None)
    .reason(Some("asked_on_sign_in_page"));
    work.commit("the reset request").await
}

/// Voids the user's earlier links, makes a new one and queues its mail.
async fn mail_link(
    work: &mut Work<'_>,
    user: &User,
    by_admin: bool,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let url = new_link(work, user.id, now).await?;
    let org = work.mail_org().await?;
    let to = Recipient::of(user);
    let letter = letters::password_reset(&org, to, url, RESET.lifetime_words(), by_admin)?;
    work.mail(letter);
    Ok(())
}

/// Voids the user's earlier reset links and makes a new one; returns its
/// address, the only place the token appears.
async fn new_link(
    work: &mut Work<'_>,
    user: UserId,
    now: Timestamp,
) -> Result<String, ServiceError> {
    one_time_links::void(work.tx(), user, RESET, now).await?;
    let (secret, hash) = token::link_secret();
    one_time_links::insert(
        work.tx(),
        &NewLink {
            user,
            purpose: RESET,
            token_hash: &hash,
            email: None,
            now,
        },
    )
    .await?;
    Ok(format!(
        "{}/password/reset?token={secret}",
        work.public_url()
    ))
}

/// What an administrator's "send reset link" did.
pub enum AdminReset {
    /// Mailed to this address.
    Mailed(String),
    /// Mail is off: the link to hand over, shown once.
    HandOver(String),
}

/// An administrator sends `id` a reset link, or, with mail off, makes one
/// to hand over. Only Active accounts can reset their password.
pub async fn send_by_admin(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    id: UserId,
    meta: &RequestMeta,
) -> Result<AdminReset, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.status != UserStatus::Active {
        return Err(ServiceError::Conflict(format!(
            "{} is {}: only an active account can reset its password.",
            user.username,
            user.status.label().to_lowercase()
        )));
    }
    let now = Timestamp::now();
    let target = Some(user_target(user.id, &user.username));
    let answer = if work.mail_enabled() {
        mail_link(&mut work, &user, true, now).await?;
        work.audit(AuditAction::PasswordResetSent, target)
            .reason(Some("sent_by_administrator"));
        AdminReset::Mailed(user.email.clone())
    } else {
        let url = new_link(&mut work, user.id, now).await?;
        work.audit(AuditAction::PasswordResetLinkMade, target);
        AdminReset::HandOver(url)
    };
    work.commit("the reset link").await?;
    Ok(answer)
}

/// An administrator asks `id` to choose a new password before anything
/// else at their next page.
pub async fn require_change(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    id: UserId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.status == UserStatus::Deleted {
        return Err(ServiceError::NotFound);
    }
    db::users::set_must_change_password(work.tx(), id, true).await?;
    work.audit(
        AuditAction::PasswordChangeRequired,
        Some(user_target(id, &user.username)),
    );
    work.commit("the password change requirement").await?;
    Ok(user.username)
}

/// The account a reset link opens, for the form's heading.
pub struct ResetTarget {
    pub username: String,
}

/// The account `token` resets, if the link still works.
pub async fn open(db: &Db, token: &str) -> Result<Option<ResetTarget>, ServiceError> {
    Ok(live(db, token).await?.map(|(_, user)| ResetTarget {
        username: user.username,
    }))
}

/// The live link and its Active account.
async fn live(
    db: &Db,
    token: &str,
) -> Result<Option<(one_time_links::LiveLink, User)>, ServiceError> {
    let mut conn = db.acquire().await?;
    let Some(link) = super::links::live(&mut conn, token, RESET).await? else {
        return Ok(None);
    };
    let user = db::users::find(
        Scope::organisation(link.organisation).on(&mut conn),
        link.user,
    )
    .await?
    .filter(|u| u.status == UserStatus::Active);
    Ok(user.map(|user| (link, user)))
}

/// What became of a new password sent from a reset link.
pub enum Completion {
    /// Set; every session ended. The organisation's sign-in page.
    Done { login_page: String },
    /// The link was used, voided or expired (or never existed).
    LinkGone,
}

/// Sets the new password from a reset link: ends every session of the
/// account, clears its lockout, voids its other links and tells the user
/// by mail. Refused passwords come back as field errors.
pub async fn complete(
    db: &Db,
    auth: &AuthSettings,
    token: &str,
    new: SecretString,
    confirm: SecretString,
    meta: &RequestMeta,
) -> Result<Completion, ServiceError> {
    let Some((link, user)) = live(db, token).await? else {
        return Ok(Completion::LinkGone);
    };
    let mut errors = FieldErrors::default();
    check_new_password(
        &mut errors,
        "new_password",
        &auth.password_policy,
        new.expose_secret(),
        &user.username,
        &user.email,
    );
    errors.check(
        "new_password_confirm",
        passwords_match(new.expose_secret(), confirm.expose_secret()),
    );
    errors.into_result()?;
    let hash = auth.hasher.hash(new).await?;
    let now = Timestamp::now();
    let mut work = Work::in_scope(db, Scope::organisation(link.organisation), meta).await?;
    if !one_time_links::use_once(work.tx(), &token::hash(token), user.id, now).await? {
        work.rollback("the password reset").await?;
        return Ok(Completion::LinkGone);
    }
    db::users::set_password_hash(work.tx(), user.id, &hash, now).await?;
    db::users::set_must_change_password(work.tx(), user.id, false).await?;
    db::login_throttle::clear(work.tx(), user.id).await?;
    one_time_links::void(work.tx(), user.id, RESET, now).await?;
    // An address change someone else may have started ends here too.
    one_time_links::void_address_changes(work.tx(), user.id, now).await?;
    let ended = db::sessions::delete_for_user(work.tx(), user.id).await?;
    work.audit(
        AuditAction::PasswordReset,
        Some(user_target(user.id, &user.username)),
    )
    .by(Some((user.id, user.username.as_str())))
    .after((ended > 0).then(|| format!("{ended} sessions ended")));
    let org = work.mail_org().await?;
    let to = Recipient::of(&user);
    let letter =
        letters::password_changed(&org, to, "from a reset link that was mailed to you", true)?;
    super::notifications::tell(
        &mut work,
        user.id,
        NoticeKind::PasswordChanged,
        "Your password was changed from a reset link.",
        "/account/sessions",
        Some(letter),
    )
    .await?;
    work.commit("the password reset").await?;
    Ok(Completion::Done {
        login_page: format!("{}/login", org.prefix),
    })
}
