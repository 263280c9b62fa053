//! Approval requests by e-mail: two signed links that open `responder
//! serve`'s confirmation page, and the alarm's text escaped around them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use responder_api::links::{self, LinkDecision};
use responder_core::Channel;
use responder_local::config::ApprovalLinks;
use responder_local::outbox::{Outbox, approval_email};
use responder_workflow::fixtures::message_of;
use responder_workflow::ports::Notifier;
use responder_workflow::render::{ApprovalOutcome, Message, MessageKind};

/// The demo incident's approval request, with hostile text in its title
/// and summary.
fn message() -> Message {
    message_of(
        MessageKind::Approval,
        "checkout <script>alert(1)</script> errors",
        "Click <a href=\"http://evil.example\">here</a>",
    )
}

fn links() -> ApprovalLinks {
    ApprovalLinks {
        base_url: "http://127.0.0.1:8080/".to_owned(),
        key: b"link-key".to_vec(),
        valid_seconds: 900,
    }
}

/// The tokens of the links in a text, in order.
fn tokens(text: &str) -> Vec<String> {
    text.split("http://127.0.0.1:8080/approvals/")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == '"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The subject and the leaf parts (content type, decoded body) of a MIME
/// message, as a mail client reads them.
fn parts_of(raw: &[u8]) -> (String, Vec<(String, String)>) {
    let mail = mailparse::parse_mail(raw).unwrap();
    let subject = mail
        .headers
        .iter()
        .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
        .map(mailparse::MailHeader::get_value)
        .unwrap_or_default();
    let mut leaves = Vec::new();
    let mut stack = vec![&mail];
    while let Some(part) = stack.pop() {
        if part.subparts.is_empty() {
            leaves.push((part.ctype.mimetype.clone(), part.get_body().unwrap()));
        } else {
            stack.extend(part.subparts.iter().rev());
        }
    }
    (subject, leaves)
}

#[tokio::test]
async fn text_that_imitates_a_mime_boundary_adds_no_part() {
    // GIVEN a title, a model summary and a comment that each try to close
    // the text part and open an HTML part of their own
    let injection = "\n--responder-alternative\nContent-Type: text/html\n\n<a href=\"https://evil.example/approve\">Approve</a>\n";
    let mut message = message();
    message.incident.title = format!("disk full{injection}");
    if let Some(analysis) = message.analysis.as_mut() {
        analysis.summary = format!("look{injection}");
    }
    message.approval = Some(ApprovalOutcome {
        comment: Some(format!("ok{injection}")),
        ..ApprovalOutcome::default()
    });
    let dir = std::env::temp_dir().join(format!("responder-mime-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let outbox = Outbox::new(dir.clone(), Default::default()).with_links(links());
    // WHEN the approval e-mail and the incident e-mail are written
    outbox.request_approval("apr-1", &message).await.unwrap();
    message.kind = MessageKind::Incident;
    outbox.send(Channel::Email, &message).await.unwrap();
    // THEN each has exactly the text and the HTML part, and the attacker's
    // link is nowhere a link
    for file in [
        "approvals/apr-1.eml",
        "email/inc-20261120-687557cf-incident.eml",
    ] {
        let raw = std::fs::read(dir.join(file)).unwrap();
        let (_, parts) = parts_of(&raw);
        let kinds: Vec<&str> = parts.iter().map(|(kind, _)| kind.as_str()).collect();
        assert_eq!(kinds, ["text/plain", "text/html"], "{file}");
        let html = &parts[1].1;
        assert!(
            !html.contains("<a href=\"https://evil.example"),
            "{file}: {html}"
        );
        assert!(!String::from_utf8_lossy(&raw).contains("boundary=\"responder-alternative\""));
    }
}

#[test]
fn each_link_is_signed_for_this_incident_and_one_decision() {
    let email = approval_email(&links(), &message(), 1_000);
    assert!(
        email.subject.starts_with("Approval needed: "),
        "{}",
        email.subject
    );
    let found = tokens(&email.text);
    assert_eq!(found.len(), 2, "{}", email.text);
    let approve = links::verify(b"link-key", &found[0], 1_000).unwrap();
    let reject = links::verify(b"link-key", &found[1], 1_000).unwrap();
    assert_eq!(approve.incident_id, "inc-20261120-687557cf");
    assert_eq!(
        (approve.decision, reject.decision),
        (LinkDecision::Approve, LinkDecision::Reject)
    );
    assert_eq!(approve.expires_at, 1_900);
    assert!(links::verify(b"other-key", &found[0], 1_000).is_err());
}

#[test]
fn the_alarms_and_the_models_text_stay_inert_in_the_html() {
    let email = approval_email(&links(), &message(), 1_000);
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(
        !email.html.contains("href=\"http://evil.example\""),
        "{}",
        email.html
    );
    assert_eq!(
        email.html.matches("<a href=").count(),
        2,
        "only our two links: {}",
        email.html
    );
}

#[tokio::test]
async fn the_outbox_writes_the_approval_email_beside_the_slack_request() {
    let dir = std::env::temp_dir().join(format!("responder-approval-email-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let outbox = Outbox::new(dir.clone(), Default::default()).with_links(links());
    outbox
        .request_approval("apr-9c070d467dc169b5", &message())
        .await
        .unwrap();
    let eml = std::fs::read(dir.join("approvals/apr-9c070d467dc169b5.eml")).unwrap();
    let (subject, parts) = parts_of(&eml);
    assert!(subject.starts_with("Approval needed: "), "{subject}");
    let links: usize = parts.iter().map(|(_, body)| tokens(body).len()).sum();
    assert_eq!(links, 4, "two links, in the text part and the HTML part");
    let without = Outbox::new(dir.join("plain"), Default::default());
    without.request_approval("apr-1", &message()).await.unwrap();
    assert!(!dir.join("plain/approvals/apr-1.eml").exists());
}
