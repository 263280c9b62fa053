//! The HTTPS client of the senders (Slack, Jira) and of the OpenAI-compatible
//! analyzer: hyper with rustls on aws-lc and the system's roots (the stack
//! the AWS SDK already builds), plain HTTP allowed for local servers.
//!
//! One attempt per call, bounded by the client's timeout and the largest
//! answer it reads. Retrying is the state machine's job (one retry layer
//! per call): an answer's `Retry-After` is passed on in the error, and the
//! ASL's retriers wait. So the worst case of a call is its timeout.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use responder_workflow::Error;
use responder_workflow::error::names;

/// Answers of the senders are small; more is refused.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

type Inner = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An answer: its status, body and `Retry-After`.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<Duration>,
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

/// Why a call got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The request cannot be made (no TLS roots, a malformed URL): a retry
    /// will not help.
    #[error("{0}")]
    Setup(String),
    /// No answer within the timeout, no connection, or a broken answer.
    #[error("{0}")]
    Unreachable(String),
}

impl Failure {
    /// As a delivery's error: `Delivery.Failed` or `Delivery.Transient`.
    pub fn into_delivery(self) -> Error {
        match self {
            Self::Setup(m) => Error::new(names::DELIVERY_FAILED, m),
            Self::Unreachable(m) => Error::new(names::DELIVERY_TRANSIENT, m),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Https {
    timeout: Duration,
    max_body: usize,
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
        Self {
            timeout,
            max_body: MAX_RESPONSE_BYTES,
            client,
        }
    }

    /// Reads answers up to `bytes` (a model's answer may be larger).
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The longest one call takes: its worst case.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a request (a JSON body, or none), once; a failure is a
    /// delivery's error. `service` names the far end in errors.
    pub async fn send(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> responder_workflow::Result<Answer> {
        self.request(service, method, url, headers, body)
            .await
            .map_err(Failure::into_delivery)
    }

    /// Sends a request once; the whole call, from connecting to the last
    /// byte of the answer, within the timeout.
    pub async fn request(
        &self,
        service: &str,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> Result<Answer, Failure> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| Failure::Setup(e.clone()))?;
        let mut request = hyper::Request::builder().method(method).uri(url);
        if body.is_some() {
            request = request.header("content-type", "application/json; charset=utf-8");
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| Failure::Setup(format!("{service} request: {e}")))?;
        let call = async {
            let response = client.request(request).await.map_err(|e| {
                Failure::Unreachable(format!("{service} could not be reached: {e}"))
            })?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = http_body_util::Limited::new(response.into_body(), self.max_body)
                .collect()
                .await
                .map_err(|e| {
                    Failure::Unreachable(format!(
                        "{service}'s answer (at most {} bytes read): {e}",
                        self.max_body
                    ))
                })?
                .to_bytes();
            Ok(Answer {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                retry_after,
            })
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| {
                Failure::Unreachable(format!(
                    "{service} did not answer within {} s",
                    self.timeout.as_secs()
                ))
            })?
    }
}

/// The error for an answer that is not a success: 429 is
/// `Delivery.Throttled` (the state machine waits longer before it tries
/// again), 5xx is transient, any other status fails the channel.
pub fn refusal(service: &str, answer: &Answer) -> Error {
    let name = match answer.status {
        429 => names::DELIVERY_THROTTLED,
        500.. => names::DELIVERY_TRANSIENT,
        _ => names::DELIVERY_FAILED,
    };
    let wait = answer
        .retry_after
        .map(|d| format!(" (Retry-After: {} s)", d.as_secs()))
        .unwrap_or_default();
    Error::new(
        name,
        format!(
            "{service} answered {}{wait}: {}",
            answer.status,
            answer.excerpt()
        ),
    )
}
