//! What the account services need besides the database: the password hasher
//! and the password and lockout policies, built once from the settings.

use crate::auth::password::{HashParams, Hasher};
use crate::config::Settings;
use crate::domain::{LockoutPolicy, PasswordPolicy};

/// The argon2 parameters the settings ask for.
pub fn hash_params(settings: &Settings) -> HashParams {
    HashParams {
        memory_kib: settings.argon2_memory_kib,
        iterations: settings.argon2_iterations,
        parallelism: settings.argon2_parallelism,
    }
}

/// Hasher and policies shared by every request; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    pub hasher: Hasher,
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
}

impl AuthSettings {
    /// Builds the hasher (refusing argon2 parameters below the OWASP minimum
    /// unless the settings explicitly allow it) and the policies.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<AuthSettings> {
        let params = hash_params(settings);
        let hasher = Hasher::new(
            params,
            settings.password_hash_concurrency,
            settings.argon2_allow_weak,
        )?;
        let minute = 60_000;
        Ok(AuthSettings {
            hasher,
            password_policy: PasswordPolicy {
                require_classes: settings.password_require_classes,
                ..PasswordPolicy::default()
            },
            lockout: LockoutPolicy {
                threshold: settings.lockout_threshold.max(1),
                window_ms: settings.lockout_window_minutes.max(1) * minute,
                base_delay_ms: settings.lockout_base_delay_minutes.max(1) * minute,
                max_delay_ms: settings.lockout_max_delay_minutes.max(1) * minute,
            },
        })
    }
}
