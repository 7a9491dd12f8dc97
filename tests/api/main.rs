//! The integration suite: one binary, one module per area.

mod access_matrix;
mod account;
mod admin;
mod api_matrix;
mod apps;
mod audit_log;
mod bad_input;
mod brute_force;
mod config;
mod flows;
mod hardening;
mod helpers;
mod import;
mod isolation;
mod navigation;
mod oidc;
mod oidc_clients;
mod organisations;
mod outage;
mod passwords;
mod sessions;
mod timing;
mod tokens;
