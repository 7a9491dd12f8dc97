//! Custom fields: what an organisation asks of its users beyond name and
//! phone. A definition names the field (a key for storage and a label for
//! people), its type, and who fills it in; `FieldDefinition::value` turns
//! what was typed into the stored value or says what is wrong with it.

use std::fmt;

use super::email::Email;
use super::error::FieldError;
use super::ids::FieldId;

/// A field's storage key: 2 to 40 lower-case letters, digits or `_`,
/// starting with a letter. It never changes once the field exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldKey(String);

impl FieldKey {
    pub fn parse(input: &str) -> Result<FieldKey, FieldError> {
        let s = input.trim();
        let shaped = s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !shaped || !(2..=40).contains(&s.len()) {
            return Err(FieldError::new(
                "Key must be 2 to 40 lower-case letters, digits or _, starting with a letter.",
            ));
        }
        Ok(FieldKey(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A field's label as people read it: 2 to 60 characters, trimmed, inner
/// spaces collapsed, no control characters.
pub fn parse_label(input: &str) -> Result<String, FieldError> {
    let label = super::role::single_spaced(input.trim());
    if label.chars().any(char::is_control) || !(2..=60).contains(&label.chars().count()) {
        return Err(FieldError::new(
            "Label must be 2 to 60 characters, without control characters.",
        ));
    }
    Ok(label)
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Date,
    Url,
    Email,
    Choice,
    /// A social handle, stored without a leading "@".
    Handle,
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [
        FieldKind::Text,
        FieldKind::Date,
        FieldKind::Url,
        FieldKind::Email,
        FieldKind::Choice,
        FieldKind::Handle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Date => "date",
            FieldKind::Url => "url",
            FieldKind::Email => "email",
            FieldKind::Choice => "choice",
            FieldKind::Handle => "handle",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the type is named on pages.
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Text => "Text",
            FieldKind::Date => "Date",
            FieldKind::Url => "Link (URL)",
            FieldKind::Email => "Email address",
            FieldKind::Choice => "Choice from a list",
            FieldKind::Handle => "Handle (without @)",
        }
    }

    /// The `type` of the HTML input that edits it (choices use a select).
    pub fn input_type(self) -> &'static str {
        match self {
            FieldKind::Date => "date",
            FieldKind::Url => "url",
            FieldKind::Email => "email",
            _ => "text",
        }
    }
}

/// Longest text value, in characters.
pub const TEXT_MAX_CHARS: usize = 500;
/// Most choices a choice field offers, and the longest one.
pub const CHOICES_MAX: usize = 50;
pub const CHOICE_MAX_CHARS: usize = 60;

/// A choice field's choices, one per line as typed in the form: trimmed,
/// blank lines dropped; 1 to 50 distinct choices of at most 60 characters.
pub fn parse_choices(input: &str) -> Result<Vec<String>, FieldError> {
    let mut choices: Vec<String> = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.chars().count() > CHOICE_MAX_CHARS || line.chars().any(char::is_control) {
            return Err(FieldError::new(format!(
                "Each choice must be at most {CHOICE_MAX_CHARS} characters: {line:.20}… is longer."
            )));
        }
        if choices.iter().any(|c| c == line) {
            return Err(FieldError::new(format!("{line} is listed twice.")));
        }
        choices.push(line.to_owned());
    }
    if choices.is_empty() || choices.len() > CHOICES_MAX {
        return Err(FieldError::new(format!(
            "A choice field needs 1 to {CHOICES_MAX} choices, one per line."
        )));
    }
    Ok(choices)
}

/// One custom field of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefinition {
    pub id: FieldId,
    pub key: FieldKey,
    pub label: String,
    pub kind: FieldKind,
    /// For a choice field, what may be chosen, in order; otherwise empty.
    pub choices: Vec<String>,
    /// Whoever fills the field in must give a value.
    pub required: bool,
    /// Asked on the registration form.
    pub at_registration: bool,
    /// The user edits it on their profile; otherwise only administrators.
    pub user_editable: bool,
}

