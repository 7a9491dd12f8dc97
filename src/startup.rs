//! Builds the application: database, migrations, first admin, middleware and
//! routes. `main` and the tests both go through `Application::build`; the
//! background jobs start separately (`Application::start_jobs`, `jobs`).

use std::net::TcpListener;
use std::sync::Arc;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_web::cookie::{SameSite, time::Duration};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::TracingLogger;

use crate::auth::session_store::{DbSessionStore, SESSION_COOKIE};
use crate::config::Settings;
use crate::db::{self, Db, Scope};
use crate::domain::DEFAULT_ORGANISATION;
use crate::domain::session::SessionLimits;
use crate::services::accounts::{self, Registration};
use crate::services::app_directory::AppDirectory;
use crate::services::audit_chain::ChainMonitor;
use crate::services::auth_settings::AuthSettings;
use crate::services::fields::FieldCopies;
use crate::services::mail::Mailer;
use crate::services::organisations::Directory;
use crate::services::overview::OverviewCache;
use crate::services::security::RefusalLimiter;
use crate::web::api::ApiRateLimit;
use crate::web::browser_cookies::{BODY_LIMIT, CookieSettings, browser_cookies};
use crate::web::client_ip::TrustedProxies;
use crate::web::failures::failures;
use crate::web::forward_auth::ForwardAuthSettings;
use crate::web::rate_limit::IpRateLimit;
use crate::web::request_span::RequestSpan;
use crate::web::security::{SecuritySettings, refusals, security_headers};
use crate::web::state::AppConfig;

