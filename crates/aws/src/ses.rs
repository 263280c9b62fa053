//! SES v2 for e-mail: the HTML and text parts of
//! `responder_workflow::render::email`, from a verified sender.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use responder_workflow::error::names;
use responder_workflow::render::Email;
use responder_workflow::{Error, Result};

use crate::error::named;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    to: Vec<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: String, to: Vec<String>) -> Self {
        Self { client, from, to }
    }

    /// Sends; returns SES's message id.
    pub async fn send(&self, email: &Email) -> Result<String> {
        let content = |text: &str| {
            Content::builder()
                .data(text)
                .charset("UTF-8")
                .build()
                .map_err(|e| Error::new(names::DELIVERY_FAILED, format!("SendEmail request: {e}")))
        };
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(self.to.clone()))
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| {
                named(
                    "SendEmail",
                    &e,
                    names::DELIVERY_TRANSIENT,
                    names::DELIVERY_FAILED,
                )
            })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}
