//! API tokens: personal ones (`/account/tokens`, any Active user, for
//! themselves) and service ones (`/admin/tokens`, `tokens.manage`, owned by
//! their maker, listed for every holder of the permission). Scopes are a
//! subset of the maker's permissions; a token acts as its owner with only
//! those, and stops working when it expires, is revoked, or its owner is no
//! longer Active or loses one of them. Making and revoking are audited; the
//! secret is returned once and never logged.

use super::work::Work;
use super::{Actor, Authorized, RequestMeta, ServiceError};
use crate::auth::token::{self as secret, NewSecret};
use crate::db::audit::AuditTarget;
use crate::db::tokens::NewToken;
use crate::db::{self, Db, Scope};
use crate::domain::permission::perm;
use crate::domain::token::{
    ApiToken, TokenKind, TokenRefusal, TokenState, expires_after, parse_expiry_days, parse_scopes,
    parse_token_name,
};
use crate::domain::{AuditAction, AuthUser, FieldError, Timestamp, TokenId, UserStatus};

/// The most live tokens one user owns.
pub const TOKENS_PER_USER: u64 = 50;

/// How often a token's last use is written: the list shows it to the
/// minute, and a busy script costs no write per request.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct TokenForm {
    pub name: String,
    /// Days until it expires; empty for the default.
    pub expires_days: String,
    /// Permission names.
    pub scopes: Vec<String>,
}

/// A token just made: the secret, shown once, and the token as listed.
pub struct MadeToken {
    pub secret: String,
    pub token: ApiToken,
}

fn target(token: &ApiToken) -> AuditTarget {
    AuditTarget {
        kind: "token",
        id: token.id.0,
        label: token.name.clone(),
        user_id: Some(token.owner),
    }
}

fn describe(token: &ApiToken) -> String {
    format!(
        "{} token {} ({}…), scopes {}, expires {}",
        token.kind.as_str(),
        token.name,
        token.prefix,
        token.scopes_text(),
        token.expires_at
    )
}

async fn make(
    db: &Db,
    actor: &Actor,
    kind: TokenKind,
    form: &TokenForm,
    meta: &RequestMeta,
) -> Result<MadeToken, ServiceError> {
    let parsed = (
        parse_token_name(&form.name),
        parse_expiry_days(&form.expires_days),
        parse_scopes(&form.scopes, &actor.permissions),
    );
    let (name, days, scopes) = match parsed {
        (Ok(name), Ok(days), Ok(scopes)) => (name, days, scopes),
        (name, days, scopes) => {
            let mut errors = super::FieldErrors::default();
            errors.check("name", name);
            errors.check("expires_days", days);
            errors.check("scopes", scopes);
            return Err(errors
                .into_result()
                .err()
                .unwrap_or_else(|| ServiceError::Conflict("The token form is not valid.".into())));
        }
    };
    let mut work = Work::begin(db, actor, meta).await?;
    let now = Timestamp::now();
    if db::tokens::live_count(work.tx(), actor.id, now).await? >= TOKENS_PER_USER {
        return Err(ServiceError::Conflict(format!(
            "You have {TOKENS_PER_USER} live tokens; revoke one first."
        )));
    }
    let NewSecret {
        secret,
        hash,
        prefix,
    } = secret::generate(kind);
    let new = NewToken {
        kind,
        owner: actor.id,
        name: &name,
        prefix: &prefix,
        secret_hash: &hash,
        scopes: &scopes,
        created_at: now,
        expires_at: expires_after(now, days),
    };
    let id = db::tokens::insert(work.tx(), &new).await?;
    let token = db::tokens::find(work.tx(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("token {id} vanished while it was made"))?;
    work.audit(AuditAction::TokenCreated, Some(target(&token)))
        .after(Some(describe(&token)));
    work.commit("the new token").await?;
    Ok(MadeToken { secret, token })
}

/// Makes a personal token for the signed-in user.
pub async fn create_personal(
    db: &Db,
    actor: &Actor,
    form: &TokenForm,
    meta: &RequestMeta,
) -> Result<MadeToken, ServiceError> {
    make(db, actor, TokenKind::Personal, form, meta).await
}

/// Makes a service token, owned by its maker.
pub async fn create_service(
    db: &Db,
    actor: &Authorized<perm::TokensManage>,
    form: &TokenForm,
    meta: &RequestMeta,
) -> Result<MadeToken, ServiceError> {
    make(db, actor, TokenKind::Service, form, meta).await
}

/// The user's own personal tokens.
pub async fn list_personal(db: &Db, actor: &Actor) -> Result<Vec<ApiToken>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::tokens::list(
        actor.scope.on(&mut conn),
        TokenKind::Personal,
        Some(actor.id),
    )
    .await?)
}

