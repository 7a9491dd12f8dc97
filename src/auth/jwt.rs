//! The keys that sign ID tokens, and JSON Web Tokens made and checked with
//! them (RFC 7515, RFC 7519). RS256 (RSA 2048) is every client's default;
//! ES256 (P-256) on request. Private keys are stored sealed (AES-256-GCM)
//! under a key derived from the instance's secret key, so a copy of the
//! database alone signs nothing.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A signing algorithm a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub const ALL: [Alg; 2] = [Alg::Rs256, Alg::Es256];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }

    pub fn parse(text: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// The key that seals stored private keys, derived from the secret key.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl SealKey {
    pub fn derive(master: &[u8]) -> SealKey {
        let mut hasher = Sha256::new();
        hasher.update(b"gatehouse oidc signing keys\0");
        hasher.update(master);
        SealKey(hasher.finalize().into())
    }

    fn aead(&self) -> LessSafeKey {
        // A 32-byte key always makes an AES-256 key.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("AES-256 key"))
    }

    /// `plain` sealed: base64 of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut data = plain.to_vec();
        self.aead()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("sealing cannot fail for a small input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        B64.encode(out)
    }

    /// The sealed text opened, or `None` when it was sealed under another
    /// secret key or altered.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = B64.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::empty(), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// A new private key of `alg`, as PKCS#8 DER.
pub fn generate(alg: Alg) -> anyhow::Result<Vec<u8>> {
    match alg {
        Alg::Es256 => {
            let doc = EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| anyhow::anyhow!("could not generate a P-256 key"))?;
            Ok(doc.as_ref().to_vec())
        }
        Alg::Rs256 => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(|_| anyhow::anyhow!("could not generate an RSA key"))?;
            let der = pair
                .as_der()
                .map_err(|_| anyhow::anyhow!("could not encode the RSA key"))?;
            Ok(der.as_ref().to_vec())
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A key that signs, with its public half as a JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    pair: Pair,
    jwk: Value,
}

impl SigningKey {
    /// The key from its PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, alg: Alg, der: &[u8]) -> anyhow::Result<SigningKey> {
        let (pair, jwk) = match alg {
            Alg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(der)
                    .map_err(|e| anyhow::anyhow!("not an RSA key: {e}"))?;
                let public: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                // ring's limits, kept when aws-lc-rs replaced it: aws-lc also
                // takes keys up to 8192 bits and any exponent (3, say), which
                // lax verifiers of our tokens could be fooled by.
                anyhow::ensure!(
                    (256..=512).contains(&pair.public_modulus_len()) && public.e == [1, 0, 1],
                    "the RSA key must have 2048 to 4096 bits and the exponent 65537"
                );
                let jwk = json!({
                    "kty": "RSA",
                    "n": B64.encode(&public.n),
                    "e": B64.encode(&public.e),
                });
                (Pair::Rsa(pair), jwk)
            }
            Alg::Es256 => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                        .map_err(|e| anyhow::anyhow!("not a P-256 key: {e}"))?;
                // Uncompressed point: 0x04 ‖ x ‖ y.
                let point = pair.public_key().as_ref();
                anyhow::ensure!(point.len() == 65, "unexpected P-256 public key");
                let jwk = json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": B64.encode(&point[1..33]),
                    "y": B64.encode(&point[33..]),
                });
                (Pair::Ec(pair), jwk)
            }
        };
        let mut jwk = jwk;
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!(alg.as_str());
        jwk["use"] = json!("sig");
        Ok(SigningKey {
            kid: kid.to_owned(),
            alg,
            pair,
            jwk,
        })
    }

    /// The public key as a JWK, for the JWKS.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// `claims` as a signed compact JWT.
    pub fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        let header = json!({ "alg": self.alg.as_str(), "kid": self.kid, "typ": "JWT" });
        let mut token = format!(
            "{}.{}",
            B64.encode(serde_json::to_vec(&header)?),
            B64.encode(serde_json::to_vec(claims)?)
        );
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    token.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&rng, token.as_bytes())
                .map_err(|_| anyhow::anyhow!("ECDSA signing failed"))?
                .as_ref()
                .to_vec(),
        };
        token.push('.');
        token.push_str(&B64.encode(signature));
        Ok(token)
    }

    /// The claims of `token` when this key signed it (expiry not checked).
    pub fn verify(&self, token: &str) -> Option<Value> {
        let (signed, sig) = token.rsplit_once('.')?;
        let (header, claims) = signed.split_once('.')?;
        let header: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
        if header["alg"] != self.alg.as_str() || header["kid"] != self.kid.as_str() {
            return None;
        }
        let sig = B64.decode(sig).ok()?;
        let ok = match &self.pair {
            Pair::Rsa(pair) => {
                let public: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public_key().into();
                public
                    .verify(
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                        signed.as_bytes(),
                        &sig,
                    )
                    .is_ok()
            }
            Pair::Ec(pair) => signature::UnparsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                pair.public_key().as_ref(),
            )
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        };
        ok.then(|| serde_json::from_slice(&B64.decode(claims).ok()?).ok())
            .flatten()
    }
}

