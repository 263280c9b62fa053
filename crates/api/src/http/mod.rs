//! The HTTP routes, in one axum router: served by `responder serve` locally
//! and by `lambda_http` in AWS.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `GET /` | none | server information |
//! | `GET /health`, `GET /ready` | none | liveness; the stores answer |
//! | `POST /mcp` | SigV4, Origin | MCP, Streamable HTTP, stateless, JSON responses; batches for 2025-03-26; invalid JSON is 400 `-32700` |
//! | `GET /tools`, `POST /tools/{name}` | SigV4 | the same tools as plain REST |
//! | `POST /events` | SigV4 | an alert payload in, a workflow execution started |
//! | `POST /webhooks/alertmanager`, `/webhooks/grafana` | bearer token | the same, for those senders |
//! | `POST /slack/interactions` | Slack signature v0 | Approve / Reject buttons |
//! | `GET`, `POST /approvals/{token}` | signed link | e-mail approval links: a confirmation page, then the decision |

mod approvals;
mod auth;
mod jsonrpc;
mod routes;
mod server;

pub use server::{ServerLimits, serve};

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;

use crate::backend::Backend;
use crate::mcp::McpServer;
use crate::sigv4::Verifier;
use crate::tools::{Caller, Tools};

/// The largest request body read: an alert payload's limit (256 KiB) plus
/// room for the JSON-RPC envelope.
pub const MAX_BODY_BYTES: usize = 300 * 1024;

/// Who may call `/mcp`, `/tools` and `/events`, and how the caller is known.
#[derive(Clone)]
pub enum Auth {
    /// `responder serve`: the signature is checked here, as API Gateway's
    /// AWS_IAM authorization checks it.
    SigV4(Verifier),
    /// Behind API Gateway with AWS_IAM authorization: the gateway checked the
    /// signature before the request reached the function; the caller (the
    /// IAM principal) is read from the request the adapter passes on. A
    /// request without one is refused.
    Gateway(CallerOf),
}

/// Reads the caller's identity from a request (API Gateway's request
/// context, which `lambda_http` puts in the extensions).
pub type CallerOf = Arc<dyn Fn(&axum::http::request::Parts) -> Option<String> + Send + Sync>;

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SigV4(verifier) => f.debug_tuple("SigV4").field(verifier).finish(),
            Self::Gateway(_) => f.write_str("Gateway"),
        }
    }
}

impl Auth {
    /// What `GET /` says of it.
    pub fn describe(&self) -> String {
        match self {
            Self::SigV4(verifier) => format!(
                "AWS SigV4 (service execute-api, region {}) on /mcp, /tools and /events",
                verifier.region()
            ),
            Self::Gateway(_) => "AWS_IAM at API Gateway on /mcp, /tools and /events".to_owned(),
        }
    }
}

/// What the router needs besides the tools. Its debug output names which
/// secrets are set, never their values.
#[derive(Clone)]
pub struct HttpConfig {
    /// How `/mcp`, `/tools` and `/events` are authenticated.
    pub auth: Auth,
    /// Browser origins allowed on `/mcp` (`http://localhost:3000`); a request
    /// with any other `Origin` is refused. Clients that are not browsers
    /// send none.
    pub allowed_origins: Vec<String>,
    /// The bearer token of `/webhooks/*`; the routes answer 404 without one.
    pub webhook_token: Option<String>,
    /// Slack's signing secret; `/slack/interactions` answers 404 without one.
    pub slack_signing_secret: Option<String>,
    /// The key of e-mail approval links; the routes answer 404 without one.
    pub link_secret: Option<Vec<u8>>,
    /// Who may decide with Slack's buttons, and how replies reach Slack.
    pub slack: SlackSettings,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |present: bool| if present { "<set>" } else { "<unset>" };
        f.debug_struct("HttpConfig")
            .field("auth", &self.auth)
            .field("allowed_origins", &self.allowed_origins)
            .field("webhook_token", &set(self.webhook_token.is_some()))
            .field(
                "slack_signing_secret",
                &set(self.slack_signing_secret.is_some()),
            )
            .field("link_secret", &set(self.link_secret.is_some()))
            .field("slack", &self.slack)
            .finish()
    }
}

/// Posts a reply to a Slack interaction's `response_url`.
pub type SlackReply = Arc<
    dyn Fn(
            String,
            serde_json::Value,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;

/// Slack's buttons: who may press them, and where replies go.
#[derive(Clone)]
pub struct SlackSettings {
    pub approvers: crate::slack::ApproverCheck,
    /// Posts replies; without it, replies are only in the response body.
    pub reply: Option<SlackReply>,
    /// Replies go only to `response_url`s under this prefix (Slack's own,
    /// `https://hooks.slack.com/`): a forged URL in a payload is not called.
    pub response_url_prefix: String,
}

impl Default for SlackSettings {
    fn default() -> Self {
        Self {
            approvers: crate::slack::ApproverCheck::default(),
            reply: None,
            response_url_prefix: "https://hooks.slack.com/".to_owned(),
        }
    }
}

impl std::fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSettings")
            .field("approvers", &self.approvers)
            .field("replies", &self.reply.is_some())
            .field("response_url_prefix", &self.response_url_prefix)
            .finish()
    }
}

impl SlackSettings {
    /// Posts `body` to `url` if it is Slack's; a failure is logged, not
    /// returned: the decision stands whether or not the reply arrives.
    pub async fn reply(&self, url: &str, body: &serde_json::Value) {
        let Some(reply) = &self.reply else { return };
        if !url.starts_with(&self.response_url_prefix) {
            tracing::warn!(prefix = %self.response_url_prefix, "Slack response_url is not Slack's; no reply sent.");
            return;
        }
        if let Err(e) = reply(url.to_owned(), body.clone()).await {
            tracing::warn!(error = %e, "The reply to Slack was not delivered.");
        }
    }
}

/// The shared state of the handlers.
#[derive(Debug)]
pub struct AppState<B> {
    pub tools: Tools<B>,
    pub config: HttpConfig,
}

/// The router over `tools`.
pub fn router<B: Backend>(tools: Tools<B>, config: HttpConfig) -> Router {
    let state = Arc::new(AppState {
        tools: tools.clone(),
        config,
    });
    let mcp = mcp_service(tools);
    let signed = Router::new()
        .route("/tools", get(routes::list_tools::<B>))
        .route("/tools/{name}", post(routes::call_tool::<B>))
        .route("/events", post(routes::events::<B>))
        .route(
            "/mcp",
            axum::routing::any(move |request| jsonrpc::entry(mcp.clone(), request)),
        )
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::authenticate::<B>,
        ));
    Router::new()
        .route("/", get(routes::info::<B>))
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready::<B>))
        .route("/webhooks/{sender}", post(routes::webhook::<B>))
        .route("/slack/interactions", post(routes::slack_interaction::<B>))
        .route(
            "/approvals/{token}",
            get(approvals::confirm::<B>).post(approvals::decide::<B>),
        )
        .with_state(Arc::clone(&state))
        .merge(signed.with_state(state))
}

/// rmcp's Streamable HTTP service: stateless (no session ids, so any Lambda
/// instance answers any request), JSON responses, no keep-alive stream. Its
/// own Host check is off: the host header is signed (SigV4, here or at API
/// Gateway, whose host names rmcp's loopback list would refuse), and the
/// router checks `Origin`.
fn mcp_service<B: Backend>(
    tools: Tools<B>,
) -> StreamableHttpService<McpServer<B>, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts()
        .with_max_request_body_bytes(MAX_BODY_BYTES);
    let server = McpServer::new(tools, Caller("unauthenticated".to_owned()));
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}
