//! The file outbox: one file per delivery, in the format the real
//! destination takes (a Slack message, a Jira issue, an e-mail), rendered
//! by `responder_workflow::render`, which escapes untrusted text for each.

use std::path::{Path, PathBuf};

use responder_api::links::{ApprovalLink, LinkDecision};
use responder_workflow::ports::{Found, Notifier};

use crate::config::ApprovalLinks;
use crate::smtp::EmailConfig;
use responder_workflow::render::{self, Message};
use responder_workflow::{Error, error::names};
use serde_json::Value;

/// The outbox folder as the workflow's notifier.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub dir: PathBuf,
    /// When set, approval requests are also e-mailed, with signed links.
    pub links: Option<ApprovalLinks>,
    /// With a relay set, e-mails are sent over SMTP too.
    pub email: EmailConfig,
    /// With a bot token or webhook set, Slack messages are posted too.
    pub slack: Option<responder_notify::slack::SlackSender>,
    /// With a Jira site set, issues are created (once) and commented too.
    pub jira: Option<responder_notify::jira::JiraSender>,
}

impl Notifier for Outbox {
    async fn send(&self, channel: &str, message: &Message) -> responder_workflow::Result<String> {
        let path = deliver(&self.dir, &self.email, channel, message)?;
        // The outbox keeps a copy; a configured endpoint gets the message.
        match channel {
            "email" => {
                if let Some(relay) = &self.email.smtp {
                    return crate::smtp::send(&self.email, relay, &render::email(message)).await;
                }
            }
            "slack" => {
                if let Some(slack) = &self.slack {
                    return slack.deliver(message).await;
                }
            }
            "jira" => {
                if let Some(jira) = &self.jira {
                    return jira.deliver(message).await;
                }
            }
            _ => {}
        }
        Ok(path.display().to_string())
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
        let location = match &self.slack {
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

    async fn find(&self, channel: &str, message: &Message) -> responder_workflow::Result<Found> {
        match channel {
            "slack" if self.slack.is_some() => match &self.slack {
                Some(slack) => slack.find(message).await,
                None => Ok(Found::NotThere),
            },
            "jira" if self.jira.is_some() => match &self.jira {
                Some(jira) => jira.find(message).await,
                None => Ok(Found::NotThere),
            },
            // A relay cannot be asked what it took.
            "email" if self.email.smtp.is_some() => Ok(Found::CannotTell),
            _ => Ok(in_outbox(&outbox_path(&self.dir, channel, message)?)),
        }
    }

    async fn find_approval_request(
        &self,
        approval_id: &str,
        message: &Message,
    ) -> responder_workflow::Result<Found> {
        match &self.slack {
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
    channel: &str,
    message: &Message,
) -> Result<PathBuf, Error> {
    let path = outbox_path(outbox, channel, message)?;
    let body = match channel {
        "slack" => pretty(&render::slack(message)),
        "jira" => pretty(&render::jira(message)),
        _ => eml(email, &render::email(message))?,
    };
    let dir = path.parent().unwrap_or(outbox);
    write_atomically(dir, &path, &body)?;
    Ok(path)
}

/// Where the outbox keeps the delivery of `message` to `channel`.
fn outbox_path(outbox: &Path, channel: &str, message: &Message) -> Result<PathBuf, Error> {
    let id = safe_name(message.incident_id());
    let kind = safe_name(&message.kind);
    let name = match channel {
        "slack" | "jira" => format!("{id}-{kind}.json"),
        "email" => format!("{id}-{kind}.eml"),
        other => {
            return Err(Error::new(
                names::UNKNOWN_CHANNEL,
                format!(
                    "no channel named '{}'; expected slack, jira or email",
                    safe_name(other)
                ),
            ));
        }
    };
    Ok(outbox.join(channel).join(name))
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
