//! The HTTPS senders of incident-responder, shared by local mode
//! (`responder`) and the Deliver and RequestApproval functions in AWS:
//! Slack (`chat.postMessage` with a bot token, or an incoming webhook) and
//! Jira Cloud (REST v3). They send what `responder_workflow::render`
//! renders, so every destination gets the same escaped bytes.

pub mod https;
pub mod jira;
pub mod slack;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a query value keeps as it is: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` percent-encoded for a query value or a path segment.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

pub use jira::{JiraConfig, JiraSender, JiraTarget};
pub use slack::{SlackConfig, SlackSender, SlackTarget};
