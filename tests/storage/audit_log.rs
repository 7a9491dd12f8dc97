//! The audit log as stored: the database refuses to change or delete rows,
//! every row links to the hash of the one before (also under concurrent
//! writers), `gatehouse audit verify` names an edited, removed or unchained
//! row, and rows outlive the users they mention.

use std::sync::Arc;

use gatehouse::domain::audit_chain::{ChainBreak, GENESIS};
use gatehouse::domain::{AuditAction, UserStatus};
use gatehouse::services::RequestMeta;
use gatehouse::services::audit_chain::{self, BrokenLink};
use gatehouse::services::security::{self, Refusal, RefusalLimiter};

use crate::helpers::*;

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_rows() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let paul = app
        .create_user("paul", "Engineer", UserStatus::Pending)
        .await;
    app.act(&paths::approve_user(paul.id), &[]).await;
    let before = app.audit_actions().await;
    assert!(before.iter().any(|a| a == "user.approved"));

    let update = sqlx::query("UPDATE audit_log SET action = 'x'")
        .execute(&app.db.pool)
        .await;
    let update_one =
        sqlx::query("UPDATE audit_log SET reason = 'forged' WHERE action = 'user.approved'")
            .execute(&app.db.pool)
            .await;
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(&app.db.pool)
        .await;
    let delete_one = sqlx::query("DELETE FROM audit_log WHERE action = 'user.approved'")
        .execute(&app.db.pool)
        .await;

    assert!(update.is_err(), "UPDATE was allowed");
    assert!(update_one.is_err(), "UPDATE of one row was allowed");
    assert!(delete.is_err(), "DELETE was allowed");
    assert!(delete_one.is_err(), "DELETE of one row was allowed");
    assert_eq!(app.audit_actions().await, before);
    let forged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE reason = 'forged'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(forged, 0);
}

async fn chain(app: &TestApp) -> Vec<(i64, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

fn run_verify(app: &TestApp) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["audit", "verify"])
        .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn every_audit_row_links_to_the_hash_of_the_one_before() {
    let app = spawn_app().await;
    some_history(&app).await;

    let rows = chain(&app).await;
    let report = audit_chain::verify(&app.db).await.unwrap();

    assert!(rows.len() > 8);
    assert_eq!(rows[0].1.as_deref(), Some(GENESIS));
    for pair in rows.windows(2) {
        assert_eq!(
            pair[1].1, pair[0].2,
            "row {} links to row {}",
            pair[1].0, pair[0].0
        );
    }
    assert_eq!(report.broken, None);
    assert_eq!(report.checkpoint.chained, rows.len() as u64);
    let (code, out) = run_verify(&app);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!("Verified {} rows", rows.len())),
        "{out}"
    );
}

#[tokio::test]
async fn concurrent_writers_still_form_one_unbroken_chain() {
    let app = spawn_app().await;
    let limiter = Arc::new(RefusalLimiter::new(1_000, 1_000));

    let writers: Vec<_> = (0..40)
        .map(|i| {
            let (db, limiter) = (app.db.clone(), limiter.clone());
            tokio::spawn(async move {
                let meta = RequestMeta {
                    ip: Some(format!("10.0.0.{i}")),
                    ..RequestMeta::default()
                };
                let refusal = Refusal {
                    action: gatehouse::domain::AuditAction::AccessDenied,
                    actor: None,
                    route: "GET /admin/users",
                    detail: "permission denied",
                };
                security::record_refusal(&db, &limiter, &refusal, &meta)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for writer in writers {
        assert!(writer.await.unwrap());
    }

    let report = audit_chain::verify(&app.db).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(
        report.checkpoint.chained as i64,
        app.count("audit_log").await
    );
    assert_eq!(rows_with(&app, AuditAction::AccessDenied).await.len(), 40);
}

#[tokio::test]
async fn an_edited_row_breaks_the_chain_and_verify_names_it() {
    let app = spawn_app().await;
    some_history(&app).await;
    let rows = chain(&app).await;
    let victim = rows[3].0;
    drop_append_only_triggers(&app).await;

    sqlx::query("UPDATE audit_log SET reason = 'nothing to see' WHERE id = $1")
        .bind(victim)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let report = audit_chain::verify(&app.db).await.unwrap();
    assert_eq!(
        report.broken,
        Some(BrokenLink {
            id: victim,
            reason: ChainBreak::WrongHash
        })
    );
    assert_eq!(report.checkpoint.chained, 3);
    let (code, out) = run_verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("BROKEN at audit row {victim}:")),
        "{out}"
    );
}

#[tokio::test]
async fn a_removed_row_breaks_the_link_of_the_row_after_it() {
    let app = spawn_app().await;
    some_history(&app).await;
    let rows = chain(&app).await;
    drop_append_only_triggers(&app).await;

    sqlx::query("DELETE FROM audit_log WHERE id = $1")
        .bind(rows[4].0)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let report = audit_chain::verify(&app.db).await.unwrap();
    assert_eq!(
        report.broken,
        Some(BrokenLink {
            id: rows[5].0,
            reason: ChainBreak::WrongLink
        })
    );
}

async fn insert_unchained_row(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit_log (at, action, reason) VALUES (1, 'user.created', 'no hash') \
         RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn rows_from_before_the_chain_are_counted_apart_but_an_unchained_row_after_it_is_a_break() {
    let app = spawn_app().await;
    insert_unchained_row(&app).await;
    some_history(&app).await;

    let before = audit_chain::verify(&app.db).await.unwrap();
    let (code, out) = run_verify(&app);
    let forged = insert_unchained_row(&app).await;
    let after = audit_chain::verify(&app.db).await.unwrap();

    assert_eq!(before.broken, None);
    assert_eq!(before.checkpoint.unchained, 1);
    assert_eq!(code, 0);
    assert!(
        out.contains("(1 older rows predate the hash chain)"),
        "{out}"
    );
    assert_eq!(
        after.broken,
        Some(BrokenLink {
            id: forged,
            reason: ChainBreak::Unchained
        })
    );
}

#[tokio::test]
async fn audit_rows_survive_the_deletion_of_the_user_they_mention() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app
        .create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as(&alice).await;
    browser.logout().await;
    let mentioning = "SELECT COUNT(*) FROM audit_log WHERE actor_id = $1 OR target_user_id = $1";
    let before: i64 = sqlx::query_scalar(mentioning)
        .bind(alice.id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    // There is no user deletion in the app; the database allows it (nothing
    // is switched off here) and must keep the history.
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(alice.id.0)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let after: i64 = sqlx::query_scalar(mentioning)
        .bind(alice.id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(before, 3, "created, signed in, signed out");
    assert_eq!(after, before);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(audit_chain::verify(&app.db).await.unwrap().broken, None);
    app.login_as(&admin).await;
    let page = app.get_html("/admin/audit?actor=alice").await;
    assert_eq!(texts(&page, "table.audit tbody tr").len(), 2);
}
