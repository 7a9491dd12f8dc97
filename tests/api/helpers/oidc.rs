//! The OpenID Connect endpoints: registering a client as the command line
//! does, the authorization, token, userinfo, revocation and sign-out
//! endpoints, and what a client computes for itself (PKCE, reading a JWT).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::db::Scope;
use gatehouse::domain::{DEFAULT_ORGANISATION, OrgId};
use gatehouse::services::apps::{self, AppByNames};
use reqwest::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::TestApp;

type Fields<'a> = &'a [(&'a str, &'a str)];

/// A registered client as the app behind it knows itself.
#[derive(Debug, Clone)]
pub struct TestClient {
    pub client_id: String,
    /// None for a public client.
    pub secret: Option<String>,
    /// Its one registered redirect URI.
    pub redirect_uri: String,
}

impl TestClient {
    /// `client_secret_basic` credentials.
    pub fn basic(&self) -> Option<(&str, &str)> {
        Some((&self.client_id, self.secret.as_deref().expect("a secret")))
    }
}

/// A PKCE verifier and its S256 challenge, computed as a client does
/// (RFC 7636 §4.2), independently of the crate's own `s256`.
pub fn pkce_pair() -> (String, String) {
    let verifier = gatehouse::services::oidc::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The payload of a JWT, base64url-decoded, without checking anything.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("a JSON payload")
}

/// The header of a JWT.
pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().expect("a JWT has a header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url"))
        .expect("a JSON header")
}

/// The query parameters of a redirect's `Location`.
pub fn query_of(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .expect("an absolute location")
        .query_pairs()
        .into_owned()
        .collect()
}

/// One query parameter of a redirect's `Location`.
pub fn param_of(location: &str, name: &str) -> Option<String> {
    query_of(location)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

impl TestApp {
    /// Registers the app `slug` (open to `roles`) as an OpenID Connect
    /// client of the default organisation, as `gatehouse app create
    /// --redirect-uri` does.
    pub async fn register_client(&self, slug: &str, roles: &[&str], public: bool) -> TestClient {
        self.register_client_in(DEFAULT_ORGANISATION, slug, roles, public)
            .await
    }

    /// `register_client` in the organisation `org`.
    pub async fn register_client_in(
        &self,
        org: OrgId,
        slug: &str,
        roles: &[&str],
        public: bool,
    ) -> TestClient {
        let redirect_uri = format!("https://{slug}.example.com/callback");
        let app = AppByNames {
            slug: slug.into(),
            name: format!("The {slug}"),
            description: format!("Where {slug} lives"),
            url: format!("https://{slug}.example.com/"),
            hosts: vec![format!("{slug}.example.com")],
            roles: roles.iter().map(|r| r.to_string()).collect(),
            redirect_uris: vec![redirect_uri.clone()],
            public_client: public,
            ..AppByNames::default()
        };
        let (_, saved) =
            apps::create_with_client_from_command_line(&self.db, Scope::organisation(org), &app)
                .await
                .expect("the client is registered");
        let saved = saved.expect("a client registration");
        TestClient {
            client_id: saved.client.client_id,
            secret: saved.secret,
            redirect_uri,
        }
    }

    /// `GET /oauth/authorize` with `query`, as this browser.
    pub async fn authorize(&self, query: Fields<'_>) -> Response {
        let query = serde_html_form::to_string(query).expect("query");
        self.get(&format!("/oauth/authorize?{query}")).await
    }

    /// `POST /oauth/token` with `form`, authenticated with HTTP Basic when
    /// `basic` is given.
    pub async fn token(&self, form: Fields<'_>, basic: Option<(&str, &str)>) -> Response {
        self.back_channel("/oauth/token", form, basic).await
    }

    /// `GET /oauth/userinfo` with `Authorization: Bearer`.
    pub async fn userinfo(&self, bearer: &str) -> Response {
        super::new_client()
            .get(self.url("/oauth/userinfo"))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("userinfo answers")
    }

    /// `POST /oauth/revoke` (RFC 7009).
    pub async fn revoke(&self, form: Fields<'_>, basic: Option<(&str, &str)>) -> Response {
        self.back_channel("/oauth/revoke", form, basic).await
    }

    /// `GET /oauth/logout` with `query`, as this browser.
    pub async fn oidc_logout(&self, query: Fields<'_>) -> Response {
        let query = serde_html_form::to_string(query).expect("query");
        self.get(&format!("/oauth/logout?{query}")).await
    }

    /// A POST to the authorization or logout endpoint answers 303 to the
    /// same endpoint with the form as its query; this follows it, as a
    /// browser does, and returns what the GET answers.
    pub async fn follow_once(&self, posted: Response) -> Response {
        assert_eq!(posted.status(), reqwest::StatusCode::SEE_OTHER);
        let location = super::location_of(&posted).expect("a location");
        let path = posted.url().path().to_owned();
        assert!(location.starts_with(&format!("{path}?")), "{location}");
        self.get(&location).await
    }

    /// The JWKS as a client fetches it.
    pub async fn jwks(&self) -> Value {
        let response = self.get("/oauth/jwks").await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        serde_json::from_str(&response.text().await.unwrap()).expect("a JSON key set")
    }

    /// A server-to-server POST: no browser cookies.
    async fn back_channel(
        &self,
        path: &str,
        form: Fields<'_>,
        basic: Option<(&str, &str)>,
    ) -> Response {
        let mut request = super::new_client()
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_html_form::to_string(form).expect("form"));
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.expect("the endpoint answers")
    }
}
