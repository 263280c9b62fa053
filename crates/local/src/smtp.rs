//! E-mail over SMTP in local mode (`[workflow.email] smtp = "host:port"`):
//! the message the renderer writes, as `multipart/alternative` (plain text
//! and HTML), sent to a relay on this machine or network (MailHog, Postfix,
//! a company relay). Plain SMTP without TLS: a relay across the internet
//! belongs behind one on the machine. In AWS, SES sends it.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use responder_workflow::error::names;
use responder_workflow::render::Email;
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};

/// `[workflow.email]` in `responder.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `host:port` of the SMTP relay; unset: e-mails go to the outbox only.
    pub smtp: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub timeout_seconds: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            from: "incident-responder <incident-responder@localhost>".to_owned(),
            to: vec!["oncall@localhost".to_owned()],
            timeout_seconds: 10,
        }
    }
}

/// Sends one e-mail; returns where it went (`smtp://host:port`). A refused
/// recipient or message (5xx) is `Delivery.Failed`; a busy or unreachable
/// relay (4xx, a timeout, a closed connection) is `Delivery.Transient`,
/// which the state machine retries.
pub async fn send(config: &EmailConfig, relay: &str, email: &Email) -> Result<String> {
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            Error::new(
                names::DELIVERY_FAILED,
                format!("workflow.email.smtp must be host:port, got '{relay}'"),
            )
        })?;
    let mailbox = |text: &str, what: &str| {
        text.parse::<Mailbox>().map_err(|e| {
            Error::new(
                names::DELIVERY_FAILED,
                format!("workflow.email.{what} '{text}' is not an address: {e}"),
            )
        })
    };
    let mut builder = Message::builder()
        .from(mailbox(&config.from, "from")?)
        .subject(email.subject.clone());
    for to in &config.to {
        builder = builder.to(mailbox(to, "to")?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| Error::new(names::DELIVERY_FAILED, format!("the e-mail: {e}")))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(config.timeout_seconds)))
        .build();
    match transport.send(message).await {
        Ok(_) => Ok(format!("smtp://{relay}")),
        Err(e) if e.is_permanent() => Err(Error::new(
            names::DELIVERY_FAILED,
            format!("the relay {relay} refused the e-mail: {e}"),
        )),
        Err(e) => Err(Error::new(
            names::DELIVERY_TRANSIENT,
            format!("the relay {relay} did not take the e-mail: {e}"),
        )),
    }
}
