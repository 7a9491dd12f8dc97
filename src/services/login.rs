//! Sign-in: the password check, the per-account lockout, replacing outdated
//! hashes, and the audit rows, decided inside one write transaction so two
//! instances counting failures for the same account cannot both miss a lock.

use secrecy::SecretString;

use super::Authorized;
use super::auth_settings::AuthSettings;
use super::mail::letters::{self, Recipient};
use super::notifications;
use super::work::Work;
use super::{RequestMeta, ServiceError, user_target};
use crate::db::Scope;
use crate::db::audit::AuditTarget;
use crate::db::{self, Db};
use crate::domain::Credentials;
use crate::domain::link::LinkPurpose;
use crate::domain::notification::{KEEP_DAYS, NoticeKind, browser_family, network_of};
use crate::domain::permission::perm;
use crate::domain::{AuditAction, Timestamp, UserId, UserStatus};

/// The result of a sign-in attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in; Pending users go to the pending page. `failures` counts the
    /// failed attempts on the account since its previous sign-in.
    SignedIn {
        id: UserId,
        status: UserStatus,
        failures: u32,
    },
    /// The password was right but the account may not sign in.
    Refused(UserStatus),
    /// Unknown login, wrong password or a locked account: one generic answer.
    Failed,
}

pub async fn login(
    db: &Db,
    scope: &Scope,
    auth: &AuthSettings,
    login: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<LoginOutcome, ServiceError> {
    let credentials = {
        let mut conn = db.acquire().await?;
        db::users::find_credentials(scope.on(&mut conn), login).await?
    };
    // Always verified, even for unknown or locked accounts, so every answer
    // costs the same time.
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = auth.hasher.verify(password.clone(), stored).await?;
    let new_hash = match verified.needs_rehash {
        true => Some(auth.hasher.hash(password).await?),
        false => None,
    };
    let mut work = Work::in_scope(db, scope.clone(), meta).await?;
    let outcome = match &credentials {
        None => {
            let target = AuditTarget {
                kind: "login",
                id: 0,
                label: login.trim().chars().take(64).collect(),
                user_id: None,
            };
            failed(&mut work, target, "unknown_user");
            LoginOutcome::Failed
        }
        Some(user) => {
            let attempt = Attempt {
                user,
                matched: verified.matched,
                new_hash: new_hash.as_deref(),
            };
            known_user(&mut work, auth, attempt).await?
        }
    };
    // Its rows' actions say a sign-in changes no overview figure.
    work.commit("the login").await?;
    Ok(outcome)
}

struct Attempt<'a> {
    user: &'a Credentials,
    matched: bool,
    new_hash: Option<&'a str>,
}

async fn known_user(
    work: &mut Work<'_>,
    auth: &AuthSettings,
    attempt: Attempt<'_>,
) -> Result<LoginOutcome, ServiceError> {
    let user = attempt.user;
    let target = || user_target(user.id, &user.username);
    let now = Timestamp::now();
    let state = db::login_throttle::get(work.tx(), user.id).await?;
    if auth.lockout.locked_until(&state, now.0).is_some() {
        let state = auth.lockout.record_locked_attempt(&state);
        db::login_throttle::put(work.tx(), user.id, &state).await?;
        failed(work, target(), "locked");
        return Ok(LoginOutcome::Failed);
    }
    if !attempt.matched {
        let failure = auth.lockout.record_failure(&state, now.0);
        db::login_throttle::put(work.tx(), user.id, &failure.state).await?;
        failed(work, target(), "wrong_password");
        if let Some(delay) = failure.locked_for_ms {
            let after = format!(
                "locked for {} min after {} failures",
                delay / 60_000,
                failure.state.failures
            );
            work.audit(AuditAction::AccountLocked, Some(target()))
                .after(Some(after))
                .reason(Some("too_many_failures"));
            tell_locked(work, user.id, delay / 60_000).await?;
        }
        return Ok(LoginOutcome::Failed);
    }
    // An invitation not yet accepted has no password of its own (its hash
    // matches nothing); were one set, the account still waits for the
    // invitee: the same answer as a wrong password.
    if user.status == UserStatus::Invited {
        failed(work, target(), "account_invited");
        return Ok(LoginOutcome::Failed);
    }
    if matches!(user.status, UserStatus::Rejected | UserStatus::Disabled) {
        let reason = match user.status {
            UserStatus::Rejected => "account_rejected",
            _ => "account_disabled",
        };
        failed(work, target(), reason);
        return Ok(LoginOutcome::Refused(user.status));
    }
    db::login_throttle::clear(work.tx(), user.id).await?;
    db::users::record_login(work.tx(), user.id, now).await?;
    // The password is known after all: a reset link mailed earlier is void.
    db::one_time_links::void(work.tx(), user.id, LinkPurpose::PasswordReset, now).await?;
    tell_if_new_place(work, user.id, now).await?;
    let actor = Some((user.id, user.username.as_str()));
    let after = (state.since_login > 0).then(|| {
        format!(
            "{} failed attempts since the last sign-in",
            state.since_login
        )
    });
    work.audit(AuditAction::LoginSucceeded, Some(target()))
        .by(actor)
        .after(after);
    if let Some(hash) = attempt.new_hash {
        let before = user
            .password_hash
            .split('$')
            .take(2)
            .collect::<Vec<_>>()
            .join("$");
        db::users::set_password_hash(work.tx(), user.id, hash, now).await?;
        work.audit(AuditAction::PasswordRehashed, Some(target()))
            .by(actor)
            .change(before.chars().take(40).collect::<String>(), "argon2id");
    }
    Ok(LoginOutcome::SignedIn {
        id: user.id,
        status: user.status,
        failures: state.since_login,
    })
}

