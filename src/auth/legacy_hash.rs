//! Password hashes from the systems people migrate from, accepted by
//! `gatehouse user import` and verified (then replaced by argon2id) at the
//! user's next sign-in: Werkzeug `pbkdf2:sha256:N$salt$hex` and
//! `scrypt:N:r:p$salt$hex`, bcrypt `$2a$`/`$2b$`/`$2y$`, Django
//! `pbkdf2_sha256$N$salt$b64` and `argon2$argon2id$…`, and argon2 PHC strings.
//!
//! Parameters are bounded so an imported row cannot make a sign-in take
//! minutes or gigabytes.

use argon2::password_hash::PasswordHash;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Hmac;
use sha2::Sha256;

const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// 128 · N · r bytes of memory: at most 256 MiB (Werkzeug's default uses 32 MiB).
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
const MAX_BCRYPT_COST: u32 = 16;
const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ARGON2_ITERATIONS: u32 = 64;

/// A stored hash in one of the accepted formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    /// Werkzeug `pbkdf2:sha256:N$salt$hex`.
    WerkzeugPbkdf2 {
        iterations: u32,
        salt: String,
        hash: Vec<u8>,
    },
    /// Werkzeug `scrypt:N:r:p$salt$hex` (64-byte key).
    WerkzeugScrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: String,
        hash: Vec<u8>,
    },
    /// `$2a$`, `$2b$`, `$2y$` (`$2x$` is refused: it marks a buggy hasher).
    Bcrypt(String),
    /// Django `pbkdf2_sha256$N$salt$base64`.
    DjangoPbkdf2 {
        iterations: u32,
        salt: String,
        hash: Vec<u8>,
    },
    /// An argon2 PHC string (Django's `argon2$` prefix removed).
    Argon2(String),
}

impl StoredHash {
    /// Recognises `stored`, or says why it is not accepted.
    pub fn parse(stored: &str) -> Result<StoredHash, String> {
        let stored = stored.trim();
        if let Some(rest) = stored.strip_prefix("pbkdf2:sha256:") {
            let (iterations, salt, hash) = split3(rest)?;
            return Ok(StoredHash::WerkzeugPbkdf2 {
                iterations: iterations_in(iterations)?,
                salt: salt_in(salt)?,
                hash: hex_in(hash, 32)?,
            });
        }
        if let Some(rest) = stored.strip_prefix("scrypt:") {
            let (params, salt, hash) = split3(rest)?;
            let nums: Vec<&str> = params.split(':').collect();
            let [n, r, p] = nums[..] else {
                return Err("scrypt parameters must be N:r:p".into());
            };
            let n: u64 = n.parse().map_err(|_| "scrypt N is not a number")?;
            let r: u32 = r.parse().map_err(|_| "scrypt r is not a number")?;
            let p: u32 = p.parse().map_err(|_| "scrypt p is not a number")?;
            if !n.is_power_of_two() || n < 2 {
                return Err("scrypt N must be a power of two".into());
            }
            let log_n = n.trailing_zeros() as u8;
            let memory = 128u64.saturating_mul(n).saturating_mul(u64::from(r));
            if memory > MAX_SCRYPT_MEMORY || !(1..=32).contains(&r) || !(1..=16).contains(&p) {
                return Err("scrypt parameters are larger than Gatehouse accepts".into());
            }
            return Ok(StoredHash::WerkzeugScrypt {
                log_n,
                r,
                p,
                salt: salt_in(salt)?,
                hash: hex_in(hash, 64)?,
            });
        }
        if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
            let parts = bcrypt_parts(stored)?;
            if parts > MAX_BCRYPT_COST {
                return Err("bcrypt cost is larger than Gatehouse accepts".into());
            }
            return Ok(StoredHash::Bcrypt(stored.to_owned()));
        }
        if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            let (iterations, salt, hash) = split3(rest)?;
            let hash = STANDARD
                .decode(hash)
                .map_err(|_| "the Django hash is not base64")?;
            if hash.len() != 32 {
                return Err("the Django hash is not 32 bytes".into());
            }
            return Ok(StoredHash::DjangoPbkdf2 {
                iterations: iterations_in(iterations)?,
                salt: salt_in(salt)?,
                hash,
            });
        }
        let phc = stored
            .strip_prefix("argon2")
            .filter(|r| r.starts_with("$argon2"));
        let phc = phc.unwrap_or(stored);
        if phc.starts_with("$argon2") {
            let parsed = PasswordHash::new(phc).map_err(|e| format!("bad argon2 string: {e}"))?;
            let params = argon2::Params::try_from(&parsed)
                .map_err(|e| format!("bad argon2 parameters: {e}"))?;
            if params.m_cost() > MAX_ARGON2_MEMORY_KIB || params.t_cost() > MAX_ARGON2_ITERATIONS {
                return Err("argon2 parameters are larger than Gatehouse accepts".into());
            }
            if parsed.hash.is_none() {
                return Err("the argon2 string has no hash".into());
            }
            return Ok(StoredHash::Argon2(phc.to_owned()));
        }
        Err("unrecognised password hash format".into())
    }

    /// A short name of the format, for reports and audit rows.
    pub fn kind(&self) -> &'static str {
        match self {
            StoredHash::WerkzeugPbkdf2 { .. } => "werkzeug-pbkdf2",
            StoredHash::WerkzeugScrypt { .. } => "werkzeug-scrypt",
            StoredHash::Bcrypt(_) => "bcrypt",
            StoredHash::DjangoPbkdf2 { .. } => "django-pbkdf2",
            StoredHash::Argon2(_) => "argon2",
        }
    }

    /// The form to store: argon2 without Django's prefix, others as given.
    pub fn to_stored(&self, original: &str) -> String {
        match self {
            StoredHash::Argon2(phc) => phc.clone(),
            _ => original.trim().to_owned(),
        }
    }

    /// Checks `password` (synchronously: callers run this on the blocking pool).
    pub fn verify(&self, password: &str) -> bool {
        let pw = password.as_bytes();
        match self {
            StoredHash::WerkzeugPbkdf2 {
                iterations,
                salt,
                hash,
            }
            | StoredHash::DjangoPbkdf2 {
                iterations,
                salt,
                hash,
            } => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2::<Hmac<Sha256>>(pw, salt.as_bytes(), *iterations, &mut out).is_ok()
                    && ct_eq(&out, hash)
            }
            StoredHash::WerkzeugScrypt {
                log_n,
                r,
                p,
                salt,
                hash,
            } => {
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, 64) else {
                    return false;
                };
                let mut out = [0u8; 64];
                scrypt::scrypt(pw, salt.as_bytes(), &params, &mut out).is_ok() && ct_eq(&out, hash)
            }
            StoredHash::Bcrypt(stored) => bcrypt::verify(pw, stored).unwrap_or(false),
            StoredHash::Argon2(phc) => super::argon2_memory::verify_phc(phc, pw),
        }
    }
}

