//! Apps as OpenID Connect clients: an administrator with `apps.manage`
//! registers the redirect URIs, scopes and kind; a confidential client's
//! secret is returned once (stored as its SHA-256) and can be replaced.
//! Every change is audited with before → after.

use super::random_token;
use crate::auth::token::hash;
use crate::db::audit::AuditTarget;
use crate::db::oidc::ClientFields;
use crate::db::{self, Db, Scope};
use crate::domain::oidc::{
    ClientKind, OidcClient, parse_client_scopes, parse_id_token_alg, parse_uri_lines,
};
use crate::domain::permission::perm;
use crate::domain::{AppId, AuditAction, Timestamp};
use crate::services::work::Work;
use crate::services::{Authorized, FieldErrors, RequestMeta, ServiceError};

/// The client form as typed.
#[derive(Debug, Clone, Default)]
pub struct ClientForm {
    /// "confidential" or "public".
    pub kind: String,
    /// One URI a line.
    pub redirect_uris: String,
    pub post_logout_uris: String,
    pub scopes: Vec<String>,
    /// "RS256" (the default) or "ES256".
    pub id_token_alg: String,
}

impl ClientForm {
    /// The form filled in from a registration.
    pub fn of(client: &OidcClient) -> ClientForm {
        ClientForm {
            kind: client.kind.as_str().to_owned(),
            redirect_uris: client.redirect_uris_text(),
            post_logout_uris: client.post_logout_uris_text(),
            scopes: client.scopes.clone(),
            id_token_alg: client.id_token_alg.clone(),
        }
    }

    /// What a new registration starts from.
    pub fn blank() -> ClientForm {
        ClientForm {
            kind: "confidential".into(),
            scopes: ["openid", "profile", "email", "groups", "roles"]
                .map(String::from)
                .to_vec(),
            id_token_alg: "RS256".into(),
            ..ClientForm::default()
        }
    }

    pub fn has_scope(&self, scope: &&str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

struct Parsed {
    kind: ClientKind,
    redirect_uris: Vec<String>,
    post_logout_uris: Vec<String>,
    scopes: Vec<String>,
    alg: String,
}

impl Parsed {
    fn fields(&self) -> ClientFields<'_> {
        ClientFields {
            kind: self.kind,
            redirect_uris: &self.redirect_uris,
            post_logout_uris: &self.post_logout_uris,
            scopes: &self.scopes,
            id_token_alg: &self.alg,
        }
    }
}

fn parse(form: &ClientForm) -> Result<Parsed, ServiceError> {
    let mut errors = FieldErrors::default();
    let kind = ClientKind::parse(&form.kind);
    if kind.is_none() {
        errors.add("kind", "Choose confidential or public.");
    }
    let redirect_uris = errors.check("redirect_uris", parse_uri_lines(&form.redirect_uris, true));
    let post_logout_uris = errors.check(
        "post_logout_uris",
        parse_uri_lines(&form.post_logout_uris, false),
    );
    let scopes = errors.check("scopes", parse_client_scopes(&form.scopes));
    let alg = errors.check("id_token_alg", parse_id_token_alg(form.id_token_alg.trim()));
    match (kind, redirect_uris, post_logout_uris, scopes, alg) {
        (Some(kind), Some(redirect_uris), Some(post_logout_uris), Some(scopes), Some(alg)) => {
            Ok(Parsed {
                kind,
                redirect_uris,
                post_logout_uris,
                scopes,
                alg,
            })
        }
        _ => Err(errors
            .into_result()
            .err()
            .unwrap_or_else(|| ServiceError::Conflict("The client form is not valid.".into()))),
    }
}

fn target(app: AppId, name: &str) -> AuditTarget {
    AuditTarget {
        kind: "app",
        id: app.0,
        label: name.to_owned(),
        user_id: None,
    }
}

/// A registration just saved, and the secret when one was made (shown once).
pub struct Saved {
    pub client: OidcClient,
    pub secret: Option<String>,
}

/// The app's registration, if it is a client.
pub async fn of_app(
    db: &Db,
    scope: &Scope,
    app: AppId,
) -> Result<Option<OidcClient>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(db::oidc::client_of_app(scope.on(&mut conn), app).await?)
}

/// Makes the app a client, or changes its registration. A new confidential
/// client (or one that stops being public) gets a secret.
pub async fn save(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    app: AppId,
    form: &ClientForm,
    meta: &RequestMeta,
) -> Result<Saved, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let saved = save_in(&mut work, app, form).await?;
    work.commit("the client registration").await?;
    Ok(saved)
}

