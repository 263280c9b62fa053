//! The plain HTTP handlers: information, health, the REST face of the tools,
//! alert intake (`/events`, webhooks) and Slack's buttons.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::AppState;
use super::auth::message;
use crate::backend::{AuditEntry, Backend};
use crate::error::ApiError;
use crate::mcp::implementation;
use crate::tools::{Caller, ToolSpec, normalize_payload};

pub async fn info<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Json<Value> {
    let server = implementation();
    Json(json!({
        "name": server.name,
        "version": server.version,
        "mcp": "/mcp",
        "tools": state.tools.list().iter().map(|t| t.name).collect::<Vec<_>>(),
        "auth": state.config.auth.describe(),
    }))
}

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn ready<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Response {
    match state.tools.backend().ready().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "error": e.name, "message": e.message })),
        )
            .into_response(),
    }
}

pub async fn list_tools<B: Backend>(State(state): State<Arc<AppState<B>>>) -> Json<Vec<ToolSpec>> {
    Json(state.tools.list().into_iter().cloned().collect())
}

pub async fn call_tool<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let arguments: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                return error(&ApiError::invalid(format!("the body is not JSON: {e}")));
            }
        }
    };
    match state.tools.call(&name, arguments, &caller).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => error(&e),
    }
}

/// An error as the REST routes answer it.
pub fn error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({ "error": e.name, "message": e.message })),
    )
        .into_response()
}

/// `POST /events`: an alert payload of any supported source starts one
/// workflow execution. A redelivered payload starts another execution,
/// which finds the alert's dedup key registered and does nothing.
pub async fn events<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    intake(&state, &caller, "events", &body, None).await
}

/// `POST /webhooks/{alertmanager|grafana}`, with `Authorization: Bearer`.
pub async fn webhook<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path(sender): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(expected) = state.config.webhook_token.as_deref() else {
        return message(
            StatusCode::NOT_FOUND,
            "webhooks are not configured (api.webhook_token)",
        );
    };
    if !["alertmanager", "grafana"].contains(&sender.as_str()) {
        return message(
            StatusCode::NOT_FOUND,
            "webhooks: expected /webhooks/alertmanager or /webhooks/grafana",
        );
    }
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return message(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    let caller = Caller(format!("webhook:{sender}"));
    intake(&state, &caller, &sender, &body, Some(sender.as_str())).await
}

async fn intake<B: Backend>(
    state: &AppState<B>,
    caller: &Caller,
    route: &str,
    body: &[u8],
    expected_source: Option<&str>,
) -> Response {
    let outcome = match state.tools.permit("start_investigation") {
        Ok(()) => start_from_body(state, body, expected_source).await,
        Err(e) => Err(e),
    };
    let details = match &outcome {
        Ok(v) => v.clone(),
        Err(_) => json!({ "bytes": body.len() }),
    };
    let entry = AuditEntry::of(
        &caller.0,
        format!("intake:{route}"),
        None,
        details,
        &outcome,
    );
    if let Err(e) = state.tools.backend().audit(&entry).await {
        return error(&e);
    }
    match outcome {
        Ok(value) => (StatusCode::ACCEPTED, Json(value)).into_response(),
        Err(e) => error(&e),
    }
}

async fn start_from_body<B: Backend>(
    state: &AppState<B>,
    body: &[u8],
    expected_source: Option<&str>,
) -> Result<Value, ApiError> {
    let payload: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            crate::error::names::INVALID_ALERT,
            format!("payload is not valid JSON: {e}"),
        )
    })?;
    let alerts = normalize_payload(&payload)?;
    if let Some(source) = expected_source
        && let Some(other) = alerts.iter().find(|a| a.source.family().as_str() != source)
    {
        return Err(ApiError::new(
            crate::error::names::INVALID_ALERT,
            format!(
                "/webhooks/{source} takes {source} payloads; this one is {}",
                other.source.family().as_str()
            ),
        ));
    }
    let execution_id = state.tools.backend().start(&payload).await?;
    Ok(json!({
        "execution_id": execution_id,
        "alerts": alerts.iter().map(|a| json!({"id": a.id, "dedup_key": a.dedup_key, "severity": a.severity, "title": a.title})).collect::<Vec<_>>(),
    }))
}

/// Slack's `block_actions` payload, the part we read.
#[derive(Deserialize)]
struct Interaction {
    #[serde(rename = "type")]
    kind: String,
    user: SlackUser,
    #[serde(default)]
    actions: Vec<SlackAction>,
    /// Where replies to this press go (`https://hooks.slack.com/actions/...`).
    #[serde(default)]
    response_url: Option<String>,
}

