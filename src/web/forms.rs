//! Field-level error messages for re-rendered forms. Shape checks (lengths)
//! run at the edge with `validator`; meaning is checked by the domain types.

use std::borrow::Cow;

use validator::Validate;

use crate::services::ServiceError;

/// Messages keyed by form field; templates ask `errors.get("field")`.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<(Cow<'static, str>, String)>);

impl FormErrors {
    /// The message for `field`, or "" when it is fine.
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Puts the messages about fields the form does not show (`shown` says
    /// which it does) together under `to`, so none is lost.
    pub fn gather(&mut self, shown: impl Fn(&str) -> bool, to: &'static str) {
        let (kept, strays): (Vec<_>, Vec<_>) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|(field, _)| shown(field));
        self.0 = kept;
        if !strays.is_empty() {
            let text = strays.into_iter().map(|(_, m)| m).collect::<Vec<_>>();
            self.0.push((Cow::Borrowed(to), text.join(" ")));
        }
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((Cow::Borrowed(field), message.into()));
    }

    /// The form's shape errors (empty when it passes), one message per field.
    pub fn of_shape(form: &impl Validate) -> FormErrors {
        let Err(errors) = form.validate() else {
            return FormErrors::default();
        };
        let mut fields: Vec<(Cow<'static, str>, String)> = errors
            .field_errors()
            .into_iter()
            .filter_map(|(field, errs)| {
                let message = errs.first()?.message.clone()?;
                Some((field, message.into_owned()))
            })
            .collect();
        fields.sort();
        FormErrors(fields)
    }

    /// Field errors out of a service error; anything else is handed back.
    pub fn from_service(
        err: ServiceError,
        fallback_field: &'static str,
    ) -> Result<FormErrors, ServiceError> {
        match err {
            ServiceError::Invalid(fields) => Ok(FormErrors(fields)),
            ServiceError::Rule(rule) => Ok(FormErrors(vec![(
                Cow::Borrowed(fallback_field),
                rule.to_string(),
            )])),
            ServiceError::Conflict(message) => {
                Ok(FormErrors(vec![(Cow::Borrowed(fallback_field), message)]))
            }
            other => Err(other),
        }
    }
}

/// Deserialises an optional number from a form or query field where an
/// empty or malformed value means "not given" rather than a 400.
pub fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse().ok().filter(|n: &i64| *n > 0)
}
