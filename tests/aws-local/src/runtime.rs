//! Lambda as it runs a `provided.al2023` function: one process per
//! function (the host build of its crate) polling a local Runtime API
//! endpoint (`/2018-06-01/runtime/...`), with exactly the template's
//! environment plus what Lambda itself sets, one invocation at a time, and
//! the template's timeout enforced by killing the process.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::stack::Function;

/// What one invocation ended with.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response(Value),
    /// `errorType`, `errorMessage`.
    Error(String, String),
}

/// One invocation, for the summary and the checks.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub payload: Value,
    pub outcome: Outcome,
    pub millis: u128,
}

struct Pending {
    id: String,
    payload: Vec<u8>,
    deadline_ms: u128,
}

type Queue = Arc<Mutex<mpsc::Receiver<Pending>>>;

/// The current process's queue: a new process gets a new one, so a poll
/// left over from a killed process never takes an invocation.
#[derive(Default)]
struct Shared {
    next: std::sync::Mutex<Option<Queue>>,
    answers: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<(String, String)>>,
    /// Told when the next poll of `/runtime/invocation/next` arrives
    /// ([`Runtime::time_init`]).
    first_poll: std::sync::Mutex<Option<oneshot::Sender<Instant>>>,
}

/// One function: its Runtime API endpoint and its process.
pub struct Runtime {
    pub function: Function,
    binary: PathBuf,
    /// The process's arguments: none, as Lambda starts `bootstrap`.
    args: Vec<String>,
    environment: BTreeMap<String, String>,
    log: PathBuf,
    shared: Arc<Shared>,
    busy: Mutex<Option<(Child, mpsc::Sender<Pending>)>>,
    counter: AtomicU64,
    /// Where the current process's output starts in the log.
    log_start: AtomicU64,
    pub invocations: std::sync::Mutex<Vec<Invocation>>,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("function", &self.function.name)
            .finish()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.server.abort();
        if let Ok(mut child) = self.busy.try_lock()
            && let Some((child, _)) = child.as_mut()
        {
            let _ = child.start_kill();
        }
    }
}