fn split3(rest: &str) -> Result<(&str, &str, &str), String> {
    let mut parts = rest.split('$');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => Ok((a, b, c)),
        _ => Err("expected three parts separated by $".into()),
    }
}

fn iterations_in(raw: &str) -> Result<u32, String> {
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_PBKDF2_ITERATIONS).contains(&n) => Ok(n),
        Ok(_) => Err("the iteration count is out of range".into()),
        Err(_) => Err("the iteration count is not a number".into()),
    }
}

fn salt_in(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > 256 {
        return Err("the salt is empty or too long".into());
    }
    Ok(raw.to_owned())
}

fn hex_in(raw: &str, len: usize) -> Result<Vec<u8>, String> {
    match hex::decode(raw) {
        Ok(bytes) if bytes.len() == len => Ok(bytes),
        _ => Err(format!("the hash is not {len} bytes of hex")),
    }
}

/// The cost of a `$2?$NN$<53 chars>` string.
fn bcrypt_parts(stored: &str) -> Result<u32, String> {
    let parts: Vec<&str> = stored.split('$').collect();
    match parts[..] {
        ["", _, cost, rest] if rest.len() == 53 => cost
            .parse::<u32>()
            .map_err(|_| "the bcrypt cost is not a number".to_owned()),
        _ => Err("malformed bcrypt hash".into()),
    }
}

