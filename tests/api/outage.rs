//! A PostgreSQL outage, with a real server the test stops and starts: a
//! private cluster of its own (initdb in a temporary folder, on a port of its
//! own), so stopping it disturbs no other test. While it is down, pages
//! answer 503 with `Retry-After` and say so; once it is back, the very first
//! request on every pooled connection works again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gatehouse::config::DatabaseUrl;
use reqwest::StatusCode;

use crate::helpers::{TestApp, TestUser, html, spawn_app_with, texts};

/// A PostgreSQL server this test owns.
struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

/// The folder of PostgreSQL's server programs, if this machine has them.
fn server_programs() -> Option<PathBuf> {
    let versions = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    versions
        .flatten()
        .map(|v| v.path().join("bin"))
        .find(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// Runs one of the server's programs; as root, as the `postgres` user,
    /// since the server refuses to run as root.
    fn run(&self, program: &str, args: &[&str]) -> bool {
        let path = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
    }

    fn start() -> Option<PrivatePostgres> {
        let bin = server_programs()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("gatehouse-outage-{port}"));
        std::fs::create_dir_all(&dir).ok()?;
        if running_as_root() {
            let owned = Command::new("chown")
                .args(["postgres:postgres", dir.to_str()?])
                .status()
                .is_ok_and(|s| s.success());
            if !owned {
                return None;
            }
        }
        let server = PrivatePostgres { bin, dir, port };
        let data = server.data();
        let made = server.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        (made && server.up()).then_some(server)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn up(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        )
    }

    fn down(&self) -> bool {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
    }

    fn url(&self) -> DatabaseUrl {
        DatabaseUrl::new(format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.port
        ))
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.down();
        remove_dir(&self.dir);
    }
}

fn remove_dir(dir: &Path) {
    std::fs::remove_dir_all(dir).ok();
}

/// An app on a private PostgreSQL server with an admin signed in; `None`,
/// having said why, where the test cannot control a server.
async fn an_admin_on_a_private_server() -> Option<(PrivatePostgres, TestApp, TestUser)> {
    if std::env::var("GATEHOUSE_TEST_DATABASE_URL").is_err() {
        eprintln!("skipped on SQLite: this test stops and starts a PostgreSQL server");
        return None;
    }
    let Some(server) = PrivatePostgres::start() else {
        eprintln!(
            "skipped: no PostgreSQL server programs to start a private server with (initdb, pg_ctl)"
        );
        return None;
    };
    let app = spawn_app_with(|settings| settings.database_url = server.url()).await;
    let admin = app.admin().await;
    app.login_as(&admin).await;
    Some((server, app, admin))
}

#[tokio::test]
async fn while_postgresql_is_down_pages_answer_503_and_after_it_returns_the_first_requests_work() {
    let Some((server, app, admin)) = an_admin_on_a_private_server().await else {
        return;
    };
    // Both kinds of connection in use: the session's read and the pool's.
    assert_eq!(app.get("/admin/users").await.status(), StatusCode::OK);
    assert_eq!(app.get("/account/sessions").await.status(), StatusCode::OK);

    assert!(server.down(), "the private server stops");
    for path in ["/admin/users", "/", "/account/sessions"] {
        let response = app.get(path).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "GET {path}"
        );
        assert_eq!(
            response.headers().get("retry-after").map(|v| v.as_bytes()),
            Some(&b"5"[..]),
            "GET {path}"
        );
        let page = html(response).await;
        assert_eq!(texts(&page, "h1"), ["Briefly unavailable"], "GET {path}");
    }
    let sign_in = app
        .another_browser()
        .login(&admin.username, "whatever")
        .await;
    assert_eq!(sign_in.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    assert!(server.up(), "the private server starts again");
    // Idle long enough that the pools test their connections first.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for path in ["/admin/users", "/", "/account/sessions", "/admin/users"] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "GET {path}");
    }
    let other = app.another_browser();
    assert_eq!(
        other.login(&admin.username, &admin.password).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_connection_the_server_dropped_while_idle_is_replaced_without_an_error() {
    let Some((server, app, _admin)) = an_admin_on_a_private_server().await else {
        return;
    };
    assert_eq!(app.get("/admin/users").await.status(), StatusCode::OK);

    // No request sees the outage: every pooled connection is stale.
    assert!(server.down() && server.up(), "the private server restarts");
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    assert_eq!(app.get("/admin/users").await.status(), StatusCode::OK);
    let approve = app.post_form("/admin/users/999/approve", &[]).await;
    assert_ne!(approve.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_ne!(approve.status(), StatusCode::SERVICE_UNAVAILABLE);
}
