//! Applications: the organisation's internal tools that Gatehouse guards.
//! An app has a slug, a name, its URL, the host names it is served on, and
//! an access rule (the roles and groups whose members may open it). Whether
//! a user may open it follows from their live status, role and groups
//! (`Access::decide`), read with their session on every request.

use std::fmt;

use super::error::FieldError;
use super::ids::{GroupId, RoleId};
use super::organisation::{HostName, OrgSlug};
use super::status::UserStatus;

/// A validated app slug: the organisation slug's rules (2 to 40 lower-case
/// letters, digits and hyphens), unique in its organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppSlug(String);

impl AppSlug {
    pub fn parse(input: &str) -> Result<AppSlug, FieldError> {
        OrgSlug::parse(input).map(|slug| AppSlug(slug.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest app name and description, in characters.
pub const APP_NAME_MAX_CHARS: usize = 80;
pub const APP_DESCRIPTION_MAX_CHARS: usize = 300;
/// The most host names one app is served on.
pub const APP_HOSTS_MAX: usize = 10;

/// An app's display name: 1 to 80 characters, no control characters.
pub fn parse_app_name(input: &str) -> Result<String, FieldError> {
    let name = super::role::single_spaced(input.trim());
    if name.is_empty() {
        return Err(FieldError::new("Please enter the app's name."));
    }
    if name.chars().count() > APP_NAME_MAX_CHARS {
        return Err(FieldError::new("Name must be at most 80 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("Name may not contain control characters."));
    }
    Ok(name)
}

/// An app's description: at most 300 characters on one line.
pub fn parse_app_description(input: &str) -> Result<String, FieldError> {
    let text = super::role::single_spaced(input.trim());
    if text.chars().count() > APP_DESCRIPTION_MAX_CHARS {
        return Err(FieldError::new(
            "Description must be at most 300 characters.",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            "Description must be one line without control characters.",
        ));
    }
    Ok(text)
}

/// The address users open: an absolute `http` or `https` URL without
/// credentials, at most 2,000 characters. Stored as typed (trimmed).
pub fn parse_app_url(input: &str) -> Result<String, FieldError> {
    let url = input.trim();
    let refuse = || {
        FieldError::new("Enter the app's address as a full URL, like https://wiki.example.com/.")
    };
    if url.is_empty() || url.len() > 2000 || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(refuse());
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(refuse)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || AppHost::parse(authority).is_err() {
        return Err(refuse());
    }
    Ok(url.to_owned())
}

/// A host name an app is served on, as the reverse proxy reports it in
/// `X-Forwarded-Host`: a host name (`HostName`'s rules) with an optional
/// port. Without a port it matches the host on any port; with one, only
/// there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppHost(String);

impl AppHost {
    pub fn parse(input: &str) -> Result<AppHost, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        let (host, port) = split_port(&s);
        let refuse = || {
            FieldError::new(format!(
                "{} is not a host name: write it like tools.example.com or \
                 tools.example.com:8443, without a scheme or path.",
                super::audit::sanitize_for_log(input.trim(), 60)
            ))
        };
        if let Some(port) = port
            && !matches!(port.parse::<u16>(), Ok(1..))
        {
            return Err(refuse());
        }
        HostName::parse(host).map_err(|_| refuse())?;
        Ok(AppHost(s))
    }

    /// A stored host, trusted as it is.
    pub fn stored(host: String) -> AppHost {
        AppHost(host)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host:port` split into its host and its port, if it has one.
pub fn split_port(s: &str) -> (&str, Option<&str>) {
    match s.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, Some(port))
        }
        _ => (s, None),
    }
}

/// The host names typed one per line (or separated by commas or spaces),
/// checked, lower-cased, without repeats, in the order typed.
pub fn parse_app_hosts(input: &str) -> Result<Vec<AppHost>, FieldError> {
    let mut hosts: Vec<AppHost> = Vec::new();
    for item in input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let host = AppHost::parse(item)?;
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    if hosts.is_empty() {
        return Err(FieldError::new(
            "Enter at least one host name the app is served on.",
        ));
    }
    if hosts.len() > APP_HOSTS_MAX {
        return Err(FieldError::new(format!(
            "An app is served on at most {APP_HOSTS_MAX} host names."
        )));
    }
    Ok(hosts)
}

/// Who may open an app: the members of any of these roles (their own role
/// or one a group of theirs grants) and of any of these groups. An empty
/// rule lets nobody in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRule {
    pub roles: Vec<(RoleId, String)>,
    pub groups: Vec<(GroupId, String)>,
}

impl AccessRule {
    /// Whether someone with the role `role`, the roles `granted` through
    /// their groups, and the groups `groups` is inside the rule.
    pub fn admits(&self, role: RoleId, granted: &[RoleId], groups: &[(GroupId, String)]) -> bool {
        self.roles
            .iter()
            .any(|(r, _)| *r == role || granted.contains(r))
            || self
                .groups
                .iter()
                .any(|(g, _)| groups.iter().any(|(mine, _)| mine == g))
    }

    /// "roles Engineer, Admin; groups Ops" or "nobody", for pages and audit rows.
    pub fn describe(&self) -> String {
        let names = |items: &mut dyn Iterator<Item = &String>| {
            items.map(String::as_str).collect::<Vec<_>>().join(", ")
        };
        let mut parts = Vec::new();
        if !self.roles.is_empty() {
            parts.push(format!(
                "roles {}",
                names(&mut self.roles.iter().map(|(_, n)| n))
            ));
        }
        if !self.groups.is_empty() {
            parts.push(format!(
                "groups {}",
                names(&mut self.groups.iter().map(|(_, n)| n))
            ));
        }
        match parts.is_empty() {
            true => "nobody".to_owned(),
            false => parts.join("; "),
        }
    }
}

/// An application as its organisation registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: super::ids::AppId,
    pub slug: AppSlug,
    pub name: String,
    pub description: String,
    pub url: String,
    pub hosts: Vec<AppHost>,
    pub rule: AccessRule,
}

impl App {
    /// The host names as one line, for pages.
    pub fn hosts_text(&self) -> String {
        self.hosts
            .iter()
            .map(AppHost::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The host names one per line, for the form.
    pub fn hosts_lines(&self) -> String {
        self.hosts
            .iter()
            .map(AppHost::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why a signed-in user may not open an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Their account waits for approval.
    Pending,
    /// Their account is not Active (disabled, rejected, deleted).
    Inactive,
    /// The app belongs to another organisation.
    OtherOrganisation,
    /// Neither their role nor their groups are in the app's rule.
    NotInRule,
}

impl Refusal {
    /// What the refusal page says.
    pub fn explain(self) -> &'static str {
        match self {
            Refusal::Pending => {
                "Your account is waiting for an administrator's approval. You can open apps once it is approved."
            }
            Refusal::Inactive => "Your account is not active. Contact an administrator.",
            Refusal::OtherOrganisation => {
                "This app belongs to another organisation than your account's."
            }
            Refusal::NotInRule => "Your role and groups do not include this app.",
        }
    }

    /// The stable code, for logs and the API.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Pending => "pending",
            Refusal::Inactive => "inactive",
            Refusal::OtherOrganisation => "other_organisation",
            Refusal::NotInRule => "not_in_rule",
        }
    }
}

/// Who is asking to open an app, as read with their session.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    pub organisation: super::ids::OrgId,
    pub status: UserStatus,
    pub role: RoleId,
    pub granted: &'a [RoleId],
    pub groups: &'a [(GroupId, String)],
}

/// Decides whether `visitor` may open an app of `organisation` with `rule`.
pub fn decide(
    visitor: Visitor<'_>,
    organisation: super::ids::OrgId,
    rule: &AccessRule,
) -> Result<(), Refusal> {
    match visitor.status {
        UserStatus::Active => {}
        UserStatus::Pending => return Err(Refusal::Pending),
        _ => return Err(Refusal::Inactive),
    }
    if visitor.organisation != organisation {
        return Err(Refusal::OtherOrganisation);
    }
    match rule.admits(visitor.role, visitor.granted, visitor.groups) {
        true => Ok(()),
        false => Err(Refusal::NotInRule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrgId;

    fn rule() -> AccessRule {
        AccessRule {
            roles: vec![(RoleId(2), "Engineer".into())],
            groups: vec![(GroupId(7), "Ops".into())],
        }
    }

    fn visitor<'a>(
        role: i64,
        granted: &'a [RoleId],
        groups: &'a [(GroupId, String)],
    ) -> Visitor<'a> {
        Visitor {
            organisation: OrgId(1),
            status: UserStatus::Active,
            role: RoleId(role),
            granted,
            groups,
        }
    }

    #[test]
    fn a_member_of_a_role_a_granted_role_or_a_group_in_the_rule_gets_in() {
        assert_eq!(decide(visitor(2, &[], &[]), OrgId(1), &rule()), Ok(()));
        assert_eq!(
            decide(visitor(1, &[RoleId(2)], &[]), OrgId(1), &rule()),
            Ok(())
        );
        assert_eq!(
            decide(
                visitor(1, &[], &[(GroupId(7), "Ops".to_owned())]),
                OrgId(1),
                &rule()
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                visitor(1, &[RoleId(3)], &[(GroupId(8), "Sales".to_owned())]),
                OrgId(1),
                &rule()
            ),
            Err(Refusal::NotInRule)
        );
    }

    #[test]
    fn an_empty_rule_lets_nobody_in() {
        let empty = AccessRule::default();
        assert_eq!(
            decide(
                visitor(2, &[RoleId(2)], &[(GroupId(7), "Ops".to_owned())]),
                OrgId(1),
                &empty
            ),
            Err(Refusal::NotInRule)
        );
        assert_eq!(empty.describe(), "nobody");
        assert_eq!(rule().describe(), "roles Engineer; groups Ops");
    }

    #[test]
    fn status_and_organisation_are_checked_before_the_rule() {
        let mut v = visitor(2, &[], &[]);
        v.status = UserStatus::Pending;
        assert_eq!(decide(v, OrgId(1), &rule()), Err(Refusal::Pending));
        v.status = UserStatus::Disabled;
        assert_eq!(decide(v, OrgId(1), &rule()), Err(Refusal::Inactive));
        v.status = UserStatus::Active;
        assert_eq!(
            decide(v, OrgId(2), &rule()),
            Err(Refusal::OtherOrganisation)
        );
    }

    #[test]
    fn hosts_take_an_optional_port_and_are_lower_cased() {
        assert_eq!(
            AppHost::parse(" Wiki.Example.com ").unwrap().as_str(),
            "wiki.example.com"
        );
        assert_eq!(
            AppHost::parse("127.0.0.1:8080").unwrap().as_str(),
            "127.0.0.1:8080"
        );
        for bad in [
            "https://wiki.example.com",
            "wiki",
            "wiki.example.com/x",
            "wiki.example.com:0",
            "wiki.example.com:99999",
            "",
        ] {
            assert!(AppHost::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(split_port("a.b:81"), ("a.b", Some("81")));
        assert_eq!(split_port("a.b"), ("a.b", None));
    }

    #[test]
    fn a_host_list_drops_repeats_and_needs_one_host() {
        let hosts = parse_app_hosts("a.example.com\nA.example.com, b.example.com:81").unwrap();
        assert_eq!(hosts.len(), 2);
        assert!(parse_app_hosts("  ").is_err());
        let many: Vec<String> = (0..11).map(|i| format!("h{i}.example.com")).collect();
        assert!(parse_app_hosts(&many.join(" ")).is_err());
    }

    #[test]
    fn an_app_url_is_absolute_http_without_credentials() {
        assert!(parse_app_url("https://wiki.example.com/start").is_ok());
        assert!(parse_app_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//wiki.example.com",
            "https://user:pw@wiki.example.com/",
            "ftp://wiki.example.com",
            "https://",
            "https://wiki example.com",
        ] {
            assert!(parse_app_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_descriptions_are_bounded_single_lines() {
        assert_eq!(parse_app_name("  Team   Wiki ").unwrap(), "Team Wiki");
        assert!(parse_app_name(" ").is_err());
        assert!(parse_app_name(&"x".repeat(81)).is_err());
        assert!(parse_app_description("a\u{7}b").is_err());
        assert_eq!(parse_app_description("").unwrap(), "");
    }
}
