//! Every organisation's apps, as `/auth/verify` looks them up on every
//! request to a guarded tool: each instance keeps one copy and reads it
//! again when it is a second old or this instance has committed a write
//! whose audit rows can change it (`AuditAction::changes_overview` counts
//! the app actions), like `services::overview`. An app change made here
//! decides the very next request; one made through another instance, within
//! a second.
//!
//! The user's side of a decision (status, role, groups, the roles their
//! groups grant) is not kept here: it is read with their session on every
//! request, so disabling a user or taking them out of a group cuts them off
//! at their next request.

use std::collections::HashMap;
use std::sync::Arc;

use super::ServiceError;
use super::copies::Copies;
use crate::db::{self, Db, Scope};
use crate::domain::app::{Refusal, decide, split_port};
use crate::domain::{App, AuthUser, OrgId};

/// One reading of every app.
#[derive(Debug, Default)]
pub struct Apps {
    apps: Vec<(OrgId, App)>,
    /// Host name (with its port, if registered with one) → index in `apps`.
    hosts: HashMap<String, usize>,
}

impl Apps {
    pub fn new(apps: Vec<(OrgId, App)>) -> Apps {
        let mut hosts = HashMap::new();
        for (i, (_, app)) in apps.iter().enumerate() {
            for host in &app.hosts {
                hosts.insert(host.as_str().to_owned(), i);
            }
        }
        Apps { apps, hosts }
    }

    /// The app served on `host` as a proxy reports it (`Host` or
    /// `X-Forwarded-Host`: a name and maybe a port, any case): the one
    /// registered with that port, else the one registered for the name.
    pub fn by_host(&self, host: &str) -> Option<(OrgId, &App)> {
        let host = host.trim().to_ascii_lowercase();
        let found = self.hosts.get(&host).or_else(|| match split_port(&host) {
            (name, Some(_)) => self.hosts.get(name),
            _ => None,
        })?;
        let (org, app) = &self.apps[*found];
        Some((*org, app))
    }

    /// The app `slug` of `organisation`.
    pub fn by_slug(&self, organisation: OrgId, slug: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|(org, app)| *org == organisation && app.slug.as_str() == slug)
            .map(|(_, app)| app)
    }

    /// The app with `id`, and its organisation.
    pub fn by_id(&self, id: crate::domain::AppId) -> Option<(OrgId, &App)> {
        self.apps
            .iter()
            .find(|(_, app)| app.id == id)
            .map(|(org, app)| (*org, app))
    }

    /// The apps `user` may open, by name: the launcher on the home page.
    pub fn open_to<'a>(&'a self, user: &'a AuthUser) -> impl Iterator<Item = &'a App> + 'a {
        self.apps
            .iter()
            .filter(move |(org, app)| decide(user.visitor(), *org, &app.rule).is_ok())
            .map(|(_, app)| app)
    }

    /// Where to send a browser after sign-in when it came from a guarded
    /// app: `url`, if it is an absolute http(s) URL on one of the host
    /// names of an app of `organisation`; otherwise nothing (the caller
    /// falls back to its own page). Keeps sign-in from being an open
    /// redirect.
    pub fn return_to(&self, organisation: OrgId, url: &str) -> Option<String> {
        let url = url.trim();
        if url.len() > 2000 || url.chars().any(|c| c.is_control() || c == '\\') {
            return None;
        }
        let parsed = url::Url::parse(url).ok()?;
        if !matches!(parsed.scheme(), "http" | "https")
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return None;
        }
        let (org, _) = self.by_host(&authority(&parsed)?)?;
        (org == organisation).then(|| parsed.to_string())
    }
}

impl Apps {
    /// The origin (`https://wiki.example.com`) of `url` when it is on a
    /// registered app's host name, of any organisation: the sign-in form
    /// may send the browser there (whether it will is `return_to`'s
    /// decision, once the organisation is known).
    pub fn origin_of(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url.trim()).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        self.by_host(&authority(&parsed)?)?;
        Some(parsed.origin().ascii_serialization())
    }
}

