//! Admin pages. Every handler here takes a `Require<…>` extractor.

pub mod app_clients;
pub mod apps;
pub mod audit;
pub mod audit_export;
pub mod csv;
pub mod deletion;
pub mod fields;
pub mod groups;
pub mod invitations;
pub mod lockouts;
pub mod organisations;
pub mod outbox;
pub mod passwords;
pub mod role_requests;
pub mod roles;
pub mod settings;
pub mod user_filter;
pub mod users;
pub mod users_export;

use actix_web::HttpResponse;

use super::flash::{Flash, redirect_with};
use crate::domain::page_count;
use crate::services::ServiceError;
use crate::web::error::AppError;

/// Page links for a list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// `total` is a lower bound: more match, on pages past `pages`.
    pub more: bool,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Set when `page` lies past the last page (an old link, a hand-edited
    /// address): a link to the last page, shown instead of prev/next.
    pub last: Option<String>,
}

impl Pager {
    /// `base` is the list's URL with its filters and without `page`.
    pub fn new(base: &str, page: u64, total: u64, size: u64) -> Pager {
        Pager::open_ended(base, page, total, false, size)
    }

    /// A pager over at least `total` items, more when `more`.
    pub fn open_ended(base: &str, page: u64, total: u64, more: bool, size: u64) -> Pager {
        let pages = page_count(total, size);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |n: u64| format!("{base}{sep}page={n}");
        let past_end = page > pages && !more;
        Pager {
            page,
            pages,
            total,
            more,
            prev: (page > 1 && !past_end).then(|| link(page - 1)),
            next: (page < pages || more).then(|| link(page + 1)),
            last: past_end.then(|| link(pages)),
        }
    }
}

/// Builds `path?k=v&…` from the non-empty pairs, URL-encoded.
pub fn url_with(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(k, v);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// After an admin action: back to `to` with a success message, or with the
/// reason it was refused. Only unexpected failures become error pages.
pub fn outcome<T>(
    to: &str,
    result: Result<T, ServiceError>,
    success: impl FnOnce(T) -> String,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(value) => Ok(redirect_with(to, Flash::success(success(value)))),
        Err(ServiceError::Rule(rule)) => Ok(redirect_with(to, Flash::error(rule.to_string()))),
        Err(ServiceError::Conflict(message)) => Ok(redirect_with(to, Flash::error(message))),
        Err(ServiceError::Invalid(fields)) => {
            let text = fields
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join(" ");
            Ok(redirect_with(to, Flash::error(text)))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let pager = Pager::new("/admin/users?status=pending", 2, 120, 50);
        assert_eq!(pager.pages, 3);
        assert_eq!(
            pager.prev.as_deref(),
            Some("/admin/users?status=pending&page=1")
        );
        assert_eq!(
            pager.next.as_deref(),
            Some("/admin/users?status=pending&page=3")
        );
        assert_eq!(url_with("/a", &[("q", "x y"), ("s", "")]), "/a?q=x+y");
        assert_eq!(pager.last, None);
    }

    #[test]
    fn a_page_past_the_end_links_to_the_last_page_only() {
        let pager = Pager::new("/admin/users?q=ada", 30, 1_060, 50);
        assert_eq!(pager.last.as_deref(), Some("/admin/users?q=ada&page=22"));
        assert_eq!((pager.prev, pager.next), (None, None));
        // An open-ended list has no known end: page on.
        let pager = Pager::open_ended("/admin/users", 30, 1_000, true, 50);
        assert_eq!(pager.last, None);
        assert_eq!(pager.next.as_deref(), Some("/admin/users?page=31"));
        assert_eq!(pager.prev.as_deref(), Some("/admin/users?page=29"));
    }
}
