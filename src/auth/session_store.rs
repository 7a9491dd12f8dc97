//! actix-session's `SessionStore` over the database: the cookie carries a
//! random 256-bit key, the `sessions` table keeps its SHA-256 and the state.
//! A row exists only once something is put in the session (a sign-in), so
//! anonymous visitors never cause a write.
//!
//! Expiry is enforced here, on the server: a session is loaded only while it
//! is younger than the lifetime and was used within the idle timeout. The
//! row's bookkeeping (public id, last seen, IP, browser) travels through the
//! request as one reserved state entry, `SessionMeta`: `load` puts it in,
//! `save`/`update` take it out again and write it to its columns. The
//! extractors refresh it at most once a minute, which is what keeps an
//! active session alive without a database write on every request.

use std::collections::HashMap;

use actix_session::Session;
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use anyhow::Context;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::session_loads::SessionLoads;
use crate::db::sessions::SessionWrite;
use crate::db::{self, Db, Scope};
use crate::domain::AuthUser;
use crate::domain::session::SessionLimits;
use crate::domain::{GroupId, OrgId, PermissionSet, RoleId, Timestamp, UserId, UserStatus};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// The session key actix-identity stores the user id under.
pub const IDENTITY_KEY: &str = "actix_identity.user_id";

/// The reserved state entry holding `SessionMeta`; never stored in `state`.
pub const META_KEY: &str = "gatehouse.session";

/// The reserved state entry holding the session's user as `load` read them
/// (live status and permissions, from the same query as the session); never
/// stored in `state`.
pub const USER_KEY: &str = "gatehouse.user";

/// `AuthUser` as it travels through the request's session state.
#[derive(Serialize, Deserialize)]
struct SessionUser {
    id: i64,
    organisation: i64,
    username: String,
    full_name: String,
    status: String,
    role_id: i64,
    role_name: String,
    permissions: Vec<String>,
    email: String,
    groups: Vec<(i64, String)>,
    granted_roles: Vec<i64>,
    #[serde(default)]
    must_change_password: bool,
    #[serde(default)]
    email_verified: bool,
}

impl From<&AuthUser> for SessionUser {
    fn from(user: &AuthUser) -> SessionUser {
        SessionUser {
            id: user.id.0,
            organisation: user.organisation.0,
            username: user.username.clone(),
            full_name: user.full_name.clone(),
            status: user.status.as_str().to_owned(),
            role_id: user.role_id.0,
            role_name: user.role_name.clone(),
            permissions: user
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            email: user.email.clone(),
            groups: user
                .groups
                .iter()
                .map(|(id, n)| (id.0, n.clone()))
                .collect(),
            granted_roles: user.granted_roles.iter().map(|r| r.0).collect(),
            must_change_password: user.must_change_password,
            email_verified: user.email_verified,
        }
    }
}

/// The user this request's session load found, if any. The extractors use
/// it instead of reading the user a second time.
pub fn loaded_user(session: &Session) -> Option<AuthUser> {
    let user = session.get::<SessionUser>(USER_KEY).ok().flatten()?;
    let organisation = OrgId(user.organisation);
    Some(AuthUser {
        id: UserId(user.id),
        organisation,
        username: user.username,
        full_name: user.full_name,
        status: UserStatus::parse(&user.status)?,
        role_id: RoleId(user.role_id),
        role_name: user.role_name,
        permissions: PermissionSet::from_strs(user.permissions.iter().map(String::as_str))
            .within(organisation),
        email: user.email,
        groups: user
            .groups
            .into_iter()
            .map(|(id, n)| (GroupId(id), n))
            .collect(),
        granted_roles: user.granted_roles.into_iter().map(RoleId).collect(),
        must_change_password: user.must_change_password,
        email_verified: user.email_verified,
    })
}

/// A session's bookkeeping as the current request sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// The row's public id; `None` until the session is first saved.
    pub id: Option<String>,
    /// When the row last recorded activity (milliseconds).
    pub seen: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// When the session began: its user signed in then (milliseconds).
    #[serde(default)]
    pub since: Option<i64>,
}

impl SessionMeta {
    /// This request's view of the session's bookkeeping, if it has any.
    pub fn of(session: &Session) -> Option<SessionMeta> {
        session.get::<SessionMeta>(META_KEY).ok().flatten()
    }
}

/// The public id of the session this request carries, if it has a stored one.
pub fn current_session_id(req: &actix_web::HttpRequest) -> Option<String> {
    use actix_session::SessionExt;
    SessionMeta::of(&req.get_session()).and_then(|meta| meta.id)
}

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    limits: SessionLimits,
    loads: SessionLoads,
}

impl DbSessionStore {
    pub fn new(db: Db, limits: SessionLimits) -> DbSessionStore {
        DbSessionStore {
            loads: SessionLoads::new(db.clone()),
            db,
            limits,
        }
    }
}

type State = HashMap<String, String>;

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// actix-identity keeps the id JSON-encoded (`"42"`).
fn user_of(state: &State) -> Option<UserId> {
    let raw = state.get(IDENTITY_KEY)?;
    let text: String = serde_json::from_str(raw).unwrap_or_else(|_| raw.clone());
    text.parse().ok().map(UserId)
}

