//! The local backends of incident-responder behind the workflow's task
//! handlers: SQLite for incidents, occurrences, the analysis cache,
//! approvals, deliveries and the history archive; a folder per log group;
//! the built-in rule analyzer; a file outbox.

// The handlers read task inputs as `serde_json::Value`, whose `value["key"]`
// gives `Null` for a missing key or a non-object and never panics; the lint
// cannot tell it from slice indexing.
#![allow(clippy::indexing_slicing)]

pub mod analyzer;
pub mod api;
pub mod archive;
pub mod changes;
pub mod config;
pub mod db;
pub mod error;
pub mod faults;
pub mod holder;
pub mod logs;
pub mod openai;
pub mod outbox;
pub mod records;
pub mod smtp;
pub mod store;
pub mod workflow;

pub use api::LocalApi;
pub use config::WorkflowConfig;
pub use db::Db;
pub use error::LocalError;
pub use workflow::{Local, registry, substitutions};
