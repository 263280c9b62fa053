//! Requests per second and latency (p50, p99) of the API on this machine,
//! as `responder serve` runs it: the axum router over SQLite, every request
//! signed with SigV4 and checked. Prints its figures; no assertions.
//!
//! Scenarios, each on 8 keep-alive connections for 5 s after 1 s of warm-up:
//! - `GET /health`: no signature, no store: the floor (the baseline);
//! - `POST /mcp` `tools/list`: SigV4 + the MCP layer (rmcp);
//! - `POST /mcp` `tools/call list_incidents` (limit 20, 500 incidents
//!   stored): SigV4 + MCP + a SQLite query;
//! - `POST /tools/list_incidents`: the same tool over plain REST.
//!
//! The client runs in the same process, on the same two cores: the figures
//! are for the whole loop, server and client together.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use responder_api::http::{Auth, HttpConfig, router};
use responder_api::sigv4::{self, Credential, Verifier};
use responder_api::tools::{ToolPolicy, Tools};
use responder_core::{Incident, IncidentStatus, NormalizeOptions, Severity};
use responder_local::{Db, Local, LocalApi, WorkflowConfig};
use responder_sfn::{Definition, Engine, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The allocator `responder serve` uses: the figures are for what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 8;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
const INCIDENTS: usize = 500;
const KEY: &str = "AKIDBENCH";
const SECRET: &str = "bench-secret-key";

fn credential() -> Credential {
    Credential {
        name: "bench".to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    }
}

fn verifier() -> Verifier {
    Verifier::new(
        "execute-api",
        "us-east-1",
        HashMap::from([(KEY.to_owned(), credential())]),
    )
}

fn backend(dir: &std::path::Path) -> LocalApi {
    let db_path = dir.join("responder.db");
    let local = Arc::new(Local {
        db: Db::open(&db_path).unwrap(),
        config: WorkflowConfig::default(),
        normalize: NormalizeOptions::default(),
        outbox_dir: dir.join("outbox"),
    });
    {
        let conn = local.db.conn();
        for n in 0..INCIDENTS {
            let incident = Incident {
                id: format!("inc-20261120-{n:08x}"),
                signature: format!("{:032x}", n % 40),
                resource: format!(
                    "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:service-{}-errors",
                    n % 40
                ),
                title: format!("service-{}-errors", n % 40),
                severity: Severity::ALL[n % 4],
                status: IncidentStatus::Notified,
                opened_at: format!("2026-11-{:02}T{:02}:00:00Z", 1 + n % 20, n % 24),
                last_seen_at: "2026-11-20T09:14:07Z".to_owned(),
                occurrences: 1,
                resolved_at: None,
                time_to_recover_seconds: None,
                notified_channels: vec![responder_core::Channel::Slack],
                triggering_alarms: Vec::new(),
                root_cause: None,
                service: Some(format!("service-{}", n % 40)),
                subject: None,
                version: 3,
            };
            responder_local::db::save_incident_in(&conn, &incident).unwrap();
        }
    }
    let engine = Engine::new(
        Store::open(&db_path).unwrap(),
        Arc::new(responder_local::registry(Arc::clone(&local))),
    );
    let asl = include_str!("../../../statemachine/incident-response.asl.json");
    let definition = Arc::new(Definition::load(asl, &responder_local::substitutions()).unwrap());
    LocalApi::new(local, Arc::new(engine), definition)
}

/// One request's bytes, signed now (valid for five minutes: SigV4 has no
/// nonce, so API Gateway accepts a repeated request too).
fn request_bytes(method: &str, path: &str, body: &str, addr: &str, sign: bool) -> Vec<u8> {
    let mut headers: Vec<(String, String)> = vec![
        ("host".to_owned(), addr.to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "accept".to_owned(),
            "application/json, text/event-stream".to_owned(),
        ),
    ];
    if sign {
        let borrowed: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let added = sigv4::sign(
            &verifier(),
            &sigv4::Request {
                method,
                path,
                query: "",
                headers: &borrowed,
                body: body.as_bytes(),
            },
            KEY,
            &credential(),
            chrono::Utc::now(),
        );
        headers.extend(added);
    }
    let mut text = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// Sends `request` and reads one response; returns its status.
async fn round_trip(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> u16 {
    stream.write_all(request).await.unwrap();
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        if buffer.len() >= end + 4 + length {
            return head[9..12].parse().unwrap();
        }
    }
}

struct Figures {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn scenario(addr: &str, request: Vec<u8>) -> Figures {
    let request = Arc::new(request);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (addr, request) = (addr.to_owned(), Arc::clone(&request));
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let mut buffer = Vec::new();
            let warm_until = Instant::now() + WARM_UP;
            while Instant::now() < warm_until {
                assert_eq!(round_trip(&mut stream, &request, &mut buffer).await, 200);
            }
            let mut latencies = Vec::new();
            let until = Instant::now() + MEASURE;
            while Instant::now() < until {
                let started = Instant::now();
                let status = round_trip(&mut stream, &request, &mut buffer).await;
                latencies.push(started.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&buffer));
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures {
        requests: all.len(),
        per_second: all.len() as f64 / MEASURE.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("responder-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let api = backend(&dir);
        let tools = Tools::new(Arc::new(api), ToolPolicy::default());
        let config = HttpConfig {
            auth: Auth::SigV4(verifier()),
            allowed_origins: Vec::new(),
            webhook_token: None,
            slack_signing_secret: None,
            link_secret: None,
            slack: responder_api::http::SlackSettings::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, router(tools, config)).await.unwrap() });

        let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;
        let call = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_incidents","arguments":{"limit":20}}}"#;
        let scenarios = [
            ("GET /health (baseline, unsigned)", request_bytes("GET", "/health", "", &addr, false)),
            ("MCP tools/list (SigV4)", request_bytes("POST", "/mcp", list, &addr, true)),
            ("MCP tools/call list_incidents (SigV4)", request_bytes("POST", "/mcp", call, &addr, true)),
            ("REST list_incidents (SigV4)", request_bytes("POST", "/tools/list_incidents", r#"{"limit":20}"#, &addr, true)),
        ];
        println!(
            "{CONNECTIONS} connections, {} s per scenario, {INCIDENTS} incidents stored",
            MEASURE.as_secs()
        );
        let mut baseline = None;
        for (name, request) in scenarios {
            let f = scenario(&addr, request).await;
            let base = *baseline.get_or_insert(f.per_second);
            println!(
                "{name:<40} {:>8.0} req/s ({:.2}x baseline)  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests)",
                f.per_second,
                f.per_second / base,
                f.p50.as_secs_f64() * 1000.0,
                f.p99.as_secs_f64() * 1000.0,
                f.requests
            );
        }
        // The signature check alone, for scale.
        let body = call.as_bytes();
        let headers_owned = [("host".to_owned(), addr.clone()), ("content-type".to_owned(), "application/json".to_owned())];
        let borrowed: Vec<(&str, &str)> = headers_owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let request = sigv4::Request { method: "POST", path: "/mcp", query: "", headers: &borrowed, body };
        let added = sigv4::sign(&verifier(), &request, KEY, &credential(), chrono::Utc::now());
        let mut all = borrowed.clone();
        all.extend(added.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let signed = sigv4::Request { headers: &all, ..request };
        let v = verifier();
        let n = 20_000;
        let started = Instant::now();
        for _ in 0..n {
            std::hint::black_box(v.verify(std::hint::black_box(&signed)).unwrap());
        }
        println!("SigV4 verification alone: {:.1} µs per request", started.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    });
    let _ = std::fs::remove_dir_all(&dir);
}
