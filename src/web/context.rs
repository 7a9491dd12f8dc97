//! The request context: what a signed-in handler needs, in one extractor.
//! `Ctx<G>` runs the access gate `G` (`CurrentUser`, `ActiveUser` or
//! `Require<perm::X>`), then carries the live user, the database, where the
//! request came from (for audit rows) and the page layout, so a handler
//! reads `ctx` instead of re-assembling them from the request.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::AppError;
use super::extractors::{PermissionMarker, Require};
use super::layout::Layout;
use super::request::request_meta;
use crate::db::Db;
use crate::domain::{AuthUser, Scope};
use crate::services::overview::Overview;
use crate::services::{Actor, Authorized, RequestMeta};

/// A signed-in request that passed the gate `G`.
pub struct Ctx<G> {
    /// The gate's own value (the user, or the user with a permission's proof).
    pub gate: G,
    pub db: web::Data<Db>,
    /// Where the request came from, for audit rows.
    pub meta: RequestMeta,
    req: HttpRequest,
}

impl<G: Deref<Target = AuthUser>> Ctx<G> {
    /// The user, as read from the database for this request.
    pub fn user(&self) -> &AuthUser {
        &self.gate
    }

    /// The rows this request may touch.
    pub fn scope(&self) -> Scope {
        self.user().scope()
    }

    /// The user as the actor of a use case that checks its own permissions.
    pub fn actor(&self) -> Actor {
        Actor::from(self.user())
    }

    /// The page layout: navigation, badges, flash and CSRF token.
    pub async fn layout(&self) -> Result<Layout, AppError> {
        Ok(Layout::for_user(&self.req, self.user()).await?)
    }

    /// `layout` on a page that has read the instance's overview already.
    pub async fn layout_with(&self, overview: &Overview) -> Result<Layout, AppError> {
        Ok(Layout::with_overview(&self.req, self.user(), overview).await?)
    }

    /// The request itself, for what the context does not carry.
    pub fn request(&self) -> &HttpRequest {
        &self.req
    }
}

impl<P: PermissionMarker> Ctx<Require<P>> {
    /// The proof that the user holds `P`, for the use cases that need it.
    pub fn authorized(&self) -> &Authorized<P> {
        &self.gate.authorized
    }
}

impl<G> FromRequest for Ctx<G>
where
    G: FromRequest<Error = AppError> + 'static,
    G::Future: 'static,
{
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let gate = G::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let gate = gate.await?;
            let db = req
                .app_data::<web::Data<Db>>()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("database missing from app data"))?;
            let meta = request_meta(&req);
            Ok(Ctx {
                gate,
                db,
                meta,
                req,
            })
        })
    }
}
