//! What a delivery says, rendered for each destination: a Slack Block Kit
//! message, a Jira Cloud issue (ADF), an e-mail (text and HTML). Untrusted
//! text (alarm descriptions, log lines, model output) is escaped for each:
//! the renderers are pure, so every adapter (file outbox, S3, SES, HTTP)
//! sends the same bytes.

mod content;
mod email;
mod jira;
mod slack;

pub use content::{Cause, Content, Evidence, MAX_EVIDENCE, MAX_STEPS, Step};
pub use email::{Email, approval_email, email, html_escape};
pub use jira::{jira, jira_comment, jira_label, jira_project};
pub use slack::{
    SLACK_HEADER_CHARS, SLACK_SECTION_CHARS, approval_request, metadata_payload, slack,
    slack_escape,
};

use responder_core::{Channel, Routing};
use serde::{Deserialize, Serialize};
use serde_json::Value;
/// What is delivered: the incident, its analysis and the decision taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `incident`, `recovery`, `approval`, `repeat` (the alarm fired again;
    /// a Slack thread reply) or `suppressed` (rejected; a thread reply).
    pub kind: String,
    pub incident: Value,
    pub analysis: Option<Value>,
    pub approval: Option<Value>,
    /// Where the alarm's tags route it: the Jira project, the runbook.
    #[serde(default)]
    pub routing: Routing,
    /// The execution that handles the incident (a Step Functions ARN in
    /// AWS), for the link to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
    /// The first Slack message of the incident (`slack:<channel>/<ts>`):
    /// later messages are replies in its thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// Links the deployment builds (the incident's page, its log query):
    /// never a URL from an alert or from the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// A link to one of our own pages, with what it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Message {
    /// A message of `kind` about `incident`, with nothing else known yet.
    pub fn new(kind: &str, incident: Value) -> Self {
        Self {
            kind: kind.to_owned(),
            incident,
            ..Self::default()
        }
    }

    pub fn incident_id(&self) -> &str {
        self.incident["id"].as_str().unwrap_or("incident")
    }

    /// The links people may follow: ours, and the runbook from the alarm's
    /// tags when it is an `https` URL (tags are the account owner's, not
    /// the alert's text or the model's).
    pub fn followable_links(&self) -> Vec<Link> {
        let mut links = self.links.clone();
        if let Some(runbook) = self.routing.runbook.as_deref().and_then(safe_url) {
            links.push(Link {
                label: "Runbook".to_owned(),
                url: runbook,
            });
        }
        links
    }
}

/// An `https` URL without spaces, quotes, angle brackets or `|` (which
/// would end a Slack link or an HTML attribute), at most 2000 characters.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let plain = url
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '|' | '`'));
    (url.starts_with("https://") && url.len() > "https://".len() && url.len() <= 2000 && plain)
        .then(|| url.to_owned())
}

/// A message rendered for its channel: the body a JSON API takes (Slack,
/// Jira), or an e-mail.
#[derive(Debug, Clone, PartialEq)]
pub enum Rendered {
    Json(Value),
    Email(Email),
}

/// The renderer of each channel: the one table a new channel's renderer
/// is added to.
pub fn render(channel: Channel, message: &Message) -> Rendered {
    match channel {
        Channel::Slack => Rendered::Json(slack(message)),
        Channel::Jira => Rendered::Json(jira(message)),
        Channel::Email => Rendered::Email(email(message)),
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

/// Who decided, and what: "Approved by alice: comment", "Rejected: reason".
fn decision_note(message: &Message) -> Option<String> {
    let approval = message.approval.as_ref()?;
    if let Some(approver) = approval["approver"].as_str() {
        return Some(
            match approval["comment"]
                .as_str()
                .filter(|c| !c.trim().is_empty())
            {
                Some(comment) => format!("Approved by {approver}: {comment}"),
                None => format!("Approved by {approver}."),
            },
        );
    }
    match approval["Error"].as_str()? {
        "Approval.Rejected" => Some(format!(
            "Rejected: {}",
            approval["Cause"]
                .as_str()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("no reason given")
        )),
        "States.Timeout" => Some("Suppressed: no decision before the approval timeout.".to_owned()),
        _ => None,
    }
}
