//! A user's profile: their name, phone and custom field values, changed by
//! themselves or by an administrator with `users.manage`, audited
//! before → after. The user changes the fields they may edit; an
//! administrator changes every field.

use super::work::Work;
use super::{Actor, Authorized, RequestMeta, ServiceError, user_target};
use crate::db::{self, Db, Scope};
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, FieldDefinition, FullName, Metadata, Phone, Timestamp, User, UserId, Writer,
};

/// The profile form's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub full_name: String,
    pub phone: String,
    /// Custom field values by key.
    pub fields: Vec<(String, String)>,
}

/// The profile after the form: every message names its field.
struct Parsed {
    name: FullName,
    phone: Phone,
    metadata: Metadata,
}

fn parse(
    form: &ProfileForm,
    definitions: &[FieldDefinition],
    current: &Metadata,
    writer: Writer,
) -> Result<Parsed, ServiceError> {
    let mut errors = Vec::new();
    let name = FullName::parse(&form.full_name)
        .map_err(|e| errors.push(("full_name".into(), e.0)))
        .ok();
    let phone = Phone::parse(&form.phone)
        .map_err(|e| errors.push(("phone".into(), e.0)))
        .ok();
    let metadata = current
        .apply(definitions, &form.fields, writer)
        .map_err(|e| errors.extend(e.into_iter().map(|(f, m)| (f.into(), m))))
        .ok();
    match (name, phone, metadata) {
        (Some(name), Some(phone), Some(metadata)) => Ok(Parsed {
            name,
            phone,
            metadata,
        }),
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
    Ok(update(db, actor, actor.id, form, Writer::User, meta)
        .await?
        .1)
}

/// An administrator changes another user's profile; returns their username.
pub async fn update_for(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    target: UserId,
    form: &ProfileForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    Ok(update(db, actor, target, form, Writer::Administrator, meta)
        .await?
        .0)
}

/// Saves the profile when it changed; returns the username and whether
/// anything changed.
async fn update(
    db: &Db,
    actor: &Actor,
    target: UserId,
    form: &ProfileForm,
    writer: Writer,
    meta: &RequestMeta,
) -> Result<(String, bool), ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let user = db::users::find(work.tx(), target)
        .await?
        .ok_or(ServiceError::NotFound)?;
    super::deletion::ensure_not_deleted(&user)?;
    let definitions = db::custom_fields::list(work.tx()).await?;
    let current = user.metadata.clone();
    let next = parse(form, &definitions, &current, writer)?;
    let same_fixed = user.full_name == next.name.as_str() && user.phone == next.phone.as_str();
    if same_fixed && current == next.metadata {
        return Ok((user.username, false));
    }
    let now = Timestamp::now();
    if !same_fixed {
        db::users::set_profile(work.tx(), &user, &next.name, &next.phone, now).await?;
    }
    if current != next.metadata {
        db::custom_fields::set_metadata(work.tx(), target, &next.metadata, now).await?;
    }
    work.audit(
        AuditAction::ProfileChanged,
        Some(user_target(user.id, &user.username)),
    )
    .change(
        described(&user.full_name, &user.phone, &current, &definitions),
        described(
            next.name.as_str(),
            next.phone.as_str(),
            &next.metadata,
            &definitions,
        ),
    );
    work.commit("the profile").await?;
    Ok((user.username, true))
}

/// The audit row's before or after: the name, the phone when given, and
/// each custom field with a value ("Department: Sales").
fn described(name: &str, phone: &str, metadata: &Metadata, fields: &[FieldDefinition]) -> String {
    let mut text = match phone {
        "" => format!("name: {name}; no phone"),
        phone => format!("name: {name}; phone: {phone}"),
    };
    for (label, value) in metadata.labelled(fields) {
        text.push_str(&format!("; {label}: {value}"));
    }
    text
}

/// A user (with their custom field values) and the organisation's fields:
/// what a profile form shows.
pub struct ProfileView {
    pub user: User,
    pub fields: Vec<FieldDefinition>,
}

pub async fn view(db: &Db, scope: &Scope, id: UserId) -> Result<ProfileView, ServiceError> {
    let mut conn = db.acquire().await?;
    let user = db::users::find(scope.on(&mut conn), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let fields = db::custom_fields::list(scope.on(&mut conn)).await?;
    Ok(ProfileView { user, fields })
}

/// The profile form filled in with what `user` has.
pub fn form_of(user: &User) -> ProfileForm {
    ProfileForm {
        full_name: user.full_name.clone(),
        phone: user.phone.clone(),
        fields: Vec::new(),
    }
}
