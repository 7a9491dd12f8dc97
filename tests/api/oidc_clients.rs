//! Apps as OpenID Connect clients, from the administrator's side: the form
//! on the app's page, the secret shown once and replaced, the command line
//! that registers a client for scripts, and key rotation. The protocol
//! itself is in `oidc.rs`.

use base64::Engine;
use gatehouse::domain::AuditAction;
use reqwest::StatusCode;

use crate::helpers::*;

const WIKI: &str = "wiki.example.com";

/// The token endpoint with a code nobody issued: a client whose
/// credentials are right gets `invalid_grant`, any other `invalid_client`.
async fn token_with(app: &TestApp, client_id: &str, secret: &str) -> reqwest::Response {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
    app.client
        .post(app.url("/oauth/token"))
        .header("Authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("redirect_uri", "https://wiki.example.com/cb"),
        ])
        .send()
        .await
        .expect("POST /oauth/token")
}

async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value =
        serde_json::from_str(&response.text().await.unwrap()).expect("a JSON error");
    body["error"].as_str().unwrap_or_default().to_owned()
}

fn text_of(page: &scraper::Html, selector: &str) -> String {
    texts(page, selector).join(" ")
}

#[tokio::test]
async fn an_administrator_makes_an_app_a_client_and_sees_its_secret_once() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.signed_in_admin().await;

    let made = app
        .post_form(
            &format!("/admin/apps/{}/oidc", wiki.id),
            &[
                ("kind", "confidential"),
                ("redirect_uris", "https://wiki.example.com/cb"),
                ("scopes", "profile"),
                ("scopes", "roles"),
                ("id_token_alg", "RS256"),
            ],
        )
        .await;

    assert_eq!(made.status(), StatusCode::OK);
    let page = scraper::Html::parse_document(&made.text().await.unwrap());
    let secret = text_of(&page, "code.secret");
    assert_eq!(secret.len(), 43, "the secret is shown: {secret:?}");
    let client_id = text_of(&page, "code.client-id");
    assert!(client_id.starts_with("wiki-"), "{client_id}");
    assert_eq!(
        error_code(token_with(&app, &client_id, &secret).await).await,
        "invalid_grant"
    );
    let again = app.get_html(&format!("/admin/apps/{}", wiki.id)).await;
    assert!(texts(&again, "code.secret").is_empty(), "shown once");
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, secret, "only a hash is kept");
    let audit = app.audit_rows(AuditAction::ClientRegistered).await;
    let after = audit[0].content.after_value.clone().unwrap_or_default();
    assert!(after.contains("scopes openid profile roles"), "{after}");
    assert!(!after.contains(&secret));
}

#[tokio::test]
async fn a_bad_redirect_uri_is_named_on_the_form_and_nothing_is_registered() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.signed_in_admin().await;

    for (uris, message) in [
        ("http://wiki.example.com/cb", "use https"),
        ("https://wiki.example.com/cb#frag", "no #fragment"),
        ("", "at least one redirect URI"),
    ] {
        let refused = app
            .post_form(
                &format!("/admin/apps/{}/oidc", wiki.id),
                &[
                    ("kind", "confidential"),
                    ("redirect_uris", uris),
                    ("id_token_alg", "RS256"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::OK, "{uris}");
        let page = scraper::Html::parse_document(&refused.text().await.unwrap());
        assert!(
            text_of(&page, "#redirect_uris-error").contains(message),
            "{uris}"
        );
    }
    let odd = app
        .post_form(
            &format!("/admin/apps/{}/oidc", wiki.id),
            &[
                ("kind", "secretive"),
                ("redirect_uris", "https://wiki.example.com/cb"),
                ("scopes", "admin"),
                ("id_token_alg", "HS256"),
            ],
        )
        .await;
    let page = scraper::Html::parse_document(&odd.text().await.unwrap());
    assert!(text_of(&page, "#kind-error").contains("confidential or public"));
    assert!(text_of(&page, "#scopes-error").contains("no scope \"admin\""));
    assert!(text_of(&page, "#id_token_alg-error").contains("RS256 or ES256"));
    assert_eq!(app.count("oidc_clients").await, 0);
}

#[tokio::test]
async fn a_replaced_secret_stops_the_old_one_and_a_removed_client_is_unknown() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.signed_in_admin().await;
    let made = app
        .post_form(
            &format!("/admin/apps/{}/oidc", wiki.id),
            &[
                ("kind", "confidential"),
                ("redirect_uris", "https://wiki.example.com/cb"),
                ("id_token_alg", "RS256"),
            ],
        )
        .await;
    let page = scraper::Html::parse_document(&made.text().await.unwrap());
    let (old, client_id) = (
        text_of(&page, "code.secret"),
        text_of(&page, "code.client-id"),
    );

    let rotated = app
        .post_form(&format!("/admin/apps/{}/oidc/secret", wiki.id), &[])
        .await;
    let page = scraper::Html::parse_document(&rotated.text().await.unwrap());
    let new = text_of(&page, "code.secret");

    assert_ne!(old, new);
    assert_eq!(
        error_code(token_with(&app, &client_id, &old).await).await,
        "invalid_client"
    );
    assert_eq!(
        error_code(token_with(&app, &client_id, &new).await).await,
        "invalid_grant"
    );
    assert_eq!(
        app.audit_rows(AuditAction::ClientSecretRotated).await.len(),
        1
    );

    let removed = app
        .post_form(&format!("/admin/apps/{}/oidc/delete", wiki.id), &[])
        .await;
    assert_redirect_to(&removed, &format!("/admin/apps/{}", wiki.id));
    let unknown = token_with(&app, &client_id, &new).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(unknown).await, "invalid_client");
    assert_eq!(app.audit_rows(AuditAction::ClientRemoved).await.len(), 1);
}

