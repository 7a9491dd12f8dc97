//! RP-initiated logout (`/oauth/logout`, GET or POST; OpenID Connect
//! RP-Initiated Logout 1.0). With an `id_token_hint` Gatehouse signed for
//! the signed-in user, the session ends at once (audited) with the app's
//! sign-ins; without one, the user is asked. The browser goes on only to a
//! post-logout URI the client registered, with its `state`.

use actix_identity::Identity;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::Db;
use crate::domain::UserStatus;
use crate::services::accounts;
use crate::services::oidc::keys::KeyStore;
use crate::services::oidc::{self, clients};
use crate::web::error::AppError;
use crate::web::extractors::session_user;
use crate::web::flash::{Flash, redirect, redirect_with};
use crate::web::layout::Layout;
use crate::web::render;
use crate::web::request::request_meta;

#[derive(Debug, Default, serde::Deserialize)]
struct LogoutParams {
    #[serde(default)]
    id_token_hint: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

#[derive(Template)]
#[template(path = "oidc/logout.html")]
struct ConfirmPage {
    layout: Layout,
    app: Option<String>,
    username: String,
}

fn bad(message: &str) -> AppError {
    AppError::BadRequest(message.to_owned())
}

pub async fn logout(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Db>,
    keys: web::Data<KeyStore>,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    if let Some(answer) = super::post_as_get(&req, &body) {
        return answer;
    }
    let text = req.query_string().to_owned();
    let params: LogoutParams =
        serde_html_form::from_str(&text).map_err(|_| bad("The sign-out request is malformed."))?;
    if text.len() > 8_000 {
        return Err(bad("The sign-out request is too long."));
    }
    let hint = match params.id_token_hint.as_deref() {
        Some(token) => oidc::hinted(&db, &keys, token).await?,
        None => None,
    };
    // A hint Gatehouse cannot check (forged, or signed by a key retired
    // since) proves nothing: the user is asked, as without one.
    let client_id = hint
        .as_ref()
        .map(|(aud, _)| aud.as_str())
        .or(params.client_id.as_deref());
    if let (Some(from_hint), Some(named)) = (hint.as_ref(), params.client_id.as_deref())
        && from_hint.0 != named
    {
        return Err(bad("client_id does not match the id_token_hint."));
    }
    let client = match client_id {
        Some(id) => clients::by_client_id(&db, id).await?,
        None => None,
    };
    let onward = match (&params.post_logout_redirect_uri, &client) {
        (None, _) => None,
        (Some(uri), Some(client)) if client.post_logout_uris.contains(uri) => {
            let mut url =
                url::Url::parse(uri).map_err(|_| bad("The post-logout URI is not valid."))?;
            if let Some(state) = &params.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
        (Some(_), _) => {
            return Err(bad(
                "The app asked to send you to an address it has not registered for after sign-out, so Gatehouse will not.",
            ));
        }
    };
    let user = session_user(&req)
        .await?
        .filter(|u| u.status != UserStatus::Deleted);
    let Some(user) = user else {
        return Ok(redirect(onward.as_deref().unwrap_or("/login")));
    };
    let matches = match (&hint, &client) {
        (Some((_, sub)), Some(_)) => oidc::is_subject_of(&db, &user, sub).await?,
        _ => false,
    };
    let (true, Some(client)) = (matches, client.as_ref()) else {
        return Ok(render(ConfirmPage {
            layout: Layout::for_user(&req, &user).await?,
            app: client.map(|c| c.app_name),
            username: user.username.clone(),
        }));
    };
    let meta = request_meta(&req);
    oidc::logout_from_app(&db, client, &user, &meta).await?;
    accounts::record_logout(&db, &user.scope(), user.id, &user.username, &meta).await?;
    if let Some(identity) = identity {
        identity.logout();
    }
    Ok(match onward {
        Some(to) => redirect(&to),
        None => redirect_with("/login", Flash::info("You have been signed out.")),
    })
}
