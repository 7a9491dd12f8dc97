//! Custom fields: an administrator with `fields.manage` defines, changes and
//! deletes them; every change is audited with before → after. A field's key
//! and type never change (the stored values would no longer match them):
//! delete the field and define another instead.

use std::sync::Arc;

use super::copies::Copies;
use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db, Scope};
use crate::domain::custom_field::{parse_choices, parse_label};
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, FieldDefinition, FieldError, FieldId, FieldKey, FieldKind, OrgId, Timestamp,
};

/// The definition form as typed.
#[derive(Debug, Clone, Default)]
pub struct FieldForm {
    /// Ignored when changing a field.
    pub key: String,
    pub label: String,
    /// Ignored when changing a field.
    pub kind: String,
    /// One per line; only for choice fields.
    pub choices: String,
    pub required: bool,
    pub at_registration: bool,
    pub user_editable: bool,
}

/// The most fields an organisation defines: each is a column of the
/// export and an input on every profile form.
pub const FIELDS_MAX: usize = 50;

fn target(field: &FieldDefinition) -> AuditTarget {
    AuditTarget {
        kind: "field",
        id: field.id.0,
        label: field.label.clone(),
        user_id: None,
    }
}

/// "key dept, Choice from a list (Sales, Ops); required; asked at
/// registration; users edit it" for audit rows.
fn describe(field: &FieldDefinition) -> String {
    let mut text = format!("key {}, {}", field.key, field.kind.label());
    if field.kind == FieldKind::Choice {
        text.push_str(&format!(" ({})", field.choices.join(", ")));
    }
    text.push_str(match field.required {
        true => "; required",
        false => "; optional",
    });
    if field.at_registration {
        text.push_str("; asked at registration");
    }
    text.push_str(match field.user_editable {
        true => "; users edit it",
        false => "; administrators only",
    });
    text
}

