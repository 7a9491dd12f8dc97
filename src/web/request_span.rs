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
        let target = without_secrets(request.uri().path_and_query().map_or("", |pq| pq.as_str()));
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let meta = super::request::request_meta(request.request());
        tracing::info_span!(
            "request",
            http.method = %request.method(),
            http.target = %sanitize_for_log(&target, 300),
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

/// Query parameters that carry a secret (a one-time link's token) or
/// personal data (an ID token), whose values never reach the log.
const SECRET_PARAMETERS: [&str; 2] = ["token", "id_token_hint"];

/// `target` with the values of `SECRET_PARAMETERS` replaced.
fn without_secrets(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMETERS.contains(&name) => format!("{name}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    // `test` below is actix-web's, an async test.
    #[actix_web::test]
    async fn a_link_token_in_the_address_is_not_logged() {
        assert_eq!(
            super::without_secrets("/password/reset?token=abc&x=1"),
            "/password/reset?token=[redacted]&x=1"
        );
        assert_eq!(
            super::without_secrets("/admin/users?page=2"),
            "/admin/users?page=2"
        );
    }

    use std::sync::{Arc, Mutex};

    use actix_web::{App, HttpResponse, test, web};
    use tracing_actix_web::TracingLogger;

    use super::RequestSpan;
    use crate::web::error::AppError;

    /// Every log line written while `f` runs on this thread.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn levels_logged_for(error: fn() -> AppError) -> String {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(App::new().wrap(TracingLogger::<RequestSpan>::new()).route(
            "/",
            web::get().to(move || async move { Err::<HttpResponse, _>(error()) }),
        ))
        .await;
        test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        String::from_utf8(lines.0.lock().unwrap().clone()).unwrap()
    }

    #[actix_web::test]
    async fn expected_refusals_are_not_logged_as_errors_and_our_faults_are() {
        let refusals: [fn() -> AppError; 4] = [
            || AppError::redirect("/login"),
            || AppError::NotFound,
            || AppError::Forbidden,
            || AppError::CsrfRejected,
        ];
        for refusal in refusals {
            let logged = levels_logged_for(refusal).await;
            assert!(!logged.contains("ERROR"), "{logged}");
        }
        let logged = levels_logged_for(|| AppError::Unexpected(anyhow::anyhow!("a bug"))).await;
        assert!(logged.contains("ERROR"), "{logged}");
        let outage = || AppError::Unavailable(anyhow::anyhow!("the server went away"));
        let logged = levels_logged_for(outage).await;
        assert!(
            logged.contains("WARN") && !logged.contains("ERROR"),
            "{logged}"
        );
    }
}
