//! Gatehouse as an OpenID Connect provider, spoken to as a client would:
//! discovery and keys, the code flow with PKCE and both ways of client
//! authentication, ID tokens checked against the published key, userinfo,
//! rotating refresh tokens, revocation and RP-initiated logout; and every
//! bad request refused without anything being granted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::domain::{AuditAction, OrgId, UserStatus};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// An authorization request's parameters, as a client makes them.
struct Request {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: String,
    verifier: String,
    challenge: String,
}

impl Request {
    fn new(client: &TestClient) -> Request {
        let (verifier, challenge) = pkce_pair();
        Request {
            client_id: client.client_id.clone(),
            redirect_uri: client.redirect_uri.clone(),
            scope: "openid profile email".into(),
            state: gatehouse::services::oidc::random_token(),
            nonce: gatehouse::services::oidc::random_token(),
            verifier,
            challenge,
        }
    }

    fn with_scope(client: &TestClient, scope: &str) -> Request {
        Request {
            scope: scope.into(),
            ..Request::new(client)
        }
    }

    fn query(&self) -> Vec<(&str, &str)> {
        vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", "code"),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.challenge),
            ("code_challenge_method", "S256"),
        ]
    }

    /// The query with `name` set to `value` (or left out when None).
    fn query_with<'a>(&'a self, name: &'a str, value: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
        let mut query: Vec<(&str, &str)> = self
            .query()
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect();
        if let Some(value) = value {
            query.push((name, value));
        }
        query
    }

    /// The token request exchanging `code`.
    fn exchange<'a>(&'a self, code: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", &self.verifier),
        ]
    }
}

async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON body: {text}"))
}

/// The status and OAuth `error` of a JSON answer.
async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = json(response).await;
    (status, body["error"].as_str().unwrap_or("").to_owned())
}

/// Expects a redirect to the client's redirect URI and returns it.
fn back_to_client(response: &reqwest::Response, request: &Request) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = location_of(response).expect("a location");
    assert!(
        location.starts_with(&format!("{}?", request.redirect_uri)),
        "{location}"
    );
    location
}

/// The code the authorization endpoint gives `browser` (signed in).
async fn code_for(browser: &TestApp, request: &Request) -> String {
    let response = browser.authorize(&request.query()).await;
    let location = back_to_client(&response, request);
    assert_eq!(param_of(&location, "state"), Some(request.state.clone()));
    assert_eq!(param_of(&location, "error"), None, "{location}");
    param_of(&location, "code").expect("a code")
}

/// Signs `browser` in to `client` and exchanges the code with
/// `client_secret_basic`; returns the token answer.
async fn tokens_for(app: &TestApp, browser: &TestApp, client: &TestClient) -> Value {
    let request = Request::new(client);
    let code = code_for(browser, &request).await;
    let response = app.token(&request.exchange(&code), client.basic()).await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

async fn refresh(app: &TestApp, client: &TestClient, token: &Value) -> reqwest::Response {
    let refresh_token = token["refresh_token"].as_str().expect("a refresh token");
    app.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        client.basic(),
    )
    .await
}

fn access_token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("an access token")
}

/// Grants not revoked: what a refused request must not have added to.
async fn live_grants(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM oidc_grants WHERE revoked_at IS NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Asserts that nothing was granted: no code issued, no grant made.
async fn assert_nothing_granted(app: &TestApp) {
    assert_eq!(app.count("oidc_codes").await, 0, "a code was issued");
    assert_eq!(app.count("oidc_grants").await, 0, "a grant was made");
}

/// Whether `token`'s RS256 signature verifies with the RSA key of the JWKS
/// its header names: checked here with ring, not the crate's own code.
fn rs256_verifies(token: &str, jwks: &Value) -> bool {
    let header = jwt_header(token);
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"] && k["kty"] == "RSA")
        .expect("the signing key is published");
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let (n, e) = (decode(&key["n"]), decode(&key["e"]));
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &signature,
        )
        .is_ok()
}

/// A wiki open to Engineers, and Ada, an Engineer, signed in.
async fn wiki_and_ada(app: &TestApp) -> (TestClient, TestUser, TestApp) {
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let (ada, browser) = signed_in(app, "ada", "Engineer").await;
    (client, ada, browser)
}

/// Wile, an Engineer of the organisation `acme`, and a browser signed in as him.
async fn wile_of(app: &TestApp, acme: OrgId) -> (TestUser, TestApp) {
    let wile = app
        .create_user_in(acme, "wile", "Engineer", UserStatus::Active)
        .await;
    let browser = app.another_browser();
    let signed_in = browser
        .login_with(&[
            ("login", "wile"),
            ("password", &wile.password),
            ("organisation", "acme"),
        ])
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    (wile, browser)
}

// Discovery and keys.

#[tokio::test]
async fn the_discovery_document_names_the_default_organisation_s_issuer_and_its_endpoints() {
    let app = spawn_app().await;

    let response = app.get("/.well-known/openid-configuration").await;

    assert_eq!(response.status(), StatusCode::OK);
    let document = json(response).await;
    let base = &app.address;
    assert_eq!(document["issuer"], base.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/oauth/jwks"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("end_session_endpoint", "/oauth/logout"),
    ] {
        assert_eq!(document[field], format!("{base}{path}"), "{field}");
    }
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        document["subject_types_supported"],
        serde_json::json!(["public"])
    );
    let algs = document["id_token_signing_alg_values_supported"].to_string();
    assert!(algs.contains("RS256") && algs.contains("ES256"), "{algs}");
    assert_eq!(document["request_parameter_supported"], false);
}

