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

use responder_core::Channel;
use responder_local::outbox::Outbox;
use responder_local::smtp::{EmailConfig, Password, SmtpTls};
use responder_workflow::fixtures::message_of;
use responder_workflow::ports::Notifier;
use responder_workflow::render::{Message, MessageKind};
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
        converse(socket, rcpt_reply, record).await;
    });
    (addr, heard)
}

/// A relay that speaks TLS from the first byte (SMTPS) with a certificate
/// for 127.0.0.1 from a test authority, whose PEM it returns.
async fn tls_relay() -> (String, Arc<Mutex<Heard>>, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let heard = Arc::new(Mutex::new(Heard::default()));
    let record = Arc::clone(&heard);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            // A client that does not trust the authority ends the handshake.
            if let Ok(tls) = acceptor.accept(socket).await {
                converse(tls, "250 OK\r\n", Arc::clone(&record)).await;
            }
        }
    });
    (addr, heard, ca.pem())
}

/// One SMTP conversation, recorded.
async fn converse<S>(socket: S, rcpt_reply: &'static str, record: Arc<Mutex<Heard>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (read, mut write) = tokio::io::split(socket);
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        record.lock().unwrap().commands.push(line.clone());
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-relay.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("AUTH") {
            b"235 2.7.0 accepted\r\n"
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
        write.flush().await.unwrap();
    }
}

fn message() -> Message {
    message_of(
        MessageKind::Incident,
        "checkout-api-errors <b>",
        "Calls time out <script>x</script>",
    )
}

/// The e-mail settings for `relay`: plain SMTP, two recipients.
fn email(relay: &str) -> EmailConfig {
    EmailConfig {
        smtp: Some(relay.to_owned()),
        from: "incident-responder <ir@example.com>".to_owned(),
        to: vec![
            "oncall@example.com".to_owned(),
            "sre@example.com".to_owned(),
        ],
        timeout_seconds: 5,
        ..EmailConfig::default()
    }
}

fn outbox(relay: &str, name: &str) -> Outbox {
    outbox_with(name, email(relay))
}

fn outbox_with(name: &str, email: EmailConfig) -> Outbox {
    let dir = std::env::temp_dir().join(format!("responder-smtp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Outbox::new(dir, email)
}

#[tokio::test]
async fn the_relay_gets_the_envelope_and_both_parts() {
    let (addr, heard) = relay("250 OK\r\n").await;
    let outbox = outbox(&addr, "ok");
    let location = outbox.send(Channel::Email, &message()).await.unwrap();
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
        .send(Channel::Email, &message())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed", "{}", error.message());
    let (addr, _) = relay("451 try again later\r\n").await;
    let error = outbox(&addr, "busy")
        .send(Channel::Email, &message())
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
        .send(Channel::Email, &message())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "Delivery.Transient", "{}", error.message());
}

#[tokio::test]
async fn a_tls_relay_gets_the_e_mail_and_the_login_only_over_tls() {
    let (addr, heard, ca_pem) = tls_relay().await;
    let dir = std::env::temp_dir().join(format!("responder-smtp-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("relay-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let tls = outbox_with(
        "tls",
        EmailConfig {
            tls: Some(SmtpTls::Tls),
            ca_file: Some(ca_file),
            username: Some("ir@example.com".to_owned()),
            password: Some(Password("relay-password".to_owned())),
            ..email(&addr)
        },
    );
    let location = tls.send(Channel::Email, &message()).await.unwrap();
    assert_eq!(location, format!("smtp://{addr}"));
    {
        let heard = heard.lock().unwrap();
        let commands = heard.commands.join("\n");
        assert!(commands.contains("AUTH PLAIN"), "{commands}");
        assert!(
            heard
                .data
                .contains("Subject: [CRITICAL] checkout-api-errors")
        );
    }

    // Without the authority, the relay's certificate is refused: no e-mail.
    let untrusted = outbox_with(
        "untrusted",
        EmailConfig {
            tls: Some(SmtpTls::Tls),
            ..email(&addr)
        },
    );
    let error = untrusted
        .send(Channel::Email, &message())
        .await
        .unwrap_err();
    assert!(error.message().contains(&addr), "{}", error.message());

    // A password is never sent in plain text.
    let (plain, heard) = relay("250 OK\r\n").await;
    let login = outbox_with(
        "plain-login",
        EmailConfig {
            username: Some("ir@example.com".to_owned()),
            password: Some(Password("relay-password".to_owned())),
            ..email(&plain)
        },
    );
    let error = login.send(Channel::Email, &message()).await.unwrap_err();
    assert_eq!(error.name(), "Delivery.Failed");
    assert!(
        error.message().contains("never sent in plain text"),
        "{}",
        error.message()
    );
    assert!(!error.message().contains("relay-password"));
    assert!(heard.lock().unwrap().commands.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_relay_that_never_greets_is_transient_after_the_timeout() {
    // A relay that takes the connection and says nothing, as a TLS port
    // does to a client speaking plain SMTP.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(socket);
    });
    let silent = outbox_with(
        "silent",
        EmailConfig {
            timeout_seconds: 1,
            ..email(&addr)
        },
    );
    let error = silent.send(Channel::Email, &message()).await.unwrap_err();
    held.abort();
    assert_eq!(error.name(), "Delivery.Transient", "{}", error.message());
    assert!(
        error.message().contains("timeout_seconds (1 s)"),
        "{}",
        error.message()
    );
}
