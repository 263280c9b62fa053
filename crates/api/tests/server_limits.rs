//! `responder serve`'s server loop against clients that hold connections:
//! a silent client is cut off at the header timeout, and connections past
//! the cap are closed at once, so idle sockets cannot starve the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use responder_api::http::{ServerLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server with `limits` on a free port; it stops when the test ends.
async fn server(limits: ServerLimits) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = Router::new().route("/health", get(|| async { "ok" }));
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    addr
}

/// Reads until the server closes the connection (or `patience` passes).
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    let mut buffer = [0u8; 256];
    matches!(
        tokio::time::timeout(patience, stream.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// The answer to `GET /health`, or what there was of it (the server may
/// close a connection over its cap before reading it).
async fn health(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    answer
}

#[tokio::test]
async fn a_client_that_sends_no_headers_is_cut_off() {
    // GIVEN a header timeout of 300 ms
    let addr = server(ServerLimits {
        max_connections: 16,
        header_read_timeout: Duration::from_millis(300),
    })
    .await;
    // WHEN a client connects and sends half a request, then nothing
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    // THEN the server closes the connection (long before the test's patience)
    assert!(closed_within(&mut slow, Duration::from_secs(20)).await);
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_and_the_server_still_answers() {
    // GIVEN at most 3 connections, each holding its place for a long time
    let addr = server(ServerLimits {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(60),
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    // WHEN a fourth connects
    let mut fourth = TcpStream::connect(&addr).await.unwrap();
    // THEN it is closed at once
    assert!(closed_within(&mut fourth, Duration::from_secs(20)).await);
    // AND once an idle one goes, a request is answered again
    drop(idle.pop());
    let mut answered = false;
    for _ in 0..200 {
        if health(&addr).await.contains("200 OK") {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        answered,
        "a place freed by a client that left is taken again"
    );
}
