//! The API of incident-responder: the MCP server and the HTTP routes, the
//! same in Lambda (behind API Gateway) and on a laptop (`responder serve`).
//!
//! - [`tools`]: the tools, described once and served over MCP and REST;
//! - [`mcp`]: the MCP server (rmcp): tools, `incident://` resources, the
//!   `triage` prompt;
//! - [`backend`]: the port the tools call (SQLite and the local engine in
//!   `responder-local`; DynamoDB, Athena, Logs Insights, Bedrock, S3 and Step
//!   Functions in `responder-aws`), defined in `responder-workflow` so the
//!   adapters need not depend on this crate's server;
//! - [`sql`]: the guard in front of `query_history`;
//! - [`sigv4`], [`slack`] and [`links`]: request authentication (SigV4 as
//!   API Gateway checks it, Slack's signatures, signed e-mail links);
//! - [`http`]: the axum router;
//! - [`error`]: the stable error names and their HTTP statuses (also in
//!   `responder-workflow`, beside the port).

pub use responder_workflow::backend;
pub use responder_workflow::backend::error;
pub mod http;
pub mod links;
pub mod mcp;
pub mod sigv4;
pub mod slack;
pub mod sql;
pub mod tools;
