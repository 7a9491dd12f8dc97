//! The audit log's stored rows, read and tampered with directly: shared by
//! the API suite (what pages and refusals record) and the storage suite (the
//! hash chain).

use gatehouse::db::Backend;
use gatehouse::domain::UserStatus;

use super::{TestApp, paths};

/// action, actor, target, reason, ip, user agent.
pub type Row = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// action, actor, target, reason, ip, user agent of rows with `action`.
pub async fn rows_with(app: &TestApp, action: &str) -> Vec<Row> {
    sqlx::query_as(
        "SELECT action, actor_username, target_label, reason, ip, user_agent FROM audit_log \
         WHERE action = $1 ORDER BY id",
    )
    .bind(action)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// Some history: an admin signs in, approves and rejects, signs out.
pub async fn some_history(app: &TestApp) {
    let admin = app.admin().await;
    app.login_as(&admin).await;
    for name in ["pat1", "pat2", "pat3"] {
        let user = app.create_user(name, "Engineer", UserStatus::Pending).await;
        app.post_form(&paths::approve_user(user.id), &[]).await;
    }
    app.logout().await;
}

/// Drops the append-only triggers, as an attacker with database access could.
pub async fn drop_append_only_triggers(app: &TestApp) {
    let statements: &[&str] = match app.db.backend {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Backend::Postgres => &["DROP TRIGGER audit_log_no_change ON audit_log"],
    };
    for sql in statements {
        sqlx::query(sql).execute(&app.db.pool).await.unwrap();
    }
}