/// Tells the owner of a locked account, in the app and by mail.
async fn tell_locked(work: &mut Work<'_>, id: UserId, minutes: i64) -> Result<(), ServiceError> {
    let Some(user) = db::users::find(work.tx(), id).await? else {
        return Ok(());
    };
    let org = work.mail_org().await?;
    let to = Recipient {
        user: id,
        name: &user.full_name,
        email: &user.email,
    };
    let letter = letters::account_locked(&org, to, minutes.max(1))?;
    notifications::tell(
        work,
        id,
        NoticeKind::AccountLocked,
        &format!(
            "Your account was locked for {} after several failed sign-ins.",
            match minutes.max(1) {
                1 => "1 minute".to_owned(),
                n => format!("{n} minutes"),
            }
        ),
        "/account/sessions",
        Some(letter),
    )
    .await
}

/// Records where the user signed in from (a browser family and a /24 or
/// /48 network) and tells them when it is new to the account in 90 days.
/// The first sign-in of all is nothing new.
async fn tell_if_new_place(
    work: &mut Work<'_>,
    id: UserId,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let meta = work.meta();
    let browser = browser_family(meta.user_agent.as_deref().unwrap_or(""));
    let network = network_of(meta.ip.as_deref().unwrap_or(""));
    let window = KEEP_DAYS * 24 * 60 * 60 * 1000;
    let known =
        db::notifications::seen_sign_in(work.tx(), id, &browser, &network, now, window).await?;
    let Some(user) = db::users::find(work.tx(), id).await? else {
        return Ok(());
    };
    // This sign-in is counted already: one means it is the first of all
    // (a place unused for 90 days is forgotten, the count is not).
    if known || user.login_count <= 1 {
        return Ok(());
    }
    let org = work.mail_org().await?;
    let to = Recipient {
        user: id,
        name: &user.full_name,
        email: &user.email,
    };
    let letter = letters::new_sign_in(&org, to, &browser, &network)?;
    notifications::tell(
        work,
        id,
        NoticeKind::NewSignIn,
        &format!("A sign-in from {browser} on the network {network}, new to your account."),
        "/account/sessions",
        Some(letter),
    )
    .await
}

/// The audit row of a failed sign-in, with its reason code.
fn failed(work: &mut Work<'_>, target: AuditTarget, reason: &'static str) {
    work.audit(AuditAction::LoginFailed, Some(target))
        .reason(Some(reason));
}

/// An account's lockout as the admin user page shows it.
#[derive(Debug, Clone, Default)]
pub struct LockoutStatus {
    /// Failures in the current streak.
    pub failures: u32,
    /// Failed attempts since the last successful sign-in.
    pub since_login: u32,
    /// Set while the account is locked.
    pub locked_until: Option<Timestamp>,
}

pub async fn lockout_status(
    db: &Db,
    scope: &Scope,
    auth: &AuthSettings,
    user: UserId,
) -> Result<LockoutStatus, ServiceError> {
    let mut conn = db.acquire().await?;
    let state = db::login_throttle::get(scope.on(&mut conn), user).await?;
    Ok(LockoutStatus {
        failures: state.failures,
        since_login: state.since_login,
        locked_until: auth
            .lockout
            .locked_until(&state, Timestamp::now().0)
            .map(Timestamp),
    })
}

/// An administrator ends a lockout; returns the username.
pub async fn unlock(
    db: &Db,
    auth: &AuthSettings,
    actor: &Authorized<perm::UsersManage>,
    user: UserId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let account = db::users::find(work.tx(), user)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let state = db::login_throttle::get(work.tx(), user).await?;
    let Some(until) = auth.lockout.locked_until(&state, Timestamp::now().0) else {
        return Err(ServiceError::Conflict(format!(
            "{} is not locked out.",
            account.username
        )));
    };
    db::login_throttle::unlock(work.tx(), user).await?;
    work.audit(
        AuditAction::LockoutCleared,
        Some(user_target(user, &account.username)),
    )
    .change(format!("locked until {}", Timestamp(until)), "unlocked");
    work.commit("the unlock").await?;
    Ok(account.username)
}

/// Records that a client address went over the sign-in rate limit (once per
/// address and window: the limiter says when).
pub async fn record_throttled(db: &Db, path: &str, meta: &RequestMeta) -> Result<(), ServiceError> {
    let mut work = Work::in_scope(db, Scope::instance(), meta).await?;
    let route = AuditTarget {
        kind: "route",
        id: 0,
        label: path.chars().take(64).collect(),
        user_id: None,
    };
    work.audit(AuditAction::LoginThrottled, Some(route))
        .reason(Some("ip_rate_limit"));
    work.commit("the throttle record").await?;
    Ok(())
}