use crate::auth::jwt::SealKey;
use crate::services::oidc::batch::TokenWrites;
use crate::services::oidc::keys::KeyStore;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    monitor: Arc<ChainMonitor>,
    keys: Arc<KeyStore>,
    jobs: crate::jobs::JobSettings,
    /// The SMTP connection, when mail is on.
    mailer: Option<Arc<Mailer>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // Settings made in code (tests, embedding) get the checks a file's get.
        let settings = settings.checked()?;
        let db = Db::connect(
            &settings.database_url,
            settings.max_db_connections,
            workers(&settings),
        )
        .await?
        .with_mail(crate::services::mail::switch(&settings));
        let mailer = Mailer::from_settings(&settings)?.map(Arc::new);
        match &mailer {
            Some(_) => tracing::info!(public_url = %settings.public_origin(), "mail is on"),
            None => tracing::info!(
                "mail is off (GATEHOUSE_SMTP_URL is not set): reset links are handed over by an administrator and notices stay in the app"
            ),
        }
        db.migrate().await?;
        ensure_default_role(&db, &settings.default_role).await?;
        let auth = AuthSettings::from_settings(&settings)?;
        bootstrap_admin(&db, &auth, &settings).await?;
        let key = crate::secret_key::load(&settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("could not listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let monitor = Arc::new(ChainMonitor::default());
        let data = web::Data::from(Arc::clone(&monitor));
        let keys = Arc::new(signing_keys(&settings, &key)?);
        let shared = Shared {
            monitor: data,
            keys: web::Data::from(Arc::clone(&keys)),
        };
        let server = serve(listener, db.clone(), key, shared, auth, &settings)?;
        Ok(Application {
            port,
            server,
            db,
            monitor,
            keys,
            jobs: crate::jobs::JobSettings::from_settings(&settings),
            mailer,
        })
    }

    /// Starts the background jobs (`jobs`): `gatehouse serve` does, right
    /// after building; tests and commands do not.
    pub fn start_jobs(&self) {
        crate::jobs::start(self.db.clone(), self.jobs, Arc::clone(&self.monitor));
        self.start_mail_worker();
        // The OpenID Connect signing keys are made at the first start, not
        // at the first sign-in that needs them (tests make theirs on use).
        let (db, keys) = (self.db.clone(), Arc::clone(&self.keys));
        tokio::spawn(async move {
            if let Err(err) = keys.get(&db).await {
                tracing::error!(error = ?err, "could not read or make the OpenID Connect signing keys");
            }
        });
    }

    /// Starts the outbox worker when mail is on (`start_jobs` does; the
    /// mail tests start it alone).
    pub fn start_mail_worker(&self) {
        if let Some(mailer) = &self.mailer {
            crate::services::mail::worker::start(self.db.clone(), Arc::clone(mailer));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The signing keys this instance serves, for a test that rotates them.
    pub fn keys(&self) -> Arc<KeyStore> {
        Arc::clone(&self.keys)
    }

    /// A handle that stops the server (a test that starts many apps stops
    /// each one it is done with, so their threads and memory go with it).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The OpenID Connect signing keys, sealed under the secret key: the
/// server's, and `gatehouse keys rotate`'s.
pub fn key_store(settings: &Settings) -> anyhow::Result<KeyStore> {
    let key = crate::secret_key::load(settings)?;
    signing_keys(settings, &key)
}

/// The key store under `key`, with the operator's signing key if one is
/// configured (refused at start when it cannot be read).
fn signing_keys(settings: &Settings, key: &actix_web::cookie::Key) -> anyhow::Result<KeyStore> {
    let store = KeyStore::new(SealKey::derive(key.master()));
    let Some(path) = &settings.oidc_signing_key_file else {
        return Ok(store);
    };
    let pem = std::fs::read_to_string(path).with_context(|| {
        format!(
            "could not read {} (GATEHOUSE_OIDC_SIGNING_KEY_FILE)",
            path.display()
        )
    })?;
    let configured = crate::auth::jwt::from_pem(&pem)
        .with_context(|| format!("{} (GATEHOUSE_OIDC_SIGNING_KEY_FILE)", path.display()))?;
    tracing::info!(kid = %configured.kid, alg = configured.alg.as_str(), "ID tokens of this algorithm are signed with the configured key");
    Ok(store.with_configured(configured))
}

async fn ensure_default_role(db: &Db, name: &str) -> anyhow::Result<()> {
    let mut conn = db.acquire().await?;
    db::roles::find_by_name(
        Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
        name,
    )
    .await?
    .with_context(|| {
        format!("the default role {name:?} (GATEHOUSE_DEFAULT_ROLE) does not exist")
    })?;
    Ok(())
}

/// Creates the first admin from settings when none exists, or tells the
/// operator how to.
async fn bootstrap_admin(db: &Db, auth: &AuthSettings, settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db.acquire().await?;
    if db::permission_holders::admin_exists(Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn))
        .await?
    {
        return Ok(());
    }
    drop(conn);
    match (
        &settings.admin_username,
        &settings.admin_email,
        &settings.admin_password,
    ) {
        (Some(username), Some(email), Some(password)) => {
            let form = Registration {
                username: username.clone(),
                email: email.clone(),
                full_name: username.clone(),
                password: SecretString::from(password.expose_secret().to_owned()),
                password_confirm: SecretString::from(password.expose_secret().to_owned()),
            };
            let scope = Scope::organisation(DEFAULT_ORGANISATION);
            accounts::create_user(db, &scope, auth, form, "Admin")
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "could not create the first admin from GATEHOUSE_ADMIN_*: {e:?}"
                    )
                })?;
            tracing::info!(%username, "created the first admin from GATEHOUSE_ADMIN_* settings");
        }
        _ => {
            println!(
                "No admin exists yet. Create one with: gatehouse user create --username U --email E --full-name N --role Admin"
            );
        }
    }
    Ok(())
}

fn session_limits(settings: &Settings) -> SessionLimits {
    SessionLimits::from_minutes(
        settings.session_idle_minutes,
        settings.session_lifetime_minutes,
    )
}

/// What the application shares with the server's workers.
struct Shared {
    monitor: web::Data<ChainMonitor>,
    keys: web::Data<KeyStore>,
}

