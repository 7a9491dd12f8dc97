//! Bodies over 64 KiB get 413, with or without a Content-Length.

use super::*;

#[tokio::test]
async fn a_body_over_64_kib_with_a_content_length_gets_413() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let huge = "a".repeat(70 * 1024);

    for path in ["/login", "/register"] {
        let response = app
            .post_form(path, &[("login", &huge), ("username", &huge)])
            .await;
        let (status, body) = answer(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "POST {path}");
        let page = Html::parse_document(&body);
        assert_eq!(texts(&page, "main h1"), ["Too much data"]);
    }

    // Just under the limit is read (and refused for its content, not its size).
    let page = rerendered(
        app.register_with(&[("username", &"a".repeat(60 * 1024))])
            .await,
    )
    .await;
    required_field_error(&page, "username");
    assert_eq!(snapshot(&app).await, before);
}

/// Sends `total` bytes of form body in chunks, without a Content-Length,
/// and returns the status line of the answer.
fn post_chunked(address: &str, path: &str, total: usize) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes());
    let chunk = format!("login={}", "a".repeat(8 * 1024 - 6));
    let mut sent = 0;
    while sent < total {
        let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(frame.as_bytes()).is_err() {
            break; // the server has already answered and stopped reading
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_chunked_body_over_64_kib_gets_413() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    for path in ["/login", "/register"] {
        let address = app.address.clone();
        let status_line =
            tokio::task::spawn_blocking(move || post_chunked(&address, path, 80 * 1024))
                .await
                .unwrap();
        assert!(
            status_line.starts_with("HTTP/1.1 413"),
            "POST {path} chunked: {status_line:?}"
        );
    }

    // The same request under the limit gets past the size check (to the CSRF check).
    let address = app.address.clone();
    let status_line =
        tokio::task::spawn_blocking(move || post_chunked(&address, "/login", 16 * 1024))
            .await
            .unwrap();
    assert!(status_line.starts_with("HTTP/1.1 403"), "{status_line:?}");
    assert_eq!(snapshot(&app).await, before);
}
