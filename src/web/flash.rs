//! One-shot messages shown on the page after a redirect (POST/Redirect/GET).
//! A handler attaches a `Flash` to its response; the browser-cookie
//! middleware signs it into a cookie and clears it once a page has shown it.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashLevel {
    Info,
    Success,
    Error,
}

impl FlashLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashLevel::Info => "info",
            FlashLevel::Success => "success",
            FlashLevel::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
}

impl Flash {
    pub fn info(text: impl Into<String>) -> Flash {
        Flash {
            level: FlashLevel::Info,
            text: text.into(),
        }
    }

    pub fn success(text: impl Into<String>) -> Flash {
        Flash {
            level: FlashLevel::Success,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash {
            level: FlashLevel::Error,
            text: text.into(),
        }
    }

    /// Cookie-safe encoding (hex of JSON); the cookie itself is signed.
    pub(crate) fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub(crate) fn decode(value: &str) -> Option<Flash> {
        serde_json::from_slice(&hex::decode(value).ok()?).ok()
    }
}

/// 303 See Other to `location`.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// 303 See Other to `location`, showing `flash` on the next page.
pub fn redirect_with(location: &str, flash: Flash) -> HttpResponse {
    let mut response = redirect(location);
    response.extensions_mut().insert(flash);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_survives_its_cookie_encoding() {
        let flash = Flash::error("Can't approve <b>alice</b>; café");
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
        assert_eq!(Flash::decode("zz"), None);
    }
}
