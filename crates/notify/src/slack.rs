//! Slack over HTTPS (`[workflow.slack]`): `chat.postMessage` with a bot
//! token, or an incoming webhook. The message is the renderer's Block Kit
//! (escaped, no unfurling). One attempt per call: a 429 (or `ratelimited`)
//! is `Delivery.Throttled` and a 5xx or a network failure
//! `Delivery.Transient`, both retried by the state machine; any other
//! refusal is `Delivery.Failed` with Slack's error code. The token is never
//! in an error or a log.

use std::sync::Arc;
use std::time::Duration;

use responder_core::json::{field, set};
use responder_workflow::error::names;
use responder_workflow::render::{self, Message, MessageKind};
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::https::{Https, refusal};
use responder_workflow::ports::{BoxFuture, ChannelSender, Found};

/// `[workflow.slack]` in `responder.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackConfig {
    /// The environment variable holding the bot token (`xoxb-…`); the
    /// messages go to `channel` with `chat.postMessage`.
    pub bot_token_env: Option<String>,
    /// A channel id (`C0123456789`).
    pub channel: Option<String>,
    /// Or the environment variable holding an incoming webhook's URL.
    pub webhook_url_env: Option<String>,
    /// Slack's Web API; tests point it at a local server.
    pub api_base: String,
    pub timeout_seconds: u64,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            bot_token_env: None,
            channel: None,
            webhook_url_env: None,
            api_base: "https://slack.com/api".to_owned(),
            timeout_seconds: 10,
        }
    }
}

/// Where a message goes, with the secret read from the environment once.
#[derive(Clone, PartialEq)]
pub enum SlackTarget {
    Bot {
        api_base: String,
        token: String,
        channel: String,
    },
    Webhook {
        url: String,
    },
}

/// Secrets stay out of debug output.
impl std::fmt::Debug for SlackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bot {
                api_base, channel, ..
            } => f
                .debug_struct("Bot")
                .field("api_base", api_base)
                .field("channel", channel)
                .finish_non_exhaustive(),
            Self::Webhook { .. } => f.write_str("Webhook { .. }"),
        }
    }
}

/// Sends Slack messages over HTTPS (or HTTP to a local test server).
#[derive(Debug, Clone)]
pub struct SlackSender {
    target: SlackTarget,
    https: Https,
}

impl SlackSender {
    pub fn new(target: SlackTarget, timeout: Duration) -> Self {
        Self {
            target,
            https: Https::new(timeout),
        }
    }

    /// Delivers one message of the workflow: rendered, and with a bot
    /// token a reply in the thread of the incident's first message (the
    /// incident and recovery messages are also shown in the channel).
    pub async fn deliver(&self, message: &Message) -> Result<String> {
        let mut rendered = render::slack(message);
        if message.thread.is_some()
            && matches!(message.kind, MessageKind::Incident | MessageKind::Recovery)
        {
            set(&mut rendered, "reply_broadcast", Value::Bool(true));
        }
        self.post(&rendered, message.thread.as_deref()).await
    }

    /// Asks the approvers, with Approve and Reject buttons.
    pub async fn request_approval(&self, approval_id: &str, message: &Message) -> Result<String> {
        self.post(&render::approval_request(approval_id, message), None)
            .await
    }

