//! argon2 with a reused work area. The crate's `hash_password` allocates its
//! m KiB anew on every call; under a login flood glibc keeps those blocks in
//! per-thread heaps, and resident memory climbed to hundreds of MiB. Here each
//! thread keeps one buffer and hashes into it (`hash_password_into_with_memory`),
//! so memory stays at about m KiB per hashing thread.

use std::cell::RefCell;

use argon2::password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

thread_local! {
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn with_blocks<R>(count: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks[..count])
    })
}

/// An argon2id v19 PHC string for `password` with a fresh salt.
pub fn hash_phc(params: &Params, password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_raw = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow::anyhow!("could not decode a fresh salt: {e}"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password, salt_raw, &mut out, blocks)
    })
    .map_err(|e| anyhow::anyhow!("could not hash a password: {e}"))?;
    let output = Output::new(&out).map_err(|e| anyhow::anyhow!("bad hash output: {e}"))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        output
    ))
}

/// Whether `password` matches the argon2 (i, d or id) PHC string `phc`.
pub fn verify_phc(phc: &str, password: &[u8]) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&hash), hash.salt, hash.hash)
    else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password, salt_raw, &mut out, blocks)
    });
    // Output's equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn small() -> Params {
        Params::new(1024, 1, 1, None).unwrap()
    }

    #[test]
    fn our_hashes_verify_with_the_crate_and_the_crates_with_ours() {
        let ours = hash_phc(&small(), b"correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse", &parsed)
                .is_err()
        );

        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, small())
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_phc(&theirs, b"correct horse"));
        assert!(!verify_phc(&theirs, b"wrong horse"));
    }

    #[test]
    fn malformed_strings_never_verify() {
        assert!(!verify_phc("", b"x"));
        assert!(!verify_phc("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA", b"x"));
        assert!(!verify_phc("$bcrypt$whatever", b"x"));
    }
}
