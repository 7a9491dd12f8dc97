//! API token secrets: 256 random bits after a recognisable prefix
//! (`gh_pat_`, `gh_svc_`), stored only as their SHA-256. A token is shown
//! once, when it is made.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::token::TokenKind;

/// A freshly made token: the secret to show once, its hash to store, and
/// the start of it that lists show.
pub struct NewSecret {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

/// Makes a token of `kind`.
pub fn generate(kind: TokenKind) -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{}{}",
        kind.secret_prefix(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    NewSecret {
        hash: hash(&secret),
        prefix: secret
            .chars()
            .take(kind.secret_prefix().len() + 4)
            .collect(),
        secret,
    }
}

/// A one-time link's token (256 random bits, URL-safe) and the hash that
/// is stored instead of it.
pub fn link_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let stored = hash(&secret);
    (secret, stored)
}

/// The stored form of a presented token.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` has a token's shape (a prefix and 43 URL-safe
/// characters): anything else is refused without a database read.
pub fn well_formed(secret: &str) -> bool {
    let body = secret
        .strip_prefix(TokenKind::Personal.secret_prefix())
        .or_else(|| secret.strip_prefix(TokenKind::Service.secret_prefix()));
    body.is_some_and(|b| {
        b.len() == 43
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_has_its_prefix_256_random_bits_and_is_stored_hashed() {
        let a = generate(TokenKind::Personal);
        let b = generate(TokenKind::Service);
        assert!(a.secret.starts_with("gh_pat_") && b.secret.starts_with("gh_svc_"));
        assert!(well_formed(&a.secret) && well_formed(&b.secret));
        assert_ne!(a.secret, generate(TokenKind::Personal).secret);
        assert_eq!(a.hash, hash(&a.secret));
        assert!(!a.hash.contains(&a.secret[7..]));
        assert_eq!(a.prefix.len(), 11);
        assert!(!well_formed("gh_pat_short"));
        assert!(!well_formed("Bearer x"));
    }
}
