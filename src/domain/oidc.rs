//! OpenID Connect clients and the rules of an authorization request:
//! what a client may be registered with, and which requests are answered
//! with a page (never a redirect to an unverified address), which with an
//! error sent back to the client, and which go on.

use super::error::FieldError;
use super::ids::{AppId, OrgId};

/// The scopes Gatehouse knows; any other requested scope is ignored.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "roles"];

/// A client's signing algorithm for ID tokens.
pub const ID_TOKEN_ALGS: [&str; 2] = ["RS256", "ES256"];

/// How many redirect (or post-logout) URIs one client registers.
pub const URIS_MAX: usize = 20;

/// The longest parameter an authorization request may carry.
pub const PARAM_MAX: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A server-side app that keeps a secret.
    Confidential,
    /// A browser or native app: no secret, PKCE required.
    Public,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Confidential => "confidential",
            ClientKind::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<ClientKind> {
        match text {
            "confidential" => Some(ClientKind::Confidential),
            "public" => Some(ClientKind::Public),
            _ => None,
        }
    }
}

/// An app registered as an OpenID Connect client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    pub app_id: AppId,
    pub organisation: OrgId,
    pub app_name: String,
    pub app_slug: String,
    pub client_id: String,
    pub kind: ClientKind,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub id_token_alg: String,
}

impl OidcClient {
    pub fn is_public(&self) -> bool {
        self.kind == ClientKind::Public
    }

    pub fn redirect_uris_text(&self) -> String {
        self.redirect_uris.join("\n")
    }

    pub fn post_logout_uris_text(&self) -> String {
        self.post_logout_uris.join("\n")
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// What the audit log says of the registration.
    pub fn describe(&self) -> String {
        format!(
            "{} client {}, redirect URIs {}, post-logout URIs {}, scopes {}, ID tokens {}",
            self.kind.as_str(),
            self.client_id,
            list_or_none(&self.redirect_uris),
            list_or_none(&self.post_logout_uris),
            self.scopes.join(" "),
            self.id_token_alg
        )
    }
}

fn list_or_none(items: &[String]) -> String {
    match items.is_empty() {
        true => "none".to_owned(),
        false => items.join(" "),
    }
}

/// Whether `host` is this machine: `http` is allowed only there (RFC 8252).
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// One redirect URI: absolute, without a fragment, `https` (or `http` on
/// loopback), at most 2,000 characters.
pub fn parse_redirect_uri(line: &str) -> Result<String, FieldError> {
    let line = line.trim();
    if line.len() > PARAM_MAX {
        return Err(FieldError::new(
            "A redirect URI is at most 2,000 characters.",
        ));
    }
    let url = url::Url::parse(line)
        .map_err(|_| FieldError::new(format!("{line} is not an absolute URL.")))?;
    if url.fragment().is_some() {
        return Err(FieldError::new(format!(
            "{line}: a redirect URI has no #fragment."
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(format!(
            "{line}: a redirect URI carries no user name or password."
        )));
    }
    let host = url
        .host()
        .ok_or_else(|| FieldError::new(format!("{line} names no host.")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(FieldError::new(format!(
                "{line}: use https (http only for localhost, 127.0.0.1 or [::1])."
            )));
        }
        _ => return Err(FieldError::new(format!("{line}: use an https URL."))),
    }
    // Kept as typed: redirect URIs are compared as exact strings.
    Ok(line.to_owned())
}

/// Whether `presented` is one of the `registered` redirect URIs: the same
/// string, or (RFC 8252 §7.3) an http URI on a loopback IP address that
/// differs only in its port, which a native app picks when it runs.
pub fn redirect_registered(registered: &[String], presented: &str) -> bool {
    if registered.iter().any(|r| r == presented) {
        return true;
    }
    let Ok(url) = url::Url::parse(presented) else {
        return false;
    };
    let loopback_ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if url.scheme() != "http" || !loopback_ip {
        return false;
    }
    let portless = |mut u: url::Url| {
        let _ = u.set_port(None);
        u
    };
    let presented = portless(url);
    registered
        .iter()
        .filter_map(|r| url::Url::parse(r).ok())
        .any(|r| portless(r) == presented)
}

/// The URIs of a form field, one a line; blank lines are skipped.
pub fn parse_uri_lines(text: &str, required: bool) -> Result<Vec<String>, FieldError> {
    let mut uris = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let uri = parse_redirect_uri(line)?;
        if !uris.contains(&uri) {
            uris.push(uri);
        }
    }
    if required && uris.is_empty() {
        return Err(FieldError::new("Give at least one redirect URI."));
    }
    if uris.len() > URIS_MAX {
        return Err(FieldError::new(format!("At most {URIS_MAX} URIs.")));
    }
    Ok(uris)
}

/// The scopes a client may be given: `openid` always, then the known ones
/// chosen, in the known order.
pub fn parse_client_scopes(chosen: &[String]) -> Result<Vec<String>, FieldError> {
    if let Some(unknown) = chosen.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(FieldError::new(format!("There is no scope \"{unknown}\".")));
    }
    Ok(SCOPES
        .iter()
        .filter(|s| **s == "openid" || chosen.iter().any(|c| c == *s))
        .map(|s| (*s).to_owned())
        .collect())
}

pub fn parse_id_token_alg(text: &str) -> Result<String, FieldError> {
    match ID_TOKEN_ALGS.contains(&text) {
        true => Ok(text.to_owned()),
        false => Err(FieldError::new("Choose RS256 or ES256.")),
    }
}

/// The scopes granted for a request: those asked for that the client may
/// have, in the known order; unknown ones are ignored.
pub fn granted_scopes(requested: &str, client: &OidcClient) -> Vec<String> {
    let asked: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
    SCOPES
        .iter()
        .filter(|s| asked.contains(s) && client.has_scope(s))
        .map(|s| (*s).to_owned())
        .collect()
}

/// An authorization request's parameters, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub response_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub max_age: Option<String>,
    #[serde(default)]
    pub response_mode: Option<String>,
    #[serde(default)]
    pub request: Option<String>,
    #[serde(default)]
    pub request_uri: Option<String>,
    #[serde(default)]
    pub login_hint: Option<String>,
}