impl Runtime {
    /// Starts the function's endpoint; the process starts at the first
    /// invocation (a cold start), with `extra` added to the template's
    /// environment (the endpoints and credentials of this machine).
    pub async fn start(
        function: Function,
        binary: PathBuf,
        extra: &BTreeMap<String, String>,
        logs: &std::path::Path,
        region: &str,
    ) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut environment = function.environment.clone();
        // What Lambda sets for a provided.al2023 function.
        let reserved = [
            ("AWS_LAMBDA_RUNTIME_API", address.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                function.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_LOG_GROUP_NAME", function.log_group.clone()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "aws-local/[$LATEST]0".to_owned(),
            ),
            ("AWS_REGION", region.to_owned()),
            ("AWS_DEFAULT_REGION", region.to_owned()),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
            ("_HANDLER", "bootstrap".to_owned()),
            ("TZ", ":UTC".to_owned()),
        ];
        for (k, v) in reserved {
            environment.insert(k.to_owned(), v);
        }
        if let Some(format) = &function.log_format {
            environment.insert("AWS_LAMBDA_LOG_FORMAT".into(), format.clone());
        }
        if let Some(level) = &function.log_level {
            environment.insert("AWS_LAMBDA_LOG_LEVEL".into(), level.clone());
        }
        for (k, v) in extra {
            environment.insert(k.clone(), v.clone());
        }
        let log = logs.join(format!("{}.log", function.name));
        Ok(Self {
            function,
            binary,
            args: Vec::new(),
            environment,
            log,
            shared,
            busy: Mutex::new(None),
            counter: AtomicU64::new(0),
            log_start: AtomicU64::new(0),
            invocations: std::sync::Mutex::new(Vec::new()),
            server,
        })
    }

    /// Starts the process with these arguments (Lambda gives none).
    #[must_use]
    pub fn with_args(mut self, args: Vec<String>) -> Self {
        self.args = args;
        self
    }

    fn spawn(&self) -> Result<(Child, mpsc::Sender<Pending>)> {
        let (queue, receiver) = mpsc::channel(1);
        if let Ok(mut next) = self.shared.next.lock() {
            *next = Some(Arc::new(Mutex::new(receiver)));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        self.log_start
            .store(log.metadata()?.len(), Ordering::Relaxed);
        Command::new(&self.binary)
            .args(&self.args)
            .env_clear()
            .envs(&self.environment)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))
            .map(|child| (child, queue))
    }

    /// The last lines the current process wrote.
    fn log_tail(&self) -> String {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        let start = usize::try_from(self.log_start.load(Ordering::Relaxed)).unwrap_or(0);
        let text = String::from_utf8_lossy(bytes.get(start..).unwrap_or_default()).into_owned();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines
            .get(lines.len().saturating_sub(2)..)
            .unwrap_or_default()
            .join(" | ")
    }

    /// Invokes the function once (Lambda's `Invoke`, synchronous).
    pub async fn invoke(&self, payload: Value) -> Outcome {
        let started = Instant::now();
        let outcome = self.invoke_inner(&payload).await;
        if let Ok(mut list) = self.invocations.lock() {
            list.push(Invocation {
                payload,
                outcome: outcome.clone(),
                millis: started.elapsed().as_millis(),
            });
        }
        outcome
    }

    async fn invoke_inner(&self, payload: &Value) -> Outcome {
        let mut child = self.busy.lock().await;
        let running = match child.as_mut() {
            Some((c, _)) => matches!(c.try_wait(), Ok(None)),
            None => false,
        };
        if !running {
            *self.shared.init_error.lock().await = None;
            match self.spawn() {
                Ok(c) => *child = Some(c),
                Err(e) => {
                    return Outcome::Error("Runtime.InvalidEntrypoint".into(), format!("{e:#}"));
                }
            }
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-aws-local-{n:04}", std::process::id());
        let timeout = Duration::from_secs(self.function.timeout_seconds);
        let deadline_ms = SystemTime::now()
            .checked_add(timeout)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis());
        let (tx, mut rx) = oneshot::channel();
        self.shared.answers.lock().await.insert(id.clone(), tx);
        let pending = Pending {
            id: id.clone(),
            payload: payload.to_string().into_bytes(),
            deadline_ms,
        };
        let sent = match child.as_ref() {
            Some((_, queue)) => queue.send(pending).await.is_ok(),
            None => false,
        };
        if !sent {
            return Outcome::Error(
                "Runtime.Unknown".into(),
                "the runtime endpoint is gone".into(),
            );
        }
        let started = Instant::now();
        let outcome = loop {
            tokio::select! {
                answer = &mut rx => {
                    break answer.unwrap_or_else(|_| Outcome::Error("Runtime.Unknown".into(), "no answer".into()));
                }
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if started.elapsed() >= timeout {
                if let Some((c, _)) = child.as_mut() {
                    let _ = c.kill().await;
                }
                *child = None;
                break Outcome::Error(
                    "Sandbox.Timedout".into(),
                    format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()),
                );
            }
            let exited = match child.as_mut() {
                Some((c, _)) => c.try_wait().ok().flatten(),
                None => None,
            };
            if let Some(status) = exited {
                *child = None;
                let init = self.shared.init_error.lock().await.clone();
                break match init {
                    Some((kind, message)) => Outcome::Error(kind, message),
                    None => Outcome::Error(
                        "Runtime.ExitError".into(),
                        format!(
                            "RequestId: {id} Error: Runtime exited with {status}; its last output: {}",
                            self.log_tail()
                        ),
                    ),
                };
            }
        };
        self.shared.answers.lock().await.remove(&id);
        outcome
    }

    /// A cold start without an invocation: starts a new process and times
    /// its init, from the spawn to its first poll of
    /// `/runtime/invocation/next`; then kills it. Fails, with what the
    /// process said, when it exits first or does not poll within `limit`.
    pub async fn time_init(&self, limit: Duration) -> Result<Duration> {
        let mut busy = self.busy.lock().await;
        if let Some((mut c, _)) = busy.take() {
            let _ = c.kill().await;
        }
        *self.shared.init_error.lock().await = None;
        let (tx, mut polled) = oneshot::channel();
        if let Ok(mut first) = self.shared.first_poll.lock() {
            *first = Some(tx);
        }
        let started = Instant::now();
        // The queue stays empty: the poll waits, unanswered, until the
        // queue is dropped at the end (the endpoint then answers 410).
        let (mut child, _queue) = self.spawn()?;
        let outcome = tokio::select! {
            at = &mut polled => at
                .map(|at| at.saturating_duration_since(started))
                .map_err(|_| anyhow!("the endpoint is gone")),
            status = child.wait() => {
                let why = match self.shared.init_error.lock().await.clone() {
                    Some((kind, message)) => format!("{kind}: {message}"),
                    None => format!("its last output: {}", self.log_tail()),
                };
                Err(anyhow!(
                    "{} exited ({}) before polling for an invocation; {why}",
                    self.function.name,
                    status.map_or_else(|e| e.to_string(), |s| s.to_string()),
                ))
            }
            () = tokio::time::sleep(limit) => Err(anyhow!(
                "{} did not poll for an invocation within {} s; its last output: {}",
                self.function.name,
                limit.as_secs(),
                self.log_tail()
            )),
        };
        if let Ok(mut first) = self.shared.first_poll.lock() {
            *first = None;
        }
        let _ = child.kill().await;
        outcome
    }

    /// Stops the process (the end of the run).
    pub async fn stop(&self) {
        if let Some((mut c, _)) = self.busy.lock().await.take() {
            let _ = c.kill().await;
        }
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let arrived = Instant::now();
    if let Some(tx) = shared.first_poll.lock().ok().and_then(|mut f| f.take()) {
        let _ = tx.send(arrived);
    }
    let queue = shared.next.lock().ok().and_then(|q| q.clone());
    let pending = match queue {
        Some(q) => q.lock().await.recv().await,
        None => None,
    };
    let Some(p) = pending else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let pairs = [
        ("lambda-runtime-aws-request-id", p.id.clone()),
        ("lambda-runtime-deadline-ms", p.deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:local:000000000000:function:aws-local".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            format!("Root=1-00000000-{}", p.id),
        ),
    ];
    for (k, v) in pairs {
        if let Ok(v) = v.parse() {
            headers.insert(k, v);
        }
    }
    (StatusCode::OK, headers, p.payload).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(tx) = shared.answers.lock().await.remove(&id) {
        let _ = tx.send(Outcome::Response(value));
    }
    StatusCode::ACCEPTED
}

