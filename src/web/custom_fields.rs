//! Custom fields on forms: the inputs a page shows for the organisation's
//! fields, and the values a posted form typed into them (`field_{key}`).

use std::collections::BTreeMap;

use super::forms::FormErrors;
use crate::domain::metadata::form_name;
use crate::domain::{FieldDefinition, FieldKind, Metadata, Writer};

/// One custom field's input, as `partials/custom_fields.html` draws it.
pub struct FieldInput {
    /// The form field name and the input's id: `field_{key}`.
    pub name: String,
    pub label: String,
    pub input_type: &'static str,
    pub value: String,
    /// A choice field's choices (drawn as a select); otherwise empty.
    pub choices: Vec<String>,
    pub required: bool,
    pub hint: &'static str,
    pub error: String,
}

/// Where an input's value comes from.
pub enum Values<'a> {
    /// What is stored.
    Stored(&'a Metadata),
    /// What was typed into the form being shown again.
    Typed(&'a [(String, String)]),
}

/// The inputs `writer`'s form holds, in the fields' order.
pub fn inputs(
    fields: &[FieldDefinition],
    values: Values<'_>,
    errors: &FormErrors,
    writer: Writer,
) -> Vec<FieldInput> {
    fields
        .iter()
        .filter(|f| writer.writes(f))
        .map(|f| {
            let key = f.key.as_str();
            let value = match &values {
                Values::Stored(metadata) => metadata.get(key).unwrap_or_default(),
                Values::Typed(typed) => typed
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or("", |(_, v)| v.as_str()),
            };
            let name = form_name(key);
            FieldInput {
                error: errors.get(&name).to_owned(),
                name,
                label: f.label.clone(),
                input_type: f.kind.input_type(),
                value: value.chars().take(600).collect(),
                choices: f.choices.clone(),
                required: f.required,
                hint: match f.kind {
                    FieldKind::Handle => "Without the @.",
                    FieldKind::Date => "As YYYY-MM-DD.",
                    FieldKind::Url => "A web address starting with https://.",
                    _ => "",
                },
            }
        })
        .collect()
}

/// Where a form shows messages about custom fields it has no input for
/// (a key typed by hand, a field an administrator sets).
pub const STRAY: &str = "custom_fields";

/// `errors` with the messages about custom fields missing from `inputs`
/// gathered under [`STRAY`].
pub fn gather_strays(mut errors: FormErrors, inputs: &[FieldInput]) -> FormErrors {
    errors.gather(
        |name| !name.starts_with("field_") || inputs.iter().any(|i| i.name == name),
        STRAY,
    );
    errors
}

/// The custom field values a form posted: each `field_{key}` as (key,
/// value). Other names are the form's own fields or its CSRF token.
pub fn typed(posted: &BTreeMap<String, String>) -> Vec<(String, String)> {
    posted
        .iter()
        .filter_map(|(name, value)| Some((name.strip_prefix("field_")?.to_owned(), value.clone())))
        .collect()
}

/// (label, value) of each field with a value, for a user's page.
pub fn shown(fields: &[FieldDefinition], metadata: &Metadata) -> Vec<(String, String)> {
    metadata
        .labelled(fields)
        .map(|(label, value)| (label.to_owned(), value.to_owned()))
        .collect()
}
