//! Measurements, not assertions run by default: `cargo test --release --test
//! api timing -- --ignored --nocapture` prints the median sign-in time for an
//! unknown user and for a known user with a wrong password. The bar
//! is a difference below 5 ms; the figures are recorded in SECURITY.md.

use std::time::{Duration, Instant};

use gatehouse::domain::UserStatus;

use crate::helpers::*;

const ROUNDS: usize = 201;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn timed_login(app: &TestApp, login: &str, token: &str) -> Duration {
    let started = Instant::now();
    let response = app
        .post_raw(
            "/login",
            &[
                ("login", login),
                ("password", "not-the-right-password"),
                ("csrf_token", token),
            ],
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.bytes().await.unwrap();
    elapsed
}

#[tokio::test]
#[ignore = "a measurement: run it in release with --ignored --nocapture"]
async fn unknown_and_known_users_take_the_same_time_to_refuse() {
    // A high threshold so the known user never locks during the measurement.
    let app = spawn_app_with(|s| s.lockout_threshold = 100_000).await;
    app.create_user("alice", "Engineer", UserStatus::Active)
        .await;
    let token = app.csrf_token().await;
    for _ in 0..5 {
        timed_login(&app, "ghost", &token).await;
        timed_login(&app, "alice", &token).await;
    }
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    // Alternate which goes first so neither always follows the other.
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            unknown.push(timed_login(&app, "ghost", &token).await);
            known.push(timed_login(&app, "alice", &token).await);
        } else {
            known.push(timed_login(&app, "alice", &token).await);
            unknown.push(timed_login(&app, "ghost", &token).await);
        }
    }
    let (unknown, known) = (median(unknown), median(known));
    let difference = unknown.abs_diff(known);
    println!(
        "median over {ROUNDS} rounds: unknown user {unknown:.2?}, known user with a wrong password {known:.2?}, difference {difference:.2?}"
    );
    assert!(difference < Duration::from_millis(5), "{difference:?}");
}

/// The p50 and p95 of `samples`.
fn p50_p95(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 95 / 100],
    )
}

async fn page_latencies(app: &TestApp, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        samples.push(started.elapsed());
    }
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it in release with --ignored --nocapture"]
async fn a_flood_of_sign_ins_barely_delays_other_pages() {
    let app = spawn_app_with(|s| s.workers = Some(2)).await;
    let token = app.csrf_token().await;
    let quiet = p50_p95(page_latencies(&app, 200).await);

    let flood: Vec<_> = (0..64)
        .map(|_| {
            let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
            tokio::spawn(async move {
                let body = serde_html_form::to_string([
                    ("login", "ghost"),
                    ("password", "not-the-right-password"),
                    ("csrf_token", token.as_str()),
                ])
                .unwrap();
                client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    // Sample pages for as long as the flood lasts.
    let mut during = Vec::new();
    while flood.iter().any(|t| !t.is_finished()) && during.len() < 20_000 {
        during.extend(page_latencies(&app, 10).await);
    }
    let samples = during.len();
    let busy = p50_p95(during);
    for task in flood {
        assert_eq!(task.await.unwrap(), reqwest::StatusCode::OK);
    }
    println!(
        "GET /healthz p50/p95: quiet {:.2?}/{:.2?}, during 64 concurrent sign-ins ({samples} samples) {:.2?}/{:.2?}",
        quiet.0, quiet.1, busy.0, busy.1
    );
}