#[tokio::test]
async fn another_organisation_is_an_issuer_at_its_own_path_and_an_unknown_slug_is_not_found() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;

    let acme = app.get("/o/acme/.well-known/openid-configuration").await;
    let unknown = app.get("/o/nosuch/.well-known/openid-configuration").await;

    assert_eq!(acme.status(), StatusCode::OK);
    let document = json(acme).await;
    assert_eq!(document["issuer"], format!("{}/o/acme", app.address));
    assert_eq!(
        document["token_endpoint"],
        format!("{}/oauth/token", app.address)
    );
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_jwks_publishes_an_rsa_and_an_ec_signing_key_with_kid_alg_and_use() {
    let app = spawn_app().await;

    let jwks = app.jwks().await;

    let keys = jwks["keys"].as_array().expect("a key list");
    let rsa = keys.iter().find(|k| k["kty"] == "RSA").expect("an RSA key");
    let ec = keys.iter().find(|k| k["kty"] == "EC").expect("an EC key");
    assert_eq!(rsa["alg"], "RS256");
    assert_eq!(ec["alg"], "ES256");
    assert_eq!(ec["crv"], "P-256");
    for key in [rsa, ec] {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        assert!(key.get("d").is_none(), "no private part is published");
    }
    assert_ne!(rsa["kid"], ec["kid"]);
    assert!(rsa["n"].is_string() && rsa["e"].is_string());
}

// The happy path.

#[tokio::test]
async fn a_confidential_client_signs_a_user_in_and_gets_an_id_token_that_verifies() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let ada = app.create_user("ada", "Engineer", UserStatus::Active).await;
    let request = Request::new(&client);

    // Signed out: the sign-in page, which comes back to the request.
    let first = app.authorize(&request.query()).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let login = location_of(&first).unwrap();
    assert!(login.starts_with("/login?rd="), "{login}");
    let rd = param_of(&app.url(&login), "rd").unwrap();
    let signed_in = app
        .login_with(&[
            ("login", "ada"),
            ("password", &ada.password),
            ("organisation", "default"),
            ("rd", &rd),
        ])
        .await;
    assert_redirect_to(&signed_in, &rd);
    let response = app.get(&rd).await;
    let location = back_to_client(&response, &request);
    assert_eq!(param_of(&location, "state"), Some(request.state.clone()));
    assert_eq!(param_of(&location, "iss"), Some(app.address.clone()));
    let code = param_of(&location, "code").expect("a code");

    let response = app.token(&request.exchange(&code), client.basic()).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens = json(response).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile email");
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let jwks = app.jwks().await;
    assert!(rs256_verifies(id_token, &jwks), "the signature verifies");
    let mut tampered = id_token.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert!(!rs256_verifies(&tampered, &jwks), "a changed one does not");
    let claims = jwt_claims(id_token);
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(claims["azp"], client.client_id.as_str());
    assert_eq!(claims["nonce"], request.nonce.as_str());
    let sub = claims["sub"].as_str().expect("a subject");
    assert!(sub.len() >= 20, "an opaque subject: {sub}");
    assert!(sub != "ada" && sub != ada.id.to_string() && sub != "ada@example.com");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time <= iat && now - auth_time < 120, "{auth_time}");
    assert_eq!(claims["preferred_username"], "ada");
    assert_eq!(claims["email"], "ada@example.com");

    let userinfo = app.userinfo(access_token(&tokens)).await;
    assert_eq!(userinfo.status(), StatusCode::OK);
    let userinfo = json(userinfo).await;
    assert_eq!(userinfo["sub"], sub);
    assert_eq!(userinfo["preferred_username"], "ada");
    assert_eq!(userinfo["name"], "ada Tester");
    assert_eq!(userinfo["email"], "ada@example.com");
    assert_eq!(app.audit_rows(AuditAction::OidcSignedIn).await.len(), 1);
}

