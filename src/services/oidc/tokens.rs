//! The token endpoint's grants (`authorization_code`, `refresh_token`),
//! revocation and userinfo: each checks the user's status and the app's
//! rule again, so a user who is disabled or loses the role is cut off at
//! their app's next call.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::batch::{NewTokens, TokenWrite, TokenWrites, Written};
use super::keys::KeyStore;
use super::{
    ACCESS_TTL_MS, GRANT_TTL_MS, ID_TOKEN_TTL_MS, ProtocolError, admitted, app_target,
    invalid_grant, random_token,
};
use crate::auth::jwt::{self, Alg};
use crate::auth::token::hash;
use crate::db::oidc::{CodeRow, FoundCode, Presented};
use crate::db::{self, Db, Scope};
use crate::domain::oidc::{OidcClient, is_pkce_value};
use crate::domain::{AuditAction, AuthUser, OrgId, Timestamp, UserId, UserStatus};
use crate::services::app_directory::Apps;
use crate::services::work::Work;
use crate::services::{RequestMeta, ServiceError};

/// What the token endpoint answers.
#[derive(Debug, serde::Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// A code presented with what must match it.
pub struct Exchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// Where an ID token's claims come from.
pub struct Issuing<'a> {
    pub db: &'a Db,
    pub keys: &'a KeyStore,
    pub apps: &'a Apps,
    pub writes: &'a TokenWrites,
}

/// The `authorization_code` grant.
pub async fn exchange_code(
    issuing: &Issuing<'_>,
    client: &OidcClient,
    exchange: &Exchange<'_>,
    meta: &RequestMeta,
) -> Result<Tokens, ProtocolError> {
    let db = issuing.db;
    let code_hash = hash(exchange.code);
    let found = {
        let mut conn = db.acquire_read().await?;
        let found = db::oidc::find_code(Scope::instance().on(&mut conn), &code_hash).await?;
        conn.done();
        found
    };
    let Some(FoundCode {
        code,
        subject,
        user,
    }) = found.filter(|c| c.code.app_id == client.app_id.0)
    else {
        return Err(invalid_grant("The code is not valid."));
    };
    let now = Timestamp::now();
    if code.used_at.is_some() {
        return Err(code_replayed(db, client, &code, meta).await);
    }
    if code.expires_at <= now.0 {
        return Err(invalid_grant("The code has expired."));
    }
    if exchange.redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request.",
        ));
    }
    match (&code.code_challenge, exchange.code_verifier) {
        (Some(challenge), Some(verifier))
            if is_pkce_value(verifier) && jwt::s256(verifier) == *challenge => {}
        (Some(_), _) => return Err(invalid_grant("The PKCE code_verifier does not match.")),
        (None, Some(_)) => return Err(invalid_grant("No code_challenge was sent for this code.")),
        (None, None) => {}
    }
    // Everything that only reads comes before the write: the key, and the
    // names of the roles the user's groups grant (the user as they are now
    // and their subject came with the code).
    let keys = issuing.keys.get(db).await?;
    let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::Rs256);
    if keys.current(alg).is_none() {
        return Err(anyhow::anyhow!("no current {} key", alg.as_str()).into());
    }
    let Some(user) =
        user.filter(|u| u.status == UserStatus::Active && admitted(issuing.apps, u, client.app_id))
    else {
        return Err(invalid_grant("The user may no longer sign in to this app."));
    };
    let roles = role_names(db, &user).await?;
    let (access_token, refresh_token) = (random_token(), random_token());
    let write = TokenWrite::Code {
        org: OrgId(code.organisation_id),
        code_hash: code_hash.clone(),
        app: client.app_id,
        user: user.id,
        scopes: code.scopes.clone(),
        auth_time: code.auth_time,
        grant_expires_at: Timestamp(now.0 + GRANT_TTL_MS),
        new_subject: subject.is_none().then(random_token),
        tokens: new_tokens(&access_token, &refresh_token, now),
    };
    let scopes: Vec<&str> = code.scopes.split(' ').collect();
    let claims = |subject: &str| {
        let mut claims = user_claims(&user, subject, &scopes, &roles);
        claims.insert("iss".into(), json!(code.issuer));
        claims.insert("aud".into(), json!(client.client_id));
        claims.insert("azp".into(), json!(client.client_id));
        claims.insert("iat".into(), json!(now.0 / 1000));
        claims.insert("exp".into(), json!((now.0 + ID_TOKEN_TTL_MS) / 1000));
        claims.insert("auth_time".into(), json!(code.auth_time / 1000));
        if let Some(nonce) = &code.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        Value::Object(claims)
    };
    let signed = match &subject {
        // The user's subject is known: the ID token is signed while the
        // write waits for the commit that holds it (the CPU would otherwise
        // wait with it). It is sent only after that commit, and dropped
        // unsent when the code turns out to be used.
        Some(known) => {
            let (written, signed) = tokio::join!(
                issuing.writes.write(db, write),
                issuing.keys.sign(Arc::clone(&keys), alg, claims(known)),
            );
            if written? == Written::AlreadyUsed {
                return Err(code_replayed(db, client, &code, meta).await);
            }
            signed?
        }
        // A first sign-in to any app: the subject is made with the grant.
        None => {
            let subject = match issuing.writes.write(db, write).await? {
                Written::Stored { subject } => subject,
                Written::AlreadyUsed => return Err(code_replayed(db, client, &code, meta).await),
            };
            let subject = subject.ok_or_else(|| anyhow::anyhow!("the user has no subject"))?;
            issuing.keys.sign(keys, alg, claims(&subject)).await?
        }
    };
    let mut tokens = answer(access_token, refresh_token, &code.scopes);
    tokens.id_token = Some(signed);
    Ok(tokens)
}

