//! Reading answers: redirects, texts and attributes found through an HTML
//! parser, flashes and field messages.

use reqwest::StatusCode;
use scraper::{Html, Selector};

use super::TestApp;

pub fn assert_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    assert_eq!(location_of(response).as_deref(), Some(location));
}

/// The `Location` header of a response, if any.
pub fn location_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn texts(page: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("selector");
    page.select(&selector)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn first_attr(page: &Html, selector: &str, attr: &str) -> Option<String> {
    let selector = Selector::parse(selector).expect("selector");
    page.select(&selector)
        .next()
        .and_then(|e| e.value().attr(attr))
        .map(str::to_owned)
}

/// The flash message on a page, if any.
pub fn flash(page: &Html) -> Option<String> {
    texts(page, ".flash").into_iter().next()
}

pub async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

/// The field message shown under `field`, or "" when there is none.
pub fn field_error(page: &Html, field: &str) -> String {
    texts(page, &format!("#{field}-error"))
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The field message under `field`, which must be there and say something.
pub fn required_field_error(page: &Html, field: &str) -> String {
    let message = field_error(page, field);
    assert!(
        !message.is_empty(),
        "no message for {field} in:\n{}",
        page.html()
    );
    message
}

/// Usernames in the user list, in order (the admin view has a select column first).
pub fn listed(page: &Html) -> Vec<String> {
    texts(page, "table.users tbody tr td:nth-child(3)")
}

/// The username listed first on the user list at `path`.
pub async fn first_listed(app: &TestApp, path: &str) -> Option<String> {
    listed(&app.get_html(path).await).first().cloned()
}

/// A page's facts (`.facts dt` and `dd`) as (label, value) pairs.
pub fn facts(page: &Html) -> Vec<(String, String)> {
    texts(page, ".facts dt")
        .into_iter()
        .zip(texts(page, ".facts dd"))
        .collect()
}

/// The value of the fact labelled `label`.
pub fn fact(page: &Html, label: &str) -> String {
    facts(page)
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no fact {label}"))
}
