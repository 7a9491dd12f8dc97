//! Admin: an app as an OpenID Connect client (`apps.manage`), on the app's
//! page: register it, change its redirect URIs, scopes and kind, replace
//! its secret (shown once), or stop it being a client.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::apps::{Manage, client_page};
use crate::domain::oidc::{OidcClient, SCOPES};
use crate::domain::{App, AppId};
use crate::services::ServiceError;
use crate::services::apps::{self, AppForm};
use crate::services::oidc::clients::{self, ClientForm};
use crate::web::auth::Empty;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::FormErrors;
use crate::web::forward_auth::ForwardAuthSettings;
use crate::web::oidc::{base_url, issuer};

/// The app page's OpenID Connect section.
pub struct ClientSection {
    pub client: Option<OidcClient>,
    pub form: ClientForm,
    pub errors: FormErrors,
    /// A secret just made: shown this once.
    pub secret: Option<String>,
    /// The organisation's issuer, for the app's settings.
    pub issuer: String,
    pub scopes: &'static [&'static str],
}

impl ClientSection {
    pub async fn of(ctx: &Manage, app: &App) -> Result<ClientSection, AppError> {
        let client = clients::of_app(&ctx.db, &ctx.scope(), app.id).await?;
        let form = client
            .as_ref()
            .map_or_else(ClientForm::blank, ClientForm::of);
        Ok(ClientSection {
            issuer: issuer_of(ctx).await?,
            client,
            form,
            errors: FormErrors::default(),
            secret: None,
            scopes: &SCOPES,
        })
    }
}

async fn issuer_of(ctx: &Manage) -> Result<String, AppError> {
    let req = ctx.request();
    let settings = req
        .app_data::<web::Data<ForwardAuthSettings>>()
        .ok_or_else(|| anyhow::anyhow!("forward-auth settings missing"))?;
    let orgs = crate::web::page_org::directory(req)?.get(&ctx.db).await?;
    Ok(issuer(
        &base_url(req, settings),
        &orgs,
        ctx.user().organisation,
    ))
}

/// The client form as posted; `scopes` repeats, one per ticked box.
#[derive(Default, Deserialize)]
pub struct ClientFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_uris: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    id_token_alg: String,
}

impl ClientFields {
    fn form(self) -> ClientForm {
        let bounded = |s: String| s.chars().take(20_000).collect::<String>();
        ClientForm {
            kind: self.kind,
            redirect_uris: bounded(self.redirect_uris),
            post_logout_uris: bounded(self.post_logout_uris),
            scopes: self.scopes.into_iter().take(20).collect(),
            id_token_alg: self.id_token_alg,
        }
    }
}

async fn with_section(
    ctx: &Manage,
    id: AppId,
    section: impl FnOnce(&mut ClientSection),
) -> Result<HttpResponse, AppError> {
    let app = apps::find(&ctx.db, &ctx.scope(), id).await?;
    let mut client = ClientSection::of(ctx, &app).await?;
    section(&mut client);
    let form = AppForm::of(&app);
    client_page(ctx, app, form, FormErrors::default(), client).await
}

/// `POST /admin/apps/{id}/oidc`: makes the app a client or saves its
/// registration; a new secret is shown once on the page that answers.
pub async fn save(
    ctx: Manage,
    path: web::Path<i64>,
    form: CsrfForm<ClientFields>,
) -> Result<HttpResponse, AppError> {
    let id = AppId(path.into_inner());
    let form = form.into_inner().form();
    match clients::save(&ctx.db, ctx.authorized(), id, &form, &ctx.meta).await {
        Ok(saved) => match saved.secret {
            Some(secret) => {
                with_section(&ctx, id, |s| {
                    s.secret = Some(secret);
                })
                .await
            }
            None => Ok(redirect_with(
                &format!("/admin/apps/{id}"),
                Flash::success(format!(
                    "The client registration of {} has been saved.",
                    saved.client.app_name
                )),
            )),
        },
        Err(err @ (ServiceError::Conflict(_) | ServiceError::NotFound)) => {
            super::outcome(&format!("/admin/apps/{id}"), Err::<(), _>(err), |_| {
                String::new()
            })
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "redirect_uris")?;
            with_section(&ctx, id, |s| {
                s.form = form;
                s.errors = errors;
            })
            .await
        }
    }
}

/// `POST /admin/apps/{id}/oidc/secret`: a new secret, shown once.
pub async fn rotate_secret(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = AppId(path.into_inner());
    match clients::rotate_secret(&ctx.db, ctx.authorized(), id, &ctx.meta).await {
        Ok(saved) => with_section(&ctx, id, |s| s.secret = saved.secret).await,
        Err(err) => super::outcome(&format!("/admin/apps/{id}"), Err::<(), _>(err), |_| {
            String::new()
        }),
    }
}

/// `POST /admin/apps/{id}/oidc/delete`: the app stops being a client.
pub async fn remove(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = AppId(path.into_inner());
    let result = clients::remove(&ctx.db, ctx.authorized(), id, &ctx.meta).await;
    super::outcome(&format!("/admin/apps/{id}"), result, |name| {
        format!("{name} is no longer an OpenID Connect client; its sign-ins have ended.")
    })
}
