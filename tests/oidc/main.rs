//! Gatehouse's OpenID Connect provider against a certified relying party:
//! tests/oidc/rp.mjs drives the npm `openid-client` library (OpenID
//! Certified) through discovery, the code flow with PKCE, the token,
//! userinfo and revocation endpoints and RP-initiated logout, signing the
//! user in over real HTTP as a browser would. Needs node and the npm
//! packages in target/oidc-tools (`.ci/run` installs them, pinned), so plain
//! `cargo test` leaves it out; run it with `cargo test --test oidc`.

// Shared with the API suite, which uses all of it; this one a part.
#[allow(dead_code)]
#[path = "../common/app.rs"]
mod app;
#[path = "../common/reading.rs"]
mod reading;

use std::path::{Path, PathBuf};
use std::process::Command;

use app::*;
use gatehouse::db::{self, Scope};
use gatehouse::domain::{DEFAULT_ORGANISATION, Timestamp, UserStatus};
use gatehouse::services::apps::{self, AppByNames};
pub use reading::*;
use serde_json::Value;

/// The pinned packages; `.ci/run` installs the same.
const PACKAGES: &str = "openid-client@6.9.1 jose@6.2.19";

fn node_modules() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/oidc-tools/node_modules");
    assert!(
        path.join("openid-client/package.json").exists() && path.join("jose/package.json").exists(),
        "openid-client is not installed: npm install --no-save --prefix target/oidc-tools \
         {PACKAGES} (.ci/run does)"
    );
    path
}

/// A registered OpenID Connect client of the app "Dashboard", open to
/// Engineers, and where its browser comes back to.
struct Client {
    id: String,
    secret: Option<String>,
    redirect_uri: String,
    post_logout_uri: String,
}

async fn register(app: &TestApp, public_client: bool) -> Client {
    // Nothing listens there: the script stops at the redirect and reads it.
    let redirect_uri = app.url("/cb");
    let post_logout_uri = app.url("/signed-out");
    let dashboard = AppByNames {
        slug: "dashboard".into(),
        name: "Dashboard".into(),
        url: "http://dashboard.internal/".into(),
        hosts: vec!["dashboard.internal".into()],
        roles: vec!["Engineer".into()],
        redirect_uris: vec![redirect_uri.clone()],
        public_client,
        ..AppByNames::default()
    };
    let (_, saved) = apps::create_with_client_from_command_line(
        &app.db,
        Scope::organisation(DEFAULT_ORGANISATION),
        &dashboard,
    )
    .await
    .expect("the app is registered");
    let saved = saved.expect("the app is a client");
    // The command line registers no post-logout URI, and the service that
    // does (oidc::clients::save) wants an administrator's authorization:
    // set the column directly, as that form would have.
    sqlx::query("UPDATE oidc_clients SET post_logout_uris = $1 WHERE client_id = $2")
        .bind(&post_logout_uri)
        .bind(&saved.client.client_id)
        .execute(&app.db.pool)
        .await
        .expect("the post-logout URI is set");
    Client {
        id: saved.client.client_id,
        secret: saved.secret,
        redirect_uri,
        post_logout_uri,
    }
}

/// An active Engineer in the group Platform.
async fn engineer(app: &TestApp, username: &str) -> TestUser {
    let user = app
        .create_user(username, "Engineer", UserStatus::Active)
        .await;
    let group = app.create_group("Platform").await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::groups::add_member(
        Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn),
        group,
        user.id,
        Timestamp::now(),
    )
    .await
    .unwrap();
    user
}

/// What rp.mjs printed, and whether it succeeded.
struct Run {
    ok: bool,
    out: Value,
    stderr: String,
}

