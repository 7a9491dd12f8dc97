//! Builds the application: database, migrations, first admin, middleware and
//! routes. `main` and the tests both go through `Application::build`.

use std::net::TcpListener;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_web::cookie::{SameSite, time::Duration};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::TracingLogger;

use crate::auth::session_store::{DbSessionStore, SESSION_COOKIE};
use crate::config::Settings;
use crate::db::{self, Db};
use crate::services::accounts::{self, Registration};
use crate::web::browser_cookies::{BODY_LIMIT, CookieSettings, browser_cookies};

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub default_role: String,
}

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
        bootstrap_admin(&db, &settings).await?;
        let key = crate::secret_key::load(&settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("could not listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, db.clone(), key, &settings)?;
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
    let mut conn = db.pool.acquire().await?;
    db::roles::find_by_name(&mut conn, name)
        .await?
        .with_context(|| {
            format!("the default role {name:?} (GATEHOUSE_DEFAULT_ROLE) does not exist")
        })?;
    Ok(())
}

/// Creates the first admin from settings when none exists, or tells the
/// operator how to.
async fn bootstrap_admin(db: &Db, settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    if db::users::admin_exists(&mut conn).await? {
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
            accounts::create_user(db, form, "Admin")
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

fn serve(
    listener: TcpListener,
    db: Db,
    key: actix_web::cookie::Key,
    settings: &Settings,
) -> anyhow::Result<Server> {
    let cookies = web::Data::new(CookieSettings {
        key: key.clone(),
        secure: settings.cookie_secure,
    });
    let config = web::Data::new(AppConfig {
        default_role: settings.default_role.clone(),
    });
    let db_data = web::Data::new(db.clone());
    let secure = settings.cookie_secure;
    let ttl = Duration::minutes(settings.session_ttl_minutes.max(1));
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(DbSessionStore::new(db.clone()), key.clone())
            .cookie_name(SESSION_COOKIE.into())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Signed)
            .session_lifecycle(BrowserSession::default().state_ttl(ttl))
            .build();
        let mut headers = DefaultHeaders::new()
            .add(("X-Frame-Options", "DENY"))
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("Referrer-Policy", "same-origin"))
            .add(("Cache-Control", "no-store"))
            .add((
                "Content-Security-Policy",
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
            ));
        if secure {
            headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
        }
        App::new()
            .app_data(db_data.clone())
            .app_data(cookies.clone())
            .app_data(config.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(|_, _| {
                crate::error::AppError::BadRequest("The address has a malformed query.".into()).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| crate::error::AppError::NotFound.into()))
            .configure(crate::routes::configure)
            .default_service(web::to(crate::web::system::not_found))
            .wrap(IdentityMiddleware::default())
            .wrap(sessions)
            .wrap(from_fn(browser_cookies))
            .wrap(headers)
            .wrap(TracingLogger::default())
    })
    .listen(listener)?;
    if let Some(workers) = settings.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
