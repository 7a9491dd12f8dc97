//! The integration suite: one binary, one module per area.

mod flows;
mod helpers;