/// Compares in time that depends only on the lengths.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    //! Vectors for the password "Legacy-pass-2024!", generated with
    //! Werkzeug 3.1.9 (`generate_password_hash`), Python bcrypt 5.0.0
    //! (`hashpw`, cost 4), Django 5.2.19 (`PBKDF2PasswordHasher` with 1,000
    //! iterations and `Argon2PasswordHasher` with t=1, m=1024, p=1) and
    //! argon2-cffi 25.1.0 (`PasswordHasher`, same parameters). The `$2y$`
    //! vector is a `$2b$` hash from the same library with PHP's prefix: the two
    //! name the same algorithm.
    use super::*;

    const PASSWORD: &str = "Legacy-pass-2024!";

    const VECTORS: &[(&str, &str)] = &[
        (
            "werkzeug pbkdf2",
            "pbkdf2:sha256:1000$Mbld8FNUBXgq5yDe$fcbb7cdbed895707c9d228e61359d1c29279345743060341a8e3d76faf9df403",
        ),
        (
            "werkzeug scrypt",
            "scrypt:1024:8:1$MIWjQhHNyk2a6W4n$2f88fe14576732335047f0a9d0688c3562c8a22c6cc46bccde94c466c434917e880f727a8a45d86603c0341089676859cedbf04acbcf5abb40ad4d004e131087",
        ),
        (
            "bcrypt 2b",
            "$2b$04$tjoY2p1fvgCjIUADyfy1SuQ/0nA3s.nk2eYHAM9gvjxpKObURJN8O",
        ),
        (
            "bcrypt 2a",
            "$2a$04$RU.SU.wPc/lmivqXHL0HdeJwpNoonEZcUijA3bIA0J4kdzHYdfwVa",
        ),
        (
            "bcrypt 2y",
            "$2y$04$aqdGa839EFJAfIV4PDGi3.FPPf9GL16ZUpPZcRmc1FKrYbt0I1Nay",
        ),
        (
            "django pbkdf2",
            "pbkdf2_sha256$1000$f3kLm9QzXw2pRt7Y$FEFI4Qc1+rW1aF+iRi5CQ8QY4VutwdhNHAJon2fWVlA=",
        ),
        (
            "django argon2",
            "argon2$argon2id$v=19$m=1024,t=1,p=1$ckZzRTVpZzlQUW9Da253ZHFONkR6RA$NvbLY+y0hVoKcuu3P+Og6e0DjlJnE2lcu7x7uTMs1og",
        ),
        (
            "argon2id PHC",
            "$argon2id$v=19$m=1024,t=1,p=1$gBZzealh0Kd59DA3xexxPA$OjfJ8aVFk3S2p7au3pJzYHz1JNgHkDFJ8QPMUPDxEpE",
        ),
        (
            "argon2i PHC",
            "$argon2i$v=19$m=1024,t=1,p=1$cT9KJ3FbPMHzUXA45fWZrw$CzxWbTdU8ioppg8KNvTbNNJrbmhbeE6twuj3g1cHOnw",
        ),
    ];

    #[test]
    fn every_known_vector_verifies_its_password_and_refuses_another() {
        for (name, stored) in VECTORS {
            let hash = StoredHash::parse(stored).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(hash.verify(PASSWORD), "{name} refused the right password");
            assert!(!hash.verify("Legacy-pass-2024?"), "{name} took a wrong one");
            assert!(!hash.verify(""), "{name} took an empty one");
        }
    }

    #[test]
    fn each_format_is_recognised_as_what_it_is() {
        let kinds: Vec<&str> = VECTORS
            .iter()
            .map(|(_, s)| StoredHash::parse(s).unwrap().kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "werkzeug-pbkdf2",
                "werkzeug-scrypt",
                "bcrypt",
                "bcrypt",
                "bcrypt",
                "django-pbkdf2",
                "argon2",
                "argon2",
                "argon2"
            ]
        );
    }

    #[test]
    fn djangos_argon2_prefix_is_dropped_when_stored() {
        let (_, django) = VECTORS[6];
        let hash = StoredHash::parse(django).unwrap();
        assert!(hash.to_stored(django).starts_with("$argon2id$v=19$"));
    }

    #[test]
    fn unknown_and_malformed_hashes_are_refused_with_a_reason() {
        for (bad, reason) in [
            ("not-a-password-hash", "unrecognised"),
            ("md5$abc$def", "unrecognised"),
            ("sha1$salt$0123", "unrecognised"),
            ("pbkdf2:sha256:1000$salt", "three parts"),
            ("pbkdf2:sha256:many$salt$00", "not a number"),
            ("pbkdf2:sha256:1000$salt$zz", "hex"),
            ("scrypt:1000:8:1$salt$00", "power of two"),
            ("scrypt:1048576:8:1$salt$00", "larger"),
            ("$2b$04$short", "malformed bcrypt"),
            (
                "$2x$04$tjoY2p1fvgCjIUADyfy1SuQ/0nA3s.nk2eYHAM9gvjxpKObURJN8O",
                "unrecognised",
            ),
            ("pbkdf2_sha256$1000$salt$!!!", "base64"),
            ("$argon2id$v=19$m=1024", "argon2"),
        ] {
            let err = StoredHash::parse(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn huge_cost_parameters_are_refused() {
        assert!(StoredHash::parse(&format!("pbkdf2_sha256${}$salt$AAAA", u32::MAX)).is_err());
        let bcrypt_cost_31 = "$2b$31$tjoY2p1fvgCjIUADyfy1SuQ/0nA3s.nk2eYHAM9gvjxpKObURJN8O";
        assert!(
            StoredHash::parse(bcrypt_cost_31)
                .unwrap_err()
                .contains("larger")
        );
    }
}
