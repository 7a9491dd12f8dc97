//! The authorization endpoint (`/oauth/authorize`, GET or POST): checks
//! the client and its redirect URI first (an error before that is a page
//! of ours, never a redirect to an address nobody registered), then the
//! request (errors go back to the client), then the user: signed out →
//! the sign-in page of the client's organisation, which comes back here;
//! Pending → the pending page; outside the app's rule → a page saying which
//! role the app needs, whose link back gives the app `access_denied`.

use actix_identity::Identity;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{base_url, issuer};
use crate::db::Db;
use crate::domain::oidc::{
    AuthorizeParams, OidcClient, ValidRequest, check_request, redirect_registered,
};
use crate::domain::{App, AuthUser, DEFAULT_ORGANISATION, Refusal, Timestamp, UserStatus};
use crate::services::app_directory::AppDirectory;
use crate::services::oidc::{self, clients};
use crate::services::organisations::Directory;
use crate::web::error::AppError;
use crate::web::extractors::session_user;
use crate::web::flash::redirect;
use crate::web::forward_auth::{DeniedPage, ForwardAuthSettings};
use crate::web::layout::Layout;
use crate::web::render;
use crate::web::request::request_meta;

/// `location` with `params` added to its query.
fn with_query(location: &str, params: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(location) {
        Ok(url) => url,
        Err(_) => return location.to_owned(),
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    url.to_string()
}

/// An error sent back to the client's redirect URI.
fn to_client(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    iss: &str,
) -> HttpResponse {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", iss));
    redirect(&with_query(redirect_uri, &params))
}

fn page_error(message: &str) -> AppError {
    AppError::BadRequest(message.to_owned())
}

/// The request's parameters (a POST came back as a GET: `post_as_get`).
fn params_of(req: &HttpRequest) -> Result<(AuthorizeParams, String), AppError> {
    let text = req.query_string().to_owned();
    let params: AuthorizeParams = serde_html_form::from_str(&text).map_err(|_| {
        page_error("The sign-in request is malformed: a parameter is repeated or not text.")
    })?;
    if params.oversize() {
        return Err(page_error(
            "The sign-in request has a parameter longer than 2,000 characters.",
        ));
    }
    Ok((params, text))
}

pub async fn authorize(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Db>,
    apps: web::Data<AppDirectory>,
    orgs: web::Data<Directory>,
    settings: web::Data<ForwardAuthSettings>,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    if let Some(answer) = super::post_as_get(&req, &body) {
        return answer;
    }
    let (params, text) = params_of(&req)?;
    let client_id = params.client_id.as_deref().unwrap_or("");
    let Some(client) = clients::by_client_id(&db, client_id).await? else {
        return Err(page_error(
            "The app that sent you here is not registered with Gatehouse (unknown client_id).",
        ));
    };
    let redirect_uri = params.redirect_uri.as_deref().unwrap_or("");
    if !redirect_registered(&client.redirect_uris, redirect_uri) {
        return Err(page_error(&format!(
            "{} asked to send you to an address it has not registered (redirect_uri), so Gatehouse will not.",
            client.app_name
        )));
    }
    let orgs_now = orgs.get(&db).await?;
    let iss = issuer(&base_url(&req, &settings), &orgs_now, client.organisation);
    let request = match check_request(&params, &client, redirect_uri) {
        Ok(request) => request,
        Err(e) => {
            return Ok(to_client(
                redirect_uri,
                e.error,
                e.description,
                params.state.as_deref(),
                &iss,
            ));
        }
    };
    let back = |error: &str, description: &str| {
        to_client(
            redirect_uri,
            error,
            description,
            request.state.as_deref(),
            &iss,
        )
    };
    let user = session_user(&req).await?;
    let user = user.filter(|u| {
        !matches!(
            u.status,
            UserStatus::Rejected | UserStatus::Disabled | UserStatus::Deleted | UserStatus::Invited
        )
    });
    let Some(user) = user else {
        if request.no_prompt {
            return Ok(back(
                "login_required",
                "The user is not signed in to Gatehouse.",
            ));
        }
        return Ok(redirect(&sign_in(&orgs_now, &client, &text)));
    };
    let now = Timestamp::now();
    let signed_in_at =
        crate::auth::session_store::SessionMeta::of(&actix_session::SessionExt::get_session(&req))
            .and_then(|m| m.since);
    // A session whose sign-in time is unknown cannot name an auth_time: it
    // signs in again.
    let stale = request
        .max_age
        .is_some_and(|max| signed_in_at.is_none_or(|at| now.0 - at > max.saturating_mul(1000)));
    let since = signed_in_at.unwrap_or(now.0);
    if request.force_login || stale || signed_in_at.is_none() {
        if request.no_prompt {
            return Ok(back("login_required", "A fresh sign-in is needed."));
        }
        // Signing in again: the session ends and the sign-in page returns
        // here without the parameters that asked for it.
        crate::services::accounts::record_logout(
            &db,
            &user.scope(),
            user.id,
            &user.username,
            &request_meta(&req),
        )
        .await?;
        if let Some(identity) = identity {
            identity.logout();
        }
        return Ok(redirect(&sign_in(
            &orgs_now,
            &client,
            &without_reauth(&text),
        )));
    }
    if user.organisation != client.organisation {
        if request.no_prompt {
            return Ok(back(
                "login_required",
                "The user is signed in to another organisation.",
            ));
        }
        return denied(
            &req,
            &user,
            None,
            Refusal::OtherOrganisation,
            &request,
            &iss,
        )
        .await;
    }
    if user.status == UserStatus::Pending {
        if request.no_prompt {
            return Ok(back(
                "access_denied",
                "The user's account waits for approval.",
            ));
        }
        return Ok(redirect("/pending"));
    }
    let directory = apps.get(&db).await?;
    let Some((org, app)) = directory.by_id(client.app_id) else {
        return Err(AppError::NotFound);
    };
    if let Err(refusal) = crate::domain::app::decide(user.visitor(), org, &app.rule) {
        if request.no_prompt {
            return Ok(back("access_denied", refusal.explain()));
        }
        return denied(&req, &user, Some(app.clone()), refusal, &request, &iss).await;
    }
    let code = oidc::issue_code(
        &db,
        &client,
        &user,
        &request,
        Timestamp(since),
        &iss,
        &request_meta(&req),
    )
    .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = request.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", iss.as_str()));
    Ok(redirect(&with_query(redirect_uri, &params)))
}

/// The sign-in page of the client's organisation, coming back to this
/// request.
fn sign_in(
    orgs: &[crate::services::organisations::OrgRef],
    client: &OidcClient,
    query: &str,
) -> String {
    let login = match orgs.iter().find(|o| o.id == client.organisation) {
        Some(org) if org.id != DEFAULT_ORGANISATION => format!("/o/{}/login", org.slug),
        _ => "/login".to_owned(),
    };
    let back = format!("/oauth/authorize?{query}");
    let rd: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    format!("{login}?rd={rd}")
}

/// The request's query without `prompt` and `max_age`, once they are met.
fn without_reauth(query: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            url::form_urlencoded::parse(query.as_bytes())
                .filter(|(name, _)| name != "prompt" && name != "max_age"),
        )
        .finish()
}

