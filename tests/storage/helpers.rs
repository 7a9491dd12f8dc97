//! The helpers this suite shares with the API suite: the app under test,
//! page readers, route paths, seeded users and the audit log's rows. Not
//! every one is used here.
#![allow(dead_code)]

#[path = "../common/app.rs"]
mod app;
#[path = "../common/audit.rs"]
mod audit;
#[path = "../common/paths.rs"]
pub mod paths;
#[path = "../common/reading.rs"]
mod reading;
#[path = "../common/seed.rs"]
mod seed;

pub use app::*;
pub use audit::*;
pub use reading::*;
pub use seed::*;
