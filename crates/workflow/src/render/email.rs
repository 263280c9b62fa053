//! E-mail: a subject, a text part and an HTML part (escaped), for SES
//! and SMTP alike; the approval e-mail with its signed links.

use super::{Content, Message, safe_url, sanitize};

/// An e-mail: the subject carries severity and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
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
        let p = super::content::percent(cause.confidence);
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