#[tokio::test]
async fn a_client_of_another_organisation_gets_that_organisation_s_issuer() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "Acme").await;
    let client = app
        .register_client_in(acme, "acme-wiki", &["Engineer"], false)
        .await;
    let (_, browser) = wile_of(&app, acme).await;
    let request = Request::new(&client);

    let response = browser.authorize(&request.query()).await;

    let location = back_to_client(&response, &request);
    let issuer = format!("{}/o/acme", app.address);
    assert_eq!(param_of(&location, "iss"), Some(issuer.clone()));
    let code = param_of(&location, "code").expect("a code");
    let tokens = json(app.token(&request.exchange(&code), client.basic()).await).await;
    let claims = jwt_claims(tokens["id_token"].as_str().expect("an ID token"));
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn a_user_of_another_organisation_is_refused_and_nothing_is_granted() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let acme = app.create_org("acme", "Acme").await;
    let (_, browser) = wile_of(&app, acme).await;
    let request = Request::new(&client);

    let response = browser.authorize(&request.query()).await;
    let silent = browser
        .authorize(&request.query_with("prompt", Some("none")))
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let location = back_to_client(&silent, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn client_secret_post_authenticates_a_confidential_client_too() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    let mut form = request.exchange(&code);
    form.push(("client_id", &client.client_id));
    let secret = client.secret.clone().unwrap();
    form.push(("client_secret", &secret));

    let response = app.token(&form, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    let tokens = json(response).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(
        app.userinfo(access_token(&tokens)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_client_registered_for_es256_gets_an_id_token_that_verifies_with_the_ec_key() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    // Raw: chooses the algorithm, which the command line leaves at RS256.
    sqlx::query("UPDATE oidc_clients SET id_token_alg = 'ES256' WHERE client_id = $1")
        .bind(&client.client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let tokens = tokens_for(&app, &browser, &client).await;

    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "ES256");
    let jwks = app.jwks().await;
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"] && k["kty"] == "EC")
        .expect("the signing key is published");
    let decode = |v: &Value| URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(decode(&key["x"]));
    point.extend(decode(&key["y"]));
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    // JOSE signs ES256 as r ‖ s (64 bytes), not DER.
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    assert_eq!(signature.len(), 64);
    let public =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point);
    assert!(public.verify(signed.as_bytes(), &signature).is_ok());
    assert_eq!(jwt_claims(id_token)["aud"], client.client_id.as_str());
}

#[tokio::test]
async fn a_public_client_signs_a_user_in_with_pkce_and_its_client_id_alone() {
    let app = spawn_app().await;
    let client = app.register_client("spa", &["Engineer"], true).await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    let mut form = request.exchange(&code);
    form.push(("client_id", &client.client_id));

    let response = app.token(&form, None).await;

    assert_eq!(response.status(), StatusCode::OK);
    let tokens = json(response).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["nonce"], request.nonce.as_str());
    assert_eq!(
        app.userinfo(access_token(&tokens)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_public_client_without_pkce_is_sent_back_invalid_request() {
    let app = spawn_app().await;
    let client = app.register_client("spa", &["Engineer"], true).await;
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    let request = Request::new(&client);
    let query: Vec<(&str, &str)> = request
        .query()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("code_challenge"))
        .collect();

    let response = browser.authorize(&query).await;

    let location = back_to_client(&response, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn the_subject_is_the_same_at_every_sign_in_and_differs_between_users() {
    let app = spawn_app().await;
    let (client, _, ada) = wiki_and_ada(&app).await;
    let (_, grace) = signed_in(&app, "grace", "Engineer").await;

    let first = tokens_for(&app, &ada, &client).await;
    ada.logout().await;
    ada.login("ada", PASSWORD).await;
    let second = tokens_for(&app, &ada, &client).await;
    let other = tokens_for(&app, &grace, &client).await;

    let sub = |t: &Value| jwt_claims(t["id_token"].as_str().unwrap())["sub"].clone();
    assert_eq!(sub(&first), sub(&second));
    assert_ne!(sub(&first), sub(&other));
}

#[tokio::test]
async fn userinfo_answers_only_the_claims_of_the_granted_scopes() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::with_scope(&client, "openid email");
    let code = code_for(&browser, &request).await;
    let tokens = json(app.token(&request.exchange(&code), client.basic()).await).await;

    let userinfo = json(app.userinfo(access_token(&tokens)).await).await;

    assert_eq!(userinfo["email"], "ada@example.com");
    assert!(userinfo.get("preferred_username").is_none(), "{userinfo}");
    assert!(userinfo.get("name").is_none(), "{userinfo}");
    assert!(userinfo.get("roles").is_none(), "{userinfo}");
    let id_claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(id_claims.get("preferred_username").is_none());
}

#[tokio::test]
async fn a_refresh_token_rotates_and_reusing_the_old_one_revokes_the_whole_family() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let first = tokens_for(&app, &browser, &client).await;

    let rotated = refresh(&app, &client, &first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let second = json(rotated).await;
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(
        app.userinfo(access_token(&second)).await.status(),
        StatusCode::OK
    );

    let reused = refresh(&app, &client, &first).await;

    assert_eq!(
        error_of(reused).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    let newer = refresh(&app, &client, &second).await;
    assert_eq!(
        error_of(newer).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    let userinfo = app.userinfo(access_token(&second)).await;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(live_grants(&app).await, 0);
    assert_eq!(app.audit_rows(AuditAction::OidcRevoked).await.len(), 1);
}

#[tokio::test]
async fn the_revocation_endpoint_ends_the_grant_of_a_refresh_token() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let response = app
        .revoke(
            &[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
            ],
            client.basic(),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        error_of(refresh(&app, &client, &tokens).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        app.userinfo(access_token(&tokens)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(live_grants(&app).await, 0);
}

// Bad requests: each refused, nothing granted.

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_a_page_of_ours_and_never_a_redirect_to_it() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);

    let response = browser
        .authorize(&request.query_with("redirect_uri", Some("https://evil.example.com/callback")))
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location_of(&response), None);
    let page = html(response).await;
    assert!(texts(&page, "main").concat().contains("redirect_uri"));
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn an_unknown_client_id_gets_a_page_of_ours() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);

    let response = browser
        .authorize(&request.query_with("client_id", Some("no-such-client")))
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location_of(&response), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn a_missing_or_wrong_pkce_verifier_is_an_invalid_grant() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;

    for verifier in [None, Some(pkce_pair().0)] {
        let request = Request::new(&client);
        let code = code_for(&browser, &request).await;
        let mut form: Vec<(&str, &str)> = request
            .exchange(&code)
            .into_iter()
            .filter(|(n, _)| *n != "code_verifier")
            .collect();
        if let Some(verifier) = &verifier {
            form.push(("code_verifier", verifier));
        }

        let response = app.token(&form, client.basic()).await;

        assert_eq!(
            error_of(response).await,
            (StatusCode::BAD_REQUEST, "invalid_grant".into()),
            "verifier {verifier:?}"
        );
    }
    assert_eq!(app.count("oidc_grants").await, 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_what_the_first_exchange_gave_stops_working() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    let first = app.token(&request.exchange(&code), client.basic()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let tokens = json(first).await;

    let replay = app.token(&request.exchange(&code), client.basic()).await;

    assert_eq!(
        error_of(replay).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        error_of(refresh(&app, &client, &tokens).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        app.userinfo(access_token(&tokens)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(live_grants(&app).await, 0);
}

#[tokio::test]
async fn an_expired_code_is_an_invalid_grant() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    // Raw: a code lives a minute; rather than wait it out, its expiry is
    // moved into the past (the one code there is).
    let past = gatehouse::domain::Timestamp::now().0 - 1_000;
    sqlx::query("UPDATE oidc_codes SET expires_at = $1")
        .bind(past)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let response = app.token(&request.exchange(&code), client.basic()).await;

    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(app.count("oidc_grants").await, 0);
}

#[tokio::test]
async fn a_code_issued_to_another_client_is_an_invalid_grant() {
    let app = spawn_app().await;
    let (wiki, _, browser) = wiki_and_ada(&app).await;
    let tracker = app.register_client("tracker", &["Engineer"], false).await;
    let request = Request::new(&wiki);
    let code = code_for(&browser, &request).await;

    let response = app.token(&request.exchange(&code), tracker.basic()).await;

    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(app.count("oidc_grants").await, 0);
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client_with_401() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    let wrong = gatehouse::services::oidc::random_token();

    let response = app
        .token(&request.exchange(&code), Some((&client.client_id, &wrong)))
        .await;

    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
    assert_eq!(app.count("oidc_grants").await, 0);
}

#[tokio::test]
async fn a_refresh_token_of_another_client_is_an_invalid_grant() {
    let app = spawn_app().await;
    let (wiki, _, browser) = wiki_and_ada(&app).await;
    let tracker = app.register_client("tracker", &["Engineer"], false).await;
    let tokens = tokens_for(&app, &browser, &wiki).await;

    let response = refresh(&app, &tracker, &tokens).await;

    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    let refresh_tokens: i64 = app.count("oidc_refresh_tokens").await;
    assert_eq!(refresh_tokens, 1, "no new refresh token was issued");
}

#[tokio::test]
async fn response_type_token_is_sent_back_as_unsupported_response_type() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);

    let response = browser
        .authorize(&request.query_with("response_type", Some("token")))
        .await;

    let location = back_to_client(&response, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(param_of(&location, "state"), Some(request.state.clone()));
    assert_eq!(param_of(&location, "code"), None);
    assert_eq!(param_of(&location, "access_token"), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn an_unsupported_scope_is_ignored_and_not_granted() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::with_scope(&client, "openid email offline_access admin");
    let code = code_for(&browser, &request).await;

    let tokens = json(app.token(&request.exchange(&code), client.basic()).await).await;

    assert_eq!(tokens["scope"], "openid email");
    let granted: String = sqlx::query_scalar("SELECT scopes FROM oidc_grants")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(granted, "openid email");
}

#[tokio::test]
async fn a_request_object_is_sent_back_as_request_not_supported() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);

    let response = browser
        .authorize(&request.query_with("request", Some("eyJhbGciOiJub25lIn0.e30.")))
        .await;

    let location = back_to_client(&response, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("request_not_supported")
    );
    assert_eq!(param_of(&location, "code"), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn a_public_client_without_a_nonce_is_sent_back_invalid_request() {
    let app = spawn_app().await;
    let client = app.register_client("spa", &["Engineer"], true).await;
    assert_eq!(client.secret, None);
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    let request = Request::new(&client);

    let response = browser.authorize(&request.query_with("nonce", None)).await;

    let location = back_to_client(&response, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(param_of(&location, "code"), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn an_oversize_parameter_is_refused_with_400() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);
    let long = "a".repeat(2_001);

    let authorize = browser
        .authorize(&request.query_with("state", Some(&long)))
        .await;
    let token = app
        .token(
            &[("grant_type", "authorization_code"), ("code", &long)],
            client.basic(),
        )
        .await;
    let logout = browser
        .get(&format!("/oauth/logout?state={}", "s".repeat(9_000)))
        .await;

    assert_eq!(authorize.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location_of(&authorize), None);
    assert_eq!(
        error_of(token).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    assert_eq!(logout.status(), StatusCode::BAD_REQUEST);
    assert_nothing_granted(&app).await;
    assert_eq!(
        browser.get("/").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn each_endpoint_answers_its_own_methods_and_405_to_the_others() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;

    let token_get = app.get("/oauth/token").await;
    let revoke_get = app.get("/oauth/revoke").await;
    let jwks_post = app.post_raw("/oauth/jwks", &[]).await;
    let discovery_post = app.post_raw("/.well-known/openid-configuration", &[]).await;
    let request = Request::new(&client);
    let authorize_post = browser.post_raw("/oauth/authorize", &request.query()).await;
    let authorize_post = browser.follow_once(authorize_post).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let userinfo_post = new_client()
        .post(app.url("/oauth/userinfo"))
        .bearer_auth(access_token(&tokens))
        .send()
        .await
        .unwrap();
    let logout_post = browser.post_raw("/oauth/logout", &[]).await;
    let logout_post = browser.follow_once(logout_post).await;

    for (what, response) in [
        ("GET /oauth/token", &token_get),
        ("GET /oauth/revoke", &revoke_get),
        ("POST /oauth/jwks", &jwks_post),
        ("POST discovery", &discovery_post),
    ] {
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{what}");
    }
    let location = back_to_client(&authorize_post, &request);
    assert!(param_of(&location, "code").is_some(), "{location}");
    assert_eq!(userinfo_post.status(), StatusCode::OK);
    assert_eq!(json(userinfo_post).await["preferred_username"], "ada");
    assert_eq!(
        logout_post.status(),
        StatusCode::OK,
        "the confirmation page"
    );
}

// The user: signed out, refused, pending, disabled, signing out.

#[tokio::test]
async fn prompt_none_while_signed_out_is_sent_back_as_login_required() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let request = Request::new(&client);

    let response = app
        .authorize(&request.query_with("prompt", Some("none")))
        .await;

    let location = back_to_client(&response, &request);
    assert_eq!(
        param_of(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(param_of(&location, "state"), Some(request.state.clone()));
    assert_eq!(param_of(&location, "code"), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn a_user_outside_the_app_s_rule_gets_a_403_page_whose_link_gives_the_app_access_denied() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let (_, browser) = signed_in(&app, "pat", "PM").await;
    let request = Request::new(&client);

    let response = browser.authorize(&request.query()).await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = html(response).await;
    let back = scraper::Selector::parse("a[href]").unwrap();
    let link = page
        .select(&back)
        .filter_map(|a| a.value().attr("href"))
        .find(|href| href.starts_with(&client.redirect_uri))
        .expect("a link back to the app")
        .to_owned();
    assert_eq!(param_of(&link, "error").as_deref(), Some("access_denied"));
    assert_eq!(param_of(&link, "state"), Some(request.state.clone()));
    assert_eq!(param_of(&link, "code"), None);
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn a_pending_user_is_sent_to_the_pending_page() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &["Engineer"], false).await;
    let newcomer = app
        .create_user("newcomer", "Engineer", UserStatus::Pending)
        .await;
    let browser = app.another_browser();
    browser.login_as(&newcomer).await;

    let response = browser.authorize(&Request::new(&client).query()).await;

    assert_redirect_to(&response, "/pending");
    assert_nothing_granted(&app).await;
}

#[tokio::test]
async fn disabling_a_user_cuts_off_their_refresh_token_and_userinfo() {
    let app = spawn_app().await;
    let (client, ada, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    app.signed_in_admin().await;

    let disabled = app
        .disable_user(ada.id, &[("reason", "Left the company")])
        .await;

    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.user_status(ada.id).await, UserStatus::Disabled);
    assert_eq!(
        app.userinfo(access_token(&tokens)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        error_of(refresh(&app, &client, &tokens).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        app.count("oidc_refresh_tokens").await,
        1,
        "nothing new issued"
    );
}

/// Registers `uri` as the client's post-logout redirect URI.
async fn register_post_logout_uri(app: &TestApp, client: &TestClient, uri: &str) {
    // Raw: arranges the registration in one statement; the admin form
    // that sets it is tested in oidc_clients.rs.
    sqlx::query("UPDATE oidc_clients SET post_logout_uris = $1 WHERE client_id = $2")
        .bind(uri)
        .bind(&client.client_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn logout_with_an_id_token_hint_ends_the_session_and_returns_to_the_app_with_its_state() {
    let app = spawn_app().await;
    let (client, ada, browser) = wiki_and_ada(&app).await;
    let after = "https://wiki.example.com/signed-out";
    register_post_logout_uri(&app, &client, after).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let id_token = tokens["id_token"].as_str().unwrap();

    let response = browser
        .oidc_logout(&[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", after),
            ("state", "bye-123"),
        ])
        .await;

    assert_redirect_to(&response, &format!("{after}?state=bye-123"));
    assert_redirect_to(&browser.get("/").await, "/login");
    assert_eq!(app.sessions_of(ada.id).await, 0);
    assert_eq!(app.audit_rows(AuditAction::OidcLogout).await.len(), 1);
    assert_eq!(
        error_of(refresh(&app, &client, &tokens).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(live_grants(&app).await, 0);
}

#[tokio::test]
async fn an_id_token_hint_of_another_user_signs_nobody_out_without_asking() {
    let app = spawn_app().await;
    let (client, _, ada) = wiki_and_ada(&app).await;
    let after = "https://wiki.example.com/signed-out";
    register_post_logout_uri(&app, &client, after).await;
    let adas = tokens_for(&app, &ada, &client).await;
    let (grace, browser) = signed_in(&app, "grace", "Engineer").await;
    tokens_for(&app, &browser, &client).await;

    let response = browser
        .oidc_logout(&[
            ("id_token_hint", adas["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", after),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::OK, "the confirmation page");
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    assert!(app.sessions_of(grace.id).await > 0);
    assert_eq!(live_grants(&app).await, 2);
}

#[tokio::test]
async fn a_forged_id_token_hint_proves_nothing_and_the_user_is_asked() {
    let app = spawn_app().await;
    let (client, ada, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let real = tokens["id_token"].as_str().unwrap();
    let (head, _) = real.split_once('.').unwrap();
    let forged = format!(
        "{head}.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(b"{\"sub\":\"x\"}")
    );

    let response = browser.oidc_logout(&[("id_token_hint", &forged)]).await;

    assert_eq!(response.status(), StatusCode::OK, "the confirmation page");
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(texts(&page, "main h1"), ["Sign out of Gatehouse?"]);
    assert!(app.sessions_of(ada.id).await > 0);
    assert_eq!(live_grants(&app).await, 1);
}

#[tokio::test]
async fn an_unregistered_post_logout_uri_gets_a_400_page_and_the_session_stays() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    register_post_logout_uri(&app, &client, "https://wiki.example.com/signed-out").await;
    let tokens = tokens_for(&app, &browser, &client).await;

    let response = browser
        .oidc_logout(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "https://evil.example.com/"),
        ])
        .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location_of(&response), None);
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    assert_eq!(live_grants(&app).await, 1);
}

/// Whether the client's refresh token and access token are both refused,
/// and the grant is marked revoked.
async fn assert_cut_off(app: &TestApp, client: &TestClient, tokens: &Value) {
    assert_eq!(
        app.userinfo(access_token(tokens)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        error_of(refresh(app, client, tokens).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(live_grants(app).await, 0, "the sign-in is revoked");
}

#[tokio::test]
async fn a_role_change_that_leaves_the_app_s_rule_cuts_off_refresh_and_userinfo() {
    let app = spawn_app().await;
    let (client, ada, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    app.signed_in_admin().await;
    let pm = app.role_id("PM").await.to_string();

    let changed = app.change_role(ada.id, &[("role_id", &pm)]).await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_cut_off(&app, &client, &tokens).await;
    let revoked = app.audit_rows(AuditAction::OidcRevoked).await;
    assert_eq!(
        revoked[0].content.reason.as_deref(),
        Some("the user may no longer sign in to the app")
    );
}

#[tokio::test]
async fn leaving_the_group_that_opened_the_app_cuts_off_refresh_and_userinfo() {
    let app = spawn_app().await;
    let client = app.register_client("wiki", &[], false).await;
    let group = app.create_group("Writers").await;
    sqlx::query("INSERT INTO app_groups (app_id, group_id) SELECT app_id, $1 FROM oidc_clients")
        .bind(group.0)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (ada, browser) = signed_in(&app, "ada", "PM").await;
    app.signed_in_admin().await;
    app.add_user_to_group(ada.id, group).await;
    let tokens = tokens_for(&app, &browser, &client).await;

    let removed = app
        .remove_group_member(group, &[("user_id", &ada.id.to_string())])
        .await;

    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_cut_off(&app, &client, &tokens).await;
}

#[tokio::test]
async fn the_revoke_button_on_the_sessions_page_signs_the_user_out_of_the_app() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let page = browser.get_html("/account/sessions").await;
    assert_eq!(texts(&page, "#apps td[data-label='App']"), ["The wiki"]);
    let action = first_attr(&page, "#apps form", "action").expect("a Revoke button");
    let (_, pat) = signed_in(&app, "pat", "Engineer").await;

    let foreign = pat.post_form(&action, &[]).await;
    let revoked = browser.post_form(&action, &[]).await;

    assert_eq!(
        foreign.status(),
        StatusCode::NOT_FOUND,
        "only its owner may"
    );
    assert_redirect_to(&revoked, "/account/sessions");
    assert_cut_off(&app, &client, &tokens).await;
    let page = browser.get_html("/account/sessions").await;
    assert!(texts(&page, "#apps td[data-label='App']").is_empty());
}

#[tokio::test]
async fn ending_a_user_s_sessions_from_the_admin_page_ends_their_app_sign_ins() {
    let app = spawn_app().await;
    let (client, ada, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    app.signed_in_admin().await;
    let page = app.user_page(ada.id).await;
    assert_eq!(texts(&page, "#apps td[data-label='App']"), ["The wiki"]);

    let ended = app.revoke_user_sessions(ada.id).await;

    assert_redirect_to(&ended, &format!("/admin/users/{}", ada.id));
    assert_cut_off(&app, &client, &tokens).await;
}

#[tokio::test]
async fn a_huge_max_age_is_a_number_like_any_other_and_not_a_failure() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let request = Request::new(&client);

    let response = browser
        .authorize(&request.query_with("max_age", Some("9223372036854775807")))
        .await;

    let location = back_to_client(&response, &request);
    assert!(param_of(&location, "code").is_some(), "{location}");
}

#[tokio::test]
async fn a_loopback_redirect_uri_is_answered_on_the_port_the_app_listens_on() {
    let app = spawn_app().await;
    let client = app.register_client("cli", &["Engineer"], true).await;
    // Raw: the registration a native app makes (a loopback URI, no port).
    sqlx::query("UPDATE oidc_clients SET redirect_uris = 'http://127.0.0.1/callback'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, browser) = signed_in(&app, "ada", "Engineer").await;
    let request = Request {
        redirect_uri: "http://127.0.0.1:49152/callback".into(),
        ..Request::new(&client)
    };
    let elsewhere = Request {
        redirect_uri: "http://127.0.0.1:49152/other".into(),
        ..Request::new(&client)
    };

    let code = code_for(&browser, &request).await;
    let refused = browser.authorize(&elsewhere.query()).await;
    let mut form = request.exchange(&code);
    form.push(("client_id", &client.client_id));
    let exchanged = app.token(&form, None).await;

    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(exchanged.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_signing_key_given_by_configuration_signs_the_id_tokens_of_its_algorithm() {
    let der = gatehouse::auth::jwt::generate(gatehouse::auth::jwt::Alg::Rs256).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let path = std::env::temp_dir().join(format!("gatehouse-oidc-{}.pem", std::process::id()));
    std::fs::write(&path, pem).unwrap();
    let app = spawn_app_with(|s| s.oidc_signing_key_file = Some(path.clone())).await;
    let (client, _, browser) = wiki_and_ada(&app).await;

    let tokens = tokens_for(&app, &browser, &client).await;

    let id_token = tokens["id_token"].as_str().unwrap();
    let kid = jwt_header(id_token)["kid"].as_str().unwrap().to_owned();
    assert!(kid.starts_with("configured-"), "{kid}");
    let jwks = app.jwks().await;
    assert!(rs256_verifies(id_token, &jwks));
    let rsa_keys = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kty"] == "RSA")
        .count();
    assert_eq!(rsa_keys, 1, "no RSA key was made beside the configured one");
    std::fs::remove_file(&path).unwrap();
}

// Several requests' token writes share one commit (services::oidc::batch).

#[tokio::test]
async fn codes_exchanged_at_once_each_get_tokens_of_their_own_that_work() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let mut requests = Vec::new();
    for _ in 0..12 {
        let request = Request::new(&client);
        let code = code_for(&browser, &request).await;
        requests.push((request, code));
    }

    let exchanges: Vec<_> = requests
        .iter()
        .map(|(request, code)| request.exchange(code))
        .collect();
    let answers = futures_util::future::join_all(
        exchanges
            .iter()
            .map(|exchange| app.token(exchange, client.basic())),
    )
    .await;

    let mut access = std::collections::HashSet::new();
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::OK);
        let tokens = json(answer).await;
        assert!(tokens["id_token"].is_string());
        access.insert(access_token(&tokens).to_owned());
    }
    assert_eq!(access.len(), 12, "every exchange got its own access token");
    for token in &access {
        assert_eq!(app.userinfo(token).await.status(), StatusCode::OK);
    }
    assert_eq!(live_grants(&app).await, 12);
}

#[tokio::test]
async fn a_returning_users_code_exchanged_twice_at_once_is_granted_once_and_then_revoked() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    // The first exchange gives the user their subject; the next ones sign
    // their ID token while their write waits for its commit.
    let first = Request::new(&client);
    let code = code_for(&browser, &first).await;
    let answer = app.token(&first.exchange(&code), client.basic()).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let request = Request::new(&client);
    let code = code_for(&browser, &request).await;
    let exchange = request.exchange(&code);

    let (one, two) = tokio::join!(
        app.token(&exchange, client.basic()),
        app.token(&exchange, client.basic())
    );

    let (mut granted, mut refused) = (Vec::new(), Vec::new());
    for answer in [one, two] {
        match answer.status() {
            StatusCode::OK => granted.push(json(answer).await),
            _ => refused.push(error_of(answer).await),
        }
    }
    assert_eq!(granted.len(), 1, "one exchange is granted");
    assert!(granted[0]["id_token"].is_string());
    assert_eq!(
        refused,
        vec![(StatusCode::BAD_REQUEST, "invalid_grant".to_owned())]
    );
    // The code used twice revoked what it gave; the first sign-in stands.
    assert_eq!(
        app.userinfo(access_token(&granted[0])).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(live_grants(&app).await, 1);
}

#[tokio::test]
async fn a_refresh_token_presented_twice_at_once_is_granted_once_and_ends_the_family() {
    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let first = tokens_for(&app, &browser, &client).await;

    let (one, other) = tokio::join!(
        refresh(&app, &client, &first),
        refresh(&app, &client, &first)
    );

    let mut statuses = [one.status(), other.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    assert_eq!(live_grants(&app).await, 0, "the family is revoked");
    assert_eq!(app.audit_rows(AuditAction::OidcRevoked).await.len(), 1);
}

#[tokio::test]
async fn a_write_that_fails_within_a_batch_is_undone_alone_and_the_others_commit() {
    use gatehouse::auth::token::hash;
    use gatehouse::domain::{DEFAULT_ORGANISATION, Timestamp};
    use gatehouse::services::oidc::batch::{NewTokens, TokenWrite, Written};

    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let (one, two) = (
        tokens_for(&app, &browser, &client).await,
        tokens_for(&app, &browser, &client).await,
    );
    let presented = |tokens: &Value| hash(tokens["refresh_token"].as_str().unwrap());
    let refresh_of = |token_hash: String, grant: i64, new_refresh_hash: String| {
        let now = Timestamp::now();
        TokenWrite::Refresh {
            org: DEFAULT_ORGANISATION,
            token_hash,
            grant,
            tokens: NewTokens {
                refresh_hash: new_refresh_hash,
                access_hash: hash(&gatehouse::services::oidc::random_token()),
                access_expires_at: Timestamp(now.0 + 60_000),
            },
        }
    };
    let fresh = || hash(&gatehouse::services::oidc::random_token());
    let (grant_one, grant_two) = (
        grant_of(&app, &presented(&one)).await,
        grant_of(&app, &presented(&two)).await,
    );
    let batch = [
        // Stored.
        refresh_of(presented(&one), grant_one, fresh()),
        // Fails: its new refresh token's hash is the first one's, taken.
        refresh_of(presented(&two), grant_two, presented(&one)),
        // Finds the first one used by the write before it, in the same batch.
        refresh_of(presented(&one), grant_one, fresh()),
    ];

    let results = in_one_batch(&app, batch).await;

    assert_eq!(
        results[0].as_ref().ok(),
        Some(&Written::Stored { subject: None })
    );
    assert!(results[1].is_err(), "{:?}", results[1]);
    assert_eq!(results[2].as_ref().ok(), Some(&Written::AlreadyUsed));
    let used = |token_hash: String| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT used_at FROM oidc_refresh_tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_one(&pool)
            .await
            .unwrap()
            .is_some()
        }
    };
    assert!(used(presented(&one)).await, "the first write committed");
    assert!(
        !used(presented(&two)).await,
        "the failed write was undone, its token still unused"
    );
    assert_eq!(app.count("oidc_refresh_tokens").await, 3);
}

#[tokio::test]
async fn one_batch_writes_the_codes_and_refresh_tokens_of_two_organisations_each_answered_in_its_place()
 {
    use gatehouse::auth::token::hash;
    use gatehouse::domain::{AppId, DEFAULT_ORGANISATION, Timestamp, UserId};
    use gatehouse::services::oidc::batch::{NewTokens, TokenWrite, Written};
    use gatehouse::services::oidc::random_token;

    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let earlier = tokens_for(&app, &browser, &client).await;
    let ada_code = code_for(&browser, &Request::new(&client)).await;
    let acme = app.create_org("acme", "Acme").await;
    let acme_client = app
        .register_client_in(acme, "acme-wiki", &["Engineer"], false)
        .await;
    let (_, wile_browser) = wile_of(&app, acme).await;
    let wile_code = code_for(&wile_browser, &Request::new(&acme_client)).await;
    let now = Timestamp::now();
    let fresh_tokens = || {
        let access = random_token();
        let tokens = NewTokens {
            refresh_hash: hash(&random_token()),
            access_hash: hash(&access),
            access_expires_at: Timestamp(now.0 + 60_000),
        };
        (access, tokens)
    };
    // Raw: what the token endpoint read with the code (its app, user and
    // scopes), to make the write it would.
    let code_write = |code: String, org: OrgId, new_subject: Option<String>| {
        let pool = app.db.pool.clone();
        let (access, tokens) = fresh_tokens();
        async move {
            let (app_id, user_id, scopes, auth_time): (i64, i64, String, i64) = sqlx::query_as(
                "SELECT app_id, user_id, scopes, auth_time FROM oidc_codes WHERE code_hash = $1",
            )
            .bind(hash(&code))
            .fetch_one(&pool)
            .await
            .unwrap();
            let write = TokenWrite::Code {
                org,
                code_hash: hash(&code),
                app: AppId(app_id),
                user: UserId(user_id),
                scopes,
                auth_time,
                grant_expires_at: Timestamp(now.0 + 3_600_000),
                new_subject,
                tokens,
            };
            (access, write)
        }
    };
    let (ada_access, ada_write) = code_write(ada_code.clone(), DEFAULT_ORGANISATION, None).await;
    let (wile_access, wile_write) =
        code_write(wile_code, acme, Some("wile's new subject".into())).await;
    let (_, ada_again) = code_write(ada_code, DEFAULT_ORGANISATION, None).await;
    let presented = hash(earlier["refresh_token"].as_str().unwrap());
    let grant = grant_of(&app, &presented).await;
    let (rotated_access, tokens) = fresh_tokens();
    let rotation = TokenWrite::Refresh {
        org: DEFAULT_ORGANISATION,
        token_hash: presented,
        grant,
        tokens,
    };

    let results: Vec<Written> = in_one_batch(&app, [ada_write, rotation, wile_write, ada_again])
        .await
        .into_iter()
        .map(|written| written.expect("answered"))
        .collect();

    assert_eq!(
        results,
        [
            Written::Stored { subject: None },
            Written::Stored { subject: None },
            Written::Stored {
                subject: Some("wile's new subject".into())
            },
            // Ada's code again, after the first write in the batch used it.
            Written::AlreadyUsed,
        ]
    );
    // Raw: each grant in its own organisation.
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT organisation_id FROM oidc_grants ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        orgs,
        [DEFAULT_ORGANISATION.0, DEFAULT_ORGANISATION.0, acme.0]
    );
    for access in [ada_access, rotated_access, wile_access] {
        let response = app.userinfo(&access).await;
        assert_eq!(response.status(), StatusCode::OK, "each access token works");
    }
    let old = refresh(&app, &client, &earlier).await;
    assert_eq!(
        error_of(old).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned()),
        "the rotated refresh token is used up"
    );
}

/// Writes `batch` as concurrent requests would, queued while the turn is
/// held so that one batch takes them all, in order; their answers.
async fn in_one_batch(
    app: &TestApp,
    batch: impl IntoIterator<Item = gatehouse::services::oidc::batch::TokenWrite>,
) -> Vec<Result<gatehouse::services::oidc::batch::Written, gatehouse::services::ServiceError>> {
    let writes = std::sync::Arc::new(gatehouse::services::oidc::batch::TokenWrites::default());
    let turn = app.db.writer_turn().await;
    let mut waiting = Vec::new();
    for write in batch {
        let (writes, db) = (writes.clone(), app.db.clone());
        waiting.push(tokio::spawn(async move { writes.write(&db, write).await }));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(turn);
    let mut results = Vec::new();
    for task in waiting {
        results.push(task.await.unwrap());
    }
    results
}

/// The grant a refresh token (by its hash) belongs to. Raw: the batch
/// tests make the writes the token endpoint would, from what it reads.
async fn grant_of(app: &TestApp, token_hash: &str) -> i64 {
    sqlx::query_scalar("SELECT grant_id FROM oidc_refresh_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A refresh write for a token nobody holds: answered `AlreadyUsed`.
fn unknown_refresh(n: usize) -> gatehouse::services::oidc::batch::TokenWrite {
    use gatehouse::auth::token::hash;
    use gatehouse::domain::{DEFAULT_ORGANISATION, Timestamp};
    use gatehouse::services::oidc::batch::{NewTokens, TokenWrite};
    let now = Timestamp::now();
    TokenWrite::Refresh {
        org: DEFAULT_ORGANISATION,
        token_hash: hash(&format!("nobody's token {n}")),
        grant: 1,
        tokens: NewTokens {
            refresh_hash: hash(&format!("refresh {n}")),
            access_hash: hash(&format!("access {n}")),
            access_expires_at: now,
        },
    }
}

#[tokio::test]
async fn more_writes_than_one_batch_takes_are_all_answered() {
    use gatehouse::services::oidc::batch::{TokenWrites, Written};

    let app = spawn_app().await;
    let writes = std::sync::Arc::new(TokenWrites::default());
    let turn = app.db.writer_turn().await;
    let mut waiting = Vec::new();
    for n in 0..150 {
        let (writes, db) = (writes.clone(), app.db.clone());
        waiting.push(tokio::spawn(async move {
            writes.write(&db, unknown_refresh(n)).await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    drop(turn);

    for task in waiting {
        let answered = tokio::time::timeout(std::time::Duration::from_secs(10), task)
            .await
            .expect("every write is answered")
            .unwrap();
        assert_eq!(answered.ok(), Some(Written::AlreadyUsed));
    }
}

#[tokio::test]
async fn a_write_whose_request_went_away_before_its_batch_is_not_written() {
    use gatehouse::auth::token::hash;
    use gatehouse::domain::{DEFAULT_ORGANISATION, Timestamp};
    use gatehouse::services::oidc::batch::{NewTokens, TokenWrite, TokenWrites, Written};

    let app = spawn_app().await;
    let (client, _, browser) = wiki_and_ada(&app).await;
    let tokens = tokens_for(&app, &browser, &client).await;
    let presented = hash(tokens["refresh_token"].as_str().unwrap());
    let grant = grant_of(&app, &presented).await;
    let now = Timestamp::now();
    let write = TokenWrite::Refresh {
        org: DEFAULT_ORGANISATION,
        token_hash: presented.clone(),
        grant,
        tokens: NewTokens {
            refresh_hash: hash("a successor nobody receives"),
            access_hash: hash("an access token nobody receives"),
            access_expires_at: Timestamp(now.0 + 60_000),
        },
    };
    let writes = std::sync::Arc::new(TokenWrites::default());

    // The request queues its write while another holds the turn, then goes
    // away (its client hung up) before a batch takes it.
    let turn = app.db.writer_turn().await;
    let gone = {
        let (writes, db) = (writes.clone(), app.db.clone());
        tokio::spawn(async move { writes.write(&db, write).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    gone.abort();
    let _ = gone.await;
    let other = {
        let (writes, db) = (writes.clone(), app.db.clone());
        tokio::spawn(async move { writes.write(&db, unknown_refresh(0)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    drop(turn);

    assert_eq!(other.await.unwrap().ok(), Some(Written::AlreadyUsed));
    let used: Option<i64> =
        sqlx::query_scalar("SELECT used_at FROM oidc_refresh_tokens WHERE token_hash = $1")
            .bind(&presented)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(used, None, "the refresh token is still there for the retry");
    let retried = refresh(&app, &client, &tokens).await;
    assert_eq!(retried.status(), StatusCode::OK);
}
