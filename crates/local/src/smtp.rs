//! E-mail over SMTP in local mode (`[workflow.email] smtp = "host:port"`):
//! the message the renderer writes, as `multipart/alternative` (plain text
//! and HTML), sent to a relay (MailHog on the laptop, Postfix, a company
//! relay, a provider's submission port). In AWS, SES sends it.
//!
//! TLS (rustls on aws-lc, the system's roots plus an optional `ca_file`):
//! `starttls` upgrades the connection and refuses a relay that cannot;
//! `tls` speaks TLS from the first byte (port 465); `none` is plain text.
//! Unset, a relay on loopback is spoken to in plain text (nothing crosses
//! the network) and any other relay with `starttls`. A user name and
//! password (`username`, `password_env`) are sent over TLS only.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncTransport, Message, Tokio1Executor};
use responder_workflow::error::names;
use responder_workflow::render::Email;
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text.
    None,
    /// `STARTTLS` after the greeting, required.
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// `[workflow.email]` in `responder.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `host:port` of the SMTP relay; unset: e-mails go to the outbox only.
    pub smtp: Option<String>,
    /// Unset: `none` for a relay on loopback, else `starttls`.
    pub tls: Option<SmtpTls>,
    /// A PEM file of the certificate authorities the relay's certificate
    /// chains to, beside the system's (a company CA).
    pub ca_file: Option<PathBuf>,
    /// The relay's user name, sent with the password over TLS only.
    pub username: Option<String>,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
    /// Read from `password_env` when the configuration is loaded.
    #[serde(skip)]
    pub password: Option<Password>,
    pub from: String,
    pub to: Vec<String>,
    pub timeout_seconds: u64,
}

/// The relay's password: never in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            tls: None,
            ca_file: None,
            username: None,
            password_env: None,
            password: None,
            from: "incident-responder <incident-responder@localhost>".to_owned(),
            to: vec!["oncall@localhost".to_owned()],
            timeout_seconds: 10,
        }
    }
}

impl EmailConfig {
    /// The TLS mode for `host`: the configured one, else plain text on
    /// loopback and `starttls` anywhere else.
    pub fn tls_for(&self, host: &str) -> SmtpTls {
        self.tls.unwrap_or_else(|| {
            let loopback = host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                SmtpTls::None
            } else {
                SmtpTls::Starttls
            }
        })
    }
}

/// The e-mail as MIME, built by lettre: a random boundary, headers encoded
/// (RFC 2047 for a subject that is not plain ASCII), each part's body
/// encoded so that no line of it can end the part or start another. What
/// the relay receives and what the outbox keeps are this same message.
pub fn mime_message(config: &EmailConfig, email: &Email) -> Result<Message> {
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
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| Error::new(names::DELIVERY_FAILED, format!("the e-mail: {e}")))
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
    let message = mime_message(config, email)?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(config.timeout_seconds)));
    let mode = config.tls_for(host);
    if mode != SmtpTls::None {
        let parameters = tls_parameters(config, host)?;
        transport = transport.tls(match mode {
            SmtpTls::Tls => Tls::Wrapper(parameters),
            _ => Tls::Required(parameters),
        });
    }
    if let Some(username) = &config.username {
        if mode == SmtpTls::None {
            return Err(Error::new(
                names::DELIVERY_FAILED,
                format!(
                    "workflow.email: a password is never sent in plain text; set tls to starttls or tls for {relay}"
                ),
            ));
        }
        let password = config
            .password
            .as_ref()
            .map(|p| p.0.clone())
            .unwrap_or_default();
        transport = transport.credentials(Credentials::new(username.clone(), password));
    }
    let transport = transport.build();
    // lettre's timeout bounds each read and write once the session is up,
    // not a relay that takes the connection and never greets (a TLS port
    // spoken to in plain text waits for ever): the whole exchange is bounded.
    let limit = Duration::from_secs(config.timeout_seconds);
    let Ok(sent) = tokio::time::timeout(limit, transport.send(message)).await else {
        return Err(Error::new(
            names::DELIVERY_TRANSIENT,
            format!(
                "the relay {relay} did not take the e-mail within workflow.email.timeout_seconds ({} s)",
                config.timeout_seconds
            ),
        ));
    };
    match sent {
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

/// The system's roots, plus the certificates of `ca_file`.
fn tls_parameters(config: &EmailConfig, host: &str) -> Result<TlsParameters> {
    let failed = |what: String| Error::new(names::DELIVERY_FAILED, what);
    let mut builder = TlsParameters::builder(host.trim_matches(['[', ']']).to_owned());
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| failed(format!("workflow.email.ca_file {}: {e}", path.display())))?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            failed(format!(
                "workflow.email.ca_file {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build_rustls()
        .map_err(|e| failed(format!("TLS for the relay {host}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_only_on_loopback_unless_configured() {
        let config = EmailConfig::default();
        assert_eq!(config.tls_for("127.0.0.1"), SmtpTls::None);
        assert_eq!(config.tls_for("localhost"), SmtpTls::None);
        assert_eq!(config.tls_for("[::1]"), SmtpTls::None);
        assert_eq!(config.tls_for("smtp.example.com"), SmtpTls::Starttls);
        assert_eq!(config.tls_for("10.0.0.25"), SmtpTls::Starttls);
        let config = EmailConfig {
            tls: Some(SmtpTls::Tls),
            ..EmailConfig::default()
        };
        assert_eq!(config.tls_for("127.0.0.1"), SmtpTls::Tls);
        let password = Password("hunter2".to_owned());
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