/// A signing key given by the operator as a PEM PKCS#8 file (`-----BEGIN
/// PRIVATE KEY-----`): an RSA key signs RS256, a P-256 key ES256. Its key
/// id is made from its public half, so it stays the same across restarts.
pub fn from_pem(pem: &str) -> anyhow::Result<SigningKey> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END PRIVATE KEY-----")
        .collect();
    anyhow::ensure!(
        !body.is_empty(),
        "not a PEM PKCS#8 private key (-----BEGIN PRIVATE KEY-----)"
    );
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| anyhow::anyhow!("the PEM body is not base64"))?;
    let key = SigningKey::from_pkcs8("configured", Alg::Rs256, &der)
        .or_else(|_| SigningKey::from_pkcs8("configured", Alg::Es256, &der))
        .map_err(|_| anyhow::anyhow!("neither an RSA nor a P-256 private key"))?;
    let mut public = key.jwk().clone();
    for private_or_named in ["kid", "alg", "use"] {
        public.as_object_mut().map(|o| o.remove(private_or_named));
    }
    let digest = Sha256::digest(public.to_string().as_bytes());
    let kid = format!("configured-{}", &B64.encode(digest)[..16]);
    SigningKey::from_pkcs8(&kid, key.alg, &der)
}

/// The `kid` in a JWT's header, to pick the key that checks it.
pub fn kid_of(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    header["kid"].as_str().map(str::to_owned)
}

/// A new key id: 16 random bytes, URL-safe.
pub fn new_kid() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

/// The PKCE S256 transform of a verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_under_the_same_secret() {
        let seal = SealKey::derive(b"one secret key, at least 32 bytes long");
        let sealed = seal.seal(b"private");
        assert_eq!(seal.open(&sealed).as_deref(), Some(&b"private"[..]));
        let other = SealKey::derive(b"another secret key, at least 32 bytes");
        assert_eq!(other.open(&sealed), None);
        assert_eq!(seal.open("not base64!"), None);
    }

    #[test]
    fn a_token_verifies_with_its_key_only_and_not_once_altered() {
        for alg in Alg::ALL {
            let key = SigningKey::from_pkcs8("k1", alg, &generate(alg).unwrap()).unwrap();
            let token = key.sign(&json!({"sub": "abc"})).unwrap();
            assert_eq!(key.verify(&token).unwrap()["sub"], "abc");
            assert_eq!(kid_of(&token).as_deref(), Some("k1"));
            let other = SigningKey::from_pkcs8("k1", alg, &generate(alg).unwrap()).unwrap();
            assert!(other.verify(&token).is_none(), "{alg:?}");
            let (head, _) = token.split_once('.').unwrap();
            let forged = format!("{head}.{}.", B64.encode(br#"{"sub":"root"}"#));
            assert!(key.verify(&forged).is_none());
        }
    }

    #[test]
    fn a_p256_key_ring_made_and_sealed_before_still_opens_and_signs() {
        // Until session 17 ring made the P-256 keys; stored ones stay in use.
        // (The RSA keys were plain PKCS#8 v1 from the rsa crate, the format
        // aws-lc-rs makes itself.)
        let seal = SealKey::derive(b"one secret key, at least 32 bytes long");
        let made = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let stored = seal.seal(made.as_ref());

        let der = seal.open(&stored).unwrap();
        let key = SigningKey::from_pkcs8("old", Alg::Es256, &der).unwrap();
        let token = key.sign(&json!({"sub": "abc"})).unwrap();

        assert_eq!(key.verify(&token).unwrap()["sub"], "abc");
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let ring_pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            made.as_ref(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let public = ring::signature::KeyPair::public_key(&ring_pair);
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            public.as_ref(),
        )
        .verify(signed.as_bytes(), &B64.decode(sig).unwrap())
        .expect("ring verifies the signature with the key it made");
    }

    #[test]
    fn a_pem_key_is_read_with_its_algorithm_and_a_stable_key_id() {
        for alg in Alg::ALL {
            let der = generate(alg).unwrap();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(&der)
            );
            let (one, two) = (from_pem(&pem).unwrap(), from_pem(&pem).unwrap());
            assert_eq!(one.alg, alg);
            assert_eq!(one.kid, two.kid);
            assert!(one.kid.starts_with("configured-"));
            let token = one.sign(&json!({"sub": "x"})).unwrap();
            assert!(two.verify(&token).is_some());
        }
        assert!(from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
        assert!(from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
