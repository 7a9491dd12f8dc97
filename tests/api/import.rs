//! `gatehouse user import`: legacy hashes sign in and are rehashed, refused
//! rows stop the whole import with reasons, dry runs change nothing, progress
//! is reported, and the command line prints the report.

use std::time::Duration;

use gatehouse::auth::password::OWASP_MINIMUM;
use gatehouse::domain::UserStatus;
use gatehouse::services::import::{self, ImportReport};
use gatehouse::services::search_index::compact;
use reqwest::StatusCode;

use crate::helpers::*;

/// The password behind every legacy hash below (vectors from
/// src/auth/legacy_hash.rs, made with Werkzeug, bcrypt, Django and argon2-cffi).
const LEGACY_PASSWORD: &str = "Legacy-pass-2024!";

const HASHES: &[(&str, &str)] = &[
    (
        "werk_pbkdf2",
        "pbkdf2:sha256:1000$Mbld8FNUBXgq5yDe$fcbb7cdbed895707c9d228e61359d1c29279345743060341a8e3d76faf9df403",
    ),
    (
        "werk_scrypt",
        "scrypt:1024:8:1$MIWjQhHNyk2a6W4n$2f88fe14576732335047f0a9d0688c3562c8a22c6cc46bccde94c466c434917e880f727a8a45d86603c0341089676859cedbf04acbcf5abb40ad4d004e131087",
    ),
    (
        "bcrypt_2b",
        "$2b$04$tjoY2p1fvgCjIUADyfy1SuQ/0nA3s.nk2eYHAM9gvjxpKObURJN8O",
    ),
    (
        "bcrypt_2y",
        "$2y$04$aqdGa839EFJAfIV4PDGi3.FPPf9GL16ZUpPZcRmc1FKrYbt0I1Nay",
    ),
    (
        "dj_pbkdf2",
        "pbkdf2_sha256$1000$f3kLm9QzXw2pRt7Y$FEFI4Qc1+rW1aF+iRi5CQ8QY4VutwdhNHAJon2fWVlA=",
    ),
    (
        "dj_argon2",
        "argon2$argon2id$v=19$m=1024,t=1,p=1$ckZzRTVpZzlQUW9Da253ZHFONkR6RA$NvbLY+y0hVoKcuu3P+Og6e0DjlJnE2lcu7x7uTMs1og",
    ),
    (
        "phc_argon2",
        "$argon2id$v=19$m=1024,t=1,p=1$gBZzealh0Kd59DA3xexxPA$OjfJ8aVFk3S2p7au3pJzYHz1JNgHkDFJ8QPMUPDxEpE",
    ),
];

fn csv_of(rows: &[String]) -> String {
    let mut csv = "username,email,full_name,role,status,password_hash\n".to_owned();
    for row in rows {
        csv.push_str(row);
        csv.push('\n');
    }
    csv
}

fn row(username: &str, role: &str, status: &str, hash: &str) -> String {
    format!("{username},{username}@example.com,{username} Imported,{role},{status},\"{hash}\"")
}

async fn run(app: &TestApp, csv: &str, dry_run: bool) -> (ImportReport, Vec<(String, usize)>) {
    let mut progress = Vec::new();
    let report = import::import_users(
        &app.db,
        &default_scope(),
        csv.as_bytes(),
        dry_run,
        OWASP_MINIMUM,
        |stage: &str, n| progress.push((stage.to_owned(), n)),
    )
    .await
    .expect("the import runs");
    (report, progress)
}

/// How many sign-ins have replaced a stored hash (`user.password_rehashed`).
async fn rehashes(app: &TestApp) -> usize {
    app.audit_actions()
        .await
        .iter()
        .filter(|a| *a == "user.password_rehashed")
        .count()
}

async fn stored_hash(app: &TestApp, username: &str) -> String {
    // Raw: the point is the stored hash format.
    sqlx::query_scalar("SELECT password_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn imported_users_sign_in_with_their_old_passwords_and_get_argon2id_hashes() {
    let app = spawn_app().await;
    let rows: Vec<String> = HASHES
        .iter()
        .map(|(name, hash)| row(name, "Engineer", "active", hash))
        .collect();

    let (report, _) = run(&app, &csv_of(&rows), false).await;

    assert!(report.committed && report.refused.is_empty());
    assert_eq!(report.imported, HASHES.len());
    let imported = app.audit_actions().await;
    assert_eq!(
        imported.iter().filter(|a| *a == "user.imported").count(),
        HASHES.len()
    );
    for (name, _) in HASHES {
        let browser = app.another_browser();
        assert_eq!(
            browser.login(name, "Legacy-pass-2024?").await.status(),
            StatusCode::OK,
            "{name} took a wrong password"
        );
        assert_redirect_to(&browser.login(name, LEGACY_PASSWORD).await, "/");
        let hash = stored_hash(&app, name).await;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{name}: {hash}"
        );
        let again = app.another_browser();
        assert_redirect_to(&again.login(name, LEGACY_PASSWORD).await, "/");
    }
    let rehashed = rehashes(&app).await;
    assert_eq!(rehashed, HASHES.len());
}

