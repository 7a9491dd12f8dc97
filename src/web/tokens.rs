//! API tokens: `/account/tokens` (personal, any Active user) and
//! `/admin/tokens` (service tokens, `tokens.manage`). A new token's secret
//! is shown once, on the page that answers its form, and never again.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::admin::outcome;
use super::auth::Empty;
use super::context::Ctx;
use super::csrf::CsrfForm;
use super::error::AppError;
use super::extractors::{ActiveUser, Require, perm};
use super::forms::FormErrors;
use super::layout::Layout;
use super::render;
use crate::domain::token::{ApiToken, TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS};
use crate::domain::{Permission, PermissionSet, TokenId};
use crate::services::ServiceError;
use crate::services::tokens::{self, MadeToken, TokenForm};

type Manage = Ctx<Require<perm::TokensManage>>;

#[derive(Default, Deserialize)]
pub struct TokenFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_days: String,
    #[serde(default)]
    scopes: Vec<String>,
}

impl TokenFields {
    fn form(self) -> TokenForm {
        TokenForm {
            name: self.name.chars().take(100).collect(),
            expires_days: self.expires_days.chars().take(10).collect(),
            scopes: self.scopes.into_iter().take(50).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    /// "personal" or "service": the heading, the form's address.
    service: bool,
    action: &'static str,
    tokens: Vec<ApiToken>,
    /// The permissions a scope may name: the user's own.
    grantable: Vec<Permission>,
    form: TokenForm,
    errors: FormErrors,
    /// A token just made, shown this once.
    made: Option<MadeToken>,
    default_days: i64,
    max_days: i64,
}

impl TokensPage {
    fn chosen(&self, permission: &Permission) -> bool {
        self.form.scopes.iter().any(|s| s == permission.as_str())
    }
}

struct Shown {
    form: TokenForm,
    errors: FormErrors,
    made: Option<MadeToken>,
}

impl Shown {
    fn empty() -> Shown {
        Shown {
            form: TokenForm::default(),
            errors: FormErrors::default(),
            made: None,
        }
    }

    /// The page after the form: the new token once, or the form as typed
    /// with its messages.
    fn after(made: Result<MadeToken, ServiceError>, form: TokenForm) -> Result<Shown, AppError> {
        Ok(match made {
            Ok(made) => Shown {
                made: Some(made),
                ..Shown::empty()
            },
            Err(err) => Shown {
                errors: FormErrors::from_service(err, "name")?,
                form,
                made: None,
            },
        })
    }
}

fn page(
    layout: Layout,
    service: bool,
    tokens: Vec<ApiToken>,
    held: &PermissionSet,
    shown: Shown,
) -> HttpResponse {
    render(TokensPage {
        layout,
        service,
        action: match service {
            true => "/admin/tokens",
            false => "/account/tokens",
        },
        tokens,
        grantable: held.iter().collect(),
        form: shown.form,
        errors: shown.errors,
        made: shown.made,
        default_days: TOKEN_DEFAULT_DAYS,
        max_days: TOKEN_MAX_DAYS,
    })
}

async fn personal_page(ctx: &Ctx<ActiveUser>, shown: Shown) -> Result<HttpResponse, AppError> {
    let tokens = tokens::list_personal(&ctx.db, &ctx.actor()).await?;
    let layout = ctx.layout().await?;
    Ok(page(layout, false, tokens, &ctx.user().permissions, shown))
}

pub async fn personal(ctx: Ctx<ActiveUser>) -> Result<HttpResponse, AppError> {
    personal_page(&ctx, Shown::empty()).await
}

pub async fn create_personal(
    ctx: Ctx<ActiveUser>,
    form: CsrfForm<TokenFields>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner().form();
    let made = tokens::create_personal(&ctx.db, &ctx.actor(), &form, &ctx.meta).await;
    personal_page(&ctx, Shown::after(made, form)?).await
}

pub async fn revoke_personal(
    ctx: Ctx<ActiveUser>,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = TokenId(path.into_inner());
    let result = tokens::revoke_personal(&ctx.db, &ctx.actor(), id, &ctx.meta).await;
    outcome("/account/tokens", result, |name| {
        format!("{name} has been revoked: it no longer works.")
    })
}

async fn service_page(ctx: &Manage, shown: Shown) -> Result<HttpResponse, AppError> {
    let tokens = tokens::list_service(&ctx.db, ctx.authorized()).await?;
    let layout = ctx.layout().await?;
    Ok(page(layout, true, tokens, &ctx.user().permissions, shown))
}

pub async fn service(ctx: Manage) -> Result<HttpResponse, AppError> {
    service_page(&ctx, Shown::empty()).await
}

pub async fn create_service(
    ctx: Manage,
    form: CsrfForm<TokenFields>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner().form();
    let made = tokens::create_service(&ctx.db, ctx.authorized(), &form, &ctx.meta).await;
    service_page(&ctx, Shown::after(made, form)?).await
}

pub async fn revoke_service(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = TokenId(path.into_inner());
    let result = tokens::revoke_service(&ctx.db, ctx.authorized(), id, &ctx.meta).await;
    outcome("/admin/tokens", result, |name| {
        format!("{name} has been revoked: it no longer works.")
    })
}
