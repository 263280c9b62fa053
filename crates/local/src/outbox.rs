//! The file outbox: one file per delivery, in the format the real
//! destination takes (a Slack message, a Jira issue, an e-mail). Untrusted
//! text (alarm descriptions, log lines, model output) is escaped for each.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::LocalError;

/// What is delivered: the incident, its analysis and the decision taken.
#[derive(Debug)]
pub struct Message<'a> {
    pub kind: &'a str,
    pub incident: &'a Value,
    pub analysis: Option<&'a Value>,
    pub approval: Option<&'a Value>,
}

/// Writes the delivery for `channel`; returns the file. Writing the same
/// delivery again replaces the file: a retried delivery is not doubled.
pub fn deliver(outbox: &Path, channel: &str, message: &Message<'_>) -> Result<PathBuf, LocalError> {
    let id = safe_name(message.incident["id"].as_str().unwrap_or("incident"));
    let (dir, name, body) = match channel {
        "slack" => (
            "slack",
            format!("{id}-{}.json", message.kind),
            pretty(&slack(message)),
        ),
        "jira" => (
            "jira",
            format!("{id}-{}.json", message.kind),
            pretty(&jira(message)),
        ),
        "email" => (
            "email",
            format!("{id}-{}.eml", message.kind),
            email(message),
        ),
        other => {
            return Err(LocalError::named(
                "Delivery.UnknownChannel",
                format!(
                    "no channel named '{}'; expected slack, jira or email",
                    safe_name(other)
                ),
            ));
        }
    };
    let dir = outbox.join(dir);
    std::fs::create_dir_all(&dir).map_err(|e| LocalError::io(&dir, &e))?;
    let path = dir.join(name);
    // Write then rename: a reader never sees half a message.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, body).map_err(|e| LocalError::io(&tmp, &e))?;
    std::fs::rename(&tmp, &path).map_err(|e| LocalError::io(&path, &e))?;
    Ok(path)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The approval request for the approvers' channel: a Slack message whose
/// buttons carry the approval id (the task token stays in the database:
/// tokens reach 2048 characters, a button value holds 2000).
pub fn approval_request(
    outbox: &Path,
    approval_id: &str,
    incident: &Value,
    analysis: Option<&Value>,
) -> Result<PathBuf, LocalError> {
    let message = Message {
        kind: "approval",
        incident,
        analysis,
        approval: None,
    };
    let id = safe_name(incident["id"].as_str().unwrap_or("incident"));
    let body = json!({
        "text": format!("Approval needed: {}", headline(&message)),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": format!("Approval needed: {}", headline(&message))}},
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&summary(&message))}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("`responder approve {id}` or `responder reject {id} --reason ...`")}]},
            {"type": "actions", "elements": [
                {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "approve", "value": approval_id},
                {"type": "button", "style": "danger", "text": {"type": "plain_text", "text": "Reject"}, "action_id": "reject", "value": approval_id}
            ]}
        ]
    });
    let dir = outbox.join("approvals");
    std::fs::create_dir_all(&dir).map_err(|e| LocalError::io(&dir, &e))?;
    let path = dir.join(format!("{}.json", safe_name(approval_id)));
    std::fs::write(&path, pretty(&body)).map_err(|e| LocalError::io(&path, &e))?;
    Ok(path)
}

/// File names from ids: letters, digits, `-` and `_` only.
fn safe_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect()
}

fn text(value: Option<&Value>, key: &str) -> String {
    value
        .and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Slack mrkdwn: `&`, `<` and `>` are escaped, so no text can open a link
/// or mention `<!channel>`.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A field the approver edited, else the incident's or analysis' own.
fn edited<'a>(message: &'a Message<'_>, key: &str) -> Option<&'a str> {
    message
        .approval
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn headline(message: &Message<'_>) -> String {
    let title = message.incident["title"].as_str().unwrap_or("incident");
    let severity = edited(message, "severity")
        .unwrap_or_else(|| message.incident["severity"].as_str().unwrap_or(""));
    match message.kind {
        "recovery" => format!("Recovered: {title}"),
        _ => format!("[{severity}] {title}"),
    }
}

fn summary(message: &Message<'_>) -> String {
    edited(message, "summary").map_or_else(|| text(message.analysis, "summary"), str::to_owned)
}

fn root_causes(message: &Message<'_>) -> Vec<(String, f64)> {
    message
        .analysis
        .and_then(|a| a["root_causes"].as_array())
        .map(|causes| {
            causes
                .iter()
                .map(|c| {
                    (
                        c["cause"].as_str().unwrap_or_default().to_owned(),
                        c["confidence"].as_f64().unwrap_or(0.0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn review_note(message: &Message<'_>) -> Option<&'static str> {
    match message.approval.and_then(|a| a["reviewed"].as_bool()) {
        Some(false) => Some("Not reviewed: no decision before the approval timeout."),
        _ => None,
    }
}

fn slack(message: &Message<'_>) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": headline(message)}
    })];
    let summary = summary(message);
    if !summary.is_empty() {
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&summary)}}),
        );
    }
    let causes: Vec<String> = root_causes(message)
        .iter()
        .map(|(c, p)| format!("• {} ({:.0}%)", slack_escape(c), p * 100.0))
        .collect();
    if !causes.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*Probable causes*\n{}", causes.join("\n"))}}));
    }
    if let Some(note) = review_note(message) {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}));
    }
    json!({"text": headline(message), "blocks": blocks})
}

/// A Jira Cloud create-issue body; Atlassian Document Format text nodes are
/// literal, so nothing in them is markup.
fn jira(message: &Message<'_>) -> Value {
    let mut content = vec![paragraph(&summary(message))];
    for (cause, p) in root_causes(message) {
        content.push(paragraph(&format!(
            "Probable cause ({:.0}%): {cause}",
            p * 100.0
        )));
    }
    if let Some(note) = review_note(message) {
        content.push(paragraph(note));
    }
    json!({
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "summary": headline(message).replace(['\r', '\n'], " "),
            "labels": ["incident-responder"],
            "description": {"type": "doc", "version": 1, "content": content}
        }
    })
}

fn paragraph(text: &str) -> Value {
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

/// An RFC 5322 message. Header values lose CR and LF (no header
/// injection); the body is plain text.
fn email(message: &Message<'_>) -> String {
    let subject: String = headline(message)
        .chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .collect();
    let mut body = String::new();
    body.push_str(&summary(message));
    body.push_str("\r\n\r\n");
    for (cause, p) in root_causes(message) {
        body.push_str(&format!("- {cause} ({:.0}%)\r\n", p * 100.0));
    }
    if let Some(note) = review_note(message) {
        body.push_str(&format!("\r\n{note}\r\n"));
    }
    format!(
        "From: incident-responder <incident-responder@localhost>\r\nTo: oncall@localhost\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
        body.replace("\r\n.", "\r\n..")
    )
}
