//! Test servers on 127.0.0.1 that answer as Slack's Web API, Jira Cloud's
//! REST API and an SMTP relay answer, and record what they were sent.
//!
//! Each runs on a thread of its own with its own runtime, so a test can
//! point a process it starts (the `responder` binary) at it, from a plain
//! `#[test]` or a `#[tokio::test]` alike; it stops when dropped. The state
//! lives on: a process that dies and restarts meets the same "Slack".

mod jira;
mod running;
mod slack;
mod smtp;

pub use jira::{FakeJira, JiraIssue};
pub use running::Running;
pub use slack::{FakeSlack, SlackPost};
pub use smtp::{FakeSmtp, Mail};
