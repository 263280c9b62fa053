//! Jira Cloud: the issue (ADF, labelled with the incident so a retry finds
//! it) and the comments later messages add to it.

use super::{Content, Message, headline, safe_url, sanitize, summary};
use serde_json::{Value, json};

/// A Jira Cloud create-issue body (REST v3), rendering the [`Content`].
/// The description is Atlassian Document Format, whose text nodes are
/// literal: nothing in them is markup. Evidence (log lines, metric values)
/// goes in code blocks, each after where it was found. The labels carry
/// the incident id, so a retried delivery can find the issue it created.
pub fn jira(message: &Message) -> Value {
    let c = Content::of(message);
    let mut content = vec![
        paragraph(&format!(
            "Incident {} · severity {} · service {} · status {}",
            c.incident_id, c.severity, c.service, c.status
        )),
        heading("Summary"),
        paragraph(&c.summary),
    ];
    if !c.causes.is_empty() {
        content.push(heading("Probable causes"));
    }
    for cause in &c.causes {
        content.push(paragraph(&format!(
            "{} ({})",
            cause.headline,
            super::content::percent(cause.confidence)
        )));
        for evidence in &cause.evidence {
            content.push(paragraph(&format!("{}:", evidence.label())));
            content.push(json!({"type": "codeBlock", "attrs": {}, "content": [{"type": "text", "text": sanitize(&evidence.detail)}]}));
        }
    }
    if let Some(history) = &c.history {
        content.push(heading("History"));
        content.push(paragraph(history));
    }
    let steps: Vec<Value> = c
        .remediation
        .iter()
        .map(|r| {
            json!({"type": "listItem", "content": [paragraph(&format!("{} (risk: {})", r.step, r.risk))]})
        })
        .collect();
    if !steps.is_empty() {
        content.push(heading("Remediation"));
        content.push(json!({"type": "orderedList", "content": steps}));
    }
    for note in &c.notes {
        content.push(paragraph(note));
    }
    let mut links: Vec<Value> = Vec::new();
    for link in &c.links {
        let Some(url) = safe_url(&link.url) else {
            continue;
        };
        if !links.is_empty() {
            links.push(json!({"type": "text", "text": " · "}));
        }
        links.push(json!({"type": "text", "text": sanitize(&link.label), "marks": [{"type": "link", "attrs": {"href": url}}]}));
    }
    if !links.is_empty() {
        content.push(json!({"type": "paragraph", "content": links}));
    }
    json!({
        "fields": {
            "project": {"key": jira_project(message).unwrap_or_else(|| "OPS".to_owned())},
            "issuetype": {"name": "Incident"},
            "summary": sanitize(&c.headline).replace(['\r', '\n', '\t'], " ").chars().take(255).collect::<String>(),
            "priority": {"name": jira_priority(&c.severity)},
            "labels": jira_labels(message.incident_id(), &c.severity),
            "description": {"type": "doc", "version": 1, "content": content}
        }
    })
}

/// The Jira project the alarm's tags name (`jira-project`), if it is a
/// valid project key (an uppercase letter, then 1 to 9 uppercase letters,
/// digits or `_`); else the deployment's own project applies.
pub fn jira_project(message: &Message) -> Option<String> {
    let key = message.routing.jira_project.as_deref()?.trim();
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && (2..=10).contains(&key.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then(|| key.to_owned())
}

/// Jira's default priorities, by severity.
pub(super) fn jira_priority(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "Highest",
        "HIGH" => "High",
        "LOW" => "Low",
        _ => "Medium",
    }
}

/// A Jira label: no spaces; anything but letters, digits, `-` and `_` is
/// replaced.
pub(super) fn label(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(255)
        .collect()
}

/// The label that finds an incident's issue again (`incident-<id>`).
pub fn jira_label(incident_id: &str) -> String {
    label(&format!("incident-{incident_id}"))
}

pub(super) fn jira_labels(incident_id: &str, severity: &str) -> Vec<String> {
    vec![
        "incident-responder".to_owned(),
        jira_label(incident_id),
        label(&format!("severity-{}", severity.to_ascii_lowercase())),
    ]
}

/// The comment a later message (a recovery) adds to the incident's issue:
/// an ADF document.
pub fn jira_comment(message: &Message) -> Value {
    let mut content = vec![paragraph(&headline(message))];
    let summary = summary(message);
    if !summary.is_empty() {
        content.push(paragraph(&summary));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

pub(super) fn heading(text: &str) -> Value {
    json!({"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": text}]})
}

/// An ADF paragraph: its text node is literal (never markup), sanitized.
/// ADF refuses empty text nodes: an empty paragraph has no content.
pub(super) fn paragraph(text: &str) -> Value {
    let text = sanitize(text);
    if text.is_empty() {
        return json!({"type": "paragraph", "content": []});
    }
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}