/// The definition `form` describes; `existing` gives the key and type
/// when a field is being changed.
fn parse(
    form: &FieldForm,
    existing: Option<&FieldDefinition>,
) -> Result<FieldDefinition, ServiceError> {
    let mut errors: Vec<(std::borrow::Cow<'static, str>, String)> = Vec::new();
    let mut note = |name: &'static str, e: FieldError| errors.push((name.into(), e.0));
    let key = match existing {
        Some(field) => Some(field.key.clone()),
        None => FieldKey::parse(&form.key).map_err(|e| note("key", e)).ok(),
    };
    let kind = match existing {
        Some(field) => Some(field.kind),
        None => FieldKind::parse(&form.kind).or_else(|| {
            note("kind", FieldError::new("Choose the type of the field."));
            None
        }),
    };
    let label = parse_label(&form.label).map_err(|e| note("label", e)).ok();
    let choices = match kind {
        Some(FieldKind::Choice) => parse_choices(&form.choices)
            .map_err(|e| note("choices", e))
            .ok(),
        _ => Some(Vec::new()),
    };
    match (key, kind, label, choices) {
        (Some(key), Some(kind), Some(label), Some(choices)) => Ok(FieldDefinition {
            id: existing.map_or(FieldId(0), |f| f.id),
            key,
            label,
            kind,
            choices,
            required: form.required,
            at_registration: form.at_registration,
            user_editable: form.user_editable,
        }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

/// The refusal for a unique violation: the key or the label is taken.
fn taken(field: &FieldDefinition, fields: &[FieldDefinition]) -> ServiceError {
    match fields
        .iter()
        .any(|f| f.key == field.key && f.id != field.id)
    {
        true => ServiceError::field(
            "key",
            FieldError::new("A field with this key already exists."),
        ),
        false => ServiceError::field(
            "label",
            FieldError::new("A field with this label already exists."),
        ),
    }
}

/// The organisation's fields, read on a reading connection.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<FieldDefinition>, ServiceError> {
    let mut conn = db.acquire_read().await?;
    let fields = db::custom_fields::list(scope.on(&mut conn)).await?;
    conn.done();
    Ok(fields)
}

/// Each instance's copy of every organisation's fields (`services::copies`),
/// for the user list, which filters and shows them on every view (a field's
/// creation, change or deletion renews it). Forms that store values read
/// the fields in their own transaction, never from here.
#[derive(Default)]
pub struct FieldCopies {
    copies: Copies<Option<OrgId>, Vec<FieldDefinition>>,
}

impl FieldCopies {
    pub async fn get(
        &self,
        db: &Db,
        scope: &Scope,
    ) -> Result<Arc<Vec<FieldDefinition>>, ServiceError> {
        let organisation = scope.organisation_id();
        self.copies.get(db, organisation, || list(db, scope)).await
    }
}

/// Defines a field; returns its label.
pub async fn create(
    db: &Db,
    actor: &Authorized<perm::FieldsManage>,
    form: &FieldForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let field = parse(form, None)?;
    let mut work = Work::begin(db, actor, meta).await?;
    let fields = db::custom_fields::list(work.tx()).await?;
    if fields.len() >= FIELDS_MAX {
        return Err(ServiceError::Conflict(format!(
            "An organisation has at most {FIELDS_MAX} custom fields; delete one first."
        )));
    }
    let id = match db::custom_fields::insert(work.tx(), &field, Timestamp::now()).await {
        Ok(id) => id,
        Err(err) if db::is_unique_violation(&err) => return Err(taken(&field, &fields)),
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not define the field")
                .into());
        }
    };
    let field = FieldDefinition { id, ..field };
    work.audit(AuditAction::FieldCreated, Some(target(&field)))
        .after(Some(describe(&field)));
    work.commit("the new field").await?;
    Ok(field.label)
}

/// Changes a field's label, choices and rules; returns its label. A choice
/// that users hold cannot be taken away.
pub async fn update(
    db: &Db,
    actor: &Authorized<perm::FieldsManage>,
    id: FieldId,
    form: &FieldForm,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let fields = db::custom_fields::list(work.tx()).await?;
    let before = fields
        .iter()
        .find(|f| f.id == id)
        .ok_or(ServiceError::NotFound)?;
    let after = parse(form, Some(before))?;
    if after == *before {
        return Err(ServiceError::Conflict(format!(
            "Nothing to save: {} is as it was.",
            before.label
        )));
    }
    for gone in before.choices.iter().filter(|c| !after.choices.contains(c)) {
        let holders = db::custom_fields::holders_of(work.tx(), &before.key, gone).await?;
        if holders > 0 {
            return Err(ServiceError::field(
                "choices",
                FieldError::new(format!(
                    "{gone} cannot be removed: {holders} user(s) hold it. Change their {} first.",
                    before.label
                )),
            ));
        }
    }
    match db::custom_fields::update(work.tx(), &after).await {
        Ok(()) => {}
        Err(err) if db::is_unique_violation(&err) => return Err(taken(&after, &fields)),
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context("could not change the field")
                .into());
        }
    }
    work.audit(AuditAction::FieldChanged, Some(target(before)))
        .change(describe(before), describe(&after));
    work.commit("the field change").await?;
    Ok(after.label)
}

/// Deletes a field and every user's value of it; returns its label and how
/// many users had a value.
pub async fn delete(
    db: &Db,
    actor: &Authorized<perm::FieldsManage>,
    id: FieldId,
    meta: &RequestMeta,
) -> Result<(String, u64), ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let field = db::custom_fields::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let cleared = db::custom_fields::delete(work.tx(), &field).await?;
    work.audit(AuditAction::FieldDeleted, Some(target(&field)))
        .before(Some(describe(&field)))
        .after(Some(format!("values removed from {cleared} user(s)")));
    work.commit("the field's deletion").await?;
    Ok((field.label, cleared))
}
