//! Slack: Block Kit messages (mrkdwn escaped, links and names never
//! expanded), thread replies, the approval request with its buttons, and
//! the metadata a retry finds a message by.

use super::{
    Content, Message, MessageKind, cut, decision_note, headline, safe_url, sanitize, summary,
};
use responder_core::json::set;
use serde_json::{Value, json};

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
            kind: MessageKind::Approval,
            ..message.clone()
        },
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
/// What Slack must not do with our messages: expand links or names.
pub(super) fn slack_message(text: &str, blocks: Vec<Value>) -> Value {
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
pub(super) fn slack_header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": cut(&sanitize(text), SLACK_HEADER_CHARS)}})
}

/// A section of escaped mrkdwn, cut to Slack's limit.
pub(super) fn slack_section(escaped: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "verbatim": true, "text": cut(escaped, SLACK_SECTION_CHARS)}})
}

/// The incident message in Slack: the header, then an attachment whose bar
/// has the severity's colour, holding the [`Content`]: the facts (severity,
/// service, status, incident), the summary, each cause with its confidence
/// and evidence (with the log group each quote came from), the history,
/// the remediation steps with their risk, the notes and links. The
/// incident id travels as message metadata, so replies and updates can find
/// the message again.
pub fn slack(message: &Message) -> Value {
    if message.kind.is_reply() {
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
            super::content::percent(cause.confidence),
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
    set(
        &mut rendered,
        "attachments",
        json!([{"color": severity_colour(&content.severity), "blocks": body}]),
    );
    with_metadata(rendered, message)
}

/// The incident id as message metadata, so replies and updates can find
/// the message again.
pub(super) fn with_metadata(mut rendered: Value, message: &Message) -> Value {
    set(
        &mut rendered,
        "metadata",
        json!({
            "event_type": "incident_notification",
            "event_payload": metadata_payload(message),
        }),
    );
    rendered
}

/// What a Slack message's metadata says of it: its incident and kind (and,
/// for a repeat, which one: each told repeat is its own delivery). A later
/// attempt finds the message again by it.
pub fn metadata_payload(message: &Message) -> Value {
    let mut payload = json!({"incident_id": message.incident_id(), "kind": message.kind});
    if message.kind == MessageKind::Repeat
        && let Some(object) = payload.as_object_mut()
    {
        object.insert("occurrences".into(), json!(message.incident.occurrences));
    }
    payload
}

/// A short reply in the incident's thread: the alarm fired again, or the
/// incident was suppressed.
pub(super) fn slack_reply(message: &Message) -> Value {
    let text = match message.kind {
        MessageKind::Repeat => format!(
            "Fired again: {} occurrences so far, the last at {}.",
            message.incident.occurrences, message.incident.last_seen_at
        ),
        _ => decision_note(message).unwrap_or_else(|| "Suppressed: nothing was sent.".to_owned()),
    };
    let escaped = slack_escape(&text);
    with_metadata(slack_message(&text, vec![slack_section(&escaped)]), message)
}

/// Our links as a context line of `<url|label>`: the URLs are checked by
/// [`safe_url`] (nothing in them can end the link), the labels are ours.
pub(super) fn slack_links(message: &Message) -> Option<Value> {
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
pub(super) fn severity_colour(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "#B00020",
        "HIGH" => "#E65100",
        "MEDIUM" => "#F9A825",
        "LOW" => "#2E7D32",
        _ => "#607D8B",
    }
}