    /// Posts one rendered message, in the thread of `thread` (a location
    /// this sender returned: `slack:<channel>/<ts>`) when it is a message
    /// of the same channel; returns where it went (`slack:<channel>/<ts>`,
    /// or `slack:webhook`: an incoming webhook cannot reply in a thread).
    pub async fn post(&self, message: &Value, thread: Option<&str>) -> Result<String> {
        let (url, body, headers) = match &self.target {
            SlackTarget::Bot {
                api_base,
                token,
                channel,
            } => {
                let mut body = message.clone();
                set(&mut body, "channel", Value::String(channel.clone()));
                if let Some(ts) = thread.and_then(|t| thread_ts(t, channel)) {
                    set(&mut body, "thread_ts", Value::String(ts.to_owned()));
                }
                (
                    format!("{}/chat.postMessage", api_base.trim_end_matches('/')),
                    body,
                    vec![("authorization", format!("Bearer {token}"))],
                )
            }
            SlackTarget::Webhook { url } => (url.clone(), message.clone(), Vec::new()),
        };
        let answer = self
            .https
            .send("Slack", "POST", &url, &headers, Some(body.to_string()))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(refusal("Slack", &answer));
        }
        match &self.target {
            // An incoming webhook answers `ok`, as text.
            SlackTarget::Webhook { .. } => Ok("slack:webhook".to_owned()),
            SlackTarget::Bot { channel, .. } => {
                let reply: Value = serde_json::from_str(&answer.body).map_err(|_| {
                    Error::new(
                        names::DELIVERY_FAILED,
                        format!("Slack's answer is not JSON: {}", answer.excerpt()),
                    )
                })?;
                if field(&reply, "ok").as_bool() == Some(true) {
                    let ts = field(&reply, "ts").as_str().unwrap_or_default();
                    return Ok(format!("slack:{channel}/{ts}"));
                }
                let code = field(&reply, "error").as_str().unwrap_or("unknown_error");
                let name = if code == "ratelimited" {
                    names::DELIVERY_THROTTLED
                } else {
                    names::DELIVERY_FAILED
                };
                Err(Error::new(
                    name,
                    format!("Slack refused the message: {code}"),
                ))
            }
        }
    }
}

/// A boxed future of a Slack call whose error is a sentence.
pub type BoxedFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::result::Result<T, String>> + Send>>;
/// Posts to a `response_url`.
pub type ReplyFn = Arc<dyn Fn(String, Value) -> BoxedFuture<()> + Send + Sync>;
/// Reads a user group's members.
pub type MembersFn = Arc<dyn Fn(String) -> BoxedFuture<Vec<String>> + Send + Sync>;

/// What the API needs of Slack for its buttons: replies to a press's
/// `response_url`, and the members of the approvers' user groups
/// (`usergroups.users.list`, with the bot token's `usergroups:read`).
#[derive(Clone)]
pub struct SlackInteractivity {
    https: Https,
    api_base: String,
    token: Option<String>,
}

