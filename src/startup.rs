//! Builds the application: database, migrations, first admin, middleware and
//! routes. `main` and the tests both go through `Application::build`.

use std::net::TcpListener;

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
use crate::domain::session::SessionLimits;
use crate::services::accounts::{self, Registration};
use crate::services::audit_chain::ChainMonitor;
use crate::services::auth_settings::AuthSettings;
use crate::services::overview::OverviewCache;
use crate::services::security::RefusalLimiter;
use crate::web::browser_cookies::{BODY_LIMIT, CookieSettings, browser_cookies};
use crate::web::client_ip::TrustedProxies;
use crate::web::failures::failures;
use crate::web::rate_limit::IpRateLimit;
use crate::web::request_span::RequestSpan;
use crate::web::security::{SecuritySettings, refusals, security_headers};
use crate::web::state::AppConfig;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url, settings.max_db_connections).await?;
        db.migrate().await?;
        ensure_default_role(&db, &settings.default_role).await?;
        let auth = AuthSettings::from_settings(&settings)?;
        bootstrap_admin(&db, &auth, &settings).await?;
        let key = crate::secret_key::load(&settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("could not listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let monitor = web::Data::new(ChainMonitor::default());
        spawn_maintenance(db.clone(), session_limits(&settings), monitor.clone());
        let server = serve(listener, db.clone(), key, monitor, auth, &settings)?;
        Ok(Application { port, server, db })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn ensure_default_role(db: &Db, name: &str) -> anyhow::Result<()> {
    let mut conn = db.acquire().await?;
    db::roles::find_by_name(Scope::instance().on(&mut conn), name)
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
    if db::users::admin_exists(Scope::instance().on(&mut conn)).await? {
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
            accounts::create_user(db, auth, form, "Admin")
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

/// How often expired sessions are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// How often the whole audit chain is walked again in the background.
const FULL_CHAIN_CHECK_EVERY: u32 = 12;
/// How often SQLite's search index is merged into one b-tree: daily, first
/// five minutes after start. Each merge rewrites the whole index (137 MB
/// at a million users, 2.5 s of work); bulk loads merge it themselves.
const SEARCH_INDEX_MERGE_EVERY: u32 = 12 * 24;
/// Between two merge steps (each holds the write lock for 0.1-0.2 s at a
/// million users), sign-ins and approvals waiting for the lock go first.
const SEARCH_INDEX_MERGE_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// Background upkeep: verify the audit chain at start (so the audit page
/// only ever checks new rows), purge expired sessions every five minutes and
/// from then on make windows for PostgreSQL's search index too, walk the
/// whole chain again every hour, and merge SQLite's search index daily.
fn spawn_maintenance(db: Db, limits: SessionLimits, monitor: web::Data<ChainMonitor>) {
    tokio::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(PURGE_EVERY);
        for round in 0u32.. {
            ticker.tick().await;
            if round % FULL_CHAIN_CHECK_EVERY == 0 {
                match monitor.full_check(&db).await {
                    Ok(status) => tracing::info!(?status, "audit chain checked"),
                    Err(err) => tracing::error!(error = ?err, "could not check the audit chain"),
                }
            }
            if round % SEARCH_INDEX_MERGE_EVERY == 1 {
                let pause = SEARCH_INDEX_MERGE_PAUSE;
                match crate::services::search_index::compact(&db, pause).await {
                    Ok(0) => {}
                    Ok(steps) => tracing::info!(steps, "merged the search index"),
                    Err(err) => tracing::error!(error = ?err, "could not merge the search index"),
                }
            }
            // Not at start: the migrations and bulk loads make the windows
            // they need, and tests and benchmarks never meet this.
            if round > 0 {
                match crate::services::search_index::make_windows(&db, 0).await {
                    Ok(0) => {}
                    Ok(windows) => tracing::info!(windows, "made windows for the search index"),
                    Err(err) => {
                        tracing::warn!(error = ?err, "could not make windows for the search index")
                    }
                }
            }
            match crate::services::sessions::purge_expired(&db, limits).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
                Err(err) => tracing::error!(error = ?err, "could not purge expired sessions"),
            }
        }
    });
}

fn serve(
    listener: TcpListener,
    db: Db,
    key: actix_web::cookie::Key,
    monitor: web::Data<ChainMonitor>,
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
    let secure = settings.cookie_secure;
    // The store enforces idle timeout and lifetime itself; this TTL only
    // satisfies actix-session's interface.
    let ttl = Duration::milliseconds(limits.lifetime_ms);
    let mut server = HttpServer::new(move || {
        let sessions =
            SessionMiddleware::builder(DbSessionStore::new(db.clone(), limits), key.clone())
                .cookie_name(SESSION_COOKIE.into())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(BrowserSession::default().state_ttl(ttl))
                .build();
        App::new()
            .app_data(db_data.clone())
            .app_data(overview.clone())
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
    .listen(listener)?;
    if let Some(workers) = settings.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
