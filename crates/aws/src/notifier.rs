//! The Deliver and RequestApproval functions' notifier. E-mail goes through
//! SES when a sender is configured; Slack (a bot token, or an incoming
//! webhook) and Jira Cloud through `responder-notify`'s HTTPS senders when
//! their secrets are set (`crate::config`). Any channel without an endpoint
//! is rendered into the archive bucket's `outbox/`, so that nothing is lost
//! and every message can be read.

use std::time::Duration;

use responder_core::Channel;
use responder_notify::{JiraSender, JiraTarget, SlackSender, SlackTarget};
use responder_workflow::error::names;
use responder_workflow::ports::{BoxFuture, ChannelSender, Found, Notifier, Senders};
use responder_workflow::render::{self, Link, Message, Rendered};
use responder_workflow::{Error, Result};

use crate::config::Env;
use crate::s3::{S3Archive, safe_key};
use crate::ses::SesMailer;

/// How long Slack or Jira may take to answer (the task times out at 30 s).
/// One call to Slack or Jira at most; a delivery's calls fit in Deliver's
/// budget (`responder_workflow::budget::delivery_calls`).
const HTTP_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone)]
pub struct AwsNotifier {
    /// Where a channel without a destination is written.
    pub outbox: S3Archive,
    /// The real destinations, by channel.
    pub senders: Senders,
    /// Slack also carries the approval requests, with their buttons.
    pub approvals: Option<SlackSender>,
    /// The region, for the link to the execution in the console.
    pub region: Option<String>,
}

impl AwsNotifier {
    /// Every message to the bucket's outbox: no destination configured.
    pub fn outbox_only(outbox: S3Archive) -> Self {
        Self {
            outbox,
            senders: Senders::default(),
            approvals: None,
            region: None,
        }
    }

    /// SES when `EMAIL_FROM` and `EMAIL_TO` are set, Slack and Jira when
    /// their variables are; the outbox always.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &Env) -> Result<Self> {
        let mut notifier = Self::outbox_only(S3Archive::from_sdk(sdk, env)?);
        notifier.region = sdk.region().map(ToString::to_string);
        if let Some((from, to)) = env.email() {
            let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(sdk), from, to);
            notifier.senders = notifier.senders.with(Channel::Email, mailer);
        }
        if let Some(target) = slack_target(env)? {
            let slack = SlackSender::new(target, HTTP_TIMEOUT);
            notifier.senders = notifier.senders.with(Channel::Slack, slack.clone());
            notifier.approvals = Some(slack);
        }
        if let Some(target) = jira_target(env)? {
            let jira = JiraSender::new(target, HTTP_TIMEOUT);
            notifier.senders = notifier.senders.with(Channel::Jira, jira);
        }
        Ok(notifier)
    }

    async fn to_outbox(
        &self,
        folder: &str,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<String> {
        let key = format!("outbox/{folder}/{name}.json");
        self.outbox
            .put(&key, body.to_string().into_bytes(), "application/json")
            .await?;
        Ok(format!("s3://{}/{key}", self.outbox.bucket()))
    }

    /// The message with the link to its execution in the Step Functions
    /// console (the execution ARN comes from the state machine's context).
    fn with_links(&self, message: &Message) -> Message {
        let mut message = message.clone();
        if let (Some(region), Some(execution)) = (&self.region, &message.execution)
            && execution.starts_with("arn:aws")
        {
            message.links.push(Link {
                label: "Execution".to_owned(),
                url: execution_url(region, execution),
            });
        }
        message
    }
}

/// SES as the e-mail channel's destination. SES cannot be asked what it
/// sent, so a message whose attempt died while sending is not sent again.
impl ChannelSender for SesMailer {
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let id = SesMailer::send(self, &render::email(message)).await?;
            Ok(format!("ses:{id}"))
        })
    }

    fn find<'a>(&'a self, _: &'a Message) -> BoxFuture<'a, Result<Found>> {
        Box::pin(std::future::ready(Ok(Found::CannotTell)))
    }
}

/// The execution's page in the Step Functions console.
pub fn execution_url(region: &str, execution_arn: &str) -> String {
    let region = responder_notify::encode(region);
    let arn = responder_notify::encode(execution_arn);
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
    )
}

