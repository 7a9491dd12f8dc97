//! The integration suite: one binary, one module per area.

mod access_matrix;
mod account;
mod admin;
mod bad_input;
mod flows;
mod helpers;
