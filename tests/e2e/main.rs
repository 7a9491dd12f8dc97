//! Real-browser end-to-end suite: headless Chromium driven through
//! chromedriver, with axe-core accessibility checks. Needs chromium,
//! chromedriver and axe-core (see the README), so plain `cargo test` leaves
//! it out; run it with `cargo test --test e2e`. Screenshots of every final
//! page land in target/e2e/.

mod accessibility;
mod axe;
mod browser;
mod harness;
mod mailing;
#[path = "../common/proxy.rs"]
mod proxy;
mod scenarios;
// Shared with the mail suite; the scenarios use a part of it.
#[allow(dead_code)]
#[path = "../common/smtp.rs"]
mod smtp;
