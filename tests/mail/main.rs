//! Mail through a real SMTP server: the app queues mail in its outbox, its
//! worker sends it to aiosmtpd (PyPI, pinned, in target/mail-tools), and the
//! tests read what arrived. Needs Python and that venv, so plain
//! `cargo test` leaves it out; `.ci/run` installs aiosmtpd and runs
//! `cargo test --test mail`, on SQLite and on PostgreSQL.

// Shared with the API suite, which uses all of it; this one a part.
#[allow(dead_code)]
#[path = "../common/app.rs"]
mod app;
#[allow(dead_code)]
#[path = "../common/reading.rs"]
mod reading;
#[allow(dead_code)]
#[path = "../common/smtp.rs"]
mod smtp;

mod endpoints;
mod helpers;

mod delivery;
mod email_change;
mod invitations;
mod notices;
mod notifications;
mod outage;
mod outbox_page;
mod reset;
mod verification;

// `reading` and `app` each reach the other through the crate root.
use app::TestApp;
pub use reading::*;
