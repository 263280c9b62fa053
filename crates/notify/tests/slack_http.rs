//! Slack over HTTP against a server on 127.0.0.1 that records each request
//! and answers as Slack does: the exact request (`chat.postMessage`, the
//! bearer token, the channel, no unfurling), one request per call (429 is
//! `Delivery.Throttled`, 5xx `Delivery.Transient`: the state machine
//! retries), a refusal
//! (`ok: false`) failing the channel, and the token in no error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use responder_notify::slack::{SlackSender, SlackTarget};
use serde_json::{Value, json};

/// What the fake Slack was sent, and what it answers next.
#[derive(Default)]
struct Fake {
    requests: Vec<(HeaderMap, Value)>,
    /// Answers in order; the last one repeats.
    answers: Vec<(u16, Option<&'static str>, Value)>,
}

async fn post_message(
    State(fake): State<Arc<Mutex<Fake>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.requests
        .push((headers, serde_json::from_str(&body).unwrap()));
    let (status, retry_after, answer) = if fake.answers.len() > 1 {
        fake.answers.remove(0)
    } else {
        fake.answers[0].clone()
    };
    let mut response = (StatusCode::from_u16(status).unwrap(), answer.to_string()).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.parse().unwrap());
    }
    response
}

async fn fake_slack(
    answers: Vec<(u16, Option<&'static str>, Value)>,
) -> (String, Arc<Mutex<Fake>>) {
    let fake = Arc::new(Mutex::new(Fake {
        requests: Vec::new(),
        answers,
    }));
    let app = Router::new()
        .route("/api/chat.postMessage", post(post_message))
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), fake)
}

fn sender(api_base: &str) -> SlackSender {
    SlackSender::new(
        SlackTarget::Bot {
            api_base: api_base.to_owned(),
            token: "xoxb-test-token".to_owned(),
            channel: "C0123456789".to_owned(),
        },
        Duration::from_secs(5),
    )
}

fn message() -> Value {
    json!({"text": "[CRITICAL] checkout-api-errors", "blocks": [], "unfurl_links": false, "unfurl_media": false})
}

#[tokio::test]
async fn a_message_is_posted_with_the_token_to_the_channel() {
    let (base, fake) = fake_slack(vec![(
        200,
        None,
        json!({"ok": true, "channel": "C0123456789", "ts": "1732094047.000100"}),
    )])
    .await;
    let location = sender(&base).post(&message(), None).await.unwrap();
    assert_eq!(location, "slack:C0123456789/1732094047.000100");
    let fake = fake.lock().unwrap();
    let (headers, body) = &fake.requests[0];
    assert_eq!(headers["authorization"], "Bearer xoxb-test-token");
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(body["channel"], "C0123456789");
    assert_eq!(body["text"], "[CRITICAL] checkout-api-errors");
    assert_eq!(body["unfurl_links"], false);
}

#[tokio::test]
async fn a_429_is_throttled_after_one_request_with_its_retry_after_told() {
    // The state machine is the one retry layer: the sender does not wait
    // inside the task (its wait could outlast the task's timeout).
    let (base, fake) = fake_slack(vec![
        (429, Some("7"), json!({"ok": false, "error": "ratelimited"})),
        (200, None, json!({"ok": true, "ts": "1.2"})),
    ])
    .await;
    let error = sender(&base).post(&message(), None).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Throttled");
    assert!(
        error.message().contains("Retry-After: 7 s"),
        "{}",
        error.message()
    );
    assert_eq!(fake.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn ratelimited_is_throttled_and_a_5xx_transient() {
    let (base, _) = fake_slack(vec![(
        200,
        None,
        json!({"ok": false, "error": "ratelimited"}),
    )])
    .await;
    let error = sender(&base).post(&message(), None).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Throttled");
    let (base, fake) = fake_slack(vec![(503, None, json!({"ok": false}))]).await;
    let error = sender(&base).post(&message(), None).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient");
    assert_eq!(fake.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn a_refusal_fails_the_channel_without_the_token_in_the_error() {
    let (base, _) = fake_slack(vec![(
        200,
        None,
        json!({"ok": false, "error": "channel_not_found"}),
    )])
    .await;
    let error = sender(&base).post(&message(), None).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed");
    assert_eq!(
        error.message(),
        "Slack refused the message: channel_not_found"
    );
    let (base, _) = fake_slack(vec![(
        401,
        None,
        json!({"ok": false, "error": "invalid_auth"}),
    )])
    .await;
    let error = sender(&base).post(&message(), None).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed");
    assert!(!error.message().contains("xoxb"), "{}", error.message());
}

#[tokio::test]
async fn no_server_is_transient() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let error = sender(&format!("http://{closed}/api"))
        .post(&message(), None)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient", "{}", error.message());
    assert!(!format!("{:?}", sender("http://x")).contains("xoxb"));
}
