//! What a user does to their own account: register, wait while Pending, sign in
//! and out, see their home page, ask for a role, change their password; and the
//! session and audit rules that come with it. One module per feature; what
//! several of them read is here.

mod activity;
mod email;
mod notifications;
mod password;
mod password_reset;
mod pending;
mod profile;
mod register;
mod role_requests;
mod session_cookie;
mod sign_in;

use gatehouse::db;
use gatehouse::domain::{UserId, UserStatus};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sqlx::{Column, Row};

use crate::helpers::*;

const SESSION_COOKIE: &str = "gatehouse_session";

/// The `Set-Cookie` header a response sends for `name`, if any.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the session cookie a response sets, if any.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie(response, SESSION_COOKIE).map(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default()
    })
}

/// GETs `path` from a brand-new browser that sends only `cookie` as its session.
async fn get_with_session_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    new_client()
        .get(app.url(path))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .expect("GET")
}

async fn find_user(app: &TestApp, id: UserId) -> gatehouse::domain::User {
    let mut conn = app.db.pool.acquire().await.unwrap();
    db::users::find(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
        id,
    )
    .await
    .unwrap()
    .expect("user exists")
}

/// Every column of every audit row, as text.
async fn audit_cells(app: &TestApp) -> Vec<String> {
    // Raw on purpose: every stored column, to prove a password never lands in one.
    let rows = sqlx::query("SELECT * FROM audit_log")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let mut cells = Vec::new();
    for row in &rows {
        for column in row.columns() {
            let i = column.ordinal();
            let text = match row.try_get::<Option<String>, _>(i) {
                Ok(value) => value.unwrap_or_default(),
                Err(_) => row
                    .try_get::<Option<i64>, _>(i)
                    .unwrap_or_else(|e| panic!("column {}: {e}", column.name()))
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            };
            cells.push(text);
        }
    }
    assert!(!cells.is_empty(), "the audit log is empty");
    cells
}

/// The `value` attribute of every input on the page.
fn input_values(page: &Html) -> Vec<String> {
    let selector = Selector::parse("input").unwrap();
    page.select(&selector)
        .filter_map(|e| e.value().attr("value"))
        .map(str::to_owned)
        .collect()
}

/// Every route pattern with its `{id}` (and `{grant}`) filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1").replace("{grant}", "1")
}

const JUSTIFICATION: &str = "I plan the quarterly roadmap for the platform team.";