impl AuthorizeParams {
    fn all(&self) -> [&Option<String>; 14] {
        [
            &self.client_id,
            &self.redirect_uri,
            &self.response_type,
            &self.scope,
            &self.state,
            &self.nonce,
            &self.code_challenge,
            &self.code_challenge_method,
            &self.prompt,
            &self.max_age,
            &self.response_mode,
            &self.request,
            &self.request_uri,
            &self.login_hint,
        ]
    }

    /// Whether any parameter is longer than `PARAM_MAX`.
    pub fn oversize(&self) -> bool {
        self.all()
            .iter()
            .any(|p| p.as_ref().is_some_and(|v| v.len() > PARAM_MAX))
    }

    pub fn prompts(&self) -> impl Iterator<Item = &str> {
        self.prompt
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|p| !p.is_empty())
    }
}

/// An error answered to the client at its redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub error: &'static str,
    pub description: &'static str,
}

const fn client_error(error: &'static str, description: &'static str) -> ClientError {
    ClientError { error, description }
}

/// A checked authorization request, ready to meet the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// `prompt=none`: answer without showing a page.
    pub no_prompt: bool,
    /// `prompt=login`: sign in again whatever the session.
    pub force_login: bool,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
}

/// Checks the request against its client, whose `redirect_uri` has already
/// been matched: errors now go back to the client.
pub fn check_request(
    params: &AuthorizeParams,
    client: &OidcClient,
    redirect_uri: &str,
) -> Result<ValidRequest, ClientError> {
    if params.request.is_some() {
        return Err(client_error(
            "request_not_supported",
            "Request objects are not supported.",
        ));
    }
    if params.request_uri.is_some() {
        return Err(client_error(
            "request_uri_not_supported",
            "request_uri is not supported.",
        ));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None | Some("") => {
            return Err(client_error("invalid_request", "response_type is missing."));
        }
        Some(_) => {
            return Err(client_error(
                "unsupported_response_type",
                "Only the authorization code flow (response_type=code) is supported.",
            ));
        }
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|m| m != "query")
    {
        return Err(client_error(
            "invalid_request",
            "Only response_mode=query is supported.",
        ));
    }
    let requested = params.scope.as_deref().unwrap_or("");
    if !requested.split(' ').any(|s| s == "openid") {
        return Err(client_error(
            "invalid_scope",
            "The openid scope is required.",
        ));
    }
    let code_challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (None, None) => None,
        (Some(challenge), Some("S256")) if is_pkce_value(challenge) => Some(challenge.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(client_error(
                "invalid_request",
                "code_challenge is malformed.",
            ));
        }
        (Some(_), None | Some("plain")) => {
            return Err(client_error(
                "invalid_request",
                "Only code_challenge_method=S256 is supported.",
            ));
        }
        _ => {
            return Err(client_error(
                "invalid_request",
                "code_challenge_method without a challenge.",
            ));
        }
    };
    if client.is_public() && code_challenge.is_none() {
        return Err(client_error(
            "invalid_request",
            "A public client must use PKCE (S256).",
        ));
    }
    let nonce = params.nonce.clone().filter(|n| !n.is_empty());
    if client.is_public() && nonce.is_none() {
        return Err(client_error(
            "invalid_request",
            "A public client must send a nonce.",
        ));
    }
    let prompts: Vec<&str> = params.prompts().collect();
    if prompts
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(client_error(
            "invalid_request",
            "prompt has an unknown value.",
        ));
    }
    let no_prompt = prompts.contains(&"none");
    if no_prompt && prompts.len() > 1 {
        return Err(client_error("invalid_request", "prompt=none stands alone."));
    }
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(text) => match text.parse::<i64>() {
            Ok(secs) if secs >= 0 => Some(secs),
            _ => {
                return Err(client_error(
                    "invalid_request",
                    "max_age is not a number of seconds.",
                ));
            }
        },
    };
    Ok(ValidRequest {
        redirect_uri: redirect_uri.to_owned(),
        scopes: granted_scopes(requested, client),
        state: params.state.clone(),
        nonce,
        code_challenge,
        no_prompt,
        force_login: prompts.contains(&"login"),
        max_age,
    })
}