#[tokio::test]
async fn an_argon2id_hash_at_gatehouses_cost_is_kept_at_sign_in_and_the_report_says_so() {
    let app = spawn_app().await;
    let current = gatehouse::auth::password::hash_blocking(LEGACY_PASSWORD).unwrap();
    assert!(current.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let rows = [
        row("current", "Engineer", "active", &current),
        row("weak", "Engineer", "active", HASHES[6].1),
        row("old", "Engineer", "active", HASHES[2].1),
    ];

    let (report, _) = run(&app, &csv_of(&rows), false).await;

    assert_eq!(report.kept_hashes, 1);
    assert_eq!(report.replaced_hashes, [("argon2", 1), ("bcrypt", 1)]);
    assert_eq!(
        report.hash_outcome(OWASP_MINIMUM),
        "1 hash is argon2id at Gatehouse's cost (m=19456 t=2 p=1) or above and is kept as it is. \
         The other 2 hashes (1 argon2, 1 bcrypt) are replaced by argon2id at first sign-in."
    );
    for name in ["current", "weak", "old"] {
        assert_redirect_to(
            &app.another_browser().login(name, LEGACY_PASSWORD).await,
            "/",
        );
    }
    assert_eq!(
        stored_hash(&app, "current").await,
        current,
        "kept as it was"
    );
    assert_ne!(stored_hash(&app, "weak").await, HASHES[6].1);
    let rehashed = rehashes(&app).await;
    assert_eq!(rehashed, 2, "the weak argon2 and the bcrypt hash only");
}

#[tokio::test]
async fn one_refused_row_imports_nothing_and_the_report_gives_every_reason() {
    let app = spawn_app().await;
    app.create_user("taken", "Engineer", UserStatus::Active)
        .await;
    let good = HASHES[0].1;
    let rows = vec![
        row("fine", "Engineer", "active", good),
        "bademail,not-an-email,Bad Email,Engineer,active,\"$2b$04$tjoY2p1fvgCjIUADyfy1SuQ/0nA3s.nk2eYHAM9gvjxpKObURJN8O\"".to_owned(),
        row("fine", "Engineer", "active", good).replace("fine@", "other@"),
        row("taken", "Engineer", "active", good),
        row("norole", "Wizard", "active", good),
        row("nostatus", "Engineer", "sleeping", good),
        row("nohash", "Engineer", "pending", "md5$abc$def"),
    ];
    let users_before = app.count("users").await;
    let audit_before = app.count("audit_log").await;

    let (report, _) = run(&app, &csv_of(&rows), false).await;

    assert!(!report.committed);
    assert_eq!(report.rows, 7);
    assert_eq!(app.count("users").await, users_before);
    assert_eq!(app.count("audit_log").await, audit_before);
    let refused: Vec<(u64, &str, String)> = report
        .refused
        .iter()
        .map(|r| (r.line, r.username.as_str(), r.reasons.join("; ")))
        .collect();
    let expect = [
        (3, "bademail", "email: "),
        (4, "fine", "username: duplicate: fine is already taken"),
        (5, "taken", "username: duplicate: taken is already taken"),
        (6, "norole", "role: there is no role named \"Wizard\""),
        (7, "nostatus", "status: unknown status \"sleeping\""),
        (
            8,
            "nohash",
            "password_hash: unrecognised password hash format",
        ),
    ];
    assert_eq!(refused.len(), expect.len(), "{refused:?}");
    for ((line, name, reasons), (want_line, want_name, want)) in refused.iter().zip(expect) {
        assert_eq!((*line, *name), (want_line, want_name));
        assert!(reasons.starts_with(want), "line {line}: {reasons}");
    }
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_imports_nothing() {
    let app = spawn_app().await;
    let rows: Vec<String> = HASHES
        .iter()
        .map(|(name, hash)| row(name, "PM", "pending", hash))
        .collect();
    let users_before = app.count("users").await;

    let (report, _) = run(&app, &csv_of(&rows), true).await;

    assert!(!report.committed && report.refused.is_empty());
    assert_eq!((report.rows, report.imported), (HASHES.len(), 0));
    assert_eq!(app.count("users").await, users_before);
    let formats: usize = report.formats.iter().map(|(_, n)| n).sum();
    assert_eq!(formats, HASHES.len());
}

#[tokio::test]
async fn progress_is_reported_every_thousand_rows() {
    let app = spawn_app().await;
    let rows: Vec<String> = (0..2500)
        .map(|i| row(&format!("bulk{i:04}"), "Engineer", "active", HASHES[2].1))
        .collect();

    let (report, progress) = run(&app, &csv_of(&rows), false).await;

    assert!(report.committed);
    assert_eq!(report.imported, 2500);
    // 2,500 audit rows appended 500 to a statement still chain one by one.
    let chain = gatehouse::services::audit_chain::verify(&app.db)
        .await
        .unwrap();
    assert!(chain.broken.is_none());
    assert!(chain.checkpoint.chained >= 2500);
    let filter = gatehouse::domain::audit_chain::AuditFilter {
        involving: Some(app.user_id("bulk1234").await),
        ..Default::default()
    };
    let rows = app.audit_rows_matching(&filter).await;
    assert_eq!(rows[0].content.target_label.as_deref(), Some("bulk1234"));
    let expected: Vec<(String, usize)> = [
        ("checked", 1000),
        ("checked", 2000),
        ("imported", 1000),
        ("imported", 2000),
    ]
    .iter()
    .map(|(s, n)| (s.to_string(), *n))
    .collect();
    assert_eq!(progress, expected);
}

#[tokio::test]
async fn a_file_without_the_required_columns_is_refused() {
    let app = spawn_app().await;

    let result = import::import_users(
        &app.db,
        &default_scope(),
        "username,email\nx,x@example.com\n".as_bytes(),
        false,
        OWASP_MINIMUM,
        |_: &str, _| {},
    )
    .await;

    let message = format!("{:?}", result.expect_err("refused"));
    assert!(
        message.contains("full_name, role, status, password_hash"),
        "{message}"
    );
}

#[tokio::test]
async fn the_command_line_prints_the_report_and_fails_when_a_row_is_refused() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join("gatehouse-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("import-{}.csv", rand::random::<u64>()));
    let good = row("cli_user", "Engineer", "active", HASHES[4].1);
    let bad = row("cli_bad", "Engineer", "active", "plaintext-password");
    let cli = |path: &std::path::Path, dry_run: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        command
            .args(["user", "import"])
            .arg(path)
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            );
        if dry_run {
            command.arg("--dry-run");
        }
        command.output().expect("the command runs")
    };

    // A user from before the import: on SQLite the import's users then make
    // a second piece of the search index, which the command merges.
    app.create_user("before_import", "Engineer", UserStatus::Active)
        .await;
    std::fs::write(&file, csv_of(&[good.clone(), bad])).unwrap();
    let refused = cli(&file, false);
    std::fs::write(&file, csv_of(&[good])).unwrap();
    let dry = cli(&file, true);
    let real = cli(&file, false);
    std::fs::remove_file(&file).ok();

    let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(refused.status.code(), Some(2), "{}", out(&refused));
    assert!(out(&refused).contains("line 3 (cli_bad): refused: password_hash: unrecognised"));
    assert!(out(&refused).contains("Nothing was imported"));
    assert_eq!(dry.status.code(), Some(0));
    assert!(
        out(&dry).contains("1 rows: 1 ready (1 django-pbkdf2), 0 refused."),
        "{}",
        out(&dry)
    );
    assert!(out(&dry).contains("Dry run: nothing was imported."));
    assert_eq!(real.status.code(), Some(0), "{}", out(&real));
    assert!(out(&real).contains("Imported 1 users."));
    assert!(
        out(&real).contains(
            "No hash is argon2id at Gatehouse's cost (m=19456 t=2 p=1), so none is kept as it is. \
             1 hash (1 django-pbkdf2) is replaced by argon2id at first sign-in."
        ),
        "{}",
        out(&real)
    );
    assert!(
        real.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert_redirect_to(&app.login("cli_user", LEGACY_PASSWORD).await, "/");
    let left_to_merge = compact(&app.db, Duration::ZERO).await.unwrap();
    assert_eq!(
        left_to_merge, 0,
        "the import left the search index in pieces"
    );
}

fn default_scope() -> gatehouse::db::Scope {
    gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION)
}
