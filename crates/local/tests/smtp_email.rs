//! E-mail over SMTP against a relay on 127.0.0.1 that records what it is
//! told: the exact envelope and message; a 5xx refusal is
//! `Delivery.Failed`, a 4xx is `Delivery.Transient` (retried), and so is a
//! relay that is not there.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use responder_local::outbox::Outbox;
use responder_local::smtp::EmailConfig;
use responder_workflow::ports::Notifier;
use responder_workflow::render::Message;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the relay heard: the commands, and the message after DATA.
#[derive(Debug, Default)]
struct Heard {
    commands: Vec<String>,
    data: String,
}

/// A relay that answers `RCPT TO` with `rcpt_reply` and takes one message.
async fn relay(rcpt_reply: &'static str) -> (String, Arc<Mutex<Heard>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let heard = Arc::new(Mutex::new(Heard::default()));
    let record = Arc::clone(&heard);
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
        while let Some(line) = lines.next_line().await.unwrap() {
            let upper = line.to_ascii_uppercase();
            record.lock().unwrap().commands.push(line.clone());
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-relay.test\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM") {
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO") {
                rcpt_reply.as_bytes()
            } else if upper == "DATA" {
                write.write_all(b"354 go on\r\n").await.unwrap();
                let mut data = String::new();
                while let Some(line) = lines.next_line().await.unwrap() {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                record.lock().unwrap().data = data;
                b"250 queued as 42\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 OK\r\n"
            };
            write.write_all(reply).await.unwrap();
        }
    });
    (addr, heard)
}

fn message() -> Message {
    Message {
        kind: "incident".to_owned(),
        incident: json!({"id": "inc-20261120-687557cf", "title": "checkout-api-errors <b>", "severity": "CRITICAL"}),
        analysis: Some(json!({"summary": "Calls time out <script>x</script>", "root_causes": []})),
        approval: None,
        ..Message::default()
    }
}

fn outbox(relay: &str, name: &str) -> Outbox {
    let dir = std::env::temp_dir().join(format!("responder-smtp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Outbox {
        dir,
        links: None,
        email: EmailConfig {
            smtp: Some(relay.to_owned()),
            from: "incident-responder <ir@example.com>".to_owned(),
            to: vec![
                "oncall@example.com".to_owned(),
                "sre@example.com".to_owned(),
            ],
            timeout_seconds: 5,
        },
        slack: None,
        jira: None,
    }
}

#[tokio::test]
async fn the_relay_gets_the_envelope_and_both_parts() {
    let (addr, heard) = relay("250 OK\r\n").await;
    let outbox = outbox(&addr, "ok");
    let location = outbox.send("email", &message()).await.unwrap();
    assert_eq!(location, format!("smtp://{addr}"));
    let heard = heard.lock().unwrap();
    let commands = heard.commands.join("\n");
    assert!(
        commands.contains("MAIL FROM:<ir@example.com>"),
        "{commands}"
    );
    assert!(
        commands.contains("RCPT TO:<oncall@example.com>"),
        "{commands}"
    );
    assert!(commands.contains("RCPT TO:<sre@example.com>"), "{commands}");
    let data = &heard.data;
    assert!(
        data.contains("Subject: [CRITICAL] checkout-api-errors <b>"),
        "{data}"
    );
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "{data}"
    );
    // The plain-text part is text; the HTML part has the text escaped.
    let html = data.split("Content-Type: text/html").nth(1).unwrap();
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(
        outbox
            .dir
            .join("email/inc-20261120-687557cf-incident.eml")
            .exists(),
        "the outbox keeps a copy"
    );
}

#[tokio::test]
async fn a_refused_recipient_fails_the_channel_and_a_busy_relay_is_retried() {
    let (addr, _) = relay("550 no such user\r\n").await;
    let error = outbox(&addr, "refused")
        .send("email", &message())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed", "{}", error.message());
    let (addr, _) = relay("451 try again later\r\n").await;
    let error = outbox(&addr, "busy")
        .send("email", &message())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient", "{}", error.message());
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let error = outbox(&closed, "closed")
        .send("email", &message())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient", "{}", error.message());
}