/// A PKCE verifier or challenge: 43 to 128 unreserved characters.
pub fn is_pkce_value(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kind: ClientKind) -> OidcClient {
        OidcClient {
            app_id: AppId(1),
            organisation: OrgId(1),
            app_name: "Wiki".into(),
            app_slug: "wiki".into(),
            client_id: "wiki-1".into(),
            kind,
            secret_hash: None,
            redirect_uris: vec!["https://wiki.example.com/cb".into()],
            post_logout_uris: vec![],
            scopes: vec!["openid".into(), "profile".into()],
            id_token_alg: "RS256".into(),
        }
    }

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            scope: Some("openid profile email bogus".into()),
            nonce: Some("n".into()),
            code_challenge: Some("E9Melhoofc3WT6gVA8hqJiVp0MNQnH-zqvKmbCuxDi-M".into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizeParams::default()
        }
    }

    fn error_of(params: &AuthorizeParams, kind: ClientKind) -> &'static str {
        check_request(params, &client(kind), "https://wiki.example.com/cb")
            .unwrap_err()
            .error
    }

    #[test]
    fn a_good_request_gets_the_scopes_the_client_may_have_and_ignores_unknown_ones() {
        let ok = check_request(
            &params(),
            &client(ClientKind::Public),
            "https://wiki.example.com/cb",
        )
        .unwrap();
        assert_eq!(ok.scopes, ["openid", "profile"]);
    }

    #[test]
    fn implicit_hybrid_request_objects_and_plain_pkce_are_refused() {
        let mut p = params();
        p.response_type = Some("token".into());
        assert_eq!(
            error_of(&p, ClientKind::Public),
            "unsupported_response_type"
        );
        p.response_type = Some("code id_token".into());
        assert_eq!(
            error_of(&p, ClientKind::Public),
            "unsupported_response_type"
        );
        let mut p = params();
        p.request = Some("eyJ...".into());
        assert_eq!(error_of(&p, ClientKind::Public), "request_not_supported");
        let mut p = params();
        p.code_challenge_method = Some("plain".into());
        assert_eq!(error_of(&p, ClientKind::Public), "invalid_request");
        let mut p = params();
        p.scope = Some("profile".into());
        assert_eq!(error_of(&p, ClientKind::Public), "invalid_scope");
    }

    #[test]
    fn a_public_client_needs_pkce_and_a_nonce_and_a_confidential_one_neither() {
        let mut p = params();
        p.code_challenge = None;
        p.code_challenge_method = None;
        assert_eq!(error_of(&p, ClientKind::Public), "invalid_request");
        p.nonce = None;
        assert!(
            check_request(
                &p,
                &client(ClientKind::Confidential),
                "https://wiki.example.com/cb"
            )
            .is_ok()
        );
        let mut p = params();
        p.nonce = None;
        assert_eq!(error_of(&p, ClientKind::Public), "invalid_request");
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragments() {
        assert!(parse_redirect_uri("https://grafana.example.com/login/generic_oauth").is_ok());
        assert!(parse_redirect_uri("http://127.0.0.1:8080/cb").is_ok());
        assert!(parse_redirect_uri("http://localhost/cb").is_ok());
        assert!(parse_redirect_uri("http://[::1]:9000/cb").is_ok());
        for bad in [
            "http://grafana.example.com/cb",
            "https://example.com/cb#x",
            "javascript:alert(1)",
            "/relative",
            "https://user:pw@example.com/cb",
        ] {
            assert!(parse_redirect_uri(bad).is_err(), "{bad}");
        }
        assert!(parse_uri_lines("\n  \n", true).is_err());
        assert_eq!(parse_uri_lines("", false).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_loopback_ip_redirect_uri_matches_on_any_port_and_nothing_else_does() {
        let registered = vec![
            "http://127.0.0.1/cb".to_owned(),
            "https://wiki.example.com/cb".to_owned(),
            "http://localhost:8080/cb".to_owned(),
        ];
        assert!(redirect_registered(
            &registered,
            "http://127.0.0.1:51234/cb"
        ));
        assert!(redirect_registered(
            &registered,
            "https://wiki.example.com/cb"
        ));
        assert!(redirect_registered(&registered, "http://localhost:8080/cb"));
        for other in [
            "http://127.0.0.1:51234/other",
            "https://wiki.example.com:8443/cb",
            "http://localhost:9090/cb",
            "https://wiki.example.com/cb?x=1",
        ] {
            assert!(!redirect_registered(&registered, other), "{other}");
        }
    }

    #[test]
    fn client_scopes_always_include_openid_and_refuse_unknown_names() {
        assert_eq!(
            parse_client_scopes(&["email".into()]).unwrap(),
            ["openid", "email"]
        );
        assert!(parse_client_scopes(&["admin".into()]).is_err());
    }
}
