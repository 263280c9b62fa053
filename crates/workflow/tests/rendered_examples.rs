//! The messages of the demo incident as the renderers write them, kept in
//! `docs/messages/` for people to read (and to paste the Slack JSON into
//! Block Kit Builder). A change to a renderer shows here; `UPDATE_GOLDEN=1
//! cargo test -p responder-workflow --test rendered_examples` rewrites them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use responder_core::Routing;
use responder_workflow::render::{self, Link, Message, MessageKind};
use serde_json::Value;

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/messages");

/// The Deliver input of the demo incident (`events/functions/deliver.json`).
fn demo() -> Message {
    let mut input: Value =
        serde_json::from_str(include_str!("../../../events/functions/deliver.json")).unwrap();
    // Schema v2 names where each quote came from: the log group.
    for cause in input["analysis"]["root_causes"].as_array_mut().unwrap() {
        for evidence in cause["evidence"].as_array_mut().unwrap() {
            if evidence["kind"] == "log" {
                evidence["source"] = Value::from("/aws/lambda/checkout-api");
            }
        }
    }
    Message {
        analysis: Some(serde_json::from_value(input["analysis"].clone()).unwrap()),
        approval: Some(serde_json::from_value(input["approval"].clone()).unwrap()),
        // The alarm's tags (`jira-project`, `runbook`) and the link the AWS
        // deployment adds: the execution in the Step Functions console.
        routing: Routing {
            jira_project: Some("PAY".to_owned()),
            runbook: Some("https://wiki.example.com/runbooks/checkout-api".to_owned()),
            ..Routing::default()
        },
        links: vec![Link {
            label: "Execution".to_owned(),
            url: "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3Aincident-response%3Ainc-20261120-687557cf".to_owned(),
        }],
        ..Message::new(
            MessageKind::Incident,
            serde_json::from_value(input["incident"].clone()).unwrap(),
        )
    }
}

/// Keys sorted, whatever serde_json's map order in this build.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn check(name: &str, rendered: &str) {
    let path = format!("{DOCS}/{name}");
    #[allow(clippy::disallowed_methods)]
    // UPDATE_GOLDEN=1 rewrites the examples after a deliberate change.
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, rendered).unwrap();
    }
    let kept = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; UPDATE_GOLDEN=1 writes it"));
    assert_eq!(
        rendered, kept,
        "{name} changed: review it, then UPDATE_GOLDEN=1"
    );
}

fn json(value: &Value) -> String {
    serde_json::to_string_pretty(&sorted(value)).unwrap() + "\n"
}

#[test]
fn the_demo_incidents_messages_match_the_docs() {
    let message = demo();
    check("slack-incident.json", &json(&render::slack(&message)));
    check(
        "slack-approval-request.json",
        &json(&render::approval_request("apr-9c070d467dc169b5", &message)),
    );
    check("jira-issue.json", &json(&render::jira(&message)));
    let email = render::email(&message);
    check(
        "email.txt",
        &format!("Subject: {}\n\n{}", email.subject, email.text),
    );
    check("email.html", &email.html);
    let mut incident = demo().incident;
    incident.occurrences = 5;
    incident.last_seen_at = "2026-11-20T09:24:07Z".to_owned();
    let repeat = Message::new(MessageKind::Repeat, incident);
    check("slack-repeat-reply.json", &json(&render::slack(&repeat)));
}

/// Every string in a JSON document, joined: what a reader of it sees.
fn strings(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => {
            out.push_str(text);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn every_channel_says_everything_the_content_holds() {
    // GIVEN the demo incident, whose analysis quotes logs with their log
    // group, a metric, the history, and lists remediation steps
    let message = demo();
    let content = render::Content::of(&message);
    assert!(content.history.is_some());
    assert!(!content.remediation.is_empty());
    assert!(
        content
            .parts()
            .contains(&"/aws/lambda/checkout-api".to_owned())
    );

    // WHEN each channel renders it
    let mut slack = String::new();
    strings(&render::slack(&message), &mut slack);
    let mut jira = String::new();
    strings(&render::jira(&message), &mut jira);
    let email = render::email(&message);

    // THEN each shows every part, escaped its own way
    for part in content.parts() {
        let escaped = render::slack_escape(&part);
        assert!(slack.contains(&escaped), "Slack lacks {part:?}");
        assert!(
            jira.contains(&render::sanitize(&part)),
            "Jira lacks {part:?}"
        );
        assert!(
            format!("{}\n{}", email.subject, email.text).contains(&part),
            "the e-mail lacks {part:?}"
        );
        assert!(
            email.html.contains(&render::html_escape(&part)),
            "the e-mail HTML lacks {part:?}"
        );
    }
}
