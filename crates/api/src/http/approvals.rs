//! E-mail approval links. `GET` shows what the link would decide and asks
//! for confirmation (mail scanners and link previews open links; they must
//! not decide anything); `POST` from that page takes the decision.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use crate::backend::{Backend, Decided};
use crate::error::ApiError;
use crate::links::{self, ApprovalLink, LinkDecision, LinkError};
use crate::tools::Caller;

pub async fn confirm<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path(token): Path<String>,
) -> Response {
    let link = match verified(&state, &token) {
        Ok(link) => link,
        Err(page) => return *page,
    };
    let view = state
        .tools
        .backend()
        .incident_view(&link.incident_id)
        .await
        .ok()
        .flatten()
        .unwrap_or(Value::Null);
    let text = |pointer: &str| view.pointer(pointer).and_then(Value::as_str);
    let verb = match link.decision {
        LinkDecision::Approve => "Approve",
        LinkDecision::Reject => "Reject",
    };
    let body = format!(
        "<h1>{verb} incident {id}?</h1>\
         <p><strong>[{severity}] {title}</strong></p>\
         <p>{summary}</p>\
         <form method=\"post\"><button type=\"submit\">{verb}</button></form>\
         <p>Nothing is decided until you press the button.</p>",
        id = escape(&link.incident_id),
        severity = escape(text("/incident/severity").unwrap_or("?")),
        title = escape(text("/incident/title").unwrap_or("(unknown incident)")),
        summary = escape(text("/analysis/summary").unwrap_or_default()),
    );
    page(StatusCode::OK, &format!("{verb} incident"), &body)
}

pub async fn decide<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    Path(token): Path<String>,
) -> Response {
    let link = match verified(&state, &token) {
        Ok(link) => link,
        Err(page) => return *page,
    };
    // The same door as every other decision: the tool checks the write
    // policy (api.write_tools) and audits with the caller `email-link`.
    let (tool, arguments) = match link.decision {
        LinkDecision::Approve => (
            "approve_incident",
            json!({ "incident_id": link.incident_id, "comment": "approved from the e-mail link" }),
        ),
        LinkDecision::Reject => (
            "reject_incident",
            json!({ "incident_id": link.incident_id, "reason": "rejected from the e-mail link" }),
        ),
    };
    let outcome = state
        .tools
        .call(tool, arguments, &Caller("email-link".to_owned()))
        .await
        .and_then(|value| {
            serde_json::from_value::<Decided>(value)
                .map_err(|e| ApiError::unavailable(format!("the decision's answer: {e}")))
        });
    match outcome {
        Ok(decided) => page(
            StatusCode::OK,
            "Decision recorded",
            &format!(
                "<h1>{}: {}</h1><p>The workflow goes on with your decision.</p>",
                escape(&decided.incident_id),
                escape(&decided.decision)
            ),
        ),
        Err(e) => page(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT),
            "Not recorded",
            &format!("<h1>Not recorded</h1><p>{}</p>", escape(&e.message)),
        ),
    }
}

fn verified<B>(state: &AppState<B>, token: &str) -> Result<ApprovalLink, Box<Response>> {
    let Some(secret) = state.config.link_secret.as_deref() else {
        return Err(Box::new(page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<h1>Approval links are not configured</h1>",
        )));
    };
    links::verify(secret, token, chrono::Utc::now().timestamp()).map_err(|e| Box::new(match e {
        LinkError::Expired => page(
            StatusCode::GONE,
            "Link expired",
            "<h1>This approval link expired</h1><p>Decide with <code>responder approve</code>, in Slack, or through the MCP tools.</p>",
        ),
        LinkError::Invalid => page(StatusCode::NOT_FOUND, "Not found", "<h1>This link is not valid</h1>"),
    }))
}

/// A page with no scripts, no outside resources and no referrer (the token
/// is in the address).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{body}</body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Untrusted text (an alarm's title, a model's summary) for the page,
/// sanitized and HTML-escaped as the e-mails are.
fn escape(text: &str) -> String {
    responder_workflow::render::html_escape(text)
}
