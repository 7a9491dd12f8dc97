//! The integration suite: one binary, one module per area.

mod access_matrix;
mod account;
mod admin;
mod audit_log;
mod bad_input;
mod brute_force;
mod config;
mod database;
mod flows;
mod hardening;
mod helpers;
mod import;
mod migrations;
mod navigation;
mod passwords;
mod sessions;
mod timing;
