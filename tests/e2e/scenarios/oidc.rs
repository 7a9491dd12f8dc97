//! "Sign in with Gatehouse", clicked through: a small relying party on
//! loopback (tests/oidc/rp_server.mjs, built on the npm openid-client
//! library) sends Chromium to Gatehouse; the user signs in and lands back
//! at the app, which shows their name and roles; a user outside the app's
//! rule lands on Gatehouse's refusal page, and its link back gives the app
//! `access_denied`. The app then shows on the user's sessions page.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use gatehouse::db::Scope;
use gatehouse::domain::{DEFAULT_ORGANISATION, UserStatus};
use gatehouse::services::apps::{self, AppByNames};

use super::People;
use crate::axe;
use crate::browser::Result;
use crate::harness::{PASSWORD, spawn_app};
use crate::proxy::free_port;

/// The relying party's process; stopped when dropped.
struct RelyingParty {
    child: Child,
    url: String,
}

impl RelyingParty {
    fn start(port: u16, issuer: &str, client_id: &str, secret: &str) -> RelyingParty {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let modules = root.join("target/oidc-tools/node_modules");
        assert!(
            modules.join("openid-client/package.json").exists(),
            "openid-client is not installed: npm install --no-save --prefix target/oidc-tools \
             openid-client@6.9.1 jose@6.2.19 (.ci/run does)"
        );
        let mut child = Command::new("node")
            .arg(root.join("tests/oidc/rp_server.mjs"))
            .arg(format!("--port={port}"))
            .arg(format!("--issuer={issuer}"))
            .arg(format!("--client-id={client_id}"))
            .arg(format!("--client-secret={secret}"))
            .arg(format!("--node-modules={}", modules.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs (is it installed?)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the relying party's output");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the relying party starts");
        assert!(
            line.starts_with("listening"),
            "the relying party said {line:?}"
        );
        RelyingParty {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for RelyingParty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn a_user_signs_in_to_an_app_with_gatehouse_and_one_outside_its_rule_is_refused(
    people: &mut People,
) -> Result {
    let app = spawn_app().await;
    let port = free_port();
    let dashboard = AppByNames {
        slug: "dashboard".into(),
        name: "The dashboard".into(),
        url: format!("http://127.0.0.1:{port}/"),
        hosts: vec![format!("127.0.0.1:{port}")],
        roles: vec!["Engineer".into()],
        redirect_uris: vec![format!("http://127.0.0.1:{port}/cb")],
        ..AppByNames::default()
    };
    let (_, client) = apps::create_with_client_from_command_line(
        &app.db,
        Scope::organisation(DEFAULT_ORGANISATION),
        &dashboard,
    )
    .await
    .expect("the app is registered");
    let client = client.expect("the app is a client");
    let secret = client.secret.expect("a confidential client's secret");
    let rp = RelyingParty::start(port, &app.address, &client.client.client_id, &secret);
    app.create_user("ada", "Engineer", UserStatus::Active).await;
    app.create_user("pat", "PM", UserStatus::Active).await;
    people.on(&app).await?;
    let (ada, pat) = (&mut people.user, &mut people.admin);

    ada.client.goto(&format!("{}/", rp.url)).await?;
    ada.click("#signin").await?;
    assert!(
        ada.path()
            .await?
            .starts_with("/login?rd=%2Foauth%2Fauthorize")
    );
    ada.fill("#login", "ada").await?;
    ada.fill("#password", PASSWORD).await?;
    ada.click("form[action='/login'] button[type=submit]")
        .await?;
    let landed = ada.client.current_url().await?;
    assert!(
        landed.as_str().starts_with(&format!("{}/cb?", rp.url)),
        "{landed}"
    );
    assert_eq!(ada.text("#result").await?, "Signed in as Ada Tester");
    assert_eq!(ada.text("#username").await?, "ada");
    assert_eq!(ada.text("#roles").await?, "Engineer");
    ada.screenshot("oidc-signed-in").await?;
    ada.open("/account/sessions").await?;
    let apps_listed = ada.texts("#apps td[data-label='App']").await?;
    assert_eq!(apps_listed, ["The dashboard"]);
    axe::check(ada, "sessions-with-an-app").await?;

    pat.client.goto(&format!("{}/", rp.url)).await?;
    pat.click("#signin").await?;
    pat.fill("#login", "pat").await?;
    pat.fill("#password", PASSWORD).await?;
    pat.click("form[action='/login'] button[type=submit]")
        .await?;
    assert_eq!(pat.text("main h1").await?, "You may not open The dashboard");
    pat.screenshot("oidc-denied").await?;
    axe::check(pat, "oidc-denied").await?;
    pat.click("main a[href*='error=access_denied']").await?;
    assert_eq!(pat.text("#result").await?, "Refused: access_denied");
    drop(rp);
    Ok(())
}
