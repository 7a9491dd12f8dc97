//! Settings: built-in defaults, then an optional TOML file, then `GATEHOUSE_*`
//! environment variables (`__` separates nested keys, none are nested today).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::SecretString;
use serde::Deserialize;

/// Everything Gatehouse needs to start. Secrets are `SecretString`, and the
/// database URL hides its password when printed, so `Debug` is safe to log.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests use this).
    pub bind: String,
    pub database_url: DatabaseUrl,
    /// Where the generated secret key is kept when `secret_key` is not set.
    /// Defaults to the folder holding the SQLite file, else `./data`.
    pub data_dir: Option<PathBuf>,
    /// Master key for cookie signing; at least 32 bytes.
    pub secret_key: Option<SecretString>,
    /// Mark cookies `Secure`. Turn on whenever Gatehouse is served over HTTPS.
    pub cookie_secure: bool,
    /// Role given to self-registered accounts.
    pub default_role: String,
    /// A signed-in session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// A signed-in session ends this many minutes after sign-in, however busy.
    /// `session_ttl_minutes` (the earlier name) is still accepted.
    #[serde(alias = "session_ttl_minutes")]
    pub session_lifetime_minutes: i64,
    /// Refused requests (bad CSRF token, cross-site origin, 403) recorded in
    /// the audit log per client address per minute; further ones only reach
    /// the log file, so a flood cannot fill the database.
    pub audit_refusals_per_ip_per_minute: u32,
    /// The same cap over all addresses together.
    pub audit_refusals_per_minute: u32,
    /// Days a deleted user can be restored before the purge erases their
    /// personal data.
    pub deleted_retention_days: u32,
    /// Unattended installs: create this admin at start when no admin exists.
    pub admin_username: Option<String>,
    pub admin_email: Option<String>,
    pub admin_password: Option<SecretString>,
    /// Number of HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// Largest number of pooled database connections.
    pub max_db_connections: u32,
    /// argon2id memory cost in KiB (OWASP minimum 19456).
    pub argon2_memory_kib: u32,
    /// argon2id iterations (OWASP minimum 2).
    pub argon2_iterations: u32,
    /// argon2id lanes (OWASP minimum 1).
    pub argon2_parallelism: u32,
    /// Test suites only: accept argon2 parameters below the OWASP minimum.
    pub argon2_allow_weak: bool,
    /// Password hashes computed at once; 0 means one per core.
    pub password_hash_concurrency: usize,
    /// Also require upper, lower, digit and symbol in new passwords.
    pub password_require_classes: bool,
    /// Failed sign-ins within `lockout_window_minutes` before an account waits.
    pub lockout_threshold: u32,
    pub lockout_window_minutes: i64,
    /// The first wait; each further failure doubles it up to the maximum.
    pub lockout_base_delay_minutes: i64,
    pub lockout_max_delay_minutes: i64,
    /// Sign-in and registration POSTs per client address per minute (per instance).
    pub login_ip_limit_per_minute: u32,
    /// Comma-separated proxy addresses whose `X-Forwarded-For` is believed.
    pub trusted_proxies: String,
    /// The session cookie's `Domain` (`.example.com`), so that the apps on
    /// sibling host names send it to `/auth/verify` through their proxy.
    /// Unset: the cookie belongs to Gatehouse's own host only.
    pub cookie_domain: Option<String>,
    /// Gatehouse's address as browsers reach it (`https://gatehouse.example.com`):
    /// where `/auth/verify` sends a browser to sign in or to read why it was
    /// refused. Unset: those links are relative, which suits apps served
    /// under Gatehouse's own host.
    pub public_url: Option<String>,
    /// API requests with a token that does not work, per client address per
    /// minute, before the API answers 429 (0 turns the limit off).
    pub api_failures_per_ip_per_minute: u32,
    /// A PEM PKCS#8 private key (RSA or P-256) that signs ID tokens for its
    /// algorithm, instead of a key Gatehouse makes and keeps in the database.
    pub oidc_signing_key_file: Option<PathBuf>,
    /// Where mail is sent, in lettre's URL form: `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`, or `smtp://127.0.0.1:2525` for a local relay. Unset:
    /// mail is off (one-time links are handed over by an administrator,
    /// notices stay in the app). Secret: it may carry the SMTP password.
    pub smtp_url: Option<SecretString>,
    /// The sender of every mail (`Gatehouse <gatehouse@example.com>`);
    /// defaults to gatehouse@ the public URL's host.
    pub mail_from: Option<String>,
}

