//! What a delivery says, rendered for each destination: a Slack Block Kit
//! message, a Jira Cloud issue (ADF), an e-mail (text and HTML). Untrusted
//! text (alarm descriptions, log lines, model output) is escaped for each:
//! the renderers are pure, so every adapter (file outbox, S3, SES, HTTP)
//! sends the same bytes.

mod content;

pub use content::{Cause, Content, Evidence, MAX_EVIDENCE, MAX_STEPS, Step};

use responder_core::Routing;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    let request = slack_message(
        &title,
        vec![
            slack_header(&title),
            slack_section(&slack_escape(&summary(message))),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "verbatim": true, "text": format!("`responder approve {id}` or `responder reject {id} --reason ...`")}]}),
            json!({"type": "actions", "elements": [
                {"type": "button", "style": "primary", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "approve", "value": approval_id},
                {"type": "button", "style": "danger", "text": {"type": "plain_text", "text": "Reject"}, "action_id": "reject", "value": approval_id}
            ]}),
        ],
    );
    with_metadata(
        request,
        &Message {
            kind: "approval".to_owned(),
            ..message.clone()
        },
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
    json!({"type": "section", "text": {"type": "mrkdwn", "verbatim": true, "text": cut(escaped, SLACK_SECTION_CHARS)}})
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

/// The incident message in Slack: the header, then an attachment whose bar
/// has the severity's colour, holding the [`Content`]: the facts (severity,
/// service, status, incident), the summary, each cause with its confidence
/// and evidence (with the log group each quote came from), the history,
/// the remediation steps with their risk, the notes and links. The
/// incident id travels as message metadata, so replies and updates can find
/// the message again.
pub fn slack(message: &Message) -> Value {
    if matches!(message.kind.as_str(), "repeat" | "suppressed") {
        return slack_reply(message);
    }
    let content = Content::of(message);
    let field = |label: &str, value: &str| json!({"type": "mrkdwn", "verbatim": true, "text": format!("*{label}*\n{}", slack_escape(value))});
    let mut body = vec![json!({"type": "section", "fields": [
        field("Severity", &content.severity),
        field("Service", &content.service),
        field("Status", &content.status),
        field("Incident", &content.incident_id),
    ]})];
    if !content.summary.is_empty() {
        body.push(slack_section(&slack_escape(&content.summary)));
    }
    for (i, cause) in content.causes.iter().enumerate() {
        let mut text = format!(
            "*{}* ({}): {}",
            if i == 0 {
                "Probable cause"
            } else {
                "Also possible"
            },
            content::percent(cause.confidence),
            slack_escape(&cause.headline)
        );
        for evidence in &cause.evidence {
            text.push_str(&format!(
                "\n> {}: `{}`",
                slack_escape(&evidence.label()),
                slack_escape(&evidence.detail.replace('`', "'"))
            ));
        }
        body.push(slack_section(&text));
    }
    if let Some(history) = &content.history {
        body.push(slack_section(&format!(
            "*History*\n{}",
            slack_escape(history)
        )));
    }
    let steps: Vec<String> = content
        .remediation
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "{}. {} _(risk: {})_",
                i + 1,
                slack_escape(&r.step),
                slack_escape(&r.risk)
            )
        })
        .collect();
    if !steps.is_empty() {
        body.push(slack_section(&format!(
            "*Remediation*\n{}",
            steps.join("\n")
        )));
    }
    for note in &content.notes {
        body.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "verbatim": true, "text": cut(&slack_escape(note), SLACK_SECTION_CHARS)}]}));
    }
    if let Some(links) = slack_links(message) {
        body.push(links);
    }
    let mut rendered = slack_message(&content.headline, vec![slack_header(&content.headline)]);
    rendered["attachments"] =
        json!([{"color": severity_colour(&content.severity), "blocks": body}]);
    with_metadata(rendered, message)
}

/// The incident id as message metadata, so replies and updates can find
/// the message again.
fn with_metadata(mut rendered: Value, message: &Message) -> Value {
    rendered["metadata"] = json!({
        "event_type": "incident_notification",
        "event_payload": metadata_payload(message),
    });
    rendered
}

/// What a Slack message's metadata says of it: its incident and kind (and,
/// for a repeat, which one: each told repeat is its own delivery). A later
/// attempt finds the message again by it.
pub fn metadata_payload(message: &Message) -> Value {
    let mut payload = json!({"incident_id": message.incident_id(), "kind": message.kind});
    if message.kind == "repeat" {
        payload["occurrences"] = message.incident["occurrences"].clone();
    }
    payload
}