fn diagnostic(body: &[u8]) -> (String, String) {
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|_| json!({}));
    (
        value["errorType"]
            .as_str()
            .unwrap_or("Unhandled")
            .to_owned(),
        value["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let (kind, message) = diagnostic(&body);
    if let Some(tx) = shared.answers.lock().await.remove(&id) {
        let _ = tx.send(Outcome::Error(kind, message));
    }
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().await = Some(diagnostic(&body));
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function whose bootstrap is the shell script `body`, timing out after `timeout` s.
    async fn function(name: &str, body: &str, timeout: u64) -> (Runtime, PathBuf) {
        use std::os::unix::fs::PermissionsExt as _;
        let dir =
            std::env::temp_dir().join(format!("aws-local-runtime-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("bootstrap");
        std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let f = Function {
            name: name.to_owned(),
            arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
            crate_name: name.to_owned(),
            environment: BTreeMap::new(),
            timeout_seconds: timeout,
            memory_mb: 128,
            role_name: "r".into(),
            policies: Vec::new(),
            log_group: format!("/aws/lambda/{name}"),
            log_format: None,
            log_level: None,
        };
        let runtime = Runtime::start(f, script, &BTreeMap::new(), &dir, "us-east-1")
            .await
            .unwrap();
        (runtime, dir)
    }

    #[tokio::test]
    async fn a_function_past_its_timeout_is_killed_and_fails_with_sandbox_timedout() {
        // GIVEN a function that takes its invocation, then never answers, with a 1 s timeout
        let (runtime, _) = function(
            "slow",
            "/usr/bin/curl -s \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\" >/dev/null\nexec /bin/sleep 30",
            1,
        )
        .await;
        // WHEN it is invoked
        let outcome = runtime.invoke(json!({})).await;
        // THEN the invocation fails at the timeout, and the process is gone
        assert!(
            matches!(&outcome, Outcome::Error(kind, m) if kind == "Sandbox.Timedout" && m.contains("1.00 seconds")),
            "{outcome:?}"
        );
        assert!(runtime.busy.lock().await.is_none());
    }

    #[tokio::test]
    async fn a_function_that_exits_at_start_fails_with_its_own_last_words() {
        // GIVEN a function whose configuration is missing
        let (runtime, _) = function(
            "broken",
            "echo 'Error: the environment variable INCIDENTS_TABLE is not set' >&2\nexit 1",
            3,
        )
        .await;
        // WHEN it is invoked
        let outcome = runtime.invoke(json!({})).await;
        // THEN Lambda's Runtime.ExitError carries what the process said
        assert!(
            matches!(&outcome, Outcome::Error(kind, m) if kind == "Runtime.ExitError" && m.contains("INCIDENTS_TABLE is not set")),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn init_is_timed_to_the_first_poll_and_a_process_that_exits_first_fails_naming_its_output()
     {
        // GIVEN a function that polls after 0.3 s, and one that exits at init
        let (polling, _) = function(
            "polls-late",
            "sleep 0.3\nexec /usr/bin/curl -s \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\"",
            3,
        )
        .await;
        let (exiting, _) = function(
            "exits-at-init",
            "echo 'Error: the environment variable INCIDENTS_TABLE is not set' >&2\nexit 1",
            3,
        )
        .await;
        // WHEN their init is timed, twice (a new process each time)
        for _ in 0..2 {
            let took = polling.time_init(Duration::from_secs(5)).await.unwrap();
            // THEN the time is the time to the poll
            assert!(
                took >= Duration::from_millis(300) && took < Duration::from_secs(5),
                "{took:?}"
            );
        }
        let error = exiting
            .time_init(Duration::from_secs(5))
            .await
            .unwrap_err()
            .to_string();
        // AND the one that exits fails with what it said
        assert!(error.contains("INCIDENTS_TABLE is not set"), "{error}");
    }
}