/// A URL's host with its port when it names one (`wiki.example.com:8443`),
/// as app host names are registered and proxies report them.
pub fn authority(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// The verdict on one request to a guarded app.
#[derive(Debug)]
pub enum Verdict<'a> {
    Allowed(&'a App),
    Refused(Refusal, &'a App),
    /// No app is registered for the host (or slug) asked about.
    UnknownApp,
}

/// Decides whether `user` may open the app the proxy asks about: by `slug`
/// in the user's organisation when given, else by `host`.
pub fn verdict<'a>(apps: &'a Apps, user: &AuthUser, slug: Option<&str>, host: &str) -> Verdict<'a> {
    let found = match slug {
        Some(slug) => apps
            .by_slug(user.organisation, slug)
            .map(|app| (user.organisation, app)),
        None => apps.by_host(host),
    };
    let Some((org, app)) = found else {
        return Verdict::UnknownApp;
    };
    match decide(user.visitor(), org, &app.rule) {
        Ok(()) => Verdict::Allowed(app),
        Err(refusal) => Verdict::Refused(refusal, app),
    }
}

/// One instance's copy of every app (`services::copies`).
#[derive(Default)]
pub struct AppDirectory {
    copy: Copies<(), Apps>,
}

impl AppDirectory {
    pub async fn get(&self, db: &Db) -> Result<Arc<Apps>, ServiceError> {
        self.copy
            .get(db, (), || async {
                let mut conn = db.acquire_read().await?;
                // Instance-wide: see `db::apps::every_app`.
                let apps = db::apps::every_app(Scope::instance().on(&mut conn)).await?;
                conn.done();
                Ok(Apps::new(apps))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccessRule, AppHost, AppId, AppSlug, RoleId};

    fn app(id: i64, slug: &str, hosts: &[&str]) -> App {
        App {
            id: AppId(id),
            slug: AppSlug::parse(slug).unwrap(),
            name: slug.to_owned(),
            description: String::new(),
            url: format!("https://{}/", hosts[0]),
            hosts: hosts.iter().map(|h| AppHost::parse(h).unwrap()).collect(),
            rule: AccessRule {
                roles: vec![(RoleId(2), "Engineer".into())],
                groups: Vec::new(),
            },
        }
    }

    fn apps() -> Apps {
        Apps::new(vec![
            (OrgId(1), app(1, "wiki", &["wiki.example.com"])),
            (OrgId(1), app(2, "grafana", &["127.0.0.1:8080"])),
            (OrgId(2), app(3, "crm", &["crm.other.example"])),
        ])
    }

    #[test]
    fn a_host_finds_its_app_with_or_without_a_port() {
        let apps = apps();
        assert_eq!(apps.by_host("WIKI.example.com").unwrap().1.id, AppId(1));
        assert_eq!(apps.by_host("wiki.example.com:443").unwrap().1.id, AppId(1));
        assert_eq!(apps.by_host("127.0.0.1:8080").unwrap().1.id, AppId(2));
        assert!(apps.by_host("127.0.0.1:8081").is_none());
        assert!(apps.by_host("example.com").is_none());
    }

    #[test]
    fn sign_in_returns_only_to_an_app_of_the_users_organisation() {
        let apps = apps();
        assert_eq!(
            apps.return_to(OrgId(1), "https://wiki.example.com/page?x=1")
                .as_deref(),
            Some("https://wiki.example.com/page?x=1")
        );
        assert!(apps.return_to(OrgId(1), "http://127.0.0.1:8080/").is_some());
        for bad in [
            "https://evil.example/",
            "https://crm.other.example/",
            "javascript:alert(1)",
            "//wiki.example.com/",
            "https://user@wiki.example.com/",
            "https://wiki.example.com.evil.example/",
            "https://127.0.0.1:8081/",
        ] {
            assert_eq!(apps.return_to(OrgId(1), bad), None, "{bad}");
        }
    }
}