async fn denied(
    req: &HttpRequest,
    user: &AuthUser,
    app: Option<App>,
    refusal: Refusal,
    request: &ValidRequest,
    iss: &str,
) -> Result<HttpResponse, AppError> {
    let mut params = vec![
        ("error", "access_denied"),
        ("error_description", refusal.explain()),
    ];
    if let Some(state) = request.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", iss));
    let layout = Layout::for_user(req, user).await?;
    let back = Some(with_query(&request.redirect_uri, &params));
    let mut response = render(DeniedPage::new(layout, user, app, Some(refusal), back));
    *response.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
    Ok(response)
}

/// The origin the sign-in form may send the browser on to when it comes
/// back to an authorization request: the client's registered redirect
/// URI's (CSP `form-action` covers the redirects after a form is sent).
pub async fn return_origin(db: &Db, rd: &str) -> Result<Option<String>, AppError> {
    let Some(query) = rd.strip_prefix("/oauth/authorize?") else {
        return Ok(None);
    };
    let Ok(params) = serde_html_form::from_str::<AuthorizeParams>(query) else {
        return Ok(None);
    };
    let Some(client) = clients::by_client_id(db, params.client_id.as_deref().unwrap_or("")).await?
    else {
        return Ok(None);
    };
    let uri = params.redirect_uri.unwrap_or_default();
    if !redirect_registered(&client.redirect_uris, &uri) {
        return Ok(None);
    }
    Ok(url::Url::parse(&uri)
        .ok()
        .map(|u| u.origin().ascii_serialization()))
}
