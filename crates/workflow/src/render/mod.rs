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

use responder_core::analysis::Analysis;
use responder_core::{Channel, Incident, Routing, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a message tells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// The analyzed incident, after the approval.
    #[default]
    Incident,
    /// The alarm went back to OK.
    Recovery,
    /// The request to approve (Slack buttons, e-mail links).
    Approval,
    /// The alarm fired again: a Slack thread reply.
    Repeat,
    /// Rejected or timed out under a suppressing policy: a thread reply.
    Suppressed,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Recovery => "recovery",
            Self::Approval => "approval",
            Self::Repeat => "repeat",
            Self::Suppressed => "suppressed",
        }
    }

    /// Only a reply in the thread of an earlier Slack message.
    pub fn is_reply(self) -> bool {
        matches!(self, Self::Repeat | Self::Suppressed)
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the approval ended, as the state machine hands it to Deliver: a
/// decision (`APPROVED`, `APPROVED_WITH_EDITS` with the approver's edits;
/// `TIMED_OUT`, unreviewed), or the error the task token was failed
/// with (`Approval.Rejected`, `States.Timeout`) for a suppressed incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApprovalOutcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// False when nobody decided before the approval timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The approver's edits: they win over the incident's and the analysis'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The task token's failure (Step Functions' `Error` and `Cause`).
    #[serde(default, rename = "Error", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, rename = "Cause", skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// What is delivered: the incident, its analysis and the decision taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub kind: MessageKind,
    pub incident: Incident,
    pub analysis: Option<Analysis>,
    pub approval: Option<ApprovalOutcome>,
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
    pub fn new(kind: MessageKind, incident: Incident) -> Self {
        Self {
            kind,
            incident,
            analysis: None,
            approval: None,
            routing: Routing::default(),
            execution: None,
            thread: None,
            links: Vec::new(),
        }
    }

    pub fn incident_id(&self) -> &str {
        &self.incident.id
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

/// The severity the approver chose, else the incident's.
fn severity(message: &Message) -> Severity {
    message
        .approval
        .as_ref()
        .and_then(|a| a.severity)
        .unwrap_or(message.incident.severity)
}

fn headline(message: &Message) -> String {
    let title = &message.incident.title;
    match message.kind {
        MessageKind::Recovery => format!("Recovered: {title}"),
        _ => format!("[{}] {title}", severity(message).as_str()),
    }
}

/// The summary the approver wrote, else the analysis'.
fn summary(message: &Message) -> String {
    let edited = message.approval.as_ref().and_then(|a| a.summary.clone());
    edited
        .or_else(|| message.analysis.as_ref().map(|a| a.summary.clone()))
        .unwrap_or_default()
}

fn review_note(message: &Message) -> Option<&'static str> {
    match message.approval.as_ref().and_then(|a| a.reviewed) {
        Some(false) => Some("Not reviewed: no decision before the approval timeout."),
        _ => None,
    }
}

/// Who decided, and what: "Approved by alice: comment", "Rejected: reason".
fn decision_note(message: &Message) -> Option<String> {
    let approval = message.approval.as_ref()?;
    let given = |text: &Option<String>| text.clone().filter(|t| !t.trim().is_empty());
    if let Some(approver) = &approval.approver {
        return Some(match given(&approval.comment) {
            Some(comment) => format!("Approved by {approver}: {comment}"),
            None => format!("Approved by {approver}."),
        });
    }
    match approval.error.as_deref()? {
        rejected if rejected == crate::error::names::APPROVAL_REJECTED => Some(format!(
            "Rejected: {}",
            given(&approval.cause)
                .as_deref()
                .unwrap_or("no reason given")
        )),
        "States.Timeout" => Some("Suppressed: no decision before the approval timeout.".to_owned()),
        _ => None,
    }
}