/// Runs rp.mjs with `args` (`--name=value`).
async fn rp(args: Vec<String>) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/rp.mjs");
    let modules = node_modules();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(format!("--node-modules={}", modules.display()))
            .args(args)
            .output()
            .expect("node runs (is it installed?)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout.lines().last().unwrap_or_default();
    let out: Value = serde_json::from_str(line)
        .unwrap_or_else(|_| panic!("rp.mjs printed no JSON:\n{stdout}\n{stderr}"));
    assert_eq!(out["ok"], output.status.success(), "{out}\n{stderr}");
    Run {
        ok: output.status.success(),
        out,
        stderr,
    }
}

/// The whole flow for `user` on the Gatehouse at `base`.
async fn flow(base: &str, client: &Client, user: &TestUser) -> Run {
    let mut args = vec![
        "--mode=flow".to_owned(),
        format!("--issuer={base}"),
        format!("--client-id={}", client.id),
        format!("--redirect-uri={}", client.redirect_uri),
        format!("--post-logout-uri={}", client.post_logout_uri),
        format!("--username={}", user.username),
        format!("--password={}", user.password),
    ];
    if let Some(secret) = &client.secret {
        args.push(format!("--client-secret={secret}"));
    }
    rp(args).await
}

async fn succeeds(base: &str, client: &Client, user: &TestUser) -> Value {
    let run = flow(base, client, user).await;
    assert!(run.ok, "the flow failed: {}\n{}", run.out, run.stderr);
    run.out
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confidential_client_signs_a_user_in_refreshes_revokes_and_signs_them_out() {
    let app = spawn_app().await;
    let client = register(&app, false).await;
    let ada = engineer(&app, "ada").await;
    assert!(client.secret.is_some());

    let out = succeeds(&app.address, &client, &ada).await;

    let claims = &out["claims"];
    assert_eq!(out["issuer"], app.address.as_str());
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["aud"], client.id.as_str());
    let sub = claims["sub"].as_str().expect("a subject");
    assert_ne!(sub, "ada");
    assert_ne!(sub, ada.id.to_string());
    assert_eq!(claims["preferred_username"], "ada");
    assert_eq!(claims["name"], "ada Tester");
    assert_eq!(claims["email"], "ada@example.com");
    assert!(strings(&claims["roles"]).contains(&"Engineer"));
    assert_eq!(strings(&claims["groups"]), ["Platform"]);
    assert_eq!(out["id_token_header"]["alg"], "RS256");
    let userinfo = &out["userinfo"];
    assert_eq!(userinfo["sub"], sub);
    assert_eq!(userinfo["preferred_username"], "ada");
    assert_eq!(userinfo["email_verified"], false);
    assert!(strings(&userinfo["roles"]).contains(&"Engineer"));
    assert_eq!(strings(&userinfo["groups"]), ["Platform"]);
    assert_eq!(out["token_type"], "bearer");
    assert_eq!(out["expires_in"], 600);
    let logout = url::Url::parse(out["logout_redirect"].as_str().unwrap()).unwrap();
    assert_eq!(logout.path(), "/signed-out");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_client_with_pkce_and_no_secret_completes_the_flow() {
    let app = spawn_app().await;
    let client = register(&app, true).await;
    let ada = engineer(&app, "ada").await;
    assert!(client.secret.is_none());

    let out = succeeds(&app.address, &client, &ada).await;

    assert_eq!(out["claims"]["aud"], client.id.as_str());
    assert_eq!(out["claims"]["preferred_username"], "ada");
    assert_eq!(out["userinfo"]["sub"], out["claims"]["sub"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_outside_the_apps_rule_gets_a_refusal_page_and_the_app_only_access_denied() {
    let app = spawn_app().await;
    let client = register(&app, false).await;
    let pat = app.create_user("pat", "PM", UserStatus::Active).await;

    let run = flow(&app.address, &client, &pat).await;

    assert!(!run.ok, "a PM got tokens: {}", run.out);
    assert_eq!(run.out["step"], "authorization", "{}", run.out);
    assert_eq!(run.out["status"], 403, "{}", run.out);
    assert_eq!(run.out["page"], "/oauth/authorize", "{}", run.out);
    assert_eq!(run.out["error"], "access_denied", "{}", run.out);
    assert_eq!(app.count("oidc_codes").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_user_is_sent_to_the_pending_page_and_the_app_gets_no_code() {
    let app = spawn_app().await;
    let client = register(&app, false).await;
    let new = app
        .create_user("newcomer", "Engineer", UserStatus::Pending)
        .await;

    let run = flow(&app.address, &client, &new).await;

    assert!(!run.ok, "a pending user got tokens: {}", run.out);
    assert_eq!(run.out["step"], "authorization", "{}", run.out);
    assert_eq!(run.out["page"], "/pending", "{}", run.out);
    assert_eq!(run.out["status"], 200, "{}", run.out);
    assert_eq!(app.count("oidc_codes").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_gatehouse_keys_rotate_old_id_tokens_still_verify_and_an_instance_reading_the_keys_signs_with_the_new_one()
 {
    let app = spawn_app().await;
    let client = register(&app, false).await;
    let ada = engineer(&app, "ada").await;
    let before = succeeds(&app.address, &client, &ada).await;
    let old_token = before["id_token"].as_str().unwrap().to_owned();
    let old_kid = before["id_token_header"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // `gatehouse keys rotate`, as another process runs it.
    let settings = test_settings(app.database_url.clone());
    let new_kids = gatehouse::startup::key_store(&settings)
        .expect("the key store")
        .rotate(&app.db)
        .await
        .expect("the keys rotate");

    // The running app keeps its copy of the keys for up to a minute (the old
    // key stays published meanwhile, so nothing breaks); an instance that
    // reads them afresh, as every instance does within that minute, stands
    // for it after the minute.
    let fresh = app.another_instance().await;
    let verified = rp(vec![
        "--mode=verify".into(),
        format!("--id-token={old_token}"),
        format!("--jwks-url={}", fresh.url("/oauth/jwks")),
        format!("--expected-issuer={}", app.address),
        format!("--client-id={}", client.id),
    ])
    .await;
    assert!(verified.ok, "{}\n{}", verified.out, verified.stderr);
    let published = strings(&verified.out["jwks_kids"]);
    assert!(published.contains(&old_kid.as_str()), "{published:?}");
    for kid in &new_kids {
        assert!(published.contains(&kid.as_str()), "{kid} in {published:?}");
    }
    assert_eq!(verified.out["kid"], old_kid.as_str());
    let after = succeeds(&fresh.address, &client, &ada).await;
    let new_kid = after["id_token_header"]["kid"].as_str().unwrap();
    assert_ne!(new_kid, old_kid);
    assert!(new_kids.iter().any(|k| k == new_kid), "{new_kid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_in_the_running_instance_signs_the_next_id_token_with_the_new_key_at_once() {
    let app = spawn_app().await;
    let client = register(&app, false).await;
    let ada = engineer(&app, "ada").await;
    let before = succeeds(&app.address, &client, &ada).await;
    let old_token = before["id_token"].as_str().unwrap().to_owned();
    let old_kid = before["id_token_header"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // The instance's own store: rotating through it drops its copy.
    let new_kids = app.keys.rotate(&app.db).await.expect("the keys rotate");

    let after = succeeds(&app.address, &client, &ada).await;
    let new_kid = after["id_token_header"]["kid"].as_str().unwrap();
    assert!(new_kids.iter().any(|k| k == new_kid), "{new_kid}");
    let verified = rp(vec![
        "--mode=verify".into(),
        format!("--id-token={old_token}"),
        format!("--jwks-url={}", app.url("/oauth/jwks")),
        format!("--expected-issuer={}", app.address),
        format!("--client-id={}", client.id),
    ])
    .await;
    assert!(verified.ok, "{}\n{}", verified.out, verified.stderr);
    assert_eq!(verified.out["kid"], old_kid.as_str());
    let published = strings(&verified.out["jwks_kids"]);
    assert!(published.contains(&old_kid.as_str()), "{published:?}");
    assert!(published.contains(&new_kid), "{published:?}");
}
