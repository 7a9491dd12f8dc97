//! The user list's query string (search, status, role, sort and the custom
//! choice fields), read once for the list page and its CSV export.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::url_with;
use crate::domain::metadata::form_name;
use crate::domain::user_list::{UserFilter, UserSort};
use crate::domain::{FieldDefinition, FieldKind, RoleId, UserStatus};
use crate::web::forms::parse_id;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    pub page: String,
    /// `field_{key}=choice` for each choice field filtered on.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// A choice field's select on the list page.
pub struct ChoiceFilter {
    pub name: String,
    pub label: String,
    pub choices: Vec<String>,
    pub selected: String,
}

/// The list's narrowing as read from the query string. Values that mean
/// nothing (an unknown status, a choice the field does not offer) are
/// dropped, as a link from an older page may carry them.
pub struct ListParams {
    pub filter: UserFilter,
    pub q: String,
    pub status: String,
    pub role: i64,
    pub sort: &'static str,
    pub choices: Vec<ChoiceFilter>,
    /// The query string's pairs that reproduce this list (no page).
    pairs: Vec<(String, String)>,
}

impl ListParams {
    pub fn parse(query: &ListQuery, fields: &[FieldDefinition]) -> ListParams {
        // Control characters could only match across the lines of search_key.
        let q: String = query
            .q
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        let status = UserStatus::parse(&query.status);
        let role = parse_id(&query.role).map(RoleId);
        let sort = UserSort::parse(&query.sort).unwrap_or_default();
        let choices: Vec<ChoiceFilter> = fields
            .iter()
            .filter(|f| f.kind == FieldKind::Choice)
            .map(|f| {
                let name = form_name(f.key.as_str());
                let typed = query.rest.get(&name).map_or("", String::as_str);
                let selected = f.choices.iter().find(|c| *c == typed).cloned();
                ChoiceFilter {
                    name,
                    label: f.label.clone(),
                    choices: f.choices.clone(),
                    selected: selected.unwrap_or_default(),
                }
            })
            .collect();
        let status_str = status.map_or("", UserStatus::as_str);
        let mut pairs = vec![
            ("q".to_owned(), q.clone()),
            ("status".to_owned(), status_str.to_owned()),
            (
                "role".to_owned(),
                role.map(|r| r.0.to_string()).unwrap_or_default(),
            ),
            (
                "sort".to_owned(),
                match sort {
                    UserSort::Newest => String::new(),
                    other => other.as_str().to_owned(),
                },
            ),
        ];
        pairs.extend(choices.iter().map(|c| (c.name.clone(), c.selected.clone())));
        let filter = UserFilter {
            search: Some(crate::domain::case_key(&q)),
            status,
            role,
            fields: fields
                .iter()
                .filter(|f| f.kind == FieldKind::Choice)
                .zip(&choices)
                .filter(|(_, c)| !c.selected.is_empty())
                .map(|(f, c)| (f.key.clone(), c.selected.clone()))
                .collect(),
            sort,
        };
        ListParams {
            filter,
            q,
            status: status_str.to_owned(),
            role: role.map_or(0, |r| r.0),
            sort: sort.as_str(),
            choices,
            pairs,
        }
    }

    /// `path` with this list's query string, plus `extra` pairs.
    pub fn url(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.extend_from_slice(extra);
        url_with(path, &pairs)
    }
}