/// Removes the reserved entries from `state` and returns the state as JSON.
fn split_state(mut state: State) -> Result<(String, Option<SessionMeta>), serde_json::Error> {
    state.remove(USER_KEY);
    let meta = state
        .remove(META_KEY)
        .and_then(|raw| serde_json::from_str(&raw).ok());
    Ok((serde_json::to_string(&state)?, meta))
}

impl DbSessionStore {
    /// Every signed-in page's first read: one that fails on a connection
    /// the server dropped (a restart) is tried once more on a fresh one,
    /// and an outage is noted so the page says so (503) rather than 500.
    async fn load_retrying(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let outages = self.db.outages();
        match self.load_once(session_key).await {
            Err(LoadError::Other(err)) if outages.note(&err) => {
                let again = self.load_once(session_key).await;
                if let Err(LoadError::Other(err)) = &again {
                    outages.note(err);
                }
                again
            }
            loaded => loaded,
        }
    }

    async fn load_once(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id_hash = hash_key(session_key.as_ref());
        let loaded = self.loads.load(&id_hash).await.map_err(LoadError::Other)?;
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        if !loaded.is_live(self.limits, Timestamp::now()) {
            // Expired: the row goes now rather than at the next purge.
            let mut conn = self.db.acquire().await.map_err(LoadError::Other)?;
            db::sessions::delete(Scope::instance().on(&mut conn), &id_hash)
                .await
                .map_err(LoadError::Other)?;
            return Ok(None);
        }
        let mut state: State = serde_json::from_str(&loaded.state)
            .context("session state is not JSON")
            .map_err(LoadError::Deserialization)?;
        let meta = SessionMeta {
            id: Some(loaded.public_id),
            seen: loaded.last_seen_at,
            ip: loaded.ip,
            user_agent: loaded.user_agent,
            since: Some(loaded.created_at),
        };
        let meta = serde_json::to_string(&meta).map_err(|e| LoadError::Other(e.into()))?;
        state.insert(META_KEY.to_owned(), meta);
        if let Some(user) = &loaded.user {
            let user = serde_json::to_string(&SessionUser::from(user))
                .map_err(|e| LoadError::Other(e.into()))?;
            state.insert(USER_KEY.to_owned(), user);
        }
        Ok(Some(state))
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        self.load_retrying(session_key).await
    }

    async fn save(&self, state: State, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        let user = user_of(&state);
        let (body, meta) = split_state(state).map_err(|e| SaveError::Serialization(e.into()))?;
        let meta = meta.unwrap_or_default();
        let key = random_hex(32);
        let now = Timestamp::now();
        let id_hash = hash_key(&key);
        let row = SessionWrite {
            id_hash: &id_hash,
            user,
            state: &body,
            now,
            last_seen: now,
            expires_at: self.limits.expires_at(now, now),
            ip: meta.ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
        };
        let mut conn = self.db.acquire().await.map_err(SaveError::Other)?;
        db::sessions::insert(Scope::instance().on(&mut conn), &random_hex(16), &row)
            .await
            .map_err(SaveError::Other)?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let user = user_of(&state);
        let (body, meta) = split_state(state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let now = Timestamp::now();
        let meta = meta.unwrap_or(SessionMeta {
            seen: now.0,
            ..SessionMeta::default()
        });
        let id_hash = hash_key(session_key.as_ref());
        let row = SessionWrite {
            id_hash: &id_hash,
            user,
            state: &body,
            now,
            last_seen: Timestamp(meta.seen.min(now.0)),
            expires_at: now,
            ip: meta.ip.as_deref(),
            user_agent: meta.user_agent.as_deref(),
        };
        let mut conn = self.db.acquire().await.map_err(UpdateError::Other)?;
        // A revoked session stays revoked: the update touches no row and the
        // next request arrives with a key that loads nothing.
        db::sessions::update(Scope::instance().on(&mut conn), &row, self.limits)
            .await
            .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    /// Never called: the TTL extension policy is "on state changes", and
    /// activity is recorded through `update`.
    async fn update_ttl(&self, _: &SessionKey, _: &Duration) -> Result<(), anyhow::Error> {
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let mut conn = self.db.acquire().await?;
        db::sessions::delete(
            Scope::instance().on(&mut conn),
            &hash_key(session_key.as_ref()),
        )
        .await
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
        let (a, b) = (random_hex(32), random_hex(32));
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(hash_key(&a), a);
    }

    #[test]
    fn the_bookkeeping_entry_is_taken_out_of_the_stored_state() {
        let mut state = State::new();
        state.insert(IDENTITY_KEY.into(), "\"7\"".into());
        let meta = SessionMeta {
            id: Some("abc".into()),
            seen: 5,
            ip: Some("10.0.0.1".into()),
            user_agent: None,
            since: Some(1),
        };
        state.insert(META_KEY.into(), serde_json::to_string(&meta).unwrap());
        state.insert(USER_KEY.into(), "{}".into());
        let (body, taken) = split_state(state).unwrap();
        assert_eq!(taken, Some(meta));
        assert!(!body.contains(META_KEY));
        assert!(!body.contains(USER_KEY));
        assert!(body.contains(IDENTITY_KEY));
    }
}