/// `save` inside a unit of work begun by the caller (the command line
/// registers the app and its client in one).
pub async fn save_in(
    work: &mut Work<'_>,
    app: AppId,
    form: &ClientForm,
) -> Result<Saved, ServiceError> {
    let parsed = parse(form)?;
    let Some(found) = db::apps::find(work.tx(), app).await? else {
        return Err(ServiceError::NotFound);
    };
    let before = db::oidc::client_of_app(work.tx(), app).await?;
    let needs_secret = parsed.kind == ClientKind::Confidential
        && before.as_ref().is_none_or(|c| c.secret_hash.is_none());
    let secret = needs_secret.then(random_token);
    match &before {
        None => {
            let client_id = format!(
                "{}-{}",
                found.slug,
                &random_token()[..10].to_ascii_lowercase()
            );
            let hashed = secret.as_deref().map(hash);
            db::oidc::insert_client(
                work.tx(),
                app,
                &client_id,
                hashed.as_deref(),
                &parsed.fields(),
                Timestamp::now(),
            )
            .await?;
        }
        Some(before) => {
            db::oidc::update_client(work.tx(), app, &parsed.fields()).await?;
            if let Some(secret) = &secret {
                db::oidc::set_secret(work.tx(), app, &hash(secret)).await?;
            }
            // What was given under the old registration must not outlive
            // it: a refresh token of a confidential client would work
            // without the secret once it is public, and a dropped scope's
            // claims would still be answered.
            let narrowed = before.scopes.iter().any(|s| !parsed.scopes.contains(s));
            let opened = !before.is_public() && parsed.kind == ClientKind::Public;
            if narrowed || opened {
                db::oidc::end_sign_ins(work.tx(), app, Timestamp::now()).await?;
            }
        }
    }
    let client = db::oidc::client_of_app(work.tx(), app)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the client of app {app} vanished while it was saved"))?;
    match &before {
        None => {
            work.audit(
                AuditAction::ClientRegistered,
                Some(target(app, &found.name)),
            )
            .after(Some(client.describe()));
        }
        Some(before) if before.describe() == client.describe() => {
            return Err(ServiceError::Conflict(format!(
                "Nothing to save: the client registration of {} is as it was.",
                found.name
            )));
        }
        Some(before) => {
            work.audit(AuditAction::ClientChanged, Some(target(app, &found.name)))
                .change(before.describe(), client.describe());
        }
    }
    Ok(Saved { client, secret })
}

/// A new secret for a confidential client; the old one stops working.
pub async fn rotate_secret(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    app: AppId,
    meta: &RequestMeta,
) -> Result<Saved, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let client = db::oidc::client_of_app(work.tx(), app)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if client.is_public() {
        return Err(ServiceError::Conflict(
            "A public client has no secret to replace.".into(),
        ));
    }
    let secret = random_token();
    db::oidc::set_secret(work.tx(), app, &hash(&secret)).await?;
    work.audit(
        AuditAction::ClientSecretRotated,
        Some(target(app, &client.app_name)),
    )
    .change("secret", "new secret");
    work.commit("the new client secret").await?;
    Ok(Saved {
        client,
        secret: Some(secret),
    })
}

/// Ends the app's registration and every sign-in made through it.
pub async fn remove(
    db: &Db,
    actor: &Authorized<perm::AppsManage>,
    app: AppId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let client = db::oidc::client_of_app(work.tx(), app)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::oidc::delete_client(work.tx(), app, Timestamp::now()).await?;
    work.audit(
        AuditAction::ClientRemoved,
        Some(target(app, &client.app_name)),
    )
    .before(Some(client.describe()));
    work.commit("the client's removal").await?;
    Ok(client.app_name)
}

/// The client presenting `client_id` (instance-wide: a client names itself
/// before anyone is known).
pub async fn by_client_id(db: &Db, client_id: &str) -> Result<Option<OidcClient>, ServiceError> {
    if client_id.is_empty() || client_id.len() > 200 {
        return Ok(None);
    }
    let mut conn = db.acquire_read().await?;
    let client = db::oidc::client_by_id(Scope::instance().on(&mut conn), client_id).await?;
    conn.done();
    Ok(client)
}

/// Whether `secret` is the client's: compared as hashes of 256-bit
/// secrets, so the comparison's time tells nothing useful.
pub fn secret_matches(client: &OidcClient, secret: &str) -> bool {
    client.secret_hash.as_deref() == Some(hash(secret).as_str())
}
