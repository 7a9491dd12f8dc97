//! Test helpers for the API suite: the app under test and the page readers
//! (shared with the storage suite, in tests/common/), and a helper per
//! endpoint, grouped as the routes are (auth, account, admin).

#[path = "../../common/app.rs"]
mod app;
#[path = "../../common/audit.rs"]
mod audit;
#[path = "../../common/paths.rs"]
pub mod paths;
#[path = "../../common/reading.rs"]
mod reading;
#[path = "../../common/seed.rs"]
mod seed;

mod account;
mod admin;
mod apps;
mod auth;
mod fields;
mod groups;
mod oidc;
mod organisations;
mod tokens;

pub use app::*;
pub use audit::*;
pub use auth::signed_in;
pub use oidc::*;
pub use reading::*;
pub use seed::*;
