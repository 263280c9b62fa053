//! An SMTP relay that takes every message and keeps it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::running::Running;

/// One message as the relay took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message (headers and body), with CRLF line ends.
    pub data: String,
}

/// A fake relay on 127.0.0.1 (plain text, no login).
#[derive(Debug)]
pub struct FakeSmtp {
    mails: Arc<Mutex<Vec<Mail>>>,
    running: Running,
}

impl FakeSmtp {
    pub fn start() -> Self {
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&mails);
        let running = Running::start(move |listener| accept(listener, kept));
        Self { mails, running }
    }

    /// `127.0.0.1:PORT` (`[workflow.email] smtp`).
    pub fn relay(&self) -> String {
        self.running.addr.to_string()
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Mail>> {
        self.mails.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn accept(listener: TcpListener, mails: Arc<Mutex<Vec<Mail>>>) {
    while let Ok((socket, _)) = listener.accept().await {
        let mails = Arc::clone(&mails);
        tokio::spawn(async move {
            let _ = converse(socket, mails).await;
        });
    }
}

async fn converse(
    socket: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 relay.test ESMTP\r\n").await?;
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-relay.test\r\n250 8BITMIME\r\n"
        } else if let Some(from) = upper.strip_prefix("MAIL FROM:") {
            mail.from = line.get(10..).unwrap_or(from).trim().to_owned();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to
                .push(line.get(8..).unwrap_or_default().trim().to_owned());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
                data.push_str("\r\n");
            }
            mail.data = data;
            mails
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(std::mem::replace(
                    &mut mail,
                    Mail {
                        from: String::new(),
                        to: Vec::new(),
                        data: String::new(),
                    },
                ));
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"250 OK\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
