//! Settings the handlers read, built once by `startup` from `Settings`.

use crate::domain::session::SessionLimits;

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub default_role: String,
    pub session_limits: SessionLimits,
    /// Days a deleted user can be restored.
    pub deleted_retention_days: u32,
}