/// `SLACK_BOT_TOKEN` with `SLACK_CHANNEL`, or `SLACK_WEBHOOK_URL`; none: the
/// outbox. `SLACK_API_BASE` points tests at a local server.
pub fn slack_target(env: &Env) -> Result<Option<SlackTarget>> {
    match (
        env.optional("SLACK_BOT_TOKEN"),
        env.optional("SLACK_WEBHOOK_URL"),
    ) {
        (Some(_), Some(_)) => Err(Error::new(
            names::CONFIG,
            "set SLACK_BOT_TOKEN (with SLACK_CHANNEL) or SLACK_WEBHOOK_URL, not both",
        )),
        (Some(token), None) => Ok(Some(SlackTarget::Bot {
            api_base: env
                .optional("SLACK_API_BASE")
                .unwrap_or("https://slack.com/api")
                .to_owned(),
            token: token.to_owned(),
            channel: env.required("SLACK_CHANNEL")?,
        })),
        (None, Some(url)) => Ok(Some(SlackTarget::Webhook {
            url: url.to_owned(),
        })),
        (None, None) => Ok(None),
    }
}

/// `JIRA_BASE_URL` with `JIRA_EMAIL` and `JIRA_API_TOKEN`; none: the outbox.
pub fn jira_target(env: &Env) -> Result<Option<JiraTarget>> {
    let Some(base_url) = env.optional("JIRA_BASE_URL") else {
        return Ok(None);
    };
    Ok(Some(JiraTarget {
        base_url: base_url.to_owned(),
        email: env.required("JIRA_EMAIL")?,
        token: env.required("JIRA_API_TOKEN")?,
        project: env.optional("JIRA_PROJECT").unwrap_or("OPS").to_owned(),
        issue_type: env.optional("JIRA_ISSUE_TYPE").unwrap_or("Task").to_owned(),
    }))
}

fn file_name(message: &Message) -> String {
    safe_key(&format!("{}-{}", message.incident_id(), message.kind))
}

impl Notifier for AwsNotifier {
    async fn send(&self, channel: Channel, message: &Message) -> Result<String> {
        let message = &self.with_links(message);
        if let Some(sender) = self.senders.get(channel) {
            return sender.send(message).await;
        }
        let body = match render::render(channel, message) {
            Rendered::Json(value) => value,
            Rendered::Email(email) => {
                serde_json::json!({"subject": email.subject, "text": email.text, "html": email.html})
            }
        };
        self.to_outbox(channel.as_str(), &file_name(message), &body)
            .await
    }

    /// With Slack configured, the request is posted with its buttons (the
    /// API's `/slack/interactions` takes the click); else it waits in the
    /// outbox for `approve_incident` or `reject_incident`.
    async fn request_approval(&self, approval_id: &str, message: &Message) -> Result<String> {
        let message = &self.with_links(message);
        match &self.approvals {
            Some(slack) => slack.request_approval(approval_id, message).await,
            None => {
                let body = render::approval_request(approval_id, message);
                self.to_outbox("approvals", approval_id, &body).await
            }
        }
    }

    /// A destination is asked (SES cannot be: at most once); the outbox's
    /// objects are written again, which changes nothing.
    async fn find(&self, channel: Channel, message: &Message) -> Result<Found> {
        match self.senders.get(channel) {
            Some(sender) => sender.find(message).await,
            None => Ok(Found::NotThere),
        }
    }

    async fn find_approval_request(&self, _approval_id: &str, message: &Message) -> Result<Found> {
        match &self.approvals {
            Some(slack) => slack.find_approval_request(message).await,
            None => Ok(Found::NotThere),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_execution_link_is_the_console_page_of_the_execution() {
        let url = execution_url(
            "eu-west-1",
            "arn:aws:states:eu-west-1:123456789012:execution:incident-response:abc",
        );
        assert_eq!(
            url,
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3Aincident-response%3Aabc"
        );
    }

    #[test]
    fn slack_and_jira_come_from_their_variables() {
        let env = Env::from_pairs([("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_CHANNEL", "C1")]);
        assert!(matches!(
            slack_target(&env),
            Ok(Some(SlackTarget::Bot { .. }))
        ));
        let env = Env::from_pairs([("SLACK_BOT_TOKEN", "xoxb-1")]);
        assert!(slack_target(&env).is_err(), "a bot token needs a channel");
        let env = Env::from_pairs([("SLACK_BOT_TOKEN", "x"), ("SLACK_WEBHOOK_URL", "https://h")]);
        assert!(slack_target(&env).is_err());
        let env = Env::from_pairs([("JIRA_BASE_URL", "https://t.atlassian.net")]);
        let error = jira_target(&env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("JIRA_EMAIL"), "{error}");
        assert!(matches!(jira_target(&Env::default()), Ok(None)));
    }
}
