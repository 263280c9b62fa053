//! A backend in memory, and requests signed as awscurl signs them, for the
//! router's tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use responder_api::backend::{
    AuditEntry, Backend, Decided, Decision, FoundLine, IncidentFilter, LogSearch, PendingApproval,
    QueryRows, Result,
};
use responder_api::error::ApiError;
use responder_api::http::{Auth, HttpConfig, SlackReply, SlackSettings, router};
use responder_api::sigv4::{self, Credential, Verifier};
use responder_api::slack::{ApproverCheck, SlackApprovers};
use responder_api::tools::{ToolPolicy, Tools};
use responder_core::analysis::{Analysis, AnalysisInput, RuleAnalyzer};
use responder_core::{Incident, IncidentStatus, Severity};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const WEBHOOK_TOKEN: &str = "hook-token-7f3a";
pub const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const LINK_SECRET: &[u8] = b"link-secret";

/// What the fake backend holds and what it was asked to do.
#[derive(Debug, Default)]
pub struct State {
    /// Replies posted to Slack `response_url`s: (url, body).
    pub slack_replies: Vec<(String, Value)>,
    pub incidents: Vec<Incident>,
    pub pending: Vec<PendingApproval>,
    pub analyses: HashMap<String, Analysis>,
    pub decisions: Vec<(String, Decision, String)>,
    pub started: Vec<Value>,
    pub audit: Vec<AuditEntry>,
    pub resolved: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Fake {
    pub state: Mutex<State>,
}

pub fn incident(id: &str, severity: Severity, service: &str, title: &str) -> Incident {
    Incident {
        id: id.to_owned(),
        signature: format!("sig-{service}"),
        resource: format!("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{title}"),
        title: title.to_owned(),
        severity,
        status: IncidentStatus::PendingApproval,
        opened_at: "2026-11-20T09:14:07Z".to_owned(),
        last_seen_at: "2026-11-20T09:14:07Z".to_owned(),
        occurrences: 1,
        resolved_at: None,
        time_to_recover_seconds: None,
        notified_channels: Vec::new(),
        triggering_alarms: Vec::new(),
        root_cause: None,
        service: Some(service.to_owned()),
        subject: None,
        version: 2,
    }
}

impl Fake {
    /// Two incidents; the first waits for approval `apr-1`.
    pub fn seeded() -> Arc<Self> {
        let fake = Self::default();
        {
            let mut state = fake.state.lock().unwrap();
            state.incidents = vec![
                incident(
                    "inc-1",
                    Severity::Critical,
                    "checkout-api",
                    "checkout-api-errors <!channel>",
                ),
                incident("inc-2", Severity::Low, "search", "search-latency"),
            ];
            state.pending = vec![PendingApproval {
                approval_id: "apr-1".to_owned(),
                incident_id: "inc-1".to_owned(),
                title: "checkout-api-errors <!channel>".to_owned(),
                severity: Severity::Critical,
                requested_at: "2026-11-20T09:15:00Z".to_owned(),
                expires_at: Some("2026-11-20T09:30:00Z".to_owned()),
                channels: vec![responder_core::Channel::Slack],
            }];
            let alert = responder_core::normalize(
                include_str!("../../../../events/eventbridge/metric-alarm-lambda-errors.json"),
                &responder_core::NormalizeOptions::default(),
            )
            .unwrap()
            .remove(0);
            let analysis = RuleAnalyzer.analyze(&AnalysisInput::alone(alert));
            state.analyses.insert("inc-1".to_owned(), analysis);
        }
        Arc::new(fake)
    }
}

impl Backend for Fake {
    async fn ready(&self) -> Result<()> {
        Ok(())
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let state = self.state.lock().unwrap();
        Ok(state
            .incidents
            .iter()
            .filter(|i| filter.severity.is_none_or(|s| s == i.severity))
            .filter(|i| {
                filter
                    .service
                    .as_ref()
                    .is_none_or(|s| i.service.as_ref() == Some(s))
            })
            .take(filter.limit)
            .cloned()
            .collect())
    }

    async fn incident_view(&self, id: &str) -> Result<Option<Value>> {
        let state = self.state.lock().unwrap();
        Ok(state
            .incidents
            .iter()
            .find(|i| i.id == id)
            .map(|i| json!({"incident": i, "analysis": state.analyses.get(id), "deliveries": []})))
    }

    async fn incident_analysis(&self, id: &str) -> Result<Option<Analysis>> {
        Ok(self.state.lock().unwrap().analyses.get(id).cloned())
    }

    async fn pending_approvals(&self) -> Result<Vec<PendingApproval>> {
        Ok(self.state.lock().unwrap().pending.clone())
    }

    async fn execution_view(&self, id: &str) -> Result<Option<Value>> {
        Ok((id == "exec-1").then(|| {
            json!({"execution_id": id, "status": "RUNNING", "current_state": "RequestApproval",
                   "events": (1..=300).map(|n| json!({"id": n, "type": "Event"})).collect::<Vec<_>>()})
        }))
    }

