//! Jira Cloud's REST API v3, the part incident-responder calls: search by
//! JQL (`labels = "..."`), create an issue, add and list comments (with
//! their entity properties).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::running::{Running, serve_router};

/// An issue as created, with its comments.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraIssue {
    pub key: String,
    pub fields: Value,
    pub comments: Vec<Value>,
}

#[derive(Debug, Default)]
struct Jira {
    issues: Vec<JiraIssue>,
    searches: usize,
}

/// A fake Jira site on 127.0.0.1 (project `OPS`).
#[derive(Debug)]
pub struct FakeJira {
    state: Arc<Mutex<Jira>>,
    running: Running,
}

impl FakeJira {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(Jira::default()));
        let router = Router::new()
            .route("/rest/api/3/search/jql", get(search))
            .route("/rest/api/3/issue", post(create))
            .route(
                "/rest/api/3/issue/{key}/comment",
                post(add_comment).get(comments),
            )
            .with_state(Arc::clone(&state));
        let running = Running::start(move |listener| serve_router(listener, router));
        Self { state, running }
    }

    /// The site's base URL (`JIRA_BASE_URL`, `[workflow.jira] base_url`).
    pub fn base_url(&self) -> String {
        self.running.url()
    }

    pub fn issues(&self) -> Vec<JiraIssue> {
        self.lock().issues.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Jira> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Shared = State<Arc<Mutex<Jira>>>;

fn lock(state: &Arc<Mutex<Jira>>) -> MutexGuard<'_, Jira> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"errorMessages": ["unauthorized"]})),
    )
        .into_response()
}

/// `labels = "x"`: the label named, if that is the query.
fn label_of(jql: &str) -> Option<String> {
    let rest = jql.trim().strip_prefix("labels")?.trim_start();
    let quoted = rest.strip_prefix('=')?.trim();
    Some(quoted.trim_matches('"').to_owned())
}

async fn search(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Some(label) = query.get("jql").and_then(|q| label_of(q)) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorMessages": ["unsupported JQL"]})),
        )
            .into_response();
    };
    let mut jira = lock(&state);
    jira.searches += 1;
    let issues: Vec<Value> = jira
        .issues
        .iter()
        .filter(|i| {
            i.fields
                .get("labels")
                .and_then(Value::as_array)
                .is_some_and(|labels| labels.iter().any(|l| l == label.as_str()))
        })
        .map(|i| json!({"key": i.key, "fields": {}}))
        .collect();
    Json(json!({"issues": issues, "isLast": true})).into_response()
}

async fn create(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorMessages": ["invalid JSON"]})),
        )
            .into_response();
    };
    let mut jira = lock(&state);
    let key = format!("OPS-{}", jira.issues.len() + 1);
    jira.issues.push(JiraIssue {
        key: key.clone(),
        fields: body.get("fields").cloned().unwrap_or(Value::Null),
        comments: Vec::new(),
    });
    let id = 10_000 + jira.issues.len();
    (
        StatusCode::CREATED,
        Json(json!({"id": id.to_string(), "key": key, "self": format!("/rest/api/3/issue/{id}")})),
    )
        .into_response()
}

async fn add_comment(
    State(state): Shared,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: String,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut jira = lock(&state);
    let Some(issue) = jira.issues.iter_mut().find(|i| i.key == key) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"errorMessages": ["Issue does not exist"]})),
        )
            .into_response();
    };
    issue.comments.push(body);
    let id = issue.comments.len();
    (StatusCode::CREATED, Json(json!({"id": id.to_string()}))).into_response()
}

async fn comments(State(state): Shared, headers: HeaderMap, Path(key): Path<String>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let jira = lock(&state);
    let Some(issue) = jira.issues.iter().find(|i| i.key == key) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"errorMessages": ["Issue does not exist"]})),
        )
            .into_response();
    };
    let comments: Vec<Value> = issue
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"id": (i + 1).to_string(), "body": c["body"], "properties": c["properties"]}))
        .collect();
    Json(json!({"comments": comments, "total": comments.len()})).into_response()
}
