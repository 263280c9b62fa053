//! The HTTPS client of the senders (Slack, Jira): hyper with rustls on
//! aws-lc and the system's roots (the stack the AWS SDK already builds),
//! plain HTTP allowed for local test servers. A 429 is retried after its
//! `Retry-After` (at most 3 attempts, waits capped at 30 s); answers are
//! bounded; a timeout or a failed connection is `Delivery.Transient`.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use responder_workflow::error::names;
use responder_workflow::{Error, Result};

/// Attempts of one request when the server answers 429.
const MAX_ATTEMPTS: u32 = 3;
/// The longest wait for a `Retry-After`.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Answers are small; more is refused.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

type Inner = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An answer: its status and body (after any 429 retries).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The body, short and printable, for an error message.
    pub fn excerpt(&self) -> String {
        self.body
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Https {
    timeout: Duration,
    /// The client, or why it could not be built (no system roots): every
    /// request then fails with that reason.
    client: std::result::Result<Inner, String>,
}

impl Https {
    pub fn new(timeout: Duration) -> Self {
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map(|builder| {
                Client::builder(TokioExecutor::new())
                    .build(builder.https_or_http().enable_http1().build())
            })
            .map_err(|e| format!("no TLS root certificates on this machine: {e}"));
        Self { timeout, client }
    }

    /// Sends a request (a JSON body, or none), retrying 429s after their
    /// `Retry-After`. `service` names the far end in errors.
    pub async fn send(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> Result<Answer> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (answer, retry_after) = self
                .once(service, method, url, headers, body.clone())
                .await?;
            if answer.status == 429 && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(retry_after.unwrap_or(Duration::from_secs(1)).min(MAX_WAIT))
                    .await;
                continue;
            }
            return Ok(answer);
        }
    }

    async fn once(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> Result<(Answer, Option<Duration>)> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| Error::new(names::DELIVERY_FAILED, e.clone()))?;
        let mut request = hyper::Request::builder().method(method).uri(url);
        if body.is_some() {
            request = request.header("content-type", "application/json; charset=utf-8");
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| Error::new(names::DELIVERY_FAILED, format!("{service} request: {e}")))?;
        let transient = |what: String| Error::new(names::DELIVERY_TRANSIENT, what);
        let response = tokio::time::timeout(self.timeout, client.request(request))
            .await
            .map_err(|_| {
                transient(format!(
                    "{service} did not answer within {} s",
                    self.timeout.as_secs()
                ))
            })?
            .map_err(|e| transient(format!("{service} could not be reached: {e}")))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = http_body_util::Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| transient(format!("{service}'s answer: {e}")))?
            .to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok((Answer { status, body }, retry_after))
    }
}

/// The error for an answer that is not a success: 429 (after the retries)
/// and 5xx are transient, any other status fails the channel.
pub fn refusal(service: &str, answer: &Answer) -> Error {
    let name = if answer.status == 429 || answer.status >= 500 {
        names::DELIVERY_TRANSIENT
    } else {
        names::DELIVERY_FAILED
    };
    Error::new(
        name,
        format!("{service} answered {}: {}", answer.status, answer.excerpt()),
    )
}
