//! Registration, sign-in and password changes: what a user does to their own account.

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use super::{FieldErrors, RequestMeta, ServiceError, audit_entry, user_target};
use crate::auth::password;
use crate::db::audit::{AuditTarget, NewAuditEntry};
use crate::db::{self, Db};
use crate::domain::{
    AuditAction, Email, FieldError, FullName, PasswordPolicy, RoleId, Timestamp, UserId,
    UserStatus, Username, passwords_match,
};

/// What the registration form sends.
pub struct Registration {
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

/// Validated fields of a new account.
struct ValidAccount {
    username: Username,
    email: Email,
    full_name: FullName,
}

fn validate(form: &Registration) -> Result<ValidAccount, ServiceError> {
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    errors.check(
        "password",
        PasswordPolicy::default().check(
            form.password.expose_secret(),
            form.username.trim(),
            form.email.trim(),
        ),
    );
    errors.check(
        "password_confirm",
        passwords_match(
            form.password.expose_secret(),
            form.password_confirm.expose_secret(),
        ),
    );
    errors.into_result()?;
    match (username, email, full_name) {
        (Some(username), Some(email), Some(full_name)) => Ok(ValidAccount {
            username,
            email,
            full_name,
        }),
        _ => Err(anyhow::anyhow!("validation passed without values").into()),
    }
}

/// Inserts a validated account and its audit row inside `tx`.
async fn insert_account(
    tx: &mut db::Tx,
    account: &ValidAccount,
    hash: &str,
    status: UserStatus,
    role: RoleId,
    action: AuditAction,
    meta: &RequestMeta,
) -> Result<UserId, ServiceError> {
    let (user_taken, email_taken) =
        db::users::taken(tx, account.username.as_str(), account.email.as_str()).await?;
    let mut errors = FieldErrors::default();
    if user_taken {
        errors.add("username", "This username is already taken.");
    }
    if email_taken {
        errors.add(
            "email",
            "An account with this email address already exists.",
        );
    }
    errors.into_result()?;
    let now = Timestamp::now();
    let new_user = db::users::NewUser {
        username: account.username.as_str(),
        email: account.email.as_str(),
        full_name: account.full_name.as_str(),
        password_hash: hash,
        status,
        role_id: role,
        now,
    };
    let id = match db::users::insert(tx, &new_user).await {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(
                "This username or email is already taken.".into(),
            ));
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not insert the user")
                .into());
        }
    };
    let actor = (action == AuditAction::UserRegistered).then_some((id, account.username.as_str()));
    db::audit::append(
        tx,
        &NewAuditEntry {
            after: Some(status.as_str().to_owned()),
            ..audit_entry(
                action,
                actor,
                Some(user_target(id, account.username.as_str())),
                meta,
            )
        },
    )
    .await?;
    Ok(id)
}

async fn role_by_name(tx: &mut db::Tx, name: &str) -> Result<RoleId, ServiceError> {
    db::roles::find_by_name(tx, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the role {name:?} does not exist").into())
}

/// Self-registration: the account starts Pending with the default role.
pub async fn register(
    db: &Db,
    form: Registration,
    default_role: &str,
    meta: &RequestMeta,
) -> Result<UserId, ServiceError> {
    let account = validate(&form)?;
    let hash = password::hash(form.password).await?;
    let mut tx = db.begin_write().await?;
    let role = role_by_name(&mut tx, default_role).await?;
    let id = insert_account(
        &mut tx,
        &account,
        &hash,
        UserStatus::Pending,
        role,
        AuditAction::UserRegistered,
        meta,
    )
    .await?;
    tx.commit()
        .await
        .context("could not commit the registration")?;
    Ok(id)
}

/// An operator creates an Active account from the command line or at start.
pub async fn create_user(
    db: &Db,
    form: Registration,
    role_name: &str,
) -> Result<UserId, ServiceError> {
    let account = validate(&form)?;
    let hash = password::hash(form.password).await?;
    let mut tx = db.begin_write().await?;
    let role = match db::roles::find_by_name(&mut tx, role_name).await? {
        Some(role) => role,
        None => {
            return Err(ServiceError::field(
                "role",
                FieldError(format!("There is no role named {role_name:?}.")),
            ));
        }
    };
    let meta = RequestMeta {
        ip: None,
        user_agent: Some("gatehouse command line".into()),
    };
    let id = insert_account(
        &mut tx,
        &account,
        &hash,
        UserStatus::Active,
        role,
        AuditAction::UserCreated,
        &meta,
    )
    .await?;
    tx.commit().await.context("could not commit the new user")?;
    Ok(id)
}

/// The result of a sign-in attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in; Pending users go to the pending page.
    SignedIn { id: UserId, status: UserStatus },
    /// The password was right but the account may not sign in.
    Refused(UserStatus),
    /// Unknown login or wrong password: one generic answer for both.
    Failed,
}

