//! Messages for tests, built from the Deliver input every test level
//! shares (`events/functions/deliver.json`): one fixture, not one per
//! crate. Compiled for this crate's tests and, with the `test-support`
//! feature, for other crates' tests.

use crate::render::{Message, MessageKind};
use crate::steps::{DeliverInput, parse};

/// The demo incident's message, as Deliver builds it from its input.
#[allow(clippy::panic)] // Test support: a broken fixture stops the test.
pub fn demo_message() -> Message {
    let input: serde_json::Value =
        serde_json::from_str(include_str!("../../../events/functions/deliver.json"))
            .unwrap_or_default();
    match parse::<DeliverInput>(&input) {
        Ok(input) => input.message(),
        Err(e) => panic!("events/functions/deliver.json is not a Deliver input: {e}"),
    }
}

/// The demo incident as a `kind` message, titled `title`, its analysis
/// only `summary` (no causes, no remediation).
pub fn message_of(kind: MessageKind, title: &str, summary: &str) -> Message {
    let demo = demo_message();
    let mut incident = demo.incident;
    incident.title = title.to_owned();
    let analysis = demo.analysis.map(|mut analysis| {
        analysis.summary = summary.to_owned();
        analysis.root_causes.clear();
        analysis.remediation.clear();
        analysis
    });
    Message {
        analysis,
        ..Message::new(kind, incident)
    }
}