#[derive(Deserialize)]
struct SlackUser {
    id: String,
}

#[derive(Deserialize)]
struct SlackAction {
    action_id: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct InteractionForm {
    payload: String,
}

/// `POST /slack/interactions`: an Approve or Reject button of an approval
/// request (`value` is the approval id). Only configured approvers decide;
/// anyone else gets an ephemeral reply saying why, and the press is
/// audited. The decision goes through the same tools as every other way
/// in, so `api.write_tools` governs it too. Replies go to the press's
/// `response_url` (and, for clients that read it, the response body).
pub async fn slack_interaction<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = state.config.slack_signing_secret.as_deref() else {
        return message(
            StatusCode::NOT_FOUND,
            "Slack is not configured (api.slack_signing_secret)",
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(denied) = crate::slack::verify(
        secret.as_bytes(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        chrono::Utc::now().timestamp(),
    ) {
        return message(StatusCode::UNAUTHORIZED, &denied.to_string());
    }
    let interaction = serde_urlencoded_payload(&body)
        .and_then(|p| serde_json::from_str::<Interaction>(&p).map_err(|e| e.to_string()));
    let interaction = match interaction {
        Ok(i) if i.kind == "block_actions" => i,
        Ok(i) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "unsupported interaction type '{}'",
                    i.kind.chars().take(40).collect::<String>()
                ),
            );
        }
        Err(e) => return message(StatusCode::BAD_REQUEST, &format!("payload: {e}")),
    };
    let Some(action) = interaction.actions.first() else {
        return message(StatusCode::BAD_REQUEST, "payload.actions is empty");
    };
    let (tool, verb) = match action.action_id.as_str() {
        "approve" => ("approve_incident", "Approved"),
        "reject" => ("reject_incident", "Rejected"),
        other => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "unknown action '{}'",
                    other.chars().take(40).collect::<String>()
                ),
            );
        }
    };
    let user = &interaction.user.id;
    let caller = Caller(format!("slack:{user}"));
    let reply = match press(&state, tool, &action.value, &caller).await {
        Ok(incident_id) => json!({
            "replace_original": true,
            "text": format!("{verb} by <@{user}>: {incident_id}"),
        }),
        Err(e) => json!({
            "response_type": "ephemeral",
            "replace_original": false,
            "text": format!("Not recorded: {}", e.message),
        }),
    };
    if let Some(url) = interaction.response_url.as_deref() {
        state.config.slack.reply(url, &reply).await;
    }
    Json(reply).into_response()
}

/// A press of `tool` on the approval `approval_id` (Slack buttons carry the
/// id, never the task token): checked against the approvers, then decided
/// through the tool, which checks the write policy and audits. A refused
/// approver is audited here.
async fn press<B: Backend>(
    state: &AppState<B>,
    tool: &str,
    approval_id: &str,
    caller: &Caller,
) -> Result<String, ApiError> {
    let backend = state.tools.backend();
    let pending = backend.pending_approvals().await?;
    let Some(approval) = pending.iter().find(|p| p.approval_id == approval_id) else {
        return Err(ApiError::conflict(format!(
            "approval '{}' is not pending (decided already, or expired)",
            approval_id.chars().take(80).collect::<String>()
        )));
    };
    let user = caller.0.trim_start_matches("slack:");
    if let Err(reason) = state
        .config
        .slack
        .approvers
        .check(user, approval.severity)
        .await
    {
        let refused = Err(ApiError::new(crate::error::names::NOT_AN_APPROVER, reason));
        let entry = AuditEntry::of(
            &caller.0,
            tool,
            Some(approval.incident_id.clone()),
            json!({ "approval_id": approval_id, "via": "slack" }),
            &refused,
        );
        backend.audit(&entry).await?;
        return refused;
    }
    let arguments = if tool == "approve_incident" {
        json!({ "incident_id": approval.incident_id, "comment": "approved in Slack" })
    } else {
        json!({ "incident_id": approval.incident_id, "reason": "rejected in Slack" })
    };
    state.tools.call(tool, arguments, caller).await?;
    Ok(approval.incident_id.clone())
}

/// The `payload` field of an `application/x-www-form-urlencoded` body.
fn serde_urlencoded_payload(body: &[u8]) -> Result<String, String> {
    let form: InteractionForm = serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())?;
    Ok(form.payload)
}
