//! The signing keys every instance shares through the database: made the
//! first time one is needed, sealed under the secret key, and read again
//! by each instance when its copy is a minute old or it rotated them (a
//! rotation by another process reaches it within the minute; the old key
//! is still published meanwhile).
//! After a rotation the old key stays published until every ID token it
//! signed has expired.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::auth::jwt::{self, Alg, SealKey, SigningKey};
use crate::db::{self, Db, Scope};
use crate::domain::{AuditAction, DEFAULT_ORGANISATION, Timestamp};
use crate::services::work::Work;
use crate::services::{RequestMeta, ServiceError};

use super::ID_TOKEN_TTL_MS;

const MAX_AGE: Duration = Duration::from_secs(60);

/// How long a retired key stays published: longer than any ID token it
/// signed lives.
const RETIRED_KEPT_MS: i64 = 2 * ID_TOKEN_TTL_MS;

/// One reading of the keys.
pub struct KeySet {
    current: HashMap<Alg, Arc<SigningKey>>,
    published: Vec<Arc<SigningKey>>,
    /// The JWKS document, made once per reading.
    pub jwks: String,
}

impl KeySet {
    /// The key that signs with `alg` now.
    pub fn current(&self, alg: Alg) -> Option<&SigningKey> {
        self.current.get(&alg).map(|k| k.as_ref())
    }

    /// The published key with `kid`, to check a token Gatehouse signed.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.published
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| k.as_ref())
    }
}

struct Copy {
    read_at: Instant,
    keys: Arc<KeySet>,
}

/// Each instance's copy of the keys.
pub struct KeyStore {
    seal: SealKey,
    /// A key the operator gave (`GATEHOUSE_OIDC_SIGNING_KEY_FILE`): it signs
    /// for its algorithm instead of a stored one.
    configured: Option<Arc<SigningKey>>,
    copy: Mutex<Option<Copy>>,
    reading: tokio::sync::Mutex<()>,
    /// One permit per core: signatures wait their turn in order rather
    /// than share the cores in slices, which made every one of them slow.
    signers: tokio::sync::Semaphore,
}

impl KeyStore {
    pub fn new(seal: SealKey) -> KeyStore {
        KeyStore {
            seal,
            configured: None,
            copy: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
            signers: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        }
    }

    /// Signs `claims` with the current `alg` key of `keys`, on a thread for
    /// blocking work: an RSA signature is about half a millisecond of a
    /// core, and a server thread that spent it signing would meanwhile
    /// answer nothing, nor drive the writes other requests wait for.
    pub async fn sign(
        &self,
        keys: Arc<KeySet>,
        alg: Alg,
        claims: serde_json::Value,
    ) -> Result<String, ServiceError> {
        let _turn = self
            .signers
            .acquire()
            .await
            .map_err(|_| anyhow::anyhow!("the signers are closed"))?;
        let signed = tokio::task::spawn_blocking(move || {
            keys.current(alg)
                .ok_or_else(|| anyhow::anyhow!("no current {} key", alg.as_str()))?
                .sign(&claims)
        })
        .await
        .map_err(|_| anyhow::anyhow!("the signing stopped"))??;
        Ok(signed)
    }

    /// The store with the operator's key, which signs for its algorithm.
    pub fn with_configured(mut self, key: SigningKey) -> KeyStore {
        self.configured = Some(Arc::new(key));
        self
    }

    fn cached(&self) -> Option<Arc<KeySet>> {
        let copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
        let copy = copy.as_ref()?;
        (copy.read_at.elapsed() < MAX_AGE).then(|| Arc::clone(&copy.keys))
    }

    /// The keys, making the first ones when there are none.
    pub async fn get(&self, db: &Db) -> Result<Arc<KeySet>, ServiceError> {
        if let Some(keys) = self.cached() {
            return Ok(keys);
        }
        let _reading = self.reading.lock().await;
        if let Some(keys) = self.cached() {
            return Ok(keys);
        }
        let mut keys = self.read(db).await?;
        let missing: Vec<Alg> = Alg::ALL
            .into_iter()
            .filter(|alg| keys.current(*alg).is_none())
            .collect();
        if !missing.is_empty() {
            self.add(db, &missing, false).await?;
            keys = self.read(db).await?;
        }
        let keys = Arc::new(keys);
        *self.copy.lock().unwrap_or_else(PoisonError::into_inner) = Some(Copy {
            read_at: Instant::now(),
            keys: Arc::clone(&keys),
        });
        Ok(keys)
    }

