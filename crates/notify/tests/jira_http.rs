//! Jira Cloud over HTTP against a server on 127.0.0.1 that keeps issues by
//! label as Jira does: an incident creates its issue once (a retried
//! delivery finds it by its label), a recovery comments on it, and Jira's
//! refusals and rate limits are named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use responder_notify::jira::{JiraSender, JiraTarget};
use responder_workflow::fixtures::message_of;
use responder_workflow::render::{Message, MessageKind};
use serde_json::{Value, json};

#[derive(Default)]
struct Jira {
    /// key → (labels, fields)
    issues: Vec<(String, Value)>,
    comments: Vec<(String, Value)>,
    auth: Vec<String>,
    /// Answer the next create with this status instead.
    refuse_create: Option<u16>,
}

type Shared = Arc<Mutex<Jira>>;

async fn search(
    State(jira): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut jira = jira.lock().unwrap();
    jira.auth
        .push(headers["authorization"].to_str().unwrap().to_owned());
    let wanted = q["jql"]
        .trim_start_matches("labels = \"")
        .trim_end_matches('"')
        .to_owned();
    let found: Vec<Value> = jira
        .issues
        .iter()
        .filter(|(_, fields)| {
            fields["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == &wanted)
        })
        .map(|(key, _)| json!({"key": key}))
        .collect();
    axum::Json(json!({"issues": found})).into_response()
}

async fn create(State(jira): State<Shared>, body: String) -> Response {
    let mut jira = jira.lock().unwrap();
    if let Some(status) = jira.refuse_create.take() {
        let body = json!({"errorMessages": [], "errors": {"priority": "Specify a valid priority"}});
        return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    }
    let request: Value = serde_json::from_str(&body).unwrap();
    let key = format!("OPS-{}", jira.issues.len() + 1);
    jira.issues.push((key.clone(), request["fields"].clone()));
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": "10001", "key": key})),
    )
        .into_response()
}

async fn comment(State(jira): State<Shared>, Path(key): Path<String>, body: String) -> Response {
    jira.lock()
        .unwrap()
        .comments
        .push((key, serde_json::from_str(&body).unwrap()));
    (StatusCode::CREATED, axum::Json(json!({"id": "20001"}))).into_response()
}

async fn fake_jira() -> (String, Shared) {
    let jira: Shared = Arc::default();
    let app = Router::new()
        .route("/rest/api/3/search/jql", get(search))
        .route("/rest/api/3/issue", post(create))
        .route("/rest/api/3/issue/{key}/comment", post(comment))
        .with_state(Arc::clone(&jira));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), jira)
}

fn sender(base: &str) -> JiraSender {
    JiraSender::new(
        JiraTarget {
            base_url: base.to_owned(),
            email: "oncall@example.com".to_owned(),
            token: "atlassian-api-token".to_owned(),
            project: "SRE".to_owned(),
            issue_type: "Task".to_owned(),
        },
        Duration::from_secs(5),
    )
}

fn message(kind: MessageKind) -> Message {
    message_of(kind, "checkout-api-errors", "Calls time out")
}

#[tokio::test]
async fn an_incident_opens_one_issue_however_often_it_is_delivered() {
    let (base, jira) = fake_jira().await;
    let jira_sender = sender(&base);
    assert_eq!(
        jira_sender
            .deliver(&message(MessageKind::Incident))
            .await
            .unwrap(),
        "jira:OPS-1"
    );
    assert_eq!(
        jira_sender
            .deliver(&message(MessageKind::Incident))
            .await
            .unwrap(),
        "jira:OPS-1",
        "found by its label"
    );
    let jira = jira.lock().unwrap();
    assert_eq!(jira.issues.len(), 1);
    let fields = &jira.issues[0].1;
    assert_eq!(fields["project"]["key"], "SRE");
    assert_eq!(fields["issuetype"]["name"], "Task");
    assert_eq!(fields["priority"]["name"], "Highest");
    assert!(
        fields["labels"]
            .as_array()
            .unwrap()
            .contains(&json!("incident-inc-20261120-687557cf"))
    );
    // Basic authentication: the account's e-mail and token, base64.
    assert_eq!(
        jira.auth[0],
        "Basic b25jYWxsQGV4YW1wbGUuY29tOmF0bGFzc2lhbi1hcGktdG9rZW4="
    );
}

#[tokio::test]
async fn a_recovery_comments_on_the_incidents_issue() {
    let (base, jira) = fake_jira().await;
    let jira_sender = sender(&base);
    let none = jira_sender
        .deliver(&message(MessageKind::Recovery))
        .await
        .unwrap();
    assert!(none.starts_with("jira:none"), "{none}");
    jira_sender
        .deliver(&message(MessageKind::Incident))
        .await
        .unwrap();
    assert_eq!(
        jira_sender
            .deliver(&message(MessageKind::Recovery))
            .await
            .unwrap(),
        "jira:OPS-1"
    );
    let jira = jira.lock().unwrap();
    assert_eq!(jira.comments.len(), 1);
    assert_eq!(jira.comments[0].0, "OPS-1");
    assert_eq!(jira.comments[0].1["body"]["type"], "doc");
    assert!(
        jira.comments[0]
            .1
            .to_string()
            .contains("Recovered: checkout-api-errors")
    );
}

#[tokio::test]
async fn a_refused_issue_fails_the_channel_and_names_jiras_reason() {
    let (base, jira) = fake_jira().await;
    jira.lock().unwrap().refuse_create = Some(400);
    let error = sender(&base)
        .deliver(&message(MessageKind::Incident))
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed");
    assert!(
        error.message().contains("Specify a valid priority"),
        "{}",
        error.message()
    );
    assert!(!error.message().contains("atlassian-api-token"));
    jira.lock().unwrap().refuse_create = Some(503);
    let error = sender(&base)
        .deliver(&message(MessageKind::Incident))
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient");
}

#[tokio::test]
async fn the_alarms_jira_project_tag_chooses_the_project_when_it_is_a_project_key() {
    let (base, jira) = fake_jira().await;
    let jira_sender = sender(&base);
    let mut tagged = message(MessageKind::Incident);
    tagged.routing.jira_project = Some("PAY".to_owned());
    jira_sender.deliver(&tagged).await.unwrap();

    let mut other = message(MessageKind::Incident);
    other.incident.id = "inc-20261120-00000002".to_owned();
    other.routing.jira_project = Some("PAY\" OR project = SECRET".to_owned());
    jira_sender.deliver(&other).await.unwrap();

    let jira = jira.lock().unwrap();
    assert_eq!(jira.issues[0].1["project"]["key"], "PAY");
    assert_eq!(
        jira.issues[1].1["project"]["key"], "SRE",
        "not a project key: the configured project"
    );
}
