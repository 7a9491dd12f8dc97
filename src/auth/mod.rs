//! Authentication: password hashing, the database session store, CSRF, and
//! the extractors that gate every route on the user's live status and
//! permissions.

mod argon2_memory;
pub mod csrf;
pub mod extractors;
pub mod legacy_hash;
pub mod password;
pub mod session_store;

pub use extractors::{ActiveUser, CurrentUser, PermissionMarker, Require, perm};
