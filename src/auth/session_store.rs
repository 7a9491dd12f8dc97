//! actix-session's `SessionStore` over the database: the cookie carries a
//! random 256-bit key, the `sessions` table keeps its SHA-256 and the state.
//! A row exists only once something is put in the session (a sign-in), so
//! anonymous visitors never cause a write.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use anyhow::Context;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{self, Db};
use crate::domain::{Timestamp, UserId};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// The session key actix-identity stores the user id under.
pub const IDENTITY_KEY: &str = "actix_identity.user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> DbSessionStore {
        DbSessionStore { db }
    }
}

type State = HashMap<String, String>;

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// actix-identity keeps the id JSON-encoded (`"42"`).
fn user_of(state: &State) -> Option<UserId> {
    let raw = state.get(IDENTITY_KEY)?;
    let text: String = serde_json::from_str(raw).unwrap_or_else(|_| raw.clone());
    text.parse().ok().map(UserId)
}

fn expiry(ttl: &Duration) -> (Timestamp, Timestamp) {
    let now = Timestamp::now();
    (now, Timestamp(now.0 + ttl.whole_milliseconds() as i64))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let mut conn = self
            .db
            .pool
            .acquire()
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        let state =
            db::sessions::load(&mut conn, &hash_key(session_key.as_ref()), Timestamp::now())
                .await
                .map_err(LoadError::Other)?;
        state
            .map(|s| serde_json::from_str(&s).context("session state is not JSON"))
            .transpose()
            .map_err(LoadError::Deserialization)
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let body = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key();
        let (now, expires) = expiry(ttl);
        let mut conn = self
            .db
            .pool
            .acquire()
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        db::sessions::insert(
            &mut conn,
            &hash_key(&key),
            user_of(&state),
            &body,
            now,
            expires,
        )
        .await
        .map_err(SaveError::Other)?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (now, expires) = expiry(ttl);
        let mut conn = self
            .db
            .pool
            .acquire()
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        // A revoked session stays revoked: the update touches no row and the
        // next request arrives with a key that loads nothing.
        db::sessions::update(
            &mut conn,
            &hash_key(session_key.as_ref()),
            user_of(&state),
            &body,
            now,
            expires,
        )
        .await
        .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let (_, expires) = expiry(ttl);
        let mut conn = self.db.pool.acquire().await?;
        db::sessions::extend(&mut conn, &hash_key(session_key.as_ref()), expires).await
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let mut conn = self.db.pool.acquire().await?;
        db::sessions::delete(&mut conn, &hash_key(session_key.as_ref())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_id_is_read_from_the_identity_entry() {
        let mut state = State::new();
        state.insert(IDENTITY_KEY.into(), "\"42\"".into());
        assert_eq!(user_of(&state), Some(UserId(42)));
        assert_eq!(user_of(&State::new()), None);
    }

    #[test]
    fn keys_are_random_and_stored_only_as_hashes() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(hash_key(&a), a);
    }
}
