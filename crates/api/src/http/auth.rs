//! The gate of `/mcp`, `/tools` and `/events`: SigV4 checked here and
//! refused as API Gateway refuses (403, `{"message": ...}`,
//! `x-amzn-ErrorType`), or, behind API Gateway, the caller it vouches for;
//! and the adjustments `/mcp` needs before rmcp sees the request.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{AppState, Auth, MAX_BODY_BYTES};
use crate::backend::Backend;
use crate::sigv4::{self, Denied, DeniedKind};
use crate::tools::Caller;

pub async fn authenticate<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
    };
    let caller = match &state.config.auth {
        Auth::SigV4(verifier) => {
            // A value that is not UTF-8 cannot be canonicalized as it was
            // signed (reading it as empty let any bytes pass): refused.
            let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len());
            for (name, value) in &parts.headers {
                let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
                    return refused(&Denied {
                        kind: DeniedKind::InvalidSignature,
                        message: format!("The value of header '{name}' is not UTF-8 text."),
                    });
                };
                headers.push((name.as_str(), text));
            }
            let verified = verifier.verify(&sigv4::Request {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query: parts.uri.query().unwrap_or_default(),
                headers: &headers,
                body: &body,
            });
            match verified {
                Ok(caller) => caller.name,
                Err(denied) => {
                    tracing::info!(
                        kind = denied.kind.as_str(),
                        path = parts.uri.path(),
                        "request refused"
                    );
                    return refused(&denied);
                }
            }
        }
        Auth::Gateway(caller_of) => match caller_of(&parts) {
            Some(caller) => caller,
            None => {
                return refused(&Denied {
                    kind: DeniedKind::MissingAuthenticationToken,
                    message: "Missing Authentication Token".to_owned(),
                });
            }
        },
    };
    if parts.uri.path().starts_with("/mcp") {
        if let Some(refusal) = check_origin(&parts.headers, &state.config.allowed_origins) {
            return refusal;
        }
        accept_plain_json(&mut parts.headers);
    }
    parts.extensions.insert(Caller(caller));
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// API Gateway's refusal: 403 with its message and error type.
fn refused(denied: &Denied) -> Response {
    let mut response = message(StatusCode::FORBIDDEN, &denied.message);
    response.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static(denied.kind.as_str()),
    );
    response
}

pub fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

/// A browser's request must come from an allowed origin: this is what keeps
/// a web page from driving a local server (DNS rebinding). Requests without
/// `Origin` (command-line clients, SDKs) pass.
fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().unwrap_or_default();
    if allowed.iter().any(|a| a == text) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            &format!(
                "Origin '{}' is not allowed; see api.allowed_origins",
                text.chars().take(100).collect::<String>()
            ),
        ))
    }
}

/// rmcp wants `Accept` to list both JSON and SSE; with JSON responses on,
/// a client that accepts only JSON (awscurl, curl) is served the same.
fn accept_plain_json(headers: &mut HeaderMap) {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !accept.contains("text/event-stream") {
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
    }
}
