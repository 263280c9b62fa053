//! The local console of incident-responder (`responder serve`): pages of
//! incidents, approvals and executions, rendered on the server, with the
//! state machine drawn as SVG from the same ASL file the engine runs.

pub mod chart;
pub mod graph;
pub mod http;
pub mod pages;

pub use http::router;

/// Untrusted text (from an alert, a log line, the model or a person) with
/// what could hide or reorder it removed: control characters and
/// bidirectional and zero-width ones, what `html_escape` strips. maud's
/// default escaping does the rest when the text is rendered.
pub(crate) use responder_workflow::render::sanitize as clean;