#[tokio::test]
async fn the_command_line_makes_a_client_and_prints_its_id_and_secret() {
    let app = spawn_app().await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args([
                "app",
                "create",
                "--url",
                "https://grafana.example.com/",
                "--roles",
                "Engineer",
            ])
            .args(args)
            .env("GATEHOUSE_DATABASE_URL", app.database_url.expose())
            .env(
                "GATEHOUSE_SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .output()
            .expect("the command runs")
    };

    let made = run(&[
        "--slug",
        "grafana",
        "--name",
        "Grafana",
        "--host",
        "grafana.example.com",
        "--redirect-uri",
        "https://grafana.example.com/login/generic_oauth",
    ]);
    let public = run(&[
        "--slug",
        "spa",
        "--name",
        "SPA",
        "--host",
        "spa.example.com",
        "--redirect-uri",
        "http://127.0.0.1:5173/cb",
        "--public",
    ]);
    let refused = run(&[
        "--slug",
        "plain",
        "--name",
        "Plain",
        "--host",
        "plain.example.com",
        "--redirect-uri",
        "http://plain.example.com/cb",
    ]);

    assert!(made.status.success(), "{made:?}");
    let out = String::from_utf8_lossy(&made.stdout);
    let line = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    let (client_id, secret) = (line("client_id: "), line("client_secret: "));
    assert!(client_id.starts_with("grafana-"), "{out}");
    assert_eq!(
        error_code(token_with(&app, &client_id, &secret).await).await,
        "invalid_grant"
    );
    assert!(public.status.success(), "{public:?}");
    assert!(String::from_utf8_lossy(&public.stdout).contains("public client: no secret"));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("use https"),
        "{refused:?}"
    );
    assert_eq!(
        app.count("apps").await,
        2,
        "the refused app is not half-made"
    );
}

#[tokio::test]
async fn a_key_rotation_keeps_the_old_key_published_and_signs_with_the_new_one() {
    let app = spawn_app().await;
    let jwks = || async {
        let body: serde_json::Value =
            serde_json::from_str(&app.get("/oauth/jwks").await.text().await.unwrap()).unwrap();
        body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["kid"].as_str().unwrap().to_owned(),
                    k["alg"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = jwks().await;
    assert_eq!(
        before
            .iter()
            .map(|(_, alg)| alg.as_str())
            .collect::<Vec<_>>(),
        ["RS256", "ES256"]
    );

    let new = app.keys.rotate(&app.db).await.expect("rotated");

    let after = jwks().await;
    assert_eq!(after.len(), 4, "old and new keys: {after:?}");
    for (kid, _) in &before {
        assert!(
            after.iter().any(|(k, _)| k == kid),
            "the old key {kid} is still published"
        );
    }
    let keys = app.keys.get(&app.db).await.unwrap();
    let signing = keys.current(gatehouse::auth::jwt::Alg::Rs256).unwrap();
    assert!(
        new.contains(&signing.kid),
        "new tokens are signed with a new key"
    );
    let rotated = app.audit_rows(AuditAction::KeysRotated).await;
    assert_eq!(
        rotated.len(),
        1,
        "the rotation is audited; the first keys are not"
    );
}

#[tokio::test]
async fn making_a_confidential_client_public_or_narrowing_its_scopes_ends_its_sign_ins() {
    let app = spawn_app().await;
    let wiki = app.register_app("wiki", WIKI, &["Engineer"], &[]).await;
    app.signed_in_admin().await;
    let form = |kind: &'static str, scopes: &'static [&'static str]| {
        let mut fields = vec![
            ("kind", kind),
            ("redirect_uris", "https://wiki.example.com/cb"),
            ("id_token_alg", "RS256"),
        ];
        fields.extend(scopes.iter().map(|s| ("scopes", *s)));
        fields
    };
    let path = format!("/admin/apps/{}/oidc", wiki.id);
    app.post_form(&path, &form("confidential", &["profile", "email"]))
        .await;
    let live = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM oidc_grants WHERE revoked_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    let grant = || async {
        // Raw: a sign-in to the wiki without the code flow (tests/api/oidc.rs walks it).
        sqlx::query(
            "INSERT INTO oidc_grants (organisation_id, app_id, user_id, code_hash, scopes, \
             auth_time, created_at, expires_at) VALUES (1, $1, 1, $2, 'openid email', 0, 0, $3)",
        )
        .bind(wiki.id.0)
        .bind(gatehouse::services::oidc::random_token())
        .bind(i64::MAX)
        .execute(&app.db.pool)
        .await
        .unwrap();
    };

    grant().await;
    app.post_form(
        &path,
        &form("confidential", &["profile", "email", "groups"]),
    )
    .await;
    assert_eq!(live().await, 1, "a wider registration keeps the sign-in");
    app.post_form(&path, &form("confidential", &["profile"]))
        .await;
    assert_eq!(live().await, 0, "dropping email ends it");
    grant().await;
    app.post_form(&path, &form("public", &["profile"])).await;
    assert_eq!(
        live().await,
        0,
        "a public client's refresh tokens need no secret"
    );
}

#[tokio::test]
async fn an_instance_whose_secret_key_differs_refuses_to_sign_rather_than_replace_the_keys() {
    let app = spawn_app().await;
    let before = app.get("/oauth/jwks").await.text().await.unwrap();
    let other = app
        .another_instance_with(|s| {
            s.secret_key = Some(secrecy::SecretString::from(
                "another-secret-key-that-is-long-enough-9876543210",
            ));
        })
        .await;

    let refused = other.get("/oauth/jwks").await;

    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count("oidc_keys").await, 2, "no key made or retired");
    assert_eq!(app.get("/oauth/jwks").await.text().await.unwrap(), before);
}