impl Default for Settings {
    /// The built-in defaults (what `load` starts from).
    fn default() -> Settings {
        Settings {
            bind: "127.0.0.1:8080".into(),
            database_url: DatabaseUrl::new("sqlite://data/gatehouse.db"),
            data_dir: None,
            secret_key: None,
            cookie_secure: false,
            default_role: "Engineer".into(),
            session_idle_minutes: 30,
            session_lifetime_minutes: 12 * 60,
            audit_refusals_per_ip_per_minute: 10,
            audit_refusals_per_minute: 120,
            deleted_retention_days: 30,
            admin_username: None,
            admin_email: None,
            admin_password: None,
            workers: None,
            max_db_connections: 8,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            argon2_allow_weak: false,
            password_hash_concurrency: 0,
            password_require_classes: false,
            lockout_threshold: 5,
            lockout_window_minutes: 15,
            lockout_base_delay_minutes: 1,
            lockout_max_delay_minutes: 15,
            login_ip_limit_per_minute: 20,
            trusted_proxies: String::new(),
            cookie_domain: None,
            public_url: None,
            api_failures_per_ip_per_minute: 30,
            oidc_signing_key_file: None,
            smtp_url: None,
            mail_from: None,
        }
    }
}

impl Settings {
    /// Loads settings from defaults, the optional TOML `file`, and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder
            .add_source(
                config::Environment::with_prefix("GATEHOUSE")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .context("could not read the settings")?
            .try_deserialize::<Settings>()
            .context("the settings are not valid")
            .and_then(Settings::checked)
    }

    /// Refuses values that parse but would do harm.
    pub fn checked(self) -> anyhow::Result<Settings> {
        // Zero would purge every deletion at the next hourly run, leaving
        // no time to restore a mistake.
        if self.deleted_retention_days == 0 {
            anyhow::bail!(
                "deleted_retention_days (GATEHOUSE_DELETED_RETENTION_DAYS) must be at least 1"
            );
        }
        if let Some(url) = self.public_url.as_deref().filter(|u| !u.is_empty()) {
            let parsed = url::Url::parse(url).ok();
            let origin_only = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
                    && u.username().is_empty()
            });
            if !origin_only {
                anyhow::bail!(
                    "public_url (GATEHOUSE_PUBLIC_URL) must be an http(s) address without a path, \
                     like https://gatehouse.example.com"
                );
            }
        }
        // Every mail's links start with the public URL: without it they
        // could not be followed.
        if self.mail_enabled() && self.public_origin().is_empty() {
            anyhow::bail!(
                "public_url (GATEHOUSE_PUBLIC_URL) is required when mail is on (GATEHOUSE_SMTP_URL): \
                 it is the base of every link in a mail, like https://gatehouse.example.com"
            );
        }
        if let Some(domain) = self.cookie_domain.as_deref().filter(|d| !d.is_empty()) {
            let bare = domain.trim_start_matches('.');
            if crate::domain::HostName::parse(bare).is_err() {
                anyhow::bail!(
                    "cookie_domain (GATEHOUSE_COOKIE_DOMAIN) must be a domain like .example.com"
                );
            }
        }
        Ok(self)
    }

    /// Whether an SMTP server is configured.
    pub fn mail_enabled(&self) -> bool {
        self.smtp_url
            .as_ref()
            .is_some_and(|u| !secrecy::ExposeSecret::expose_secret(u).trim().is_empty())
    }

    /// Gatehouse's public address without a trailing slash, or "" (links
    /// stay relative).
    pub fn public_origin(&self) -> String {
        self.public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_owned()
    }

    /// The folder for files Gatehouse keeps beside its database.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        match self.database_url.sqlite_path() {
            Some(path) => path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            None => PathBuf::from("data"),
        }
    }
}

/// A database URL whose `Debug` and `Display` hide any password.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl Default for DatabaseUrl {
    fn default() -> DatabaseUrl {
        DatabaseUrl::new("sqlite://data/gatehouse.db")
    }
}

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }

    /// The URL itself, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The file behind a `sqlite://` URL, if it names one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("redacted"));
                write!(f, "{parsed}")
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_hides_its_password_when_printed() {
        let url = DatabaseUrl::new("postgres://gate:hunter2@db.example:5432/gatehouse");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(format!("{url}").contains("db.example"));
    }

    #[test]
    fn with_nothing_set_the_defaults_hold() {
        // Variables and the file winning over these: tests/api/config.rs.
        let settings = Settings::load(None).unwrap();
        assert_eq!(settings.default_role, "Engineer");
        assert!(settings.database_url.is_sqlite());
    }

    #[test]
    fn the_sqlite_path_is_read_from_the_url() {
        let url = DatabaseUrl::new("sqlite://data/gatehouse.db?mode=rwc");
        assert_eq!(url.sqlite_path(), Some(PathBuf::from("data/gatehouse.db")));
        assert_eq!(DatabaseUrl::new("sqlite::memory:").sqlite_path(), None);
        assert_eq!(
            DatabaseUrl::new("postgres://localhost/x").sqlite_path(),
            None
        );
    }
}