/// The server's workers: the setting, or as many as actix-web would start
/// by itself (one per CPU the process may use, at most 512, the most it
/// takes).
fn workers(settings: &Settings) -> usize {
    settings
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().min(512)))
        .max(1)
}

fn serve(
    listener: TcpListener,
    db: Db,
    key: actix_web::cookie::Key,
    shared: Shared,
    auth: AuthSettings,
    settings: &Settings,
) -> anyhow::Result<Server> {
    let auth = web::Data::new(auth);
    let proxies = web::Data::new(TrustedProxies::parse(&settings.trusted_proxies)?);
    // Shared by every worker: one count per address for the whole instance.
    let login_limit = web::Data::new(IpRateLimit::per_minute(settings.login_ip_limit_per_minute));
    let cookies = web::Data::new(CookieSettings {
        key: key.clone(),
        secure: settings.cookie_secure,
    });
    let limits = session_limits(settings);
    let config = web::Data::new(AppConfig {
        default_role: settings.default_role.clone(),
        session_limits: limits,
        deleted_retention_days: settings.deleted_retention_days,
    });
    let guard = web::Data::new(SecuritySettings {
        https: settings.cookie_secure,
        limiter: RefusalLimiter::new(
            settings.audit_refusals_per_ip_per_minute,
            settings.audit_refusals_per_minute,
        ),
    });
    let db_data = web::Data::new(db.clone());
    let overview = web::Data::new(OverviewCache::default());
    let directory = web::Data::new(Directory::default());
    let apps = web::Data::new(AppDirectory::default());
    let token_writes = web::Data::new(TokenWrites::default());
    let field_copies = web::Data::new(FieldCopies::default());
    let Shared { monitor, keys } = shared;
    let api_limit = web::Data::new(ApiRateLimit(IpRateLimit::per_minute(
        settings.api_failures_per_ip_per_minute,
    )));
    let secure = settings.cookie_secure;
    let cookie_domain = settings.cookie_domain.clone().filter(|d| !d.is_empty());
    let forward = web::Data::new(ForwardAuthSettings {
        public_origin: settings.public_origin(),
    });
    // The store enforces idle timeout and lifetime itself; this TTL only
    // satisfies actix-session's interface.
    let ttl = Duration::milliseconds(limits.lifetime_ms);
    let server = HttpServer::new(move || {
        // Called once on each worker's thread, before it serves anything.
        db.claim_read_shard();
        let sessions =
            SessionMiddleware::builder(DbSessionStore::new(db.clone(), limits), key.clone())
                .cookie_name(SESSION_COOKIE.into())
                .cookie_secure(secure)
                .cookie_domain(cookie_domain.clone())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(BrowserSession::default().state_ttl(ttl))
                .build();
        App::new()
            .app_data(db_data.clone())
            .app_data(overview.clone())
            .app_data(directory.clone())
            .app_data(apps.clone())
            .app_data(keys.clone())
            .app_data(token_writes.clone())
            .app_data(field_copies.clone())
            .app_data(forward.clone())
            .app_data(api_limit.clone())
            .app_data(cookies.clone())
            .app_data(config.clone())
            .app_data(guard.clone())
            .app_data(monitor.clone())
            .app_data(auth.clone())
            .app_data(proxies.clone())
            .app_data(login_limit.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(|_, _| {
                crate::web::error::AppError::BadRequest("The address has a malformed query.".into())
                    .into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| crate::web::error::AppError::NotFound.into()),
            )
            .configure(crate::routes::configure)
            .default_service(web::to(crate::web::system::not_found))
            .wrap(from_fn(refusals))
            .wrap(IdentityMiddleware::default())
            .wrap(sessions)
            .wrap(from_fn(failures))
            .wrap(from_fn(browser_cookies))
            .wrap(from_fn(security_headers))
            .wrap(TracingLogger::<RequestSpan>::new())
    })
    .listen(listener)?
    .workers(workers(settings));
    Ok(server.run())
}
