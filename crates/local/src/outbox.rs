//! The file outbox: one file per delivery, in the format the real
//! destination takes (a Slack message, a Jira issue, an e-mail), rendered
//! by `responder_workflow::render`, which escapes untrusted text for each.

use std::path::{Path, PathBuf};

use responder_api::links::{ApprovalLink, LinkDecision};
use responder_core::Channel;
use responder_notify::jira::JiraSender;
use responder_notify::slack::SlackSender;
use responder_workflow::ports::{BoxFuture, ChannelSender, Found, Notifier, Senders};

use crate::config::ApprovalLinks;
use crate::smtp::EmailConfig;
use responder_workflow::render::{self, Message, Rendered};
use responder_workflow::{Error, error::names};
use serde_json::Value;

/// The outbox folder as the workflow's notifier. Every delivery is written
/// to the outbox; a channel with a real destination configured (its
/// [`ChannelSender`] in `senders`) is sent there too.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub dir: PathBuf,
    /// When set, approval requests are also e-mailed, with signed links.
    links: Option<ApprovalLinks>,
    /// How e-mails are addressed (and, with a relay, sent). Private: the
    /// SMTP sender holds the same settings, and the two must not diverge.
    email: EmailConfig,
    /// The real destinations, by channel.
    senders: Senders,
    /// Slack also carries the approval requests, with their buttons.
    approvals: Option<SlackSender>,
}

impl Outbox {
    /// An outbox in `dir`; with a relay set in `email`, e-mails are sent
    /// over SMTP too.
    pub fn new(dir: PathBuf, email: EmailConfig) -> Self {
        let mut senders = Senders::default();
        if let Some(relay) = email.smtp.clone() {
            senders = senders.with(
                Channel::Email,
                SmtpSender {
                    config: email.clone(),
                    relay,
                },
            );
        }
        Self {
            dir,
            links: None,
            email,
            senders,
            approvals: None,
        }
    }

    /// Approval requests are also e-mailed, with signed links.
    pub fn with_links(mut self, links: ApprovalLinks) -> Self {
        self.links = Some(links);
        self
    }

    /// Slack messages (and approval requests) are posted too.
    pub fn with_slack(mut self, slack: SlackSender) -> Self {
        self.senders = self.senders.with(Channel::Slack, slack.clone());
        self.approvals = Some(slack);
        self
    }

    /// Jira issues are created (once) and commented too.
    pub fn with_jira(mut self, jira: JiraSender) -> Self {
        self.senders = self.senders.with(Channel::Jira, jira);
        self
    }
}

/// An SMTP relay as a channel's destination. A relay cannot be asked what
/// it took, so a message whose attempt died while sending is not sent again.
#[derive(Debug, Clone)]
struct SmtpSender {
    config: EmailConfig,
    relay: String,
}

impl ChannelSender for SmtpSender {
    fn send<'a>(
        &'a self,
        message: &'a Message,
    ) -> BoxFuture<'a, responder_workflow::Result<String>> {
        Box::pin(async move {
            crate::smtp::send(&self.config, &self.relay, &render::email(message)).await
        })
    }

    fn find<'a>(&'a self, _: &'a Message) -> BoxFuture<'a, responder_workflow::Result<Found>> {
        Box::pin(std::future::ready(Ok(Found::CannotTell)))
    }
}

impl Notifier for Outbox {
    async fn send(
        &self,
        channel: Channel,
        message: &Message,
    ) -> responder_workflow::Result<String> {
        // The outbox keeps a copy; a configured destination gets the message.
        let path = deliver(&self.dir, &self.email, channel, message)?;
        match self.senders.get(channel) {
            Some(sender) => sender.send(message).await,
            None => Ok(path.display().to_string()),
        }
    }

