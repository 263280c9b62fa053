//! What rmcp's Streamable HTTP service does not do for `/mcp`, in front of
//! it: a body that is not JSON answers 400 with JSON-RPC's parse error
//! (`-32700`), where rmcp would answer 415; and a JSON-RPC batch (an array)
//! runs as its messages one by one, answered as one array, for protocol
//! 2025-03-26, the one version that defines batches.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use serde_json::{Value, json};

use super::MAX_BODY_BYTES;
use crate::backend::Backend;
use crate::mcp::McpServer;

/// rmcp's service, as the router builds it.
pub type Mcp<B> = StreamableHttpService<McpServer<B>, NeverSessionManager>;

/// JSON-RPC 2.0: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC 2.0: JSON, but not a request (an empty batch, say).
pub const INVALID_REQUEST: i64 = -32600;
/// The one MCP version whose JSON-RPC layer has batches.
pub const BATCH_VERSION: &str = "2025-03-26";
/// The most messages one batch may hold.
pub const MAX_BATCH: usize = 20;

/// Hands `request` to `mcp`, after the checks above.
pub async fn entry<B: Backend>(mcp: Mcp<B>, request: Request) -> Response {
    if request.method() != Method::POST {
        return call(&mcp, request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST,
            "the request body is too large",
        );
    };
    let items = match serde_json::from_slice::<Value>(&bytes) {
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                PARSE_ERROR,
                &format!("Parse error: the body is not JSON ({e})"),
            );
        }
        Ok(Value::Array(items)) => items,
        Ok(_) => return call(&mcp, Request::from_parts(parts, Body::from(bytes))).await,
    };
    // Without the header, a client speaks 2025-03-26 (the specification's
    // rule for a missing MCP-Protocol-Version).
    let version = parts
        .headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(BATCH_VERSION);
    if version != BATCH_VERSION {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            &format!(
                "JSON-RPC batches are part of protocol {BATCH_VERSION} only, not {}",
                printable(version)
            ),
        );
    }
    if items.is_empty() || items.len() > MAX_BATCH {
        return error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            &format!(
                "a batch holds 1 to {MAX_BATCH} messages, got {}",
                items.len()
            ),
        );
    }
    let mut answers = Vec::new();
    for item in items {
        let id = item.get("id").cloned();
        let mut one = Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone())
            .body(Body::from(item.to_string()))
            .unwrap_or_default();
        *one.headers_mut() = parts.headers.clone();
        one.headers_mut().remove(header::CONTENT_LENGTH);
        one.extensions_mut().clone_from(&parts.extensions);
        let response = call(&mcp, one).await;
        if let Some(answer) = answer_of(response, id).await {
            answers.push(answer);
        }
    }
    if answers.is_empty() {
        // Only notifications and responses: nothing to answer.
        return StatusCode::ACCEPTED.into_response();
    }
    json_response(StatusCode::OK, &Value::Array(answers))
}

async fn call<B: Backend>(mcp: &Mcp<B>, request: Request) -> Response {
    mcp.handle(request).await.map(Body::new)
}

/// One message's answer within a batch: its JSON-RPC response, or an error
/// for its id when the service answered without one; none for a
/// notification.
async fn answer_of(response: Response, id: Option<Value>) -> Option<Value> {
    let status = response.status();
    if status == StatusCode::ACCEPTED {
        return None;
    }
    let bytes: Bytes = axum::body::to_bytes(response.into_body(), MAX_BODY_BYTES * 4)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(answer) if answer.get("jsonrpc").is_some() => Some(answer),
        _ => Some(json!({
            "jsonrpc": "2.0",
            "id": id.unwrap_or(Value::Null),
            "error": {
                "code": INVALID_REQUEST,
                "message": format!("{status}: {}", String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>()),
            },
        })),
    }
}

/// A JSON-RPC error with no id (the request's could not be read).
fn error(status: StatusCode, code: i64, message: &str) -> Response {
    json_response(
        status,
        &json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}}),
    )
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}