/// RFC 6749 §4.1.2: a code used twice revokes what it gave. The answer
/// is `invalid_grant`, unless the revocation itself failed.
async fn code_replayed(
    db: &Db,
    client: &OidcClient,
    code: &CodeRow,
    meta: &RequestMeta,
) -> ProtocolError {
    let revoked = async {
        let scope = Scope::organisation(OrgId(code.organisation_id));
        let mut work = Work::in_scope(db, scope, meta).await?;
        work.changes_no_copy();
        let now = Timestamp::now();
        if db::oidc::revoke_grant_of_code(work.tx(), &code.code_hash, now).await? > 0 {
            let user = UserId(code.user_id);
            work.audit(
                AuditAction::OidcRevoked,
                Some(app_target(client.app_id, &client.app_name, user)),
            )
            .reason(Some("authorization code used twice"));
        }
        work.commit("the replayed code's revocation").await
    };
    match revoked.await {
        Ok(()) => invalid_grant("The code was used already."),
        Err(err) => err.into(),
    }
}

fn new_tokens(access_token: &str, refresh_token: &str, now: Timestamp) -> NewTokens {
    NewTokens {
        refresh_hash: hash(refresh_token),
        access_hash: hash(access_token),
        access_expires_at: Timestamp(now.0 + ACCESS_TTL_MS),
    }
}

fn answer(access_token: String, refresh_token: String, scopes: &str) -> Tokens {
    Tokens {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_MS / 1000,
        refresh_token,
        id_token: None,
        scope: scopes.to_owned(),
    }
}

