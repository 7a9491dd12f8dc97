//! The master key that signs cookies. From `GATEHOUSE_SECRET_KEY` when set;
//! otherwise generated once and kept in `<data_dir>/secret.key` (mode 0600),
//! so a restart does not sign everyone out.

use std::io::Write;
use std::path::Path;

use actix_web::cookie::Key;
use anyhow::Context;
use rand::RngCore;
use secrecy::ExposeSecret;

use crate::config::Settings;

const MIN_BYTES: usize = 32;

pub fn load(settings: &Settings) -> anyhow::Result<Key> {
    if let Some(secret) = &settings.secret_key {
        let secret = secret.expose_secret();
        anyhow::ensure!(
            secret.len() >= MIN_BYTES,
            "GATEHOUSE_SECRET_KEY must be at least {MIN_BYTES} bytes long"
        );
        return Ok(Key::derive_from(secret.as_bytes()));
    }
    let path = settings.data_dir().join("secret.key");
    let secret = read_or_create(&path)?;
    Ok(Key::derive_from(secret.as_bytes()))
}

fn read_or_create(path: &Path) -> anyhow::Result<String> {
    if path.exists() {
        let secret = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        let secret = secret.trim().to_owned();
        anyhow::ensure!(
            secret.len() >= MIN_BYTES,
            "{} is too short to be a key",
            path.display()
        );
        return Ok(secret);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let mut bytes = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(secret.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))?;
    tracing::info!(
        path = %path.display(),
        "generated a new secret key (set GATEHOUSE_SECRET_KEY to manage it yourself; \
         several instances must share one key)"
    );
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("gatehouse-key-{}", std::process::id()));
        let path = dir.join("secret.key");
        let _ = std::fs::remove_dir_all(&dir);
        let first = read_or_create(&path).unwrap();
        assert_eq!(read_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
