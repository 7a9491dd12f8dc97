//! Every value passed between the middleware and the handlers through
//! request or response extensions, named in one place. Who inserts each and
//! who reads it:
//!
//! | value | where | put by | read by |
//! |---|---|---|---|
//! | `CsrfToken` | request | `browser_cookies` (from the signed cookie, or new) | `CsrfForm`, `Layout` |
//! | `IncomingFlash` | request | `browser_cookies` (from the flash cookie) | `Layout` |
//! | `SignedIn` | request | the user extractors, after the live read | `security::refusals` (the audit row of a refusal) |
//! | `RotateCsrf` | response | sign-in and registration | `browser_cookies` (issues a new token) |
//! | `Flash` | response | `flash::redirect_with`, `AppError::Redirect` | `browser_cookies` (signs it into the flash cookie) |
//! | `Refusal` | response | `AppError` (403 and CSRF pages) | `security::refusals` (audits it) |

use crate::domain::AuthUser;
pub use crate::web::flash::Flash;

/// The token for this browser, to embed in forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Put in a response's extensions to issue a fresh token (done at sign-in).
#[derive(Debug, Clone, Copy)]
pub struct RotateCsrf;

/// The flash that arrived with this request, if any (put there by the middleware).
#[derive(Debug, Clone, Default)]
pub struct IncomingFlash(pub Option<Flash>);

/// The user the extractors read for this request, live from the database.
#[derive(Debug, Clone)]
pub struct SignedIn(pub AuthUser);

/// Put in a response's extensions by whatever refused the request, so the
/// middleware records it.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The form's CSRF token was missing or wrong.
    Csrf,
    /// A signed-in user lacked the permission (403).
    AccessDenied,
}