/// The organisation's service tokens.
pub async fn list_service(
    db: &Db,
    actor: &Authorized<perm::TokensManage>,
) -> Result<Vec<ApiToken>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::tokens::list(actor.scope.on(&mut conn), TokenKind::Service, None).await?)
}

async fn revoke(
    db: &Db,
    actor: &Actor,
    id: TokenId,
    may: impl Fn(&ApiToken) -> bool,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let token = db::tokens::find(work.tx(), id)
        .await?
        .filter(|t| may(t))
        .ok_or(ServiceError::NotFound)?;
    if token.revoked_at.is_some() {
        return Err(ServiceError::Conflict(format!(
            "{} was revoked already.",
            token.name
        )));
    }
    db::tokens::revoke(work.tx(), id, Timestamp::now()).await?;
    work.audit(AuditAction::TokenRevoked, Some(target(&token)))
        .change(describe(&token), "revoked");
    work.commit("the token's revocation").await?;
    Ok(token.name)
}

/// Revokes one of the user's own personal tokens; returns its name.
pub async fn revoke_personal(
    db: &Db,
    actor: &Actor,
    id: TokenId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let me = actor.id;
    revoke(
        db,
        actor,
        id,
        |t| t.kind == TokenKind::Personal && t.owner == me,
        meta,
    )
    .await
}

/// Revokes one of the organisation's service tokens; returns its name.
pub async fn revoke_service(
    db: &Db,
    actor: &Authorized<perm::TokensManage>,
    id: TokenId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    revoke(db, actor, id, |t| t.kind == TokenKind::Service, meta).await
}

/// `gatehouse token create`: a token for the Active user `username` of
/// `scope`'s organisation, with scopes they hold; audited as done by them
/// from the command line. A user holding `tokens.manage` gets a service
/// token, anyone else a personal one.
pub async fn create_from_command_line(
    db: &Db,
    scope: Scope,
    username: &str,
    form: &TokenForm,
) -> Result<MadeToken, ServiceError> {
    let user = {
        let mut conn = db.acquire().await?;
        let unknown = || {
            ServiceError::field(
                "user",
                FieldError::new(format!("There is no user {username:?}.")),
            )
        };
        let found = match username.contains('@') {
            true => None,
            false => db::users::find_credentials(scope.on(&mut conn), username).await?,
        };
        let found = found.ok_or_else(unknown)?;
        // Instance-wide by id, as a session's user is read; the id came
        // from this organisation's rows just above.
        db::signed_in::find_auth(Scope::instance().on(&mut conn), found.id)
            .await?
            .ok_or_else(unknown)?
    };
    if user.status != UserStatus::Active {
        return Err(ServiceError::field(
            "user",
            FieldError::new(format!("{username} is not Active.")),
        ));
    }
    let actor = Actor::from(&user);
    let kind = match user
        .permissions
        .contains(crate::domain::Permission::TokensManage)
    {
        true => TokenKind::Service,
        false => TokenKind::Personal,
    };
    make(db, &actor, kind, form, &RequestMeta::default()).await
}

/// Who a presented token acts for: its owner as read now, holding only the
/// token's scopes.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token: ApiToken,
    pub user: AuthUser,
}

/// Checks a presented token (`None`: no `Authorization: Bearer`) and
/// returns who it acts for, or why it does not work.
pub async fn authenticate(
    db: &Db,
    presented: Option<&str>,
) -> Result<Result<ApiCaller, TokenRefusal>, ServiceError> {
    let Some(presented) = presented else {
        return Ok(Err(TokenRefusal::Missing));
    };
    if !secret::well_formed(presented) {
        return Ok(Err(TokenRefusal::Unknown));
    }
    let mut conn = db.acquire_read().await?;
    let found =
        db::tokens::authenticate(Scope::instance().on(&mut conn), &secret::hash(presented)).await?;
    conn.done();
    let Some((token, owner)) = found else {
        return Ok(Err(TokenRefusal::Unknown));
    };
    let now = Timestamp::now();
    match token.state(now) {
        TokenState::Active => {}
        TokenState::Expired => return Ok(Err(TokenRefusal::Expired)),
        TokenState::Revoked => return Ok(Err(TokenRefusal::Revoked)),
    }
    let Some(mut user) = owner.filter(|u| u.status == UserStatus::Active) else {
        return Ok(Err(TokenRefusal::OwnerInactive));
    };
    if let Some(lost) = token.scopes.iter().find(|p| !user.permissions.contains(*p)) {
        return Ok(Err(TokenRefusal::ScopeLost(lost)));
    }
    user.permissions = token.scopes.clone();
    if token
        .last_used_at
        .is_none_or(|at| now.0 - at.0 >= TOUCH_INTERVAL_MS)
    {
        let mut conn = db.acquire().await?;
        db::tokens::touch(user.scope().on(&mut conn), token.id, now).await?;
    }
    Ok(Ok(ApiCaller { token, user }))
}
