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
    let id = slack_escape(message.incident_id());
    let title = format!("Approval needed: {}", headline(message));
    slack_message(
        &title,
        vec![
            slack_header(&title),
            slack_section(&slack_escape(&summary(message))),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("`responder approve {id}` or `responder reject {id} --reason ...`")}]}),
            json!({"type": "actions", "elements": [
                {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "approve", "value": approval_id},
                {"type": "button", "style": "danger", "text": {"type": "plain_text", "text": "Reject"}, "action_id": "reject", "value": approval_id}
            ]}),
        ],
    )
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

/// Untrusted text with what could hide or reorder it removed: control
/// characters (newlines and tabs stay), bidirectional overrides and
/// isolates, and zero-width characters. Every renderer applies it first.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|&c| (c == '\n' || c == '\t' || !c.is_control()) && !is_invisible_format(c))
        .collect()
}

fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Slack mrkdwn: sanitized, then `&`, `<` and `>` escaped, so no text can
/// open a link or mention `<!channel>`.
pub fn slack_escape(text: &str) -> String {
    sanitize(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack's limits on a section's text and a header's.
pub const SLACK_SECTION_CHARS: usize = 3000;
pub const SLACK_HEADER_CHARS: usize = 150;
const CUT_MARKER: &str = "… (cut)";

/// Text cut to `max` characters with a visible marker, never inside an
/// escape (`&amp;`).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(CUT_MARKER.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    if let Some(amp) = out.rfind('&')
        && out.get(amp..).is_some_and(|rest| !rest.contains(';'))
    {
        out.truncate(amp);
    }
    out.push_str(CUT_MARKER);
    out
}

/// What Slack must not do with our messages: expand links or names.
fn slack_message(text: &str, blocks: Vec<Value>) -> Value {
    json!({
        "text": cut(&slack_escape(text), SLACK_SECTION_CHARS),
        "blocks": blocks,
        "parse": "none",
        "link_names": false,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// A header block: plain text (never parsed), sanitized and cut.
fn slack_header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": cut(&sanitize(text), SLACK_HEADER_CHARS)}})
}

/// A section of escaped mrkdwn, cut to Slack's limit.
fn slack_section(escaped: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(escaped, SLACK_SECTION_CHARS)}})
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

/// The incident message in Slack: the header, then an attachment whose bar
/// has the severity's colour, holding the facts (severity, service,
/// status), the summary, the top cause with its confidence and evidence, and
/// the remediation steps with their risk. The incident id travels as message
/// metadata, so replies and updates can find the message again.
pub fn slack(message: &Message) -> Value {
    let severity = edited(message, "severity")
        .unwrap_or_else(|| message.incident["severity"].as_str().unwrap_or(""))
        .to_owned();
    let field = |label: &str, value: &str| json!({"type": "mrkdwn", "text": format!("*{label}*\n{}", slack_escape(value))});
    let mut body = vec![json!({"type": "section", "fields": [
        field("Severity", &severity),
        field("Service", message.incident["service"].as_str().unwrap_or("-")),
        field("Status", message.incident["status"].as_str().unwrap_or("-")),
        field("Incident", message.incident_id()),
    ]})];
    let summary = summary(message);
    if !summary.is_empty() {
        body.push(slack_section(&slack_escape(&summary)));
    }
    if let Some(top) = message
        .analysis
        .as_ref()
        .and_then(|a| a["root_causes"].as_array())
        .and_then(|c| c.first())
    {
        let mut text = format!(
            "*Probable cause* ({:.0}%): {}",
            top["confidence"].as_f64().unwrap_or(0.0) * 100.0,
            slack_escape(top["cause"].as_str().unwrap_or_default())
        );
        for evidence in top["evidence"].as_array().into_iter().flatten().take(3) {
            text.push_str(&format!(
                "\n> {}: `{}`",
                slack_escape(evidence["kind"].as_str().unwrap_or("evidence")),
                slack_escape(
                    &evidence["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('`', "'")
                )
            ));
        }
        body.push(slack_section(&text));
    }
    let steps: Vec<String> = message
        .analysis
        .as_ref()
        .and_then(|a| a["remediation"].as_array())
        .into_iter()
        .flatten()
        .take(5)
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{}. {} _(risk: {})_",
                i + 1,
                slack_escape(r["step"].as_str().unwrap_or_default()),
                slack_escape(r["risk"].as_str().unwrap_or("unknown"))
            )
        })
        .collect();
    if !steps.is_empty() {
        body.push(slack_section(&format!(
            "*Remediation*\n{}",
            steps.join("\n")
        )));
    }
    if let Some(note) = review_note(message) {
        body.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}));
    }
    let mut rendered = slack_message(&headline(message), vec![slack_header(&headline(message))]);
    rendered["attachments"] = json!([{"color": severity_colour(&severity), "blocks": body}]);
    rendered["metadata"] = json!({
        "event_type": "incident_notification",
        "event_payload": {"incident_id": message.incident_id(), "kind": message.kind},
    });
    rendered
}