    async fn request_approval(
        &self,
        approval_id: &str,
        message: &Message,
    ) -> responder_workflow::Result<String> {
        let body = render::approval_request(approval_id, message);
        let dir = self.dir.join("approvals");
        let path = dir.join(format!("{}.json", safe_name(approval_id)));
        write_atomically(&dir, &path, &pretty(&body))?;
        // With Slack configured, the request is posted with its buttons,
        // and its location is the thread later messages reply in. It goes
        // before the e-mail: an attempt that dies between the two is found
        // in Slack afterwards, and the e-mail is then not sent twice.
        let location = match &self.approvals {
            Some(slack) => slack.request_approval(approval_id, message).await?,
            None => path.display().to_string(),
        };
        if let Some(links) = &self.links {
            let email = approval_email(links, message, chrono::Utc::now().timestamp());
            let mail = dir.join(format!("{}.eml", safe_name(approval_id)));
            write_atomically(&dir, &mail, &eml(&self.email, &email)?)?;
            if let Some(relay) = &self.email.smtp {
                crate::smtp::send(&self.email, relay, &email).await?;
            }
        }
        Ok(location)
    }

    async fn find(&self, channel: Channel, message: &Message) -> responder_workflow::Result<Found> {
        match self.senders.get(channel) {
            Some(sender) => sender.find(message).await,
            None => Ok(in_outbox(&outbox_path(&self.dir, channel, message))),
        }
    }

    async fn find_approval_request(
        &self,
        approval_id: &str,
        message: &Message,
    ) -> responder_workflow::Result<Found> {
        match &self.approvals {
            Some(slack) => slack.find_approval_request(message).await,
            None => Ok(in_outbox(
                &self
                    .dir
                    .join("approvals")
                    .join(format!("{}.json", safe_name(approval_id))),
            )),
        }
    }
}

/// A file of the outbox is written whole or not at all (write, then rename).
fn in_outbox(path: &Path) -> Found {
    if path.exists() {
        Found::At(path.display().to_string())
    } else {
        Found::NotThere
    }
}

/// The approval e-mail with its two links, each signed for this incident
/// and one decision, expiring `valid_seconds` after `now`.
pub fn approval_email(links: &ApprovalLinks, message: &Message, now: i64) -> render::Email {
    let url = |decision| {
        let token = responder_api::links::sign(
            &links.key,
            &ApprovalLink {
                incident_id: message.incident_id().to_owned(),
                decision,
                expires_at: now + links.valid_seconds,
            },
        );
        format!("{}/approvals/{token}", links.base_url.trim_end_matches('/'))
    };
    render::approval_email(
        message,
        &url(LinkDecision::Approve),
        &url(LinkDecision::Reject),
    )
}

/// Writes the delivery for `channel`; returns the file. Writing the same
/// delivery again replaces the file.
pub fn deliver(
    outbox: &Path,
    email: &EmailConfig,
    channel: Channel,
    message: &Message,
) -> Result<PathBuf, Error> {
    let path = outbox_path(outbox, channel, message);
    let body = match render::render(channel, message) {
        Rendered::Json(value) => pretty(&value),
        Rendered::Email(mail) => eml(email, &mail)?,
    };
    let dir = path.parent().unwrap_or(outbox);
    write_atomically(dir, &path, &body)?;
    Ok(path)
}

/// Where the outbox keeps the delivery of `message` to `channel`:
/// `<channel>/<incident>-<kind>.<extension>`.
fn outbox_path(outbox: &Path, channel: Channel, message: &Message) -> PathBuf {
    let id = safe_name(message.incident_id());
    let kind = message.kind.as_str();
    outbox
        .join(channel.as_str())
        .join(format!("{id}-{kind}.{}", extension(channel)))
}

/// The file type of a channel's deliveries: what its destination takes.
fn extension(channel: Channel) -> &'static str {
    match channel {
        Channel::Slack | Channel::Jira => "json",
        Channel::Email => "eml",
    }
}

/// Write then rename: a reader never sees half a message.
fn write_atomically(dir: &Path, path: &Path, body: &str) -> Result<(), Error> {
    let io = |p: &Path, e: std::io::Error| {
        Error::new(names::DELIVERY_FAILED, format!("{}: {e}", p.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, body).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The e-mail as the relay would receive it (see [`crate::smtp::mime_message`]).
fn eml(config: &EmailConfig, email: &render::Email) -> Result<String, Error> {
    let message = crate::smtp::mime_message(config, email)?;
    Ok(String::from_utf8_lossy(&message.formatted()).into_owned())
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