    async fn read(&self, db: &Db) -> Result<KeySet, ServiceError> {
        let mut conn = db.acquire().await?;
        let since = Timestamp(Timestamp::now().0 - RETIRED_KEPT_MS);
        let rows = db::oidc::keys(&mut conn, since).await?;
        drop(conn);
        let mut current = HashMap::new();
        let mut published = Vec::new();
        for row in rows {
            let Some(alg) = Alg::parse(&row.alg) else {
                continue;
            };
            let Some(der) = self.seal.open(&row.sealed_private_key) else {
                // Sealed under another secret key. A retired key is only
                // left unpublished; a current one means this instance's
                // secret key is not the others': making keys of its own
                // would retire theirs, so it refuses until that is mended.
                if row.retired_at.is_none() {
                    return Err(anyhow::anyhow!(
                        "the current {} signing key {} was sealed under another secret key: \
                         every instance must share GATEHOUSE_SECRET_KEY (if the old one is \
                         lost, `gatehouse keys rotate` makes new keys under this one)",
                        row.alg,
                        row.kid
                    )
                    .into());
                }
                tracing::warn!(kid = %row.kid, "a retired signing key was sealed under another secret key; it is not published");
                continue;
            };
            let key = Arc::new(SigningKey::from_pkcs8(&row.kid, alg, &der)?);
            if row.retired_at.is_none() {
                current.insert(alg, Arc::clone(&key));
            }
            published.push(key);
        }
        if let Some(key) = &self.configured {
            current.insert(key.alg, Arc::clone(key));
            published.push(Arc::clone(key));
        }
        let jwks = serde_json::json!({
            "keys": published.iter().map(|k| k.jwk().clone()).collect::<Vec<_>>()
        })
        .to_string();
        Ok(KeySet {
            current,
            published,
            jwks,
        })
    }

    /// Makes and stores a new key for each of `algs`, retiring the old.
    /// `audited`: a rotation is recorded (in the default organisation's
    /// log: the keys are the instance's); the first keys are not.
    async fn add(&self, db: &Db, algs: &[Alg], audited: bool) -> Result<Vec<String>, ServiceError> {
        let mut made = Vec::new();
        for alg in algs {
            let alg = *alg;
            // RSA key generation takes a while: off the async workers.
            let der = tokio::task::spawn_blocking(move || jwt::generate(alg))
                .await
                .map_err(|e| anyhow::anyhow!("key generation stopped: {e}"))??;
            made.push((jwt::new_kid(), alg, self.seal.seal(&der)));
        }
        let meta = RequestMeta::default();
        let scope = match audited {
            true => Scope::organisation(DEFAULT_ORGANISATION),
            false => Scope::instance(),
        };
        let mut work = Work::in_scope(db, scope, &meta).await?;
        let now = Timestamp::now();
        for (kid, alg, sealed) in &made {
            db::oidc::add_key(work.transaction(), kid, alg.as_str(), sealed, now).await?;
        }
        if audited {
            let kids: Vec<&str> = made.iter().map(|(kid, _, _)| kid.as_str()).collect();
            work.audit(AuditAction::KeysRotated, None)
                .after(Some(format!("new signing keys {}", kids.join(", "))));
        }
        work.commit("the new signing keys").await?;
        tracing::info!(keys = made.len(), "made new OpenID Connect signing keys");
        Ok(made.into_iter().map(|(kid, _, _)| kid).collect())
    }

    /// `gatehouse keys rotate`: a new key for every algorithm; the old ones
    /// stay published until the tokens they signed have expired. Returns
    /// the new key ids.
    pub async fn rotate(&self, db: &Db) -> Result<Vec<String>, ServiceError> {
        let _reading = self.reading.lock().await;
        let kids = self.add(db, &Alg::ALL, true).await?;
        *self.copy.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(kids)
    }
}
