//! The app under test: built in-process on port 0 with a fresh database per
//! scenario (a new SQLite file, or a new PostgreSQL database when
//! GATEHOUSE_TEST_DATABASE_URL is set), like tests/common/app.rs, which the
//! API and storage suites share; this suite needs no HTTP client of its own.

#[path = "../common/database.rs"]
mod database;
pub use database::fresh_database;

use gatehouse::config::Settings;
use gatehouse::db::{self, Db};
use gatehouse::domain::{Timestamp, UserId, UserStatus};
use gatehouse::services::accounts::{self, Registration};
use gatehouse::services::auth_settings::AuthSettings;
use gatehouse::startup::Application;
use secrecy::SecretString;

/// A password that passes the policy for any test username.
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct TestApp {
    pub address: String,
    pub db: Db,
}

/// A user created directly through the service layer.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub password: String,
}

/// Starts the app on a free loopback port with a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with settings changed by `customise`.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: fresh_database().await,
        data_dir: Some(std::env::temp_dir().join("gatehouse-tests")),
        secret_key: Some(SecretString::from(
            "test-secret-key-that-is-long-enough-0123456789",
        )),
        workers: Some(1),
        max_db_connections: 4,
        ..Settings::default()
    };
    customise(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, db }
}

impl TestApp {
    /// Creates a user with `role` and `status` through the service layer.
    pub async fn create_user(&self, username: &str, role: &str, status: UserStatus) -> TestUser {
        self.create_user_in(
            gatehouse::domain::DEFAULT_ORGANISATION,
            username,
            role,
            status,
        )
        .await
    }

    /// The same in organisation `org`.
    pub async fn create_user_in(
        &self,
        org: gatehouse::domain::OrgId,
        username: &str,
        role: &str,
        status: UserStatus,
    ) -> TestUser {
        let full_name = format!("{} Tester", capitalise(username));
        let form = Registration {
            username: username.into(),
            email: format!("{username}@example.com"),
            full_name: full_name.clone(),
            password: SecretString::from(PASSWORD),
            password_confirm: SecretString::from(PASSWORD),
        };
        let scope = gatehouse::db::Scope::organisation(org);
        let id = accounts::create_user(&self.db, &scope, &AuthSettings::default(), form, role)
            .await
            .expect("user created");
        if status != UserStatus::Active {
            let mut conn = self.db.pool.acquire().await.unwrap();
            db::users::set_status(scope.on(&mut conn), id, status, None, Timestamp::now())
                .await
                .unwrap();
        }
        TestUser {
            id,
            username: username.into(),
            full_name,
            password: PASSWORD.into(),
        }
    }

    /// The organisation whose slug is `slug`.
    pub async fn org(&self, slug: &str) -> gatehouse::domain::OrgId {
        gatehouse::services::organisations::by_slug(&self.db, slug)
            .await
            .unwrap()
            .expect("the organisation exists")
            .id
    }

    /// A group of the default organisation, granting nothing.
    /// Registers an app in the default organisation open to `roles`.
    pub async fn register_app(&self, slug: &str, url: &str, host: &str, roles: &[&str]) {
        let app = gatehouse::services::apps::AppByNames {
            slug: slug.into(),
            name: format!("The {slug}"),
            description: format!("Where the {slug} lives"),
            url: url.into(),
            hosts: vec![host.into()],
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        };
        gatehouse::services::apps::create_from_command_line(
            &self.db,
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION),
            &app,
        )
        .await
        .expect("the app is registered");
    }

    pub async fn create_group(&self, name: &str) -> gatehouse::domain::GroupId {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::groups::insert(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            name,
            "",
            Timestamp::now(),
        )
        .await
        .unwrap()
    }

    /// A custom field of the default organisation, labelled by its key:
    /// `kind` as stored, `choices` one per line, `rules` (required, asked
    /// at registration, users edit it).
    pub async fn create_field(
        &self,
        key: &str,
        kind: &str,
        choices: &str,
        rules: (bool, bool, bool),
    ) {
        let field = gatehouse::domain::FieldDefinition {
            id: gatehouse::domain::FieldId(0),
            key: gatehouse::domain::FieldKey::parse(key).expect("a valid key"),
            label: key.to_owned(),
            kind: gatehouse::domain::FieldKind::parse(kind).expect("a known type"),
            choices: choices.lines().map(str::to_owned).collect(),
            required: rules.0,
            at_registration: rules.1,
            user_editable: rules.2,
        };
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::custom_fields::insert(
            gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
                .on(&mut conn),
            &field,
            Timestamp::now(),
        )
        .await
        .unwrap();
    }

    pub async fn admin(&self) -> TestUser {
        self.create_user("admin", "Admin", UserStatus::Active).await
    }

    pub async fn user_status(&self, id: UserId) -> UserStatus {
        self.user_status_in(gatehouse::domain::DEFAULT_ORGANISATION, id)
            .await
    }

    pub async fn user_status_in(&self, org: gatehouse::domain::OrgId, id: UserId) -> UserStatus {
        let mut conn = self.db.pool.acquire().await.unwrap();
        db::users::find(gatehouse::db::Scope::organisation(org).on(&mut conn), id)
            .await
            .unwrap()
            .expect("user exists")
            .status
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
