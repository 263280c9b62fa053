//! The local console of incident-responder (`responder serve`): pages of
//! incidents, approvals and executions, rendered on the server, with the
//! state machine drawn as SVG from the same ASL file the engine runs.

// ASL documents are read as `serde_json::Value`, whose `value["key"]` gives
// `Null` for a missing key and never panics.
#![allow(clippy::indexing_slicing)]

pub mod chart;
pub mod graph;
pub mod http;
pub mod pages;

pub use http::router;
