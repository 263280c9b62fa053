//! The local backends of incident-responder behind the workflow's task
//! handlers: SQLite for incidents, occurrences, the analysis cache,
//! approvals, deliveries and the history archive; a folder per log group;
//! the built-in rule analyzer; a file outbox.

pub mod analyzer;
pub mod api;
pub mod archive;
pub mod changes;
pub mod config;
pub mod db;
pub mod error;
pub mod executions;
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