/// A short reply in the incident's thread: the alarm fired again, or the
/// incident was suppressed.
fn slack_reply(message: &Message) -> Value {
    let text = match message.kind.as_str() {
        "repeat" => format!(
            "Fired again: {} occurrences so far, the last at {}.",
            message.incident["occurrences"].as_u64().unwrap_or(0),
            message.incident["last_seen_at"].as_str().unwrap_or("-")
        ),
        _ => decision_note(message).unwrap_or_else(|| "Suppressed: nothing was sent.".to_owned()),
    };
    let escaped = slack_escape(&text);
    with_metadata(slack_message(&text, vec![slack_section(&escaped)]), message)
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

/// Our links as a context line of `<url|label>`: the URLs are checked by
/// [`safe_url`] (nothing in them can end the link), the labels are ours.
fn slack_links(message: &Message) -> Option<Value> {
    let links: Vec<String> = message
        .followable_links()
        .iter()
        .filter_map(|link| {
            let url = safe_url(&link.url)?;
            Some(format!("<{url}|{}>", slack_escape(&link.label)))
        })
        .collect();
    (!links.is_empty()).then(|| {
        json!({"type": "context", "elements": [{"type": "mrkdwn", "verbatim": true, "text": cut(&links.join("  ·  "), SLACK_SECTION_CHARS)}]})
    })
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
            content::percent(cause.confidence)
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

/// The e-mail, rendering the [`Content`]: plain text, and HTML with every
/// value escaped. The subject loses CR and LF (no header injection).
pub fn email(message: &Message) -> Email {
    let c = Content::of(message);
    let subject: String = sanitize(&c.headline)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let facts = [
        ("Incident", &c.incident_id),
        ("Severity", &c.severity),
        ("Service", &c.service),
        ("Status", &c.status),
    ];
    let summary = sanitize(&c.summary);
    let mut text = String::new();
    let mut html = format!("<h1>{}</h1>\n<table>\n", html_escape(&subject));
    for (label, value) in facts {
        let value = sanitize(value);
        text.push_str(&format!("{label}: {value}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td>{}</td></tr>\n",
            html_escape(&value)
        ));
    }
    html.push_str("</table>\n");
    text.push_str(&format!("\n{summary}\n"));
    html.push_str(&format!("<p>{}</p>\n", html_escape(&summary)));
    if !c.causes.is_empty() {
        text.push_str("\nProbable causes\n");
        html.push_str("<h2>Probable causes</h2>\n<ul>\n");
    }
    for cause in &c.causes {
        let headline = sanitize(&cause.headline);
        let p = content::percent(cause.confidence);
        text.push_str(&format!("- {headline} ({p})\n"));
        html.push_str(&format!("<li>{} ({p})", html_escape(&headline)));
        for evidence in &cause.evidence {
            let label = sanitize(&evidence.label());
            let detail = sanitize(&evidence.detail);
            text.push_str(&format!("    {label}: {detail}\n"));
            html.push_str(&format!(
                "\n<br>{}:<pre>{}</pre>",
                html_escape(&label),
                html_escape(&detail)
            ));
        }
        html.push_str("</li>\n");
    }
    if !c.causes.is_empty() {
        html.push_str("</ul>\n");
    }
    if let Some(history) = &c.history {
        let history = sanitize(history);
        text.push_str(&format!("\nHistory: {history}\n"));
        html.push_str(&format!(
            "<h2>History</h2>\n<p>{}</p>\n",
            html_escape(&history)
        ));
    }
    if !c.remediation.is_empty() {
        text.push_str("\nRemediation\n");
        html.push_str("<h2>Remediation</h2>\n<ol>\n");
    }
    for (i, r) in c.remediation.iter().enumerate() {
        let (step, risk) = (sanitize(&r.step), sanitize(&r.risk));
        text.push_str(&format!("{}. {step} (risk: {risk})\n", i + 1));
        html.push_str(&format!(
            "<li>{} <em>(risk: {})</em></li>\n",
            html_escape(&step),
            html_escape(&risk)
        ));
    }
    if !c.remediation.is_empty() {
        html.push_str("</ol>\n");
    }
    for note in &c.notes {
        let note = sanitize(note);
        text.push_str(&format!("\n{note}\n"));
        html.push_str(&format!("<p><em>{}</em></p>\n", html_escape(&note)));
    }
    let links: Vec<(String, String)> = c
        .links
        .iter()
        .filter_map(|link| Some((sanitize(&link.label), safe_url(&link.url)?)))
        .collect();
    if !links.is_empty() {
        text.push('\n');
        html.push_str("<p>");
    }
    for (i, (label, url)) in links.iter().enumerate() {
        text.push_str(&format!("{label}: {url}\n"));
        let separator = if i == 0 { "" } else { " &middot; " };
        html.push_str(&format!(
            "{separator}<a href=\"{}\">{}</a>",
            html_escape(url),
            html_escape(label)
        ));
    }
    if !links.is_empty() {
        html.push_str("</p>\n");
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
