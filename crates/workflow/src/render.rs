//! What a delivery says, rendered for each destination: a Slack Block Kit
//! message, a Jira Cloud issue (ADF), an e-mail (text and HTML). Untrusted
//! text (alarm descriptions, log lines, model output) is escaped for each:
//! the renderers are pure, so every adapter (file outbox, S3, SES, HTTP)
//! sends the same bytes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What is delivered: the incident, its analysis and the decision taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `incident`, `recovery` or `approval`.
    pub kind: String,
    pub incident: Value,
    pub analysis: Option<Value>,
    pub approval: Option<Value>,
}

impl Message {
    pub fn incident_id(&self) -> &str {
        self.incident["id"].as_str().unwrap_or("incident")
    }
}

/// An e-mail: the subject carries severity and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The approval request for the approvers' channel: a Slack message whose
/// buttons carry the approval id (the task token stays in the store:
/// tokens reach 2048 characters, a button value holds 2000).
pub fn approval_request(approval_id: &str, message: &Message) -> Value {
    let id = message.incident_id();
    json!({
        "text": format!("Approval needed: {}", headline(message)),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": format!("Approval needed: {}", headline(message))}},
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&summary(message))}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": format!("`responder approve {}` or `responder reject {} --reason ...`", slack_escape(id), slack_escape(id))}]},
            {"type": "actions", "elements": [
                {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "approve", "value": approval_id},
                {"type": "button", "style": "danger", "text": {"type": "plain_text", "text": "Reject"}, "action_id": "reject", "value": approval_id}
            ]}
        ]
    })
}

/// The approval request by e-mail: the incident's message, headed as a
/// request, with signed Approve and Reject links (the API's own address,
/// never a link from the alert or the model). Each link opens a
/// confirmation page; nothing is decided by opening it.
pub fn approval_email(message: &Message, approve_url: &str, reject_url: &str) -> Email {
    let base = email(message);
    let id = message.incident_id();
    let subject = format!("Approval needed: {}", base.subject);
    let text = format!(
        "Approval needed for {id}.\n\nApprove: {approve_url}\nReject:  {reject_url}\n(each link asks you to confirm)\n\n{}",
        base.text
    );
    let html = format!(
        "<p><strong>Approval needed for {}.</strong></p>\n<p><a href=\"{}\">Approve</a> &middot; <a href=\"{}\">Reject</a> (each link asks you to confirm)</p>\n{}",
        html_escape(id),
        html_escape(approve_url),
        html_escape(reject_url),
        base.html
    );
    Email {
        subject,
        text,
        html,
    }
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
fn edited<'a>(message: &'a Message, key: &str) -> Option<&'a str> {
    message
        .approval
        .as_ref()
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn headline(message: &Message) -> String {
    let title = message.incident["title"].as_str().unwrap_or("incident");
    let severity = edited(message, "severity")
        .unwrap_or_else(|| message.incident["severity"].as_str().unwrap_or(""));
    match message.kind.as_str() {
        "recovery" => format!("Recovered: {title}"),
        _ => format!("[{severity}] {title}"),
    }
}

fn summary(message: &Message) -> String {
    edited(message, "summary")
        .map_or_else(|| text(message.analysis.as_ref(), "summary"), str::to_owned)
}

fn root_causes(message: &Message) -> Vec<(String, f64)> {
    message
        .analysis
        .as_ref()
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

fn review_note(message: &Message) -> Option<&'static str> {
    match message
        .approval
        .as_ref()
        .and_then(|a| a["reviewed"].as_bool())
    {
        Some(false) => Some("Not reviewed: no decision before the approval timeout."),
        _ => None,
    }
}

pub fn slack(message: &Message) -> Value {
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
pub fn jira(message: &Message) -> Value {
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

/// The e-mail: plain text, and HTML with every value escaped. The subject
/// loses CR and LF (no header injection).
pub fn email(message: &Message) -> Email {
    let subject: String = headline(message)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let summary = summary(message);
    let causes = root_causes(message);
    let mut text = format!("{summary}\n\n");
    let mut html = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        html_escape(&subject),
        html_escape(&summary)
    );
    if !causes.is_empty() {
        html.push_str("<h2>Probable causes</h2>\n<ul>\n");
    }
    for (cause, p) in &causes {
        text.push_str(&format!("- {cause} ({:.0}%)\n", p * 100.0));
        html.push_str(&format!(
            "<li>{} ({:.0}%)</li>\n",
            html_escape(cause),
            p * 100.0
        ));
    }
    if !causes.is_empty() {
        html.push_str("</ul>\n");
    }
    if let Some(note) = review_note(message) {
        text.push_str(&format!("\n{note}\n"));
        html.push_str(&format!("<p><em>{}</em></p>\n", html_escape(note)));
    }
    Email {
        subject,
        text,
        html,
    }
}

/// HTML text and attribute values: `&`, `<`, `>`, `"` and `'` escaped.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
