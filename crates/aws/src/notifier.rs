//! The Deliver and RequestApproval functions' notifier: e-mail through SES
//! when a sender is configured; Slack and Jira messages rendered into the
//! archive bucket's `outbox/` (the HTTP senders arrive with the delivery
//! step), so that nothing is lost and every message can be read.

use responder_workflow::error::names;
use responder_workflow::ports::Notifier;
use responder_workflow::render::{self, Message};
use responder_workflow::{Error, Result};

use crate::s3::{S3Archive, safe_key};
use crate::ses::SesMailer;

#[derive(Debug, Clone)]
pub struct AwsNotifier {
    pub outbox: S3Archive,
    pub mailer: Option<SesMailer>,
}

impl AwsNotifier {
    /// SES when `EMAIL_FROM` and `EMAIL_TO` are set; the outbox always.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        Ok(Self {
            outbox: S3Archive::from_sdk(sdk, env)?,
            mailer: env
                .email()
                .map(|(from, to)| SesMailer::new(aws_sdk_sesv2::Client::new(sdk), from, to)),
        })
    }
}

impl AwsNotifier {
    async fn to_outbox(
        &self,
        channel: &str,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<String> {
        let key = format!("outbox/{channel}/{name}.json");
        self.outbox
            .put(&key, body.to_string().into_bytes(), "application/json")
            .await?;
        Ok(format!("s3://{}/{key}", self.outbox.bucket()))
    }
}

fn file_name(message: &Message) -> String {
    safe_key(&format!("{}-{}", message.incident_id(), message.kind))
}

impl Notifier for AwsNotifier {
    async fn send(&self, channel: &str, message: &Message) -> Result<String> {
        match channel {
            "email" => match &self.mailer {
                Some(mailer) => {
                    let id = mailer.send(&render::email(message)).await?;
                    Ok(format!("ses:{id}"))
                }
                None => {
                    let email = render::email(message);
                    let body = serde_json::json!({"subject": email.subject, "text": email.text, "html": email.html});
                    self.to_outbox("email", &file_name(message), &body).await
                }
            },
            "slack" => {
                self.to_outbox("slack", &file_name(message), &render::slack(message))
                    .await
            }
            "jira" => {
                self.to_outbox("jira", &file_name(message), &render::jira(message))
                    .await
            }
            other => Err(Error::new(
                names::UNKNOWN_CHANNEL,
                format!(
                    "no channel named '{}'; expected slack, jira or email",
                    other.escape_debug()
                ),
            )),
        }
    }

    async fn request_approval(&self, approval_id: &str, message: &Message) -> Result<String> {
        let body = render::approval_request(approval_id, message);
        self.to_outbox("approvals", approval_id, &body).await
    }
}
