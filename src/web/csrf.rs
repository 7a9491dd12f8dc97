//! CSRF protection: a signed cookie holds a random token (double submit), and
//! every state-changing handler takes its body through `CsrfForm<T>`, which
//! refuses with 403 unless the form's `csrf_token` equals the cookie's. A
//! handler that takes a form cannot skip the check.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::web::extensions::CsrfToken;
use serde::de::DeserializeOwned;

use crate::web::browser_cookies::BODY_LIMIT;
use crate::web::error::AppError;

/// A form body whose CSRF token has been checked.
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body, refusing more than the limit with 413.
async fn read_body(payload: &mut Payload) -> Result<Vec<u8>, AppError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether the body carries exactly one `csrf_token`, equal to `expected`.
fn token_matches(body: &[u8], expected: &str) -> bool {
    let Ok(pairs) = serde_html_form::from_bytes::<Vec<(String, String)>>(body) else {
        return false;
    };
    let mut sent = pairs
        .iter()
        .filter(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v);
    match (sent.next(), sent.next()) {
        (Some(token), None) => same(token.as_bytes(), expected.as_bytes()),
        _ => false,
    }
}

/// Whether every name and value of a urlencoded body is valid UTF-8 once
/// percent-decoded. The form parser would otherwise turn bad bytes into U+FFFD
/// silently, and that replacement text would be validated and stored.
fn is_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&' || *b == b'=')
        .all(|part| percent_encoding::percent_decode(part).decode_utf8().is_ok())
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let expected = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
        let mut payload = payload.take();
        Box::pin(async move {
            let body = read_body(&mut payload).await?;
            let Some(expected) = expected else {
                return Err(AppError::CsrfRejected);
            };
            if !token_matches(&body, &expected) {
                return Err(AppError::CsrfRejected);
            }
            if !is_utf8_form(&body) {
                return Err(AppError::BadRequest(
                    "The form contained characters that are not valid text (UTF-8). Reload the page and try again.".into(),
                ));
            }
            serde_html_form::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|_| {
                    AppError::BadRequest(
                        "The form could not be read. Reload the page and try again.".into(),
                    )
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_exactly_equal_token_passes() {
        assert!(token_matches(b"a=1&csrf_token=abc", "abc"));
        assert!(!token_matches(b"a=1&csrf_token=abd", "abc"));
        assert!(!token_matches(b"a=1", "abc"));
        assert!(!token_matches(b"csrf_token=abc&csrf_token=abc", "abc"));
        assert!(!token_matches(b"csrf_token=ab", "abc"));
    }

    #[test]
    fn only_forms_that_decode_to_utf8_are_read() {
        assert!(is_utf8_form(b"name=Zo%C3%AB+%E5%B1%B1&x=100%&y=%zz&z=%4"));
        assert!(is_utf8_form("name=Zoë".as_bytes()));
        assert!(!is_utf8_form(b"name=%FF%FE&x=1"));
        assert!(!is_utf8_form(b"name=\xFF"));
        assert!(!is_utf8_form(b"%C3=1"));
        assert!(!is_utf8_form(b"a=%C3"));
    }
}
