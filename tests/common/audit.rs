//! The audit log's rows: read through the app's own db API, and tampered with
//! directly. Shared by the API suite (what pages and refusals record) and the
//! storage suite (the hash chain).

use gatehouse::db::{self, Backend};
use gatehouse::domain::audit_chain::{AuditFilter, AuditRecord};
use gatehouse::domain::{AuditAction, UserStatus};

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
pub async fn rows_with(app: &TestApp, action: AuditAction) -> Vec<Row> {
    app.audit_rows(action)
        .await
        .into_iter()
        .map(|r| {
            (
                r.action.clone(),
                r.actor_username.clone(),
                r.target_label.clone(),
                r.reason.clone(),
                r.ip.clone(),
                r.user_agent.clone(),
            )
        })
        .collect()
}

impl TestApp {
    /// The audit rows `filter` matches, oldest first.
    pub async fn audit_rows_matching(&self, filter: &AuditFilter) -> Vec<AuditRecord> {
        let mut conn = self.db.pool.acquire().await.unwrap();
        // No page limit: every matching row (i64::MAX, which both backends take).
        let (mut rows, _) = db::audit::list(
            db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
            filter,
            i64::MAX as u64,
            0,
        )
        .await
        .unwrap();
        rows.reverse();
        rows
    }

    /// The audit rows recording `action`, oldest first.
    pub async fn audit_rows(&self, action: AuditAction) -> Vec<AuditRecord> {
        let filter = AuditFilter {
            action: Some(action),
            ..AuditFilter::default()
        };
        self.audit_rows_matching(&filter).await
    }

    /// Every audit row, oldest first.
    pub async fn all_audit_rows(&self) -> Vec<AuditRecord> {
        self.audit_rows_matching(&AuditFilter::default()).await
    }
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