/// The token stays out of debug output.
impl std::fmt::Debug for SlackInteractivity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackInteractivity")
            .field("api_base", &self.api_base)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl SlackInteractivity {
    /// `token`: the bot token, needed only to read user groups.
    pub fn new(api_base: &str, token: Option<String>, timeout: Duration) -> Self {
        Self {
            https: Https::new(timeout),
            api_base: api_base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// From where Slack messages go: a bot target lends its token.
    pub fn of(target: Option<&SlackTarget>, timeout: Duration) -> Self {
        match target {
            Some(SlackTarget::Bot {
                api_base, token, ..
            }) => Self::new(api_base, Some(token.clone()), timeout),
            _ => Self::new(&SlackConfig::default().api_base, None, timeout),
        }
    }

    pub fn reads_groups(&self) -> bool {
        self.token.is_some()
    }

    /// [`reply`](Self::reply) as the API's router takes it
    /// (`responder_api::http::SlackReply`).
    pub fn reply_fn(self: &Arc<Self>) -> ReplyFn {
        let slack = Arc::clone(self);
        Arc::new(move |url: String, body: Value| {
            let slack = Arc::clone(&slack);
            Box::pin(async move { slack.reply(&url, &body).await })
        })
    }

    /// [`members`](Self::members) as the approver check takes it
    /// (`responder_api::slack::GroupMembers`); none without a bot token.
    pub fn members_fn(self: &Arc<Self>) -> Option<MembersFn> {
        let slack = Arc::clone(self);
        self.reads_groups().then(|| {
            Arc::new(move |group: String| {
                let slack = Arc::clone(&slack);
                Box::pin(async move { slack.members(&group).await }) as BoxedFuture<Vec<String>>
            }) as MembersFn
        })
    }

    /// Posts a reply to a press (`response_url`, no token needed).
    pub async fn reply(&self, response_url: &str, body: &Value) -> std::result::Result<(), String> {
        let answer = self
            .https
            .send("Slack", "POST", response_url, &[], Some(body.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(format!(
                "Slack answered {}: {}",
                answer.status,
                answer.excerpt()
            ))
        }
    }

    /// The user ids of a user group.
    pub async fn members(&self, group: &str) -> std::result::Result<Vec<String>, String> {
        let token = self.token.as_ref().ok_or("no Slack bot token")?;
        if !group.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("'{group}' is not a user-group id"));
        }
        let url = format!("{}/usergroups.users.list?usergroup={group}", self.api_base);
        let answer = self
            .https
            .send(
                "Slack",
                "GET",
                &url,
                &[("authorization", format!("Bearer {token}"))],
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        let reply: Value = serde_json::from_str(&answer.body)
            .map_err(|_| format!("Slack's answer is not JSON: {}", answer.excerpt()))?;
        if field(&reply, "ok").as_bool() != Some(true) {
            return Err(format!(
                "Slack refused: {}",
                field(&reply, "error").as_str().unwrap_or("unknown_error")
            ));
        }
        Ok(field(&reply, "users")
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl ChannelSender for SlackSender {
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String>> {
        Box::pin(self.deliver(message))
    }

    fn find<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Found>> {
        Box::pin(SlackSender::find(self, message))
    }
}

impl SlackSender {
    /// Whether `message` is already in the channel: a message whose
    /// metadata names its incident and kind (and count, for a repeat), in
    /// its thread or in the channel's recent history. An incoming webhook
    /// cannot be asked.
    pub async fn find(&self, message: &Message) -> Result<Found> {
        let payload = render::metadata_payload(message);
        self.find_by(&payload, message.thread.as_deref()).await
    }

    /// Whether the approval request for `message`'s incident was posted.
    pub async fn find_approval_request(&self, message: &Message) -> Result<Found> {
        let request = Message {
            kind: MessageKind::Approval,
            ..message.clone()
        };
        self.find_by(&render::metadata_payload(&request), None)
            .await
    }

    async fn find_by(&self, payload: &Value, thread: Option<&str>) -> Result<Found> {
        let SlackTarget::Bot {
            api_base,
            token,
            channel,
        } = &self.target
        else {
            return Ok(Found::CannotTell);
        };
        let base = api_base.trim_end_matches('/');
        let channel_q = crate::encode(channel);
        let url = match thread.and_then(|t| thread_ts(t, channel)) {
            Some(ts) => format!(
                "{base}/conversations.replies?channel={channel_q}&ts={}&include_all_metadata=true&limit=200",
                crate::encode(ts)
            ),
            None => format!(
                "{base}/conversations.history?channel={channel_q}&include_all_metadata=true&limit=200"
            ),
        };
        let headers = [("authorization", format!("Bearer {token}"))];
        let answer = self
            .https
            .send("Slack", "GET", &url, &headers, None)
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(refusal("Slack", &answer));
        }
        let reply: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if field(&reply, "ok").as_bool() != Some(true) {
            let code = field(&reply, "error").as_str().unwrap_or("unknown_error");
            return Err(Error::new(
                names::DELIVERY_TRANSIENT,
                format!("Slack could not be asked for earlier messages: {code}"),
            ));
        }
        let found = field(&reply, "messages")
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m.pointer("/metadata/event_payload") == Some(payload));
        Ok(match found.and_then(|m| field(m, "ts").as_str()) {
            Some(ts) => Found::At(format!("slack:{channel}/{ts}")),
            None => Found::NotThere,
        })
    }
}

/// The `ts` of a message this sender posted to `channel`, from its location
/// (`slack:<channel>/<ts>`).
fn thread_ts<'a>(location: &'a str, channel: &str) -> Option<&'a str> {
    let (posted_to, ts) = location.strip_prefix("slack:")?.split_once('/')?;
    (posted_to == channel && !ts.is_empty()).then_some(ts)
}

#[cfg(test)]
mod tests {
    use super::thread_ts;

    #[test]
    fn replies_only_in_threads_of_the_same_channel() {
        assert_eq!(thread_ts("slack:C1/1700.01", "C1"), Some("1700.01"));
        assert_eq!(thread_ts("slack:C2/1700.01", "C1"), None);
        assert_eq!(thread_ts("slack:webhook", "C1"), None);
        assert_eq!(thread_ts("outbox/slack/inc.json", "C1"), None);
    }
}
