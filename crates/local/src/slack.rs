//! Slack over HTTPS (`[workflow.slack]`): `chat.postMessage` with a bot
//! token, or an incoming webhook. The message is the renderer's Block Kit
//! (escaped, no unfurling). A 429 is retried after its `Retry-After` (at
//! most 3 attempts, waits capped at 30 s); a 5xx or a network failure is
//! `Delivery.Transient` (the state machine retries); any other refusal is
//! `Delivery.Failed` with Slack's error code. The token is never in an
//! error or a log.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use responder_workflow::error::names;
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Attempts of one delivery when Slack answers 429.
const MAX_ATTEMPTS: u32 = 3;
/// The longest wait for a `Retry-After`.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Slack's answers are small; more is refused.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

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

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Sends Slack messages over HTTPS (or HTTP to a local test server).
#[derive(Debug, Clone)]
pub struct SlackSender {
    target: SlackTarget,
    timeout: Duration,
    /// The client, or why it could not be built (no system roots): every
    /// delivery then fails with that reason.
    client: std::result::Result<HttpsClient, String>,
}

impl SlackSender {
    pub fn new(target: SlackTarget, timeout: Duration) -> Self {
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map(|builder| {
                Client::builder(TokioExecutor::new())
                    .build(builder.https_or_http().enable_http1().build())
            })
            .map_err(|e| format!("no TLS root certificates on this machine: {e}"));
        Self {
            target,
            timeout,
            client,
        }
    }

    /// Posts one rendered message; returns where it went
    /// (`slack:<channel>/<ts>`, or `slack:webhook`).
    pub async fn post(&self, message: &Value) -> Result<String> {
        let (url, body, token) = match &self.target {
            SlackTarget::Bot {
                api_base,
                token,
                channel,
            } => {
                let mut body = message.clone();
                body["channel"] = Value::String(channel.clone());
                (
                    format!("{}/chat.postMessage", api_base.trim_end_matches('/')),
                    body,
                    Some(token.as_str()),
                )
            }
            SlackTarget::Webhook { url } => (url.clone(), message.clone(), None),
        };
        let payload = Bytes::from(body.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (status, retry_after, text) = self.send(&url, payload.clone(), token).await?;
            if status == 429 && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(retry_after.unwrap_or(Duration::from_secs(1)).min(MAX_WAIT))
                    .await;
                continue;
            }
            return self.outcome(status, &text);
        }
    }

    async fn send(
        &self,
        url: &str,
        payload: Bytes,
        token: Option<&str>,
    ) -> Result<(u16, Option<Duration>, String)> {
        let mut request =
            hyper::Request::post(url).header("content-type", "application/json; charset=utf-8");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(payload))
            .map_err(|e| Error::new(names::DELIVERY_FAILED, format!("Slack request: {e}")))?;
        let transient = |what: String| Error::new(names::DELIVERY_TRANSIENT, what);
        let client = self
            .client
            .as_ref()
            .map_err(|e| Error::new(names::DELIVERY_FAILED, e.clone()))?;
        let response = tokio::time::timeout(self.timeout, client.request(request))
            .await
            .map_err(|_| {
                transient(format!(
                    "Slack did not answer within {} s",
                    self.timeout.as_secs()
                ))
            })?
            .map_err(|e| transient(format!("Slack could not be reached: {e}")))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = http_body_util::Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| transient(format!("Slack's answer: {e}")))?
            .to_bytes();
        Ok((
            status,
            retry_after,
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }

    fn outcome(&self, status: u16, text: &str) -> Result<String> {
        let excerpt: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        match status {
            200..=299 => {}
            429 => {
                return Err(Error::new(
                    names::DELIVERY_TRANSIENT,
                    "Slack answered 429 (rate limited) three times",
                ));
            }
            500..=599 => {
                return Err(Error::new(
                    names::DELIVERY_TRANSIENT,
                    format!("Slack answered {status}: {excerpt}"),
                ));
            }
            _ => {
                return Err(Error::new(
                    names::DELIVERY_FAILED,
                    format!("Slack answered {status}: {excerpt}"),
                ));
            }
        }
        match &self.target {
            // An incoming webhook answers `ok`, as text.
            SlackTarget::Webhook { .. } => Ok("slack:webhook".to_owned()),
            SlackTarget::Bot { channel, .. } => {
                let answer: Value = serde_json::from_str(text).map_err(|_| {
                    Error::new(
                        names::DELIVERY_FAILED,
                        format!("Slack's answer is not JSON: {excerpt}"),
                    )
                })?;
                if answer["ok"].as_bool() == Some(true) {
                    let ts = answer["ts"].as_str().unwrap_or_default();
                    return Ok(format!("slack:{channel}/{ts}"));
                }
                let code = answer["error"].as_str().unwrap_or("unknown_error");
                let name = if code == "ratelimited" {
                    names::DELIVERY_TRANSIENT
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
