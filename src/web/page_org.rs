//! The organisation an anonymous page (sign-in, registration) works in,
//! found in this order: the request's host when an organisation answers on
//! it, a `/o/{slug}/…` path, the only organisation there is, or (with
//! several and nothing in the request naming one) an organisation field on
//! the form.

use actix_web::http::header::HOST;
use actix_web::{HttpRequest, web};

use super::error::AppError;
use crate::db::{Db, Scope};
use crate::domain::OrgStatus;
use crate::services::organisations::{Directory, OrgRef};

/// Where an anonymous page stands.
#[derive(Debug, Clone)]
pub struct PageOrg {
    /// The organisation, when the request names it or there is only one.
    pub known: Option<OrgRef>,
    /// Whether the instance has more than one organisation: the page then
    /// says whose it is, or asks.
    pub several: bool,
    /// The path prefix of this page's links (`/o/acme`, or empty).
    pub prefix: String,
}

impl PageOrg {
    /// What the request says, before any form is read.
    pub async fn of(req: &HttpRequest) -> Result<PageOrg, AppError> {
        let orgs = directory(req)?.get(db(req)?).await?;
        let several = orgs.len() > 1;
        if let Some(slug) = req.match_info().get("slug") {
            let found = orgs
                .iter()
                .find(|o| o.slug == slug)
                .ok_or(AppError::NotFound)?;
            return Ok(PageOrg {
                known: Some(found.clone()),
                several,
                prefix: format!("/o/{}", found.slug),
            });
        }
        let host = request_host(req);
        let by_host = host.and_then(|host| {
            orgs.iter()
                .find(|o| o.host.as_deref() == Some(host.as_str()))
        });
        let known = by_host.or(match several {
            true => None,
            false => orgs.first(),
        });
        Ok(PageOrg {
            known: known.cloned(),
            several,
            prefix: String::new(),
        })
    }

    /// The organisation a form is for: the one the request names, else the
    /// one whose slug the form's `organisation` field holds. `Err` holds
    /// the message for that field.
    pub async fn for_form(
        &self,
        req: &HttpRequest,
        typed: &str,
    ) -> Result<Result<OrgRef, String>, AppError> {
        if let Some(known) = &self.known {
            return Ok(usable(known.clone()));
        }
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(Err(
                "Enter your organisation's short name (its slug).".into()
            ));
        }
        let orgs = directory(req)?.get(db(req)?).await?;
        Ok(
            match orgs.iter().find(|o| o.slug == typed.to_ascii_lowercase()) {
                Some(found) => usable(found.clone()),
                None => Err(format!("There is no organisation called {typed:?}.")),
            },
        )
    }

    /// The name to show on the page, when there is more than one.
    pub fn heading(&self) -> Option<&str> {
        match self.several {
            true => self.known.as_ref().map(|o| o.name.as_str()),
            false => None,
        }
    }

    /// Whether the form asks for the organisation.
    pub fn asks(&self) -> bool {
        self.known.is_none()
    }
}

fn usable(org: OrgRef) -> Result<OrgRef, String> {
    match org.status {
        OrgStatus::Active => Ok(org),
        OrgStatus::Disabled => Err(format!(
            "{} is disabled: nobody in it can sign in or register.",
            org.name
        )),
    }
}

/// The scope of a form for `org`.
pub fn scope_of(org: &OrgRef) -> Scope {
    Scope::organisation(org.id)
}

/// The Host header's name, lower-cased and without a port. The header
/// alone, not X-Forwarded-Host: a proxy that rewrites Host is configured to
/// pass it on (docs/organisations.md).
fn request_host(req: &HttpRequest) -> Option<String> {
    let host = req.headers().get(HOST)?.to_str().ok()?;
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

fn db(req: &HttpRequest) -> Result<&Db, AppError> {
    req.app_data::<web::Data<Db>>()
        .map(|d| d.get_ref())
        .ok_or_else(|| anyhow::anyhow!("database missing from app data").into())
}

pub(crate) fn directory(req: &HttpRequest) -> Result<&Directory, AppError> {
    req.app_data::<web::Data<Directory>>()
        .map(|d| d.get_ref())
        .ok_or_else(|| anyhow::anyhow!("organisation directory missing from app data").into())
}
