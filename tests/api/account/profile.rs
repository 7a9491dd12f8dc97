//! The user's own profile (name and phone) and an administrator's change
//! to it, each audited before → after.

use gatehouse::domain::AuditAction;

use super::*;

#[tokio::test]
async fn a_user_saves_their_name_and_phone_and_sees_them_on_the_form() {
    let app = spawn_app().await;
    let (_alice, browser) = signed_in(&app, "alice", "Engineer").await;

    let response = browser
        .save_profile(&[
            ("full_name", "  Alice Liddell "),
            ("phone", " +44 20 7946 0958 "),
        ])
        .await;

    assert_redirect_to(&response, "/account/profile");
    let page = browser.follow(response).await;
    assert_eq!(
        flash(&page).as_deref(),
        Some("Your profile has been saved.")
    );
    assert_eq!(
        first_attr(&page, "#full_name", "value").as_deref(),
        Some("Alice Liddell")
    );
    assert_eq!(
        first_attr(&page, "#phone", "value").as_deref(),
        Some("+44 20 7946 0958")
    );
    let rows = app.audit_rows(AuditAction::ProfileChanged).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].content.actor_username.as_deref(), Some("alice"));
    assert_eq!(
        rows[0].content.before_value.as_deref(),
        Some("name: alice Tester; no phone")
    );
    assert_eq!(
        rows[0].content.after_value.as_deref(),
        Some("name: Alice Liddell; phone: +44 20 7946 0958")
    );
    let again = browser
        .follow(
            browser
                .save_profile(&[
                    ("full_name", "Alice Liddell"),
                    ("phone", "+44 20 7946 0958"),
                ])
                .await,
        )
        .await;
    assert_eq!(
        flash(&again).as_deref(),
        Some("Nothing to save: your profile is as it was.")
    );
    assert_eq!(app.audit_rows(AuditAction::ProfileChanged).await.len(), 1);
    let found = app.another_browser();
    found.signed_in_admin().await;
    assert_eq!(listed(&found.admin_users("q=liddell").await), ["alice"]);
}

#[tokio::test]
async fn a_bad_phone_or_an_empty_name_re_renders_the_form_naming_the_field_and_saves_nothing() {
    let app = spawn_app().await;
    let (alice, browser) = signed_in(&app, "alice", "Engineer").await;
    let audit_before = app.count("audit_log").await;

    let response = browser
        .save_profile(&[("full_name", "   "), ("phone", "555-CALL-NOW")])
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert_eq!(
        field_error(&page, "full_name"),
        "Please enter your full name."
    );
    assert!(field_error(&page, "phone").starts_with("Enter a phone number of 5 to 15 digits"));
    assert_eq!(
        first_attr(&page, "#phone", "value").as_deref(),
        Some("555-CALL-NOW")
    );
    assert_eq!(app.count("audit_log").await, audit_before);
    let form = browser.profile_page().await;
    assert_eq!(
        first_attr(&form, "#full_name", "value").as_deref(),
        Some("alice Tester")
    );
    let admin = app.another_browser();
    admin.signed_in_admin().await;
    let user_page = admin.user_page(alice.id).await;
    assert_eq!(fact(&user_page, "Phone"), "none given");
}

#[tokio::test]
async fn an_administrator_changes_a_users_profile_from_the_user_page() {
    let app = spawn_app().await;
    app.signed_in_admin().await;
    let vic = app.create_user("vic", "Engineer", UserStatus::Active).await;

    let bad = app
        .follow(
            app.save_user_profile(vic.id, &[("full_name", "Vic"), ("phone", "12")])
                .await,
        )
        .await;
    assert!(flash(&bad).is_some_and(|f| f.starts_with("Enter a phone number")));
    let page = app
        .follow(
            app.save_user_profile(
                vic.id,
                &[("full_name", "Victoria Lake"), ("phone", "(555) 010-4477")],
            )
            .await,
        )
        .await;

    assert_eq!(
        flash(&page).as_deref(),
        Some("vic's profile has been saved.")
    );
    assert_eq!(fact(&page, "Phone"), "(555) 010-4477");
    let rows = app.audit_rows(AuditAction::ProfileChanged).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].content.actor_username.as_deref(), Some("admin"));
    assert_eq!(rows[0].content.target_label.as_deref(), Some("vic"));
}

/// The server binary, started on a free port with every log level on; its
/// output is collected until it is dropped.
struct LoggingServer {
    child: std::process::Child,
    address: String,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl LoggingServer {
    fn start(app: &TestApp) -> LoggingServer {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "trace")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server starts");
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for (stream, port_tx) in [
            (
                Box::new(stdout) as Box<dyn std::io::Read + Send>,
                Some(port_tx),
            ),
            (Box::new(stderr), None),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    if let (Some(tx), Some(at)) = (&port_tx, line.find("port=")) {
                        let port: String = line[at + 5..]
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        let _ = tx.send(port);
                    }
                    output.lock().unwrap().push_str(&line);
                    output.lock().unwrap().push('\n');
                }
            });
        }
        let port = port_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the server says which port it listens on");
        LoggingServer {
            child,
            address: format!("http://127.0.0.1:{port}"),
            output,
        }
    }

    /// Everything it printed so far, once it has stopped.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(std::time::Duration::from_millis(200));
        self.output.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn a_phone_or_a_date_of_birth_typed_into_a_profile_never_reaches_the_log() {
    let app = spawn_app().await;
    app.create_field("date_of_birth", "date", "", (false, false, true))
        .await;
    let alice = app
        .create_user("alice", "Engineer", gatehouse::domain::UserStatus::Active)
        .await;
    let server = LoggingServer::start(&app);
    let mut browser = app.another_browser();
    browser.address = server.address.clone();
    browser.login_as(&alice).await;

    let refused = browser
        .save_profile(&[
            ("full_name", "alice Tester"),
            ("phone", "+44 20 7946 0000 1111 2222"),
            ("field_date_of_birth", "1985-13-41"),
        ])
        .await;
    let saved = browser
        .save_profile(&[
            ("full_name", "alice Tester"),
            ("phone", "+44 20 7946 0958"),
            ("field_date_of_birth", "1985-07-14"),
        ])
        .await;
    let page = browser.profile_page().await;
    let log = server.stop();

    assert_eq!(refused.status(), StatusCode::OK);
    assert_redirect_to(&saved, "/account/profile");
    assert_eq!(
        first_attr(&page, "#field_date_of_birth", "value").as_deref(),
        Some("1985-07-14")
    );
    assert!(
        log.contains("/account/profile"),
        "the log holds the requests:\n{log}"
    );
    // The phone as typed, form-encoded and without its spaces: "7946" alone
    // turns up by chance in the log's millisecond times and random ids.
    for secret in [
        "7946 0958",
        "7946+0958",
        "7946%200958",
        "79460958",
        "1985-07-14",
        "1985-13-41",
    ] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}
