//! A user's profile: their name and phone, changed by themselves or by an
//! administrator with `users.manage`, audited before → after.

use super::work::Work;
use super::{Actor, Authorized, RequestMeta, ServiceError, user_target};
use crate::db::{self, Db};
use crate::domain::permission::perm;
use crate::domain::{AuditAction, FullName, Phone, Timestamp, User, UserId};

/// The profile form's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub full_name: String,
    pub phone: String,
}

/// Validated fields, each field's message naming it.
fn parse(form: &ProfileForm) -> Result<(FullName, Phone), ServiceError> {
    let mut errors = Vec::new();
    let name = FullName::parse(&form.full_name)
        .map_err(|e| errors.push(("full_name", e.0)))
        .ok();
    let phone = Phone::parse(&form.phone)
        .map_err(|e| errors.push(("phone", e.0)))
        .ok();
    match (name, phone) {
        (Some(name), Some(phone)) => Ok((name, phone)),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// The signed-in user changes their own profile.
pub async fn update_own(
    db: &Db,
    actor: &Actor,
    form: &ProfileForm,
    meta: &RequestMeta,
) -> Result<bool, ServiceError> {
    Ok(update(db, actor, actor.id, form, meta).await?.1)
}

/// An administrator changes another user's profile; returns their username.
pub async fn update_for(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    target: UserId,
    form: &ProfileForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    Ok(update(db, actor, target, form, meta).await?.0)
}

/// Saves the profile when it changed; returns the username and whether
/// anything changed.
async fn update(
    db: &Db,
    actor: &Actor,
    target: UserId,
    form: &ProfileForm,
    meta: &RequestMeta,
) -> Result<(String, bool), ServiceError> {
    let (name, phone) = parse(form)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    super::deletion::ensure_not_deleted(&user)?;
    if user.full_name == name.as_str() && user.phone == phone.as_str() {
        return Ok((user.username, false));
    }
    db::users::set_profile(work.tx(), &user, &name, &phone, Timestamp::now()).await?;
    work.audit(
        AuditAction::ProfileChanged,
        Some(user_target(user.id, &user.username)),
    )
    .change(
        described(&user.full_name, &user.phone),
        described(name.as_str(), phone.as_str()),
    );
    work.commit("the profile").await?;
    Ok((user.username, true))
}

/// The audit row's before or after: the name, and the phone when given.
fn described(name: &str, phone: &str) -> String {
    match phone {
        "" => format!("name: {name}; no phone"),
        phone => format!("name: {name}; phone: {phone}"),
    }
}

/// The profile form filled in with what `user` has.
pub fn form_of(user: &User) -> ProfileForm {
    ProfileForm {
        full_name: user.full_name.clone(),
        phone: user.phone.clone(),
    }
}
