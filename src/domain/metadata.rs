//! A user's custom field values: one JSON object of strings, keyed by field
//! key, at most 8 KiB. Every write goes through `Metadata::apply`, which
//! checks what was typed against the organisation's definitions, so what is
//! stored always matches them.

use std::collections::BTreeMap;

use super::custom_field::FieldDefinition;

/// The most a user's values may take, as stored JSON.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;

/// A user's custom field values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(BTreeMap<String, String>);

/// Who is writing, which decides the fields their form holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// The registration form: the fields asked at registration.
    Registration,
    /// The user on their own profile: the fields they may edit.
    User,
    /// An administrator: every field.
    Administrator,
}

impl Writer {
    /// Whether this writer's form holds `field`.
    pub fn writes(self, field: &FieldDefinition) -> bool {
        match self {
            Writer::Registration => field.at_registration,
            Writer::User => field.user_editable,
            Writer::Administrator => true,
        }
    }
}

/// What is wrong with the typed values: (form field name, message) for each
/// field, the form field being `field_{key}`.
pub type MetadataErrors = Vec<(String, String)>;

/// The form field that edits the custom field `key`.
pub fn form_name(key: &str) -> String {
    format!("field_{key}")
}

impl Metadata {
    /// Reads the stored JSON; anything but an object of strings is an error.
    pub fn from_json(json: &str) -> Result<Metadata, String> {
        serde_json::from_str(json)
            .map(Metadata)
            .map_err(|e| format!("stored custom field values are not an object of text: {e}"))
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every (key, value), by key.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values after `writer` typed `typed` (key → text) into their form.
    /// Every typed key must be a field the writer's form holds; each value
    /// must suit its field's type; every required field the form holds must
    /// have a value afterwards; the whole must fit in 8 KiB. Values of the
    /// fields the form does not hold are kept, and values of fields no
    /// longer defined are dropped. On any error nothing changes, and every
    /// message names its field.
    pub fn apply(
        &self,
        definitions: &[FieldDefinition],
        typed: &[(String, String)],
        writer: Writer,
    ) -> Result<Metadata, MetadataErrors> {
        let mut errors = MetadataErrors::new();
        let mut next: BTreeMap<String, String> = self
            .0
            .iter()
            .filter(|(key, _)| definitions.iter().any(|d| d.key.as_str() == key.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, text) in typed {
            let Some(field) = definitions.iter().find(|d| d.key.as_str() == key) else {
                errors.push((form_name(key), format!("There is no field {key:.40}.")));
                continue;
            };
            if !writer.writes(field) {
                let message = format!("{} is set by an administrator.", field.label);
                errors.push((form_name(key), message));
                continue;
            }
            match field.value(text) {
                Ok(Some(value)) => {
                    next.insert(key.clone(), value);
                }
                Ok(None) => {
                    next.remove(key);
                }
                Err(e) => errors.push((form_name(key), e.0)),
            }
        }
        for field in definitions
            .iter()
            .filter(|d| d.required && writer.writes(d))
        {
            let key = field.key.as_str();
            let already = errors.iter().any(|(name, _)| *name == form_name(key));
            if !already && !next.contains_key(key) {
                errors.push((form_name(key), format!("{} is required.", field.label)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let next = Metadata(next);
        let size = next.to_json().len();
        if size > METADATA_MAX_BYTES {
            let (key, _) = next
                .0
                .iter()
                .max_by_key(|(_, v)| v.len())
                .map_or(("", &String::new()), |(k, v)| (k.as_str(), v));
            let label = definitions
                .iter()
                .find(|d| d.key.as_str() == key)
                .map_or(key, |d| d.label.as_str());
            let message = format!(
                "{label}: the custom fields come to {size} bytes together, over the {METADATA_MAX_BYTES} allowed; shorten this one."
            );
            return Err(vec![(form_name(key), message)]);
        }
        Ok(next)
    }

    /// The values in the order of `definitions`, as (label, value), for
    /// pages, audit rows and exports; fields without a value are left out.
    pub fn labelled<'a>(
        &'a self,
        definitions: &'a [FieldDefinition],
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        definitions
            .iter()
            .filter_map(|d| Some((d.label.as_str(), self.get(d.key.as_str())?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custom_field::{FieldKey, FieldKind};
    use crate::domain::ids::FieldId;

    fn field(key: &str, kind: FieldKind, required: bool, user_editable: bool) -> FieldDefinition {
        FieldDefinition {
            id: FieldId(1),
            key: FieldKey::parse(key).expect("a valid key"),
            label: key.to_uppercase(),
            kind,
            choices: vec!["Sales".into(), "Ops".into()],
            required,
            at_registration: required,
            user_editable,
        }
    }

    fn typed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields() -> Vec<FieldDefinition> {
        vec![
            field("dept", FieldKind::Choice, true, true),
            field("badge", FieldKind::Text, false, false),
            field("handle", FieldKind::Handle, false, true),
        ]
    }

    #[test]
    fn typed_values_are_normalised_and_kept_in_json() {
        let defs = fields();
        let m = Metadata::default()
            .apply(
                &defs,
                &typed(&[("dept", "Ops"), ("handle", "@ada")]),
                Writer::User,
            )
            .expect("valid values");
        assert_eq!(m.to_json(), r#"{"dept":"Ops","handle":"ada"}"#);
        assert_eq!(Metadata::from_json(&m.to_json()), Ok(m.clone()));
        let cleared = m
            .apply(
                &defs,
                &typed(&[("dept", "Sales"), ("handle", "")]),
                Writer::User,
            )
            .expect("valid values");
        assert_eq!(cleared.to_json(), r#"{"dept":"Sales"}"#);
    }

    #[test]
    fn an_unknown_key_a_wrong_value_and_a_missing_required_field_are_each_named() {
        let defs = fields();
        let errors = Metadata::default()
            .apply(
                &defs,
                &typed(&[("shoe", "42"), ("handle", "a b")]),
                Writer::User,
            )
            .unwrap_err();
        let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["field_shoe", "field_handle", "field_dept"]);
        assert_eq!(errors[2].1, "DEPT is required.");
    }

    #[test]
    fn a_user_cannot_write_an_administrators_field_but_keeps_its_value() {
        let defs = fields();
        let admin = Metadata::default()
            .apply(
                &defs,
                &typed(&[("dept", "Ops"), ("badge", "B-7")]),
                Writer::Administrator,
            )
            .expect("valid values");
        let errors = admin
            .apply(&defs, &typed(&[("badge", "mine")]), Writer::User)
            .unwrap_err();
        assert_eq!(errors[0].1, "BADGE is set by an administrator.");
        let kept = admin
            .apply(&defs, &typed(&[("dept", "Sales")]), Writer::User)
            .expect("valid values");
        assert_eq!(kept.get("badge"), Some("B-7"));
    }

    #[test]
    fn values_over_8_kib_in_all_are_refused_naming_the_longest() {
        let defs = vec![
            field("aa", FieldKind::Text, false, true),
            field("bb", FieldKind::Text, false, true),
        ];
        let mut m = Metadata::default();
        m.0.insert("aa".into(), "x".repeat(8000));
        let errors = m
            .apply(&defs, &typed(&[("bb", &"y".repeat(480))]), Writer::User)
            .unwrap_err();
        assert_eq!(errors[0].0, "field_aa");
        assert!(
            errors[0].1.contains("over the 8192 allowed"),
            "{}",
            errors[0].1
        );
    }

    #[test]
    fn values_of_fields_no_longer_defined_are_dropped_at_the_next_write() {
        let stale = Metadata::from_json(r#"{"gone":"x","dept":"Ops"}"#).expect("an object");
        let next = stale.apply(&fields(), &[], Writer::User).expect("valid");
        assert_eq!(next.to_json(), r#"{"dept":"Ops"}"#);
        assert!(Metadata::from_json(r#"{"n":1}"#).is_err());
    }
}
