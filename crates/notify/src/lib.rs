//! The HTTPS senders of incident-responder, shared by local mode
//! (`responder`) and the Deliver and RequestApproval functions in AWS:
//! Slack (`chat.postMessage` with a bot token, or an incoming webhook) and
//! Jira Cloud (REST v3). They send what `responder_workflow::render`
//! renders, so every destination gets the same escaped bytes.

// Slack's and Jira's answers are read as `serde_json::Value`, whose
// `value["key"]` gives `Null` for a missing key and never panics.
#![allow(clippy::indexing_slicing)]

pub mod https;
pub mod jira;
pub mod slack;

pub use jira::{JiraConfig, JiraSender, JiraTarget};
pub use slack::{SlackConfig, SlackSender, SlackTarget};
