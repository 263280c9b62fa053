//! The API of incident-responder: the MCP server and the HTTP routes, the
//! same in Lambda (behind API Gateway) and on a laptop (`responder serve`).
//!
//! - [`tools`]: the tools, described once and served over MCP and REST;
//! - [`backend`]: the port the tools call (SQLite and the local engine, or
//!   DynamoDB, Athena and Step Functions);
//! - [`sigv4`] and [`slack`]: request authentication;
//! - [`http`]: the axum router.

// Views are `serde_json::Value`s: `value["key"]` reads never panic (a
// missing key is `Null`), and the only writes index objects built here.
#![allow(clippy::indexing_slicing)]

pub mod backend;
pub mod error;
pub mod http;
pub mod links;
pub mod mcp;
pub mod sigv4;
pub mod slack;
pub mod sql;
pub mod tools;
