//! Slack's Web API, the part incident-responder calls: `chat.postMessage`
//! (with threads and message metadata), `conversations.history` and
//! `conversations.replies` (to find a message again), `usergroups.users.list`,
//! and interaction `response_url`s (under `/hooks/`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Json;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::running::{Running, serve_router};

/// One `chat.postMessage` as Slack received it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackPost {
    /// The `ts` Slack gave it.
    pub ts: String,
    /// The bearer token it came with.
    pub token: String,
    pub body: Value,
}

#[derive(Debug, Default)]
struct Slack {
    posts: Vec<SlackPost>,
    hooks: Vec<(String, Value)>,
    groups: HashMap<String, Vec<String>>,
    seq: u64,
}

/// A fake Slack on 127.0.0.1. Its Web API is at [`api_base`](Self::api_base).
#[derive(Debug)]
pub struct FakeSlack {
    state: Arc<Mutex<Slack>>,
    running: Running,
}

impl FakeSlack {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(Slack::default()));
        let router = Router::new()
            .route("/api/chat.postMessage", post(post_message))
            .route("/api/conversations.history", get(history))
            .route("/api/conversations.replies", get(replies))
            .route("/api/usergroups.users.list", get(group_members))
            .route("/hooks/{*path}", post(hook))
            .with_state(Arc::clone(&state));
        let running = Running::start(move |listener| serve_router(listener, router));
        Self { state, running }
    }

    /// `http://127.0.0.1:PORT/api`: the `api_base` of a bot target.
    pub fn api_base(&self) -> String {
        format!("{}/api", self.running.url())
    }

    /// A `response_url` this server accepts.
    pub fn response_url(&self, name: &str) -> String {
        format!("{}/hooks/{name}", self.running.url())
    }

    /// Makes `users` the members of the user group `group`.
    pub fn set_group(&self, group: &str, users: &[&str]) {
        self.lock().groups.insert(
            group.to_owned(),
            users.iter().map(|u| (*u).to_owned()).collect(),
        );
    }

    /// Every `chat.postMessage`, in order.
    pub fn posts(&self) -> Vec<SlackPost> {
        self.lock().posts.clone()
    }

    /// The posts whose metadata names `incident_id` and `kind`.
    pub fn posts_of(&self, incident_id: &str, kind: &str) -> Vec<SlackPost> {
        self.posts()
            .into_iter()
            .filter(|p| {
                let payload = p.body.pointer("/metadata/event_payload");
                let text = |key: &str| payload.and_then(|p| p.get(key)).and_then(Value::as_str);
                text("incident_id") == Some(incident_id) && text("kind") == Some(kind)
            })
            .collect()
    }

    /// What was posted to `response_url`s: (path, body).
    pub fn hooks(&self) -> Vec<(String, Value)> {
        self.lock().hooks.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Slack> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Shared = State<Arc<Mutex<Slack>>>;

fn lock(state: &Arc<Mutex<Slack>>) -> MutexGuard<'_, Slack> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

async fn post_message(State(state): Shared, headers: HeaderMap, body: String) -> Json<Value> {
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return Json(json!({"ok": false, "error": "invalid_json"}));
    };
    let token = bearer(&headers);
    if token.is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    let mut slack = lock(&state);
    slack.seq += 1;
    let ts = format!("1764680000.{:06}", slack.seq);
    let channel = body.get("channel").cloned().unwrap_or(Value::Null);
    slack.posts.push(SlackPost {
        ts: ts.clone(),
        token,
        body,
    });
    Json(json!({"ok": true, "channel": channel, "ts": ts}))
}

/// A text field of a posted body.
fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// A stored post as `conversations.*` return it.
fn as_message(post: &SlackPost) -> Value {
    let mut message = serde_json::Map::new();
    message.insert("type".into(), json!("message"));
    message.insert("ts".into(), json!(post.ts));
    message.insert("text".into(), text(&post.body, "text").into());
    for key in ["thread_ts", "metadata"] {
        if let Some(value) = post.body.get(key) {
            message.insert(key.into(), value.clone());
        }
    }
    Value::Object(message)
}

async fn history(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    if bearer(&headers).is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    let channel = query.get("channel").cloned().unwrap_or_default();
    let slack = lock(&state);
    // Newest first; thread replies only when also shown in the channel.
    let messages: Vec<Value> = slack
        .posts
        .iter()
        .rev()
        .filter(|p| text(&p.body, "channel") == Some(channel.as_str()))
        .filter(|p| {
            p.body.get("thread_ts").is_none()
                || p.body.get("reply_broadcast").and_then(Value::as_bool) == Some(true)
        })
        .map(as_message)
        .collect();
    Json(json!({"ok": true, "messages": messages, "has_more": false}))
}

async fn replies(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    if bearer(&headers).is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    let channel = query.get("channel").cloned().unwrap_or_default();
    let ts = query.get("ts").cloned().unwrap_or_default();
    let slack = lock(&state);
    // The parent first, then the replies, oldest first.
    let messages: Vec<Value> = slack
        .posts
        .iter()
        .filter(|p| text(&p.body, "channel") == Some(channel.as_str()))
        .filter(|p| p.ts == ts || text(&p.body, "thread_ts") == Some(ts.as_str()))
        .map(as_message)
        .collect();
    if messages.is_empty() {
        return Json(json!({"ok": false, "error": "thread_not_found"}));
    }
    Json(json!({"ok": true, "messages": messages, "has_more": false}))
}

async fn group_members(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    if bearer(&headers).is_empty() {
        return Json(json!({"ok": false, "error": "not_authed"}));
    }
    let group = query.get("usergroup").cloned().unwrap_or_default();
    match lock(&state).groups.get(&group) {
        Some(users) => Json(json!({"ok": true, "users": users})),
        None => Json(json!({"ok": false, "error": "no_such_subteam"})),
    }
}

async fn hook(State(state): Shared, Path(path): Path<String>, body: String) -> &'static str {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    lock(&state).hooks.push((path, body));
    "ok"
}