impl FieldDefinition {
    /// The value to store for `typed`: `None` when left empty, otherwise
    /// the normalised value, or what is wrong with it (the message names
    /// the field by its label).
    pub fn value(&self, typed: &str) -> Result<Option<String>, FieldError> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        let label = &self.label;
        let refuse = |why: &str| Err(FieldError::new(format!("{label}: {why}")));
        if typed.chars().any(char::is_control) {
            return refuse("remove the control characters.");
        }
        let value = match self.kind {
            FieldKind::Text if typed.chars().count() > TEXT_MAX_CHARS => {
                return refuse(&format!("at most {TEXT_MAX_CHARS} characters."));
            }
            FieldKind::Text => typed.to_owned(),
            FieldKind::Date => match is_date(typed) {
                true => typed.to_owned(),
                false => return refuse("enter a date as YYYY-MM-DD, e.g. 1990-04-23."),
            },
            FieldKind::Url => match web_link(typed) {
                Some(link) => link,
                None => return refuse("enter a web address starting with https:// or http://."),
            },
            FieldKind::Email => match Email::parse(typed) {
                Ok(email) => email.as_str().to_owned(),
                Err(_) => return refuse("enter a valid email address."),
            },
            FieldKind::Choice => match self.choices.iter().find(|c| c.as_str() == typed) {
                Some(choice) => choice.clone(),
                None => {
                    return refuse(&format!("choose one of {}.", self.choices.join(", ")));
                }
            },
            FieldKind::Handle => match handle(typed) {
                Some(handle) => handle,
                None => {
                    return refuse(
                        "a handle is 1 to 64 letters, digits, _ . or -, with or without a leading @.",
                    );
                }
            },
        };
        Ok(Some(value))
    }
}

/// Whether `s` is a calendar date written YYYY-MM-DD (years 1000 to 9999).
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>())
    else {
        return false;
    };
    let Ok(month) = time::Month::try_from(month) else {
        return false;
    };
    year >= 1000 && time::Date::from_calendar_date(year, month, day).is_ok()
}

/// An http(s) address with a host, at most 2,000 characters, as parsed.
fn web_link(s: &str) -> Option<String> {
    let url = url::Url::parse(s).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    (web && s.len() <= 2000).then(|| url.to_string())
}

/// The handle without one leading "@".
fn handle(s: &str) -> Option<String> {
    let bare = s.strip_prefix('@').unwrap_or(s);
    let shaped = bare
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (shaped && (1..=64).contains(&bare.chars().count())).then(|| bare.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> FieldDefinition {
        FieldDefinition {
            id: FieldId(1),
            key: FieldKey("f".into()),
            label: "Field".into(),
            kind,
            choices: vec!["Sales".into(), "Ops".into()],
            required: false,
            at_registration: false,
            user_editable: true,
        }
    }

    #[test]
    fn a_key_is_lower_case_letters_digits_and_underscores() {
        assert!(FieldKey::parse("date_of_birth").is_ok());
        assert!(FieldKey::parse("x2").is_ok());
        for bad in ["", "x", "2x", "Dept", "a-b", "a b", &"a".repeat(41)] {
            assert!(FieldKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_type_normalises_or_refuses_naming_the_field() {
        let value = |kind, typed: &str| field(kind).value(typed);
        assert_eq!(
            value(FieldKind::Handle, " @ada_l "),
            Ok(Some("ada_l".into()))
        );
        assert_eq!(value(FieldKind::Handle, "ada"), Ok(Some("ada".into())));
        assert!(value(FieldKind::Handle, "@@ada").is_err());
        assert_eq!(
            value(FieldKind::Date, "2000-02-29"),
            Ok(Some("2000-02-29".into()))
        );
        for bad in [
            "1900-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-1",
            "tomorrow",
        ] {
            let err = value(FieldKind::Date, bad).unwrap_err();
            assert!(err.0.starts_with("Field: "), "{bad}: {err}");
        }
        assert_eq!(
            value(FieldKind::Url, "https://crm.example.com/a/7"),
            Ok(Some("https://crm.example.com/a/7".into()))
        );
        for bad in ["javascript:alert(1)", "crm.example.com", "ftp://x.example"] {
            assert!(value(FieldKind::Url, bad).is_err(), "{bad}");
        }
        assert!(value(FieldKind::Email, "a@example.com").is_ok());
        assert!(value(FieldKind::Email, "not mail").is_err());
        assert_eq!(value(FieldKind::Choice, "Ops"), Ok(Some("Ops".into())));
        assert_eq!(
            value(FieldKind::Choice, "ops").unwrap_err().0,
            "Field: choose one of Sales, Ops."
        );
        assert_eq!(value(FieldKind::Text, "   "), Ok(None));
        assert!(value(FieldKind::Text, &"é".repeat(TEXT_MAX_CHARS + 1)).is_err());
        assert!(value(FieldKind::Text, "a\u{7}b").is_err());
    }

    #[test]
    fn choices_are_one_per_line_distinct_and_bounded() {
        assert_eq!(
            parse_choices(" Sales \n\nOps\r\n"),
            Ok(vec!["Sales".to_owned(), "Ops".to_owned()])
        );
        assert!(parse_choices("\n \n").is_err());
        assert!(parse_choices("A\nA").is_err());
        let many: Vec<String> = (0..=CHOICES_MAX).map(|i| format!("c{i}")).collect();
        assert!(parse_choices(&many.join("\n")).is_err());
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_form() {
        for kind in FieldKind::ALL {
            assert_eq!(FieldKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(FieldKind::parse("number"), None);
    }
}