pub async fn login(
    db: &Db,
    login: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<LoginOutcome, ServiceError> {
    let credentials = {
        let mut conn = db
            .pool
            .acquire()
            .await
            .context("could not reach the database")?;
        db::users::find_credentials(&mut conn, login).await?
    };
    let matched = password::verify(
        password,
        credentials.as_ref().map(|c| c.password_hash.clone()),
    )
    .await?;
    let (outcome, action, reason) = match &credentials {
        None => (
            LoginOutcome::Failed,
            AuditAction::LoginFailed,
            Some("unknown_user"),
        ),
        Some(_) if !matched => (
            LoginOutcome::Failed,
            AuditAction::LoginFailed,
            Some("wrong_password"),
        ),
        Some(c) if matches!(c.status, UserStatus::Rejected | UserStatus::Disabled) => (
            LoginOutcome::Refused(c.status),
            AuditAction::LoginFailed,
            Some(if c.status == UserStatus::Rejected {
                "account_rejected"
            } else {
                "account_disabled"
            }),
        ),
        Some(c) => (
            LoginOutcome::SignedIn {
                id: c.id,
                status: c.status,
            },
            AuditAction::LoginSucceeded,
            None,
        ),
    };
    let now = Timestamp::now();
    let mut tx = db.begin_write().await?;
    if let LoginOutcome::SignedIn { id, .. } = &outcome {
        db::users::record_login(&mut tx, *id, now).await?;
    }
    let target = match &credentials {
        Some(c) => user_target(c.id, &c.username),
        None => AuditTarget {
            kind: "login",
            id: 0,
            label: login.trim().chars().take(64).collect(),
            user_id: None,
        },
    };
    let actor = match (&outcome, &credentials) {
        (LoginOutcome::SignedIn { .. }, Some(c)) => Some((c.id, c.username.as_str())),
        _ => None,
    };
    db::audit::append(
        &mut tx,
        &NewAuditEntry {
            reason,
            ..audit_entry(action, actor, Some(target), meta)
        },
    )
    .await?;
    tx.commit().await.context("could not commit the login")?;
    Ok(outcome)
}

/// Records a sign-out (the session itself is purged by the caller).
pub async fn record_logout(
    db: &Db,
    user: UserId,
    username: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    db::audit::append(
        &mut tx,
        &audit_entry(
            AuditAction::Logout,
            Some((user, username)),
            Some(user_target(user, username)),
            meta,
        ),
    )
    .await?;
    tx.commit().await.context("could not commit the logout")?;
    Ok(())
}

/// What the password form sends.
pub struct PasswordChange {
    pub current: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
}

pub async fn change_password(
    db: &Db,
    user: UserId,
    form: PasswordChange,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let (account, stored) = {
        let mut conn = db
            .pool
            .acquire()
            .await
            .context("could not reach the database")?;
        let account = db::users::find(&mut conn, user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let stored = db::users::password_hash(&mut conn, user).await?;
        (account, stored)
    };
    let mut errors = FieldErrors::default();
    if !password::verify(form.current, Some(stored)).await? {
        errors.add("current_password", "Your current password is not correct.");
    }
    errors.check(
        "new_password",
        PasswordPolicy::default().check(
            form.new.expose_secret(),
            &account.username,
            &account.email,
        ),
    );
    errors.check(
        "new_password_confirm",
        passwords_match(form.new.expose_secret(), form.confirm.expose_secret()),
    );
    errors.into_result()?;
    let hash = password::hash(form.new).await?;
    let now = Timestamp::now();
    let mut tx = db.begin_write().await?;
    db::users::set_password_hash(&mut tx, user, &hash, now).await?;
    db::audit::append(
        &mut tx,
        &audit_entry(
            AuditAction::PasswordChanged,
            Some((user, account.username.as_str())),
            Some(user_target(user, &account.username)),
            meta,
        ),
    )
    .await?;
    tx.commit()
        .await
        .context("could not commit the password change")?;
    Ok(())
}
