//! Registration and password changes: what a user does to their own account
//! (signing in lives in `login`).

use secrecy::{ExposeSecret, SecretString};

use super::auth_settings::AuthSettings;
use super::mail::letters::{self, Recipient};
use super::work::Work;
use super::{Authorized, FieldErrors, RequestMeta, ServiceError, user_target};
use crate::db::Scope;
use crate::db::{self, Db};
use crate::domain::Permission;
use crate::domain::link::LinkPurpose;
use crate::domain::notification::NoticeKind;
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, Email, FieldError, FullName, Metadata, PasswordPolicy, RoleId, Timestamp, UserId,
    UserStatus, Username, Writer, passwords_match,
};

/// Checks a new password; a refusal names the rule on `field` and puts the
/// strength hint on `password_strength`, which the forms show beneath it.
pub(crate) fn check_new_password(
    errors: &mut FieldErrors,
    field: &'static str,
    policy: &PasswordPolicy,
    password: &str,
    username: &str,
    email: &str,
) {
    if let Err(rejection) = policy.check(password, username, email) {
        errors.add(field, rejection.message);
        if !rejection.hint.is_empty() {
            errors.add("password_strength", rejection.hint);
        }
    }
}

/// What the registration form sends.
pub struct Registration {
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

/// Validated fields of a new account.
pub(super) struct ValidAccount {
    username: Username,
    email: Email,
    full_name: FullName,
}

pub(super) fn validate(
    form: &Registration,
    policy: &PasswordPolicy,
) -> Result<ValidAccount, ServiceError> {
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    check_new_password(
        &mut errors,
        "password",
        policy,
        form.password.expose_secret(),
        form.username.trim(),
        form.email.trim(),
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

/// Inserts a validated account and its audit row inside `work`.
pub(super) async fn insert_account(
    work: &mut Work<'_>,
    account: &ValidAccount,
    hash: &str,
    status: UserStatus,
    role: RoleId,
    action: AuditAction,
) -> Result<UserId, ServiceError> {
    let (user_taken, email_taken) =
        db::users::taken(work.tx(), &account.username, &account.email).await?;
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
        username: &account.username,
        email: &account.email,
        full_name: &account.full_name,
        password_hash: hash,
        status,
        role_id: role,
        now,
    };
    let id = match db::users::insert(work.tx(), &new_user).await {
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
    work.audit(action, Some(user_target(id, account.username.as_str())))
        .by(actor)
        .after(Some(status.as_str().to_owned()));
    Ok(id)
}

async fn role_by_name(tx: db::Scoped<'_>, name: &str) -> Result<RoleId, ServiceError> {
    db::roles::find_by_name(tx, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the role {name:?} does not exist").into())
}

/// Self-registration: the account starts Pending with the default role,
/// and the custom fields asked at registration (`custom`, key → typed).
pub async fn register(
    db: &Db,
    scope: &Scope,
    auth: &AuthSettings,
    form: Registration,
    custom: &[(String, String)],
    default_role: &str,
    meta: &RequestMeta,
) -> Result<UserId, ServiceError> {
    let fields = super::fields::list(db, scope).await?;
    let metadata = Metadata::default().apply(&fields, custom, Writer::Registration);
    let account = match (validate(&form, &auth.password_policy), metadata.as_ref()) {
        (Ok(account), Ok(_)) => account,
        (account, metadata) => {
            let mut errors = match account {
                Err(ServiceError::Invalid(errors)) => errors,
                Err(other) => return Err(other),
                Ok(_) => Vec::new(),
            };
            if let Err(wrong) = metadata {
                errors.extend(wrong.iter().map(|(f, m)| (f.clone().into(), m.clone())));
            }
            return Err(ServiceError::Invalid(errors));
        }
    };
    let metadata = metadata.unwrap_or_default();
    let hash = auth.hasher.hash(form.password).await?;
    let mut work = Work::in_scope(db, scope.clone(), meta).await?;
    let role = role_by_name(work.tx(), default_role).await?;
    let id = insert_account(
        &mut work,
        &account,
        &hash,
        UserStatus::Pending,
        role,
        AuditAction::UserRegistered,
    )
    .await?;
    if !metadata.is_empty() {
        db::custom_fields::set_metadata(work.tx(), id, &metadata, Timestamp::now()).await?;
    }
    if work.mail_enabled() {
        let user = db::users::find(work.tx(), id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the new account {id} is missing"))?;
        super::email_verification::send_link(
            &mut work,
            &user,
            &user.email,
            letters::Verifying::Registration,
        )
        .await?;
    }
    // The verification mail thanks them; the app says so too.
    super::notifications::tell(
        &mut work,
        id,
        NoticeKind::RegistrationReceived,
        "We received your registration. An administrator will look at it soon.",
        "/pending",
        None,
    )
    .await?;
    super::notifications::tell_reviewers(
        &mut work,
        Permission::UsersApprove,
        None,
        NoticeKind::NewPendingAccount,
        &format!(
            "{} ({}) registered and waits for approval.",
            account.full_name.as_str(),
            account.username.as_str()
        ),
        &format!("/admin/users/{id}"),
    )
    .await?;
    work.commit("the registration").await?;
    Ok(id)
}

/// An operator creates an Active account in `scope`'s organisation from
/// the command line or at start.
pub async fn create_user(
    db: &Db,
    scope: &Scope,
    auth: &AuthSettings,
    form: Registration,
    role_name: &str,
) -> Result<UserId, ServiceError> {
    let account = validate(&form, &auth.password_policy)?;
    let hash = auth.hasher.hash(form.password).await?;
    let meta = RequestMeta {
        ip: None,
        user_agent: Some("gatehouse command line".into()),
        ..RequestMeta::default()
    };
    let mut work = Work::in_scope(db, scope.clone(), &meta).await?;
    let role = match db::roles::find_by_name(work.tx(), role_name).await? {
        Some(role) => role,
        None => {
            return Err(ServiceError::field(
                "role",
                FieldError(format!("There is no role named {role_name:?}.")),
            ));
        }
    };
    let id = insert_account(
        &mut work,
        &account,
        &hash,
        UserStatus::Active,
        role,
        AuditAction::UserCreated,
    )
    .await?;
    work.commit("the new user").await?;
    Ok(id)
}

/// An administrator (through the API) creates a Pending or Active account
/// in their organisation with `role_name` (the default role when empty).
pub async fn create_by_admin(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    auth: &AuthSettings,
    form: Registration,
    status: UserStatus,
    role_name: &str,
    meta: &RequestMeta,
) -> Result<UserId, ServiceError> {
    if !matches!(status, UserStatus::Pending | UserStatus::Active) {
        return Err(ServiceError::field(
            "status",
            FieldError("A new account is pending or active.".into()),
        ));
    }
    let account = validate(&form, &auth.password_policy)?;
    let hash = auth.hasher.hash(form.password).await?;
    let mut work = Work::begin(db, actor, meta).await?;
    let Some(role) = db::roles::find_by_name(work.tx(), role_name).await? else {
        return Err(ServiceError::field(
            "role",
            FieldError(format!("There is no role named {role_name:?}.")),
        ));
    };
    let id = insert_account(
        &mut work,
        &account,
        &hash,
        status,
        role,
        AuditAction::UserCreated,
    )
    .await?;
    work.commit("the new user").await?;
    Ok(id)
}

/// Records a sign-out (the session itself is purged by the caller).
pub async fn record_logout(
    db: &Db,
    scope: &Scope,
    user: UserId,
    username: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let mut work = Work::in_scope(db, scope.clone(), meta).await?;
    work.audit(AuditAction::Logout, Some(user_target(user, username)))
        .by(Some((user, username)));
    work.commit("the logout").await?;
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
    scope: &Scope,
    auth: &AuthSettings,
    user: UserId,
    form: PasswordChange,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let (account, stored) = {
        let mut conn = db.acquire().await?;
        let account = db::users::find(scope.on(&mut conn), user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let stored = db::users::password_hash(scope.on(&mut conn), user).await?;
        (account, stored)
    };
    let mut errors = FieldErrors::default();
    if !auth
        .hasher
        .verify(form.current, Some(stored))
        .await?
        .matched
    {
        errors.add("current_password", "Your current password is not correct.");
    }
    check_new_password(
        &mut errors,
        "new_password",
        &auth.password_policy,
        form.new.expose_secret(),
        &account.username,
        &account.email,
    );
    errors.check(
        "new_password_confirm",
        passwords_match(form.new.expose_secret(), form.confirm.expose_secret()),
    );
    errors.into_result()?;
    let hash = auth.hasher.hash(form.new).await?;
    let now = Timestamp::now();
    let mut work = Work::in_scope(db, scope.clone(), meta).await?;
    db::users::set_password_hash(work.tx(), user, &hash, now).await?;
    db::users::set_must_change_password(work.tx(), user, false).await?;
    // A reset link mailed earlier must not undo the change.
    db::one_time_links::void(work.tx(), user, LinkPurpose::PasswordReset, now).await?;
    // So is an address change someone else may have started.
    db::one_time_links::void_address_changes(work.tx(), user, now).await?;
    // Whoever else holds a session (perhaps the reason for the change) is out.
    let ended = db::sessions::delete_others(work.tx(), user, meta.session.as_deref()).await?;
    let after = (ended > 0).then(|| format!("{ended} other sessions ended"));
    work.audit(
        AuditAction::PasswordChanged,
        Some(user_target(user, &account.username)),
    )
    .by(Some((user, account.username.as_str())))
    .after(after);
    let org = work.mail_org().await?;
    let to = Recipient {
        user,
        name: &account.full_name,
        email: &account.email,
    };
    let letter = letters::password_changed(&org, to, "on your account page", false)?;
    super::notifications::tell(
        &mut work,
        user,
        NoticeKind::PasswordChanged,
        "Your password was changed on your account page.",
        "/account/sessions",
        Some(letter),
    )
    .await?;
    work.commit("the password change").await?;
    Ok(())
}
