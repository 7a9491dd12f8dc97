//! The root span of each request, built from sanitised fields (the log
//! setup itself is in `telemetry`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, http::header};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

use crate::domain::sanitize_for_log;

/// The root span of each request: method, path, client address,
/// browser and status, every client-supplied value cut and cleaned.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = request.uri().path_and_query().map_or("", |pq| pq.as_str());
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let meta = super::request::request_meta(request.request());
        tracing::info_span!(
            "request",
            http.method = %request.method(),
            http.target = %sanitize_for_log(target, 300),
            http.client_ip = %meta.ip.unwrap_or_default(),
            http.user_agent = %sanitize_for_log(&user_agent, 200),
            http.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