/// The attachment bar's colour by severity.
fn severity_colour(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "#B00020",
        "HIGH" => "#E65100",
        "MEDIUM" => "#F9A825",
        "LOW" => "#2E7D32",
        _ => "#607D8B",
    }
}

/// A Jira Cloud create-issue body (REST v3). The description is Atlassian
/// Document Format, whose text nodes are literal: nothing in them is markup.
/// Evidence (log lines, metric values) goes in code blocks. The labels carry
/// the incident id, so a retried delivery can find the issue it created.
pub fn jira(message: &Message) -> Value {
    let severity = edited(message, "severity")
        .unwrap_or_else(|| message.incident["severity"].as_str().unwrap_or(""))
        .to_owned();
    let mut content = vec![heading("Summary"), paragraph(&summary(message))];
    let causes = message
        .analysis
        .as_ref()
        .and_then(|a| a["root_causes"].as_array())
        .cloned()
        .unwrap_or_default();
    if !causes.is_empty() {
        content.push(heading("Probable causes"));
    }
    for cause in &causes {
        content.push(paragraph(&format!(
            "{} ({:.0}%)",
            cause["cause"].as_str().unwrap_or_default(),
            cause["confidence"].as_f64().unwrap_or(0.0) * 100.0
        )));
        for evidence in cause["evidence"].as_array().into_iter().flatten().take(5) {
            let detail = sanitize(evidence["detail"].as_str().unwrap_or_default());
            if !detail.trim().is_empty() {
                content.push(json!({"type": "codeBlock", "attrs": {}, "content": [{"type": "text", "text": detail}]}));
            }
        }
    }
    let steps: Vec<Value> = message
        .analysis
        .as_ref()
        .and_then(|a| a["remediation"].as_array())
        .into_iter()
        .flatten()
        .map(|r| {
            json!({"type": "listItem", "content": [paragraph(&format!(
                "{} (risk: {})",
                r["step"].as_str().unwrap_or_default(),
                r["risk"].as_str().unwrap_or("unknown")
            ))]})
        })
        .collect();
    if !steps.is_empty() {
        content.push(heading("Remediation"));
        content.push(json!({"type": "orderedList", "content": steps}));
    }
    if let Some(note) = review_note(message) {
        content.push(paragraph(note));
    }
    json!({
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "summary": sanitize(&headline(message)).replace(['\r', '\n', '\t'], " ").chars().take(255).collect::<String>(),
            "priority": {"name": jira_priority(&severity)},
            "labels": jira_labels(message.incident_id(), &severity),
            "description": {"type": "doc", "version": 1, "content": content}
        }
    })
}

/// Jira's default priorities, by severity.
fn jira_priority(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "Highest",
        "HIGH" => "High",
        "LOW" => "Low",
        _ => "Medium",
    }
}

/// A Jira label: no spaces; anything but letters, digits, `-` and `_` is
/// replaced.
fn label(text: &str) -> String {
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

fn jira_labels(incident_id: &str, severity: &str) -> Vec<String> {
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

fn heading(text: &str) -> Value {
    json!({"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": text}]})
}

/// An ADF paragraph: its text node is literal (never markup), sanitized.
/// ADF refuses empty text nodes: an empty paragraph has no content.
fn paragraph(text: &str) -> Value {
    let text = sanitize(text);
    if text.is_empty() {
        return json!({"type": "paragraph", "content": []});
    }
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

/// The e-mail: plain text, and HTML with every value escaped. The subject
/// loses CR and LF (no header injection).
pub fn email(message: &Message) -> Email {
    let subject: String = sanitize(&headline(message))
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let summary = sanitize(&summary(message));
    let causes: Vec<(String, f64)> = root_causes(message)
        .into_iter()
        .map(|(c, p)| (sanitize(&c), p))
        .collect();
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

/// HTML text and attribute values: sanitized, then `&`, `<`, `>`, `"` and
/// `'` escaped.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in sanitize(text).chars() {
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