    async fn query_archive(&self, sql: &str) -> Result<QueryRows> {
        Ok(QueryRows {
            columns: vec!["sql".to_owned()],
            rows: vec![vec![json!(sql)]],
        })
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Vec<FoundLine>> {
        Ok((0..search.limit)
            .map(|n| FoundLine {
                log_group: "/aws/lambda/checkout-api".to_owned(),
                timestamp: None,
                message: format!("ERROR line {n} {}", search.filter),
            })
            .collect())
    }

    async fn analyze(&self, input: &AnalysisInput) -> Result<(Analysis, bool)> {
        Ok((RuleAnalyzer.analyze(input), false))
    }

    async fn ask(&self, _prompt: &str) -> Result<Option<String>> {
        Ok(None)
    }

    async fn decide(
        &self,
        incident_id: &str,
        decision: &Decision,
        caller: &str,
    ) -> Result<Decided> {
        let mut state = self.state.lock().unwrap();
        let Some(at) = state
            .pending
            .iter()
            .position(|p| p.incident_id == incident_id)
        else {
            return Err(ApiError::conflict(format!(
                "incident '{incident_id}' has no approval waiting"
            )));
        };
        let approval = state.pending.remove(at);
        state
            .decisions
            .push((incident_id.to_owned(), decision.clone(), caller.to_owned()));
        Ok(Decided {
            incident_id: incident_id.to_owned(),
            approval_id: approval.approval_id,
            decision: match decision {
                Decision::Approve { .. } => "APPROVED".to_owned(),
                Decision::Reject { .. } => "REJECTED".to_owned(),
            },
        })
    }

    async fn resolve(&self, incident_id: &str, resolution: &str) -> Result<Incident> {
        let mut state = self.state.lock().unwrap();
        state
            .resolved
            .push((incident_id.to_owned(), resolution.to_owned()));
        state
            .incidents
            .iter()
            .find(|i| i.id == incident_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no incident '{incident_id}'")))
    }

    async fn start(&self, payload: &Value) -> Result<String> {
        let mut state = self.state.lock().unwrap();
        state.started.push(payload.clone());
        Ok(format!("exec-{}", state.started.len()))
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        self.state.lock().unwrap().audit.push(entry.clone());
        Ok(())
    }
}

pub fn verifier() -> Verifier {
    Verifier::new(
        "execute-api",
        "us-east-1",
        HashMap::from([(
            ACCESS_KEY.to_owned(),
            Credential {
                name: "alice".to_owned(),
                secret_access_key: SECRET.to_owned(),
                session_token: None,
            },
        )]),
    )
}

/// The Slack user allowed to decide in the tests.
pub const SLACK_APPROVER: &str = "U024BE7LH";

pub fn app_with(fake: &Arc<Fake>, policy: ToolPolicy) -> Router {
    router(Tools::new(Arc::clone(fake), policy), http_config(fake))
}

/// The router's configuration in the tests: every secret set.
pub fn http_config(fake: &Arc<Fake>) -> HttpConfig {
    let replies = Arc::clone(fake);
    let reply: SlackReply = Arc::new(move |url: String, body: Value| {
        replies
            .state
            .lock()
            .unwrap()
            .slack_replies
            .push((url, body));
        Box::pin(async { Ok(()) })
    });
    HttpConfig {
        auth: Auth::SigV4(verifier()),
        allowed_origins: vec!["http://localhost:6274".to_owned()],
        webhook_token: Some(WEBHOOK_TOKEN.to_owned()),
        slack_signing_secret: Some(SLACK_SECRET.to_owned()),
        link_secret: Some(LINK_SECRET.to_vec()),
        slack: SlackSettings {
            approvers: ApproverCheck::new(
                SlackApprovers {
                    users: vec![SLACK_APPROVER.to_owned()],
                    ..SlackApprovers::default()
                },
                None,
            ),
            reply: Some(reply),
            ..SlackSettings::default()
        },
    }
}

pub fn app(fake: &Arc<Fake>) -> Router {
    app_with(fake, ToolPolicy::default())
}

/// A request signed now with the test key, as awscurl signs it (host,
/// x-amz-date and every header given).
pub fn signed(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut all: Vec<(&str, &str)> = vec![("host", "127.0.0.1:8080")];
    all.extend_from_slice(headers);
    let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
    let request = sigv4::Request {
        method,
        path: path_only,
        query,
        headers: &all,
        body: body.as_bytes(),
    };
    let credential = Credential {
        name: "alice".to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    };
    let added = sigv4::sign(&verifier(), &request, ACCESS_KEY, &credential, Utc::now());
    let mut builder = Request::builder().method(method).uri(path);
    for (k, v) in &all {
        builder = builder.header(*k, *v);
    }
    for (k, v) in &added {
        builder = builder.header(k, v);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

pub fn unsigned(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

pub async fn send(app: &Router, request: Request<Body>) -> (u16, Response<()>, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status.as_u16(),
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A JSON-RPC request to `/mcp`, signed, with the headers MCP clients send.
pub fn mcp(method: &str, params: Value) -> Request<Body> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    signed(
        "POST",
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ],
        &body,
    )
}

pub fn fixed_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 15, 0).unwrap()
}
