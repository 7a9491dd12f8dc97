//! What a handler knows about the request beyond its extractors: where it
//! came from (for audit rows and the session list). The organisation of an
//! anonymous page is `page_org`'s.

use actix_web::HttpRequest;

use crate::services::RequestMeta;

/// The client's address (behind a trusted proxy, the client it names) and
/// browser, for audit rows.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    RequestMeta {
        ip: super::client_ip::client_ip(req).map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            // Bytes beyond ASCII are kept (lossily) rather than dropping the
            // whole header; the audit log strips control characters.
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        session: crate::auth::session_store::current_session_id(req),
    }
}
