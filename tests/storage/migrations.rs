//! The two migration folders stay in step.

fn file_names(folder: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migration_folders_hold_the_same_file_names() {
    let sqlite = file_names("sqlite");
    let postgres = file_names("postgres");
    assert!(!sqlite.is_empty(), "no SQLite migrations");
    assert_eq!(sqlite, postgres);
}

mod upgrade {
    use std::borrow::Cow;

    use gatehouse::db::{self, Backend, Db, Scope};
    use gatehouse::domain::user_list::UserFilter;
    use gatehouse::domain::{DEFAULT_ORGANISATION, UserStatus};

    use crate::helpers::fresh_database;

    /// This backend's migrations up to and including `last`.
    fn migrations_through(backend: Backend, last: i64) -> sqlx::migrate::Migrator {
        let mut migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        let kept: Vec<_> = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= last)
            .cloned()
            .collect();
        migrator.migrations = Cow::Owned(kept);
        migrator
    }

    /// Rows as a version before organisations stored them (migration 0008).
    async fn rows_before_organisations(db: &Db) {
        let mut conn = db.pool.acquire().await.unwrap();
        for sql in [
            "INSERT INTO roles (id, name, name_key, description, created_at) VALUES \
             (1, 'Admin', 'admin', '', 0), (2, 'Engineer', 'engineer', '', 0)",
            "INSERT INTO role_permissions (role_id, permission) VALUES \
             (1, 'users.manage'), (1, 'roles.manage'), (1, 'users.read')",
            "INSERT INTO users (id, username, username_key, email, email_key, full_name, \
             full_name_key, password_hash, status, role_id, created_at, updated_at, \
             status_changed_at, login_count, search_key) VALUES \
             (1, 'Root', 'root', 'root@example.com', 'root@example.com', 'Root Admin', \
              'root admin', 'x', 'active', 1, 0, 0, 0, 0, 'root\nroot@example.com\nroot admin'), \
             (2, 'ada', 'ada', 'ada@example.com', 'ada@example.com', 'Ada Lovelace', \
              'ada lovelace', 'x', 'pending', 2, 1, 1, 1, 0, 'ada\nada@example.com\nada lovelace'), \
             (3, 'gone', 'gone', 'gone@example.com', 'gone@example.com', 'Gone', 'gone', 'x', \
              'active', 2, 2, 2, 2, 0, 'gone\ngone@example.com\ngone')",
            "DELETE FROM users WHERE id = 3",
            "INSERT INTO role_requests (user_id, from_role_id, role_id, justification, status, \
             created_at) VALUES (2, 2, 1, 'I run the team now.', 'open', 5)",
            "INSERT INTO sessions (id_hash, public_id, user_id, state, created_at, updated_at, \
             last_seen_at, expires_at) VALUES ('h', 'p', 1, '{}', 0, 0, 0, 9999999999999)",
            "INSERT INTO login_throttle (user_id, failures, first_failure_at, last_failure_at, \
             since_login) VALUES (2, 1, 0, 0, 1)",
            "INSERT INTO audit_log (at, action) VALUES (0, 'user.registered')",
        ] {
            sqlx::query(sql).execute(&mut *conn).await.expect(sql);
        }
        if db.backend == Backend::Postgres {
            // The ids above were written out; the app's own inserts take
            // them from the identity, which has to know.
            for (table, last) in [("users", 3), ("roles", 2)] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"
                ))
                .execute(&mut *conn)
                .await
                .unwrap();
            }
        }
    }

    #[tokio::test]
    async fn upgrading_moves_every_existing_row_into_the_default_organisation() {
        let url = fresh_database().await;
        let db = Db::connect(&url, 2, 1).await.unwrap();
        migrations_through(db.backend, 8)
            .run(&db.pool)
            .await
            .unwrap();
        rows_before_organisations(&db).await;

        db.migrate().await.expect("the upgrade applies");

        let scope = Scope::organisation(DEFAULT_ORGANISATION);
        let mut conn = db.pool.acquire().await.unwrap();
        for table in [
            "users",
            "roles",
            "role_requests",
            "login_throttle",
            "audit_log",
        ] {
            let elsewhere: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} WHERE organisation_id <> 1"
            ))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            assert_eq!(elsewhere, 0, "{table}");
        }
        let session_org: Option<i64> =
            sqlx::query_scalar("SELECT organisation_id FROM sessions WHERE id_hash = 'h'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(session_org, Some(1));
        let counts = db::users::count_by_status(scope.on(&mut conn))
            .await
            .unwrap();
        let count = |s| counts.iter().find(|(st, _)| *st == s).unwrap().1;
        assert_eq!(
            (count(UserStatus::Active), count(UserStatus::Pending)),
            (1, 1)
        );
        let ids = db::users::id_range(Scope::instance().on(&mut conn))
            .await
            .unwrap();
        let found = db::users::list(
            scope.on(&mut conn),
            &UserFilter {
                search: Some("lovelace".into()),
                ..UserFilter::default()
            },
            10,
            0,
            &counts,
            ids,
        )
        .await
        .unwrap();
        assert_eq!(
            found
                .0
                .iter()
                .map(|u| u.username.as_str())
                .collect::<Vec<_>>(),
            ["ada"]
        );
        let admin = db::roles::find_by_name(scope.on(&mut conn), "Admin")
            .await
            .unwrap()
            .unwrap();
        let role = db::roles::find(scope.on(&mut conn), admin)
            .await
            .unwrap()
            .unwrap();
        assert!(role.grants(&gatehouse::domain::Permission::OrganisationsManage));
        assert!(
            db::permission_holders::admin_exists(scope.on(&mut conn))
                .await
                .unwrap()
        );
        let credentials = db::users::find_credentials(scope.on(&mut conn), "ROOT")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(credentials.organisation, DEFAULT_ORGANISATION);
        // A new user never takes the id of one deleted before the upgrade
        // (SQLite's AUTOINCREMENT counter survived the rebuild).
        drop(conn);
        let app_scope = scope.clone();
        let mut conn = db.pool.acquire().await.unwrap();
        let name = gatehouse::domain::Username::parse("newcomer").unwrap();
        let email = gatehouse::domain::Email::parse("newcomer@example.com").unwrap();
        let full = gatehouse::domain::FullName::parse("New Comer").unwrap();
        let id = db::users::insert(
            app_scope.on(&mut conn),
            &db::users::NewUser {
                username: &name,
                email: &email,
                full_name: &full,
                password_hash: "x",
                status: UserStatus::Pending,
                role_id: gatehouse::domain::RoleId(2),
                now: gatehouse::domain::Timestamp(10),
            },
        )
        .await
        .unwrap();
        assert!(id.0 > 3, "new id {id}");
    }
}
