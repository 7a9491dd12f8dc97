//! The API against its own OpenAPI document, with schemathesis (PyPI): it
//! reads /api/v1/openapi.json from the running server and sends generated
//! requests to every operation with a token holding every scope, and fails
//! on any 5xx or any response that breaks the document. Needs schemathesis
//! in target/schema-tools (`.ci/run` installs it, pinned), so plain
//! `cargo test` leaves it out; run it with `cargo test --test schema`.

// Shared with the API suite, which uses all of it; this one a part.
#[allow(dead_code)]
#[path = "../common/app.rs"]
mod app;
#[path = "../common/reading.rs"]
mod reading;

use std::path::PathBuf;
use std::process::Command;

use app::*;
use gatehouse::db::Scope;
use gatehouse::domain::{DEFAULT_ORGANISATION, Permission, UserStatus};
use gatehouse::services::tokens::{self, TokenForm};
pub use reading::*;

fn schemathesis() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/schema-tools/bin/schemathesis");
    assert!(
        path.exists(),
        "schemathesis is not installed: python3 -m venv target/schema-tools && \
         target/schema-tools/bin/pip install schemathesis==4.32.5 (.ci/run does)"
    );
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn no_generated_request_gets_a_server_error_or_an_answer_that_breaks_the_document() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user("pending_one", "Engineer", UserStatus::Pending)
        .await;
    // An open role request, so the decisions have one to find.
    let asker = app
        .create_user("asker", "Engineer", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    browser.login_as(&asker).await;
    let pm = app.role_id("PM").await.to_string();
    browser
        .post_form(
            "/account/role-request",
            &[
                ("role_id", pm.as_str()),
                ("justification", "Release planning."),
            ],
        )
        .await;
    let form = TokenForm {
        name: "schemathesis".into(),
        expires_days: String::new(),
        scopes: Permission::ALL
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
    };
    let token = tokens::create_from_command_line(
        &app.db,
        Scope::organisation(DEFAULT_ORGANISATION),
        &admin.username,
        &form,
    )
    .await
    .expect("a token")
    .secret;
    let document = app.url("/api/v1/openapi.json");
    let binary = schemathesis();

    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["run", &document])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--max-examples", "25", "--seed", "1", "--no-color"])
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();

    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}"
    );
    // Every operation was tried: a document that lost its paths would
    // otherwise pass with nothing tested.
    let operations = gatehouse::routes::ROUTES
        .iter()
        .filter(|(_, r)| r.starts_with("/api/v1/") && *r != "/api/v1/openapi.json")
        .count();
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "not every operation was tested:\n{report}"
    );
}
