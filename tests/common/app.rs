//! The app under test, shared by the API and storage suites (each includes
//! this file with `#[path]`): each test gets its own app on port 0 with a
//! fresh database (a new SQLite file, or a new PostgreSQL database when
//! GATEHOUSE_TEST_DATABASE_URL is set) and a cookie-keeping client that does
//! not follow redirects.

#[path = "database.rs"]
mod database;
pub use database::fresh_database;

use super::{first_attr, location_of};

use gatehouse::config::{DatabaseUrl, Settings};
use gatehouse::db::{self, Db, Scope};
use gatehouse::domain::{
    DEFAULT_ORGANISATION, OrgId, RoleRequest, RoleRequestId, UserId, UserStatus,
};
use gatehouse::services::accounts::{self, Registration};
use gatehouse::services::auth_settings::AuthSettings;
use gatehouse::services::organisations::{self, OrganisationForm};
use gatehouse::startup::Application;
use reqwest::StatusCode;
use scraper::Html;
use secrecy::SecretString;

/// A password that passes the policy for any test username.
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    /// The database this app uses (for a second instance or the CLI).
    pub database_url: DatabaseUrl,
    /// The OpenID Connect signing keys the app serves (to rotate them).
    pub keys: std::sync::Arc<gatehouse::services::oidc::keys::KeyStore>,
    /// Stops the app's server (`stop`).
    pub server: actix_web::dev::ServerHandle,
}

/// A user created directly through the service layer.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub username: String,
    pub password: String,
}

/// The hasher and policies with default settings, built once for the suite.
pub fn test_auth() -> AuthSettings {
    static AUTH: std::sync::LazyLock<AuthSettings> =
        std::sync::LazyLock::new(AuthSettings::default);
    AUTH.clone()
}