/// The user's role and the roles their groups grant, by name.
/// A connection is taken only when the user's groups grant roles.
async fn role_names(db: &Db, user: &AuthUser) -> Result<Vec<String>, ServiceError> {
    let mut names = vec![user.role_name.clone()];
    if user.granted_roles.is_empty() {
        return Ok(names);
    }
    let mut conn = db.acquire_read().await?;
    let granted = db::oidc::role_names(user.scope().on(&mut conn), &user.granted_roles).await?;
    conn.done();
    for name in granted {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// The claims about `user` that `scopes` allow.
fn user_claims(
    user: &AuthUser,
    subject: &str,
    scopes: &[&str],
    roles: &[String],
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject));
    if scopes.contains(&"profile") {
        claims.insert("name".into(), json!(user.full_name));
        claims.insert("preferred_username".into(), json!(user.username));
    }
    if scopes.contains(&"email") {
        claims.insert("email".into(), json!(user.email));
        // True only once the user opened a link mailed to this address.
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if scopes.contains(&"groups") {
        let groups: Vec<&str> = user.groups.iter().map(|(_, n)| n.as_str()).collect();
        claims.insert("groups".into(), json!(groups));
    }
    if scopes.contains(&"roles") {
        claims.insert("roles".into(), json!(roles));
    }
    claims
}

/// Ends a grant a token was presented for, with the reason in the log.
async fn end_grant(
    db: &Db,
    client: &OidcClient,
    found: &Presented,
    user: Option<&AuthUser>,
    reason: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let Some(user) = user else { return Ok(()) };
    let mut work = Work::in_scope(db, user.scope(), meta).await?;
    work.changes_no_copy();
    if db::oidc::revoke_grant(work.tx(), found.grant_id, None, Timestamp::now()).await? {
        work.audit(
            AuditAction::OidcRevoked,
            Some(app_target(client.app_id, &client.app_name, user.id)),
        )
        .reason(Some(reason));
    }
    work.commit("the grant's revocation").await?;
    Ok(())
}

/// The `refresh_token` grant: a new access and refresh token; the one
/// presented is used up, and presenting it again ends the whole grant.
pub async fn refresh(
    db: &Db,
    writes: &TokenWrites,
    apps: &Apps,
    client: &OidcClient,
    refresh_token: &str,
    meta: &RequestMeta,
) -> Result<Tokens, ProtocolError> {
    let token_hash = hash(refresh_token);
    let found = {
        let mut conn = db.acquire_read().await?;
        let found = db::oidc::find_refresh(Scope::instance().on(&mut conn), &token_hash).await?;
        conn.done();
        found
    };
    let Some(found) = found.filter(|f| f.app_id == client.app_id) else {
        return Err(invalid_grant("The refresh token is not valid."));
    };
    let now = Timestamp::now();
    if found.revoked || found.grant_expires_at <= now.0 {
        return Err(invalid_grant(
            "The refresh token has been revoked or has expired.",
        ));
    }
    let user = found.user.clone();
    if found.used_at.is_some() {
        end_grant(
            db,
            client,
            &found,
            user.as_ref(),
            "refresh token used twice",
            meta,
        )
        .await?;
        return Err(invalid_grant(
            "The refresh token was used already; the sign-in is revoked.",
        ));
    }
    let allowed = user
        .as_ref()
        .is_some_and(|u| u.status == UserStatus::Active && admitted(apps, u, client.app_id));
    let Some(user) = user.filter(|_| allowed) else {
        end_grant(
            db,
            client,
            &found,
            found.user.as_ref(),
            "the user may no longer sign in to the app",
            meta,
        )
        .await?;
        return Err(invalid_grant("The user may no longer sign in to this app."));
    };
    let (access_token, refresh_token) = (random_token(), random_token());
    let write = TokenWrite::Refresh {
        org: user.organisation,
        token_hash,
        grant: found.grant_id,
        tokens: new_tokens(&access_token, &refresh_token, now),
    };
    if writes.write(db, write).await? == Written::AlreadyUsed {
        end_grant(
            db,
            client,
            &found,
            Some(&user),
            "refresh token used twice",
            meta,
        )
        .await?;
        return Err(invalid_grant(
            "The refresh token was used already; the sign-in is revoked.",
        ));
    }
    Ok(answer(access_token, refresh_token, &found.scopes))
}

/// RFC 7009: ends the grant of a refresh or access token of `client`;
/// any other token is ignored (the answer is the same).
pub async fn revoke(
    db: &Db,
    client: &OidcClient,
    token: &str,
    meta: &RequestMeta,
) -> Result<(), ProtocolError> {
    let token_hash = hash(token);
    let found = {
        let mut conn = db.acquire().await?;
        match db::oidc::find_refresh(Scope::instance().on(&mut conn), &token_hash).await? {
            Some(found) => Some(found),
            None => db::oidc::find_access(Scope::instance().on(&mut conn), &token_hash).await?,
        }
    };
    if let Some(found) = found.filter(|f| f.app_id == client.app_id && !f.revoked) {
        end_grant(
            db,
            client,
            &found,
            found.user.as_ref(),
            "revoked by the app",
            meta,
        )
        .await?;
    }
    Ok(())
}

/// The claims userinfo answers for an access token.
pub async fn userinfo(db: &Db, apps: &Apps, access_token: &str) -> Result<Value, ProtocolError> {
    let invalid = || ProtocolError::refused("invalid_token", "The access token is not valid.");
    let mut conn = db.acquire_read().await?;
    let found = db::oidc::find_access(Scope::instance().on(&mut conn), &hash(access_token)).await?;
    let live = |found: &Presented| {
        let now = Timestamp::now().0;
        let active = found.user.as_ref().is_some_and(|user| {
            user.status == UserStatus::Active && admitted(apps, user, found.app_id)
        });
        !found.revoked
            && found.token_expires_at.is_some_and(|at| at > now)
            && found.subject.is_some()
            && active
    };
    let Some(found) = found.filter(live) else {
        conn.done();
        return Err(invalid());
    };
    let (Some(user), Some(subject)) = (&found.user, &found.subject) else {
        conn.done();
        return Err(invalid());
    };
    conn.done();
    let scopes: Vec<&str> = found.scopes.split(' ').collect();
    let names = match scopes.contains(&"roles") {
        true => role_names(db, user).await?,
        false => Vec::new(),
    };
    Ok(Value::Object(user_claims(user, subject, &scopes, &names)))
}