pub fn test_settings(database_url: DatabaseUrl) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url,
        data_dir: Some(std::env::temp_dir().join("gatehouse-tests")),
        secret_key: Some(SecretString::from(
            "test-secret-key-that-is-long-enough-0123456789",
        )),
        workers: Some(1),
        max_db_connections: 4,
        // Every test client is 127.0.0.1 and the access matrix alone signs in
        // dozens of times a minute; tests of the limit set their own.
        login_ip_limit_per_minute: 10_000,
        // Likewise the matrix asks the API with no token for every route.
        api_failures_per_ip_per_minute: 10_000,
        ..Settings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings(fresh_database().await);
    customise(&mut settings);
    let database_url = settings.database_url.clone();
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let keys = app.keys();
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        client: new_client(),
        database_url,
        keys,
        server,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> Html {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        Html::parse_document(&response.text().await.unwrap())
    }

    /// The CSRF token this client's cookie carries, read from the login form.
    pub async fn csrf_token(&self) -> String {
        let page = self.get_html("/login").await;
        first_attr(&page, "input[name=csrf_token]", "value").expect("a csrf token")
    }

    /// POSTs a form with a valid CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.post_raw(path, &body).await
    }

    /// POSTs exactly `fields`, without adding a token.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_html_form::to_string(fields).expect("form");
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// Expects `response` to redirect, and returns the page it leads to.
    pub async fn follow(&self, response: reqwest::Response) -> Html {
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{} {}",
            response.url(),
            response.status()
        );
        let location = location_of(&response).expect("a location");
        self.get_html(&location).await
    }

    /// POSTs a form, expects a redirect, and returns the page it leads to.
    pub async fn act(&self, path: &str, fields: &[(&str, &str)]) -> Html {
        let response = self.post_form(path, fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "POST {path}");
        self.follow(response).await
    }

    /// Creates a user with `role` and `status` through the service layer,
    /// in the default organisation.
    pub async fn create_user(&self, username: &str, role: &str, status: UserStatus) -> TestUser {
        self.create_user_in(DEFAULT_ORGANISATION, username, role, status)
            .await
    }

    /// Creates a user in `org` with `role` (that organisation's) and `status`.
    pub async fn create_user_in(
        &self,
        org: OrgId,
        username: &str,
        role: &str,
        status: UserStatus,
    ) -> TestUser {
        let form = Registration {
            username: username.into(),
            email: format!("{username}@example.com"),
            full_name: format!("{username} Tester"),
            password: SecretString::from(PASSWORD),
            password_confirm: SecretString::from(PASSWORD),
        };
        let scope = Scope::organisation(org);
        let id = accounts::create_user(&self.db, &scope, &test_auth(), form, role)
            .await
            .expect("user created");
        if status != UserStatus::Active {
            let mut conn = self.db.pool.acquire().await.unwrap();
            db::users::set_status(
                scope.on(&mut conn),
                id,
                status,
                None,
                gatehouse::domain::Timestamp::now(),
            )
            .await
            .unwrap();
        }
        TestUser {
            id,
            username: username.into(),
            password: PASSWORD.into(),
        }
    }

    /// Creates a group in the default organisation, granting nothing.
    pub async fn create_group(&self, name: &str) -> gatehouse::domain::GroupId {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::groups::insert(
            Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
            name,
            "",
            gatehouse::domain::Timestamp::now(),
        )
        .await
        .unwrap()
    }

    /// Defines a custom field in the default organisation: `kind` as
    /// stored ("choice", "date"…), `choices` one per line.
    pub async fn create_field(
        &self,
        key: &str,
        kind: &str,
        choices: &str,
        rules: (bool, bool, bool),
    ) -> gatehouse::domain::FieldId {
        let (required, at_registration, user_editable) = rules;
        let field = gatehouse::domain::FieldDefinition {
            id: gatehouse::domain::FieldId(0),
            key: gatehouse::domain::FieldKey::parse(key).expect("a valid key"),
            label: key.replace('_', " "),
            kind: gatehouse::domain::FieldKind::parse(kind).expect("a known type"),
            choices: choices.lines().map(str::to_owned).collect(),
            required,
            at_registration,
            user_editable,
        };
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::custom_fields::insert(
            Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
            &field,
            gatehouse::domain::Timestamp::now(),
        )
        .await
        .unwrap()
    }

    /// A user's stored custom field values, as JSON.
    pub async fn metadata_of(&self, user: UserId) -> String {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::users::find(
            Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
            user,
        )
        .await
        .unwrap()
        .expect("the user")
        .metadata
        .to_json()
    }

    /// Creates an organisation (with its default roles) as the command line does.
    pub async fn create_org(&self, slug: &str, name: &str) -> OrgId {
        let form = OrganisationForm {
            slug: slug.into(),
            name: name.into(),
            host: String::new(),
        };
        organisations::create_from_command_line(&self.db, &form)
            .await
            .expect("organisation created")
    }

    pub async fn admin(&self) -> TestUser {
        self.create_user("admin", "Admin", UserStatus::Active).await
    }

    /// A second client (another browser) against the same app.
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            db: self.db.clone(),
            client: new_client(),
            database_url: self.database_url.clone(),
            keys: self.keys.clone(),
            server: self.server.clone(),
        }
    }

    /// A second instance of the app (another process, or this one after a
    /// restart) on the same database.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_with(|_| {}).await
    }

    /// `another_instance` with settings changed by `customise`.
    pub async fn another_instance_with(&self, customise: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = test_settings(self.database_url.clone());
        customise(&mut settings);
        let app = Application::build(settings).await.expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let keys = app.keys();
        let server = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            db,
            client: new_client(),
            database_url: self.database_url.clone(),
            keys,
            server,
        }
    }

    /// Stops the app's server and closes its connections: its worker and
    /// password hashing threads end, and the memory they held (argon2's
    /// work area stays with each hashing thread) goes back. A test that
    /// starts dozens of apps stops each one it is done with.
    pub async fn stop(&self) {
        self.server.stop(false).await;
        self.db.pool.close().await;
    }

    /// Starts this instance's background jobs, as `gatehouse serve` does
    /// after building (`Application::start_jobs`).
    pub fn start_jobs(&self) {
        let settings = test_settings(self.database_url.clone());
        let jobs = gatehouse::jobs::JobSettings::from_settings(&settings);
        let monitor =
            std::sync::Arc::new(gatehouse::services::audit_chain::ChainMonitor::default());
        gatehouse::jobs::start(self.db.clone(), jobs, monitor);
    }

    /// A browser of its own that sends `user_agent`.
    pub fn browser_with_agent(&self, user_agent: &str) -> TestApp {
        TestApp {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .user_agent(user_agent)
                .build()
                .unwrap(),
            ..self.another_browser()
        }
    }

    /// How many sessions `id` has stored.
    pub async fn sessions_of(&self, id: UserId) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    pub async fn user_status(&self, id: UserId) -> UserStatus {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::users::find(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            id,
        )
        .await
        .unwrap()
        .expect("user exists")
        .status
    }

    pub async fn user_role(&self, id: UserId) -> String {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::users::find(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            id,
        )
        .await
        .unwrap()
        .expect("user exists")
        .role_name
    }

    pub async fn user_id(&self, username: &str) -> UserId {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::users::find_credentials(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            username,
        )
        .await
        .unwrap()
        .expect("user exists")
        .id
    }

    /// Number of rows in a table: for asserting that nothing was written.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Audit rows other than recorded refusals (`security.*`: CSRF and 403),
    /// for asserting that a refused request changed nothing else.
    pub async fn count_audit_except_refusals(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action NOT LIKE 'security.%'")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Audit actions, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }

    /// The role requests of `user`, newest first.
    /// The scope of `user`'s organisation.
    pub async fn scope_of(&self, user: UserId) -> Scope {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::signed_in::find_auth(Scope::instance().on(&mut conn), user)
            .await
            .unwrap()
            .expect("the user exists")
            .scope()
    }

    pub async fn role_requests_of(&self, user: UserId) -> Vec<RoleRequest> {
        let scope = self.scope_of(user).await;
        let mut conn = self.db.pool.acquire().await.unwrap();
        // No page limit: every request (i64::MAX, which both backends take).
        db::role_requests::for_user(scope.on(&mut conn), user, i64::MAX as u64)
            .await
            .unwrap()
    }

    /// The id of `user`'s open role request, if any.
    pub async fn open_role_request(&self, user: UserId) -> Option<i64> {
        self.role_requests_of(user)
            .await
            .into_iter()
            .find(|r| r.status == gatehouse::domain::RoleRequestStatus::Open)
            .map(|r| r.id.0)
    }

    pub async fn role_request(&self, id: i64) -> RoleRequest {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::role_requests::find(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            RoleRequestId(id),
        )
        .await
        .unwrap()
        .expect("role request exists")
    }

    /// Every role request, oldest first.
    pub async fn all_role_requests(&self) -> Vec<RoleRequest> {
        let mut conn = self.db.pool.acquire().await.unwrap();
        let (requests, _) = db::role_requests::list(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            None,
            i64::MAX as u64,
            0,
        )
        .await
        .unwrap();
        requests
    }

    pub async fn role_id(&self, name: &str) -> i64 {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::roles::find_by_name(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            name,
        )
        .await
        .unwrap()
        .expect("role exists")
        .0
    }

    // Signing in and out, which every suite needs.

    /// Signs in to the default organisation: its slug is ignored while it
    /// is the only one, and answers the form's organisation field once
    /// there are several.
    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.login_with(&[
            ("login", login),
            ("password", password),
            ("organisation", "default"),
        ])
        .await
    }

    /// POSTs the sign-in form with exactly `fields` (and a token).
    pub async fn login_with(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form("/login", fields).await
    }

    pub async fn login_as(&self, user: &TestUser) -> reqwest::Response {
        let response = self.login(&user.username, &user.password).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "login of {}",
            user.username
        );
        response
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.post_form("/logout", &[]).await
    }

    /// Creates the admin and signs them in on this app's own client.
    pub async fn signed_in_admin(&self) -> TestUser {
        let admin = self.admin().await;
        self.login_as(&admin).await;
        admin
    }
}
